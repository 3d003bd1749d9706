/**
 * @module sidecar — `ParadexSidecar`, the public class: spawns the Python sidecar, checks its `hello`,
 * turns its stdout into typed, validated events and its stdin into promise-returning commands, and keeps
 * one healthy child running (restart with backoff, resubscribe, lifecycle events) until `close()`.
 *
 * It composes `process` (spawn/stop), `framing` (chunks → lines), `schema` (zod at the boundary), `rpc`
 * (ids, deadlines), `events` (listeners, iterators) and `supervisor` (handshake, backoff, watchdog, seq).
 * The reader path never throws: a line that is not JSON or not a valid protocol line becomes an `error`
 * event carrying the raw line, and a listener that throws is logged, not propagated.
 */
import { fileURLToPath } from "node:url";
import { childEnvironment, spawnChild, type ChildHandle, type ExitInfo, type StopTimings } from "./process.ts";
import { LineFramer, type FramedItem } from "./framing.ts";
import { SidecarLine, type CommandOp, type ErrorLine, type HelloEvent, type SidecarLineType } from "./schema.ts";
import { RpcClient, type CommandParams, type ResultData, type RpcStats } from "./rpc.ts";
import { TypedEmitter, type IterateOptions, type Listener } from "./events.ts";
import {
  DEFAULT_RESTART_POLICY,
  SeqTracker,
  Watchdog,
  checkHello,
  restartDelay,
  type RestartPolicy,
  type SeqGap,
} from "./supervisor.ts";
import { HandshakeError, NotReadyError, SidecarError } from "./errors.ts";

/** The repository root, found from this file so the bridge works from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

export type LifecycleEvent =
  | { type: "lifecycle"; state: "starting"; attempt: number }
  | { type: "lifecycle"; state: "ready"; attempt: number; pid: number; hello: HelloEvent }
  | { type: "lifecycle"; state: "restarting"; attempt: number; delay_ms: number; reason: string }
  | { type: "lifecycle"; state: "stopped"; reason: string; error?: Error };

/** Problems the bridge itself detects; sidecar `error` lines have no `origin` field. */
export interface BridgeErrorEvent {
  type: "error";
  origin: "bridge";
  code: "BAD_JSON" | "INVALID_LINE" | "LINE_TOO_LONG" | "SEQ_GAP" | "RESUBSCRIBE_FAILED" | "UNMATCHED_RESULT";
  message: string;
  /** The offending line (or its first 200 characters when it was too long to keep). */
  raw?: string;
  gap?: SeqGap;
}

type LineEvents = { [K in SidecarLineType]: Extract<SidecarLine, { type: K }> };

/** Every event a `ParadexSidecar` emits, keyed by `type`. */
export type SidecarEventMap = Omit<LineEvents, "error"> & {
  error: ErrorLine | BridgeErrorEvent;
  lifecycle: LifecycleEvent;
};
export type SidecarEventType = keyof SidecarEventMap;

export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Default logger: stderr, prefixed, so the sidecar's logs stay visible next to the parent's. */
export const stderrLogger: BridgeLogger = {
  info: (m) => process.stderr.write(`[paradex-bridge] ${m}\n`),
  warn: (m) => process.stderr.write(`[paradex-bridge] WARN ${m}\n`),
  error: (m) => process.stderr.write(`[paradex-bridge] ERROR ${m}\n`),
};

export const silentLogger: BridgeLogger = { info: () => {}, warn: () => {}, error: () => {} };

export interface ParadexSidecarOptions {
  /** Sidecar network: `--env` of the CLI (`sim` runs the embedded simulator). */
  network?: "prod" | "testnet" | "nightly" | "sim";
  markets?: readonly string[];
  channels?: readonly string[];
  wsUrl?: string;
  restUrl?: string;
  /** `--stats-interval` in seconds; `stats` lines double as heartbeats. */
  statsIntervalS?: number;
  /** More CLI arguments, appended as given. */
  extraArgs?: readonly string[];
  /** Python interpreter (default `<repo>/.venv/bin/python`). */
  python?: string;
  /** Full override of the program and its arguments (then `python`, `network`… are ignored). */
  command?: { command: string; args: readonly string[] };
  cwd?: string;
  /** Extra environment for the child; the parent's is reduced to an allowlist plus `PARADEX_*`. */
  env?: Record<string, string>;
  envAllowlist?: readonly string[];
  /** Deadline for `hello` after spawn (default 15,000 ms; importing paradex-py alone takes ≈1.4 s). */
  helloTimeoutMs?: number;
  /** Default deadline of a command (default 5,000 ms; each call may override it). */
  commandTimeoutMs?: number;
  /** Silence longer than this (no line at all, ping unanswered) means a hung child (default 5,000 ms). */
  heartbeatWindowMs?: number;
  restart?: Partial<RestartPolicy>;
  /** When the very first child fails to become ready, retry instead of rejecting `start()` (default false). */
  retryInitialStart?: boolean;
  stop?: StopTimings;
  maxLineLength?: number;
  logger?: BridgeLogger;
}

export interface SidecarCounters {
  lines: number;
  invalidLines: number;
  oversizeLines: number;
  seqGaps: number;
  missingLines: number;
  restarts: number;
  rpc: RpcStats;
}

export type SidecarState = "idle" | "starting" | "ready" | "restarting" | "closing" | "closed";

export interface CallOptions {
  timeoutMs?: number;
}

/** One spawned child and the per-child state that dies with it. */
interface Generation {
  handle: ChildHandle;
  framer: LineFramer;
  stderrFramer: LineFramer;
  seq: SeqTracker;
  watchdog: Watchdog;
  hello: HelloEvent | null;
  helloTimer: NodeJS.Timeout | null;
  readyAt: number | null;
  /** Set once this child has been failed or closed: its exit is then no news. */
  over: boolean;
}

// ---------------------------------------------------------------------------------------------------
// ParadexSidecar
// ---------------------------------------------------------------------------------------------------

export class ParadexSidecar {
  readonly #opts: ParadexSidecarOptions;
  readonly #policy: RestartPolicy;
  readonly #log: BridgeLogger;
  readonly #events: TypedEmitter<SidecarEventMap>;
  readonly #rpc = new RpcClient();
  readonly #subscriptions = new Map<string, { channel: string; market: string | undefined }>();
  readonly #counters = { lines: 0, invalidLines: 0, oversizeLines: 0, seqGaps: 0, missingLines: 0, restarts: 0 };
  #state: SidecarState = "idle";
  #gen: Generation | null = null;
  #lastPid: number | undefined;
  #attempt = 0;
  #everReady = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #first: { resolve: (h: HelloEvent) => void; reject: (e: Error) => void } | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: ParadexSidecarOptions = {}) {
    this.#opts = options;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.#log = options.logger ?? stderrLogger;
    this.#events = new TypedEmitter<SidecarEventMap>((err, type) =>
      this.#log.error(`a '${String(type)}' listener threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
  }

  get state(): SidecarState {
    return this.#state;
  }

  /** The current child's `hello` (null while none is ready). */
  get hello(): HelloEvent | null {
    return this.#state === "ready" ? (this.#gen?.hello ?? null) : null;
  }

  /** Pid of the current child, or of the last one once it is gone (it is also its process group id). */
  get pid(): number | undefined {
    return this.#gen?.handle.pid ?? this.#lastPid;
  }

  get counters(): SidecarCounters {
    return { ...this.#counters, rpc: { ...this.#rpc.stats } };
  }

  // ----- events --------------------------------------------------------------------------------------

  on<K extends SidecarEventType>(type: K, listener: Listener<SidecarEventMap[K]>): () => void {
    return this.#events.on(type, listener);
  }

  off<K extends SidecarEventType>(type: K, listener: Listener<SidecarEventMap[K]>): void {
    this.#events.off(type, listener);
  }

  once<K extends SidecarEventType>(
    type: K,
    predicate?: (event: SidecarEventMap[K]) => boolean,
  ): Promise<SidecarEventMap[K]> {
    return this.#events.once(type, predicate);
  }

  /** `for await (const e of sidecar.iterate("bbo"))`; ends when the sidecar is closed. */
  iterate<K extends SidecarEventType>(
    types: K | readonly K[],
    options?: IterateOptions,
  ): AsyncIterableIterator<SidecarEventMap[K]> {
    return this.#events.iterate(types, options);
  }

  // ----- lifecycle -----------------------------------------------------------------------------------

  /**
   * Spawns the child and resolves with its `hello` once it is ready. Rejects (and leaves the sidecar
   * closed) when that first child cannot start, does not say `hello` in time, or speaks another protocol
   * major: configuration errors surface at once instead of looping. After the first ready, supervision
   * restarts the child for ever (or up to `restart.maxAttempts`).
   */
  start(): Promise<HelloEvent> {
    if (this.#state !== "idle") return Promise.reject(new SidecarError("STATE", `start() when ${this.#state}`));
    const ready = new Promise<HelloEvent>((resolve, reject) => (this.#first = { resolve, reject }));
    this.#launch();
    return ready;
  }

  /** Ends stdin, waits, then SIGTERM and SIGKILL to the child's group; rejects commands in flight. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  // ----- commands ------------------------------------------------------------------------------------

  /** Any command of the protocol; resolves with the result's `data`. */
  command<K extends CommandOp>(op: K, params: CommandParams<K>, options: CallOptions = {}): Promise<ResultData> {
    if (this.#state !== "ready") return Promise.reject(new NotReadyError(op, this.#state));
    return this.#rpc.call(op, params, options.timeoutMs ?? this.#opts.commandTimeoutMs ?? 5000);
  }

  ping(options?: CallOptions): Promise<ResultData> {
    return this.command("ping", {}, options);
  }

  /** Subscribes now and again after every restart, until `unsubscribe`. */
  async subscribe(channel: CommandParams<"subscribe">["channel"], market?: string, options?: CallOptions): Promise<ResultData> {
    const data = await this.command("subscribe", market === undefined ? { channel } : { channel, market }, options);
    this.#subscriptions.set(subscriptionKey(channel, market), { channel, market });
    return data;
  }

  async unsubscribe(channel: CommandParams<"unsubscribe">["channel"], market?: string, options?: CallOptions): Promise<ResultData> {
    this.#subscriptions.delete(subscriptionKey(channel, market));
    return this.command("unsubscribe", market === undefined ? { channel } : { channel, market }, options);
  }

  /** The sidecar's own counters (the `stats` command); see `counters` for the bridge's. */
  stats(options?: CallOptions): Promise<ResultData> {
    return this.command("stats", {}, options);
  }

  place(params: CommandParams<"place">, options?: CallOptions): Promise<ResultData> {
    return this.command("place", params, options);
  }

  cancel(params: CommandParams<"cancel">, options?: CallOptions): Promise<ResultData> {
    return this.command("cancel", params, options);
  }

  cancelAll(market?: string, options?: CallOptions): Promise<ResultData> {
    return this.command("cancel_all", market === undefined ? {} : { market }, options);
  }

  snapshot(options?: CallOptions): Promise<ResultData> {
    return this.command("snapshot", {}, options);
  }

  // ----- internals: spawning and supervision ---------------------------------------------------------

  #spawnSpec(): { command: string; args: readonly string[] } {
    if (this.#opts.command !== undefined) return this.#opts.command;
    const o = this.#opts;
    const args = ["-m", "paradex_ws_service"];
    if (o.network !== undefined) args.push("--env", o.network);
    if (o.markets !== undefined) args.push("--markets", o.markets.join(","));
    if (o.channels !== undefined) args.push("--channels", o.channels.join(","));
    if (o.wsUrl !== undefined) args.push("--ws-url", o.wsUrl);
    if (o.restUrl !== undefined) args.push("--rest-url", o.restUrl);
    if (o.statsIntervalS !== undefined) args.push("--stats-interval", String(o.statsIntervalS));
    args.push(...(o.extraArgs ?? []));
    return { command: o.python ?? `${REPO_ROOT}.venv/bin/python`, args };
  }

  #launch(): void {
    this.#restartTimer = null;
    this.#state = "starting";
    this.#events.emit("lifecycle", { type: "lifecycle", state: "starting", attempt: this.#attempt });
    const spec = this.#spawnSpec();
    const maxLineLength = this.#opts.maxLineLength;
    const framerOpts = maxLineLength === undefined ? {} : { maxLineLength };
    const window = this.#opts.heartbeatWindowMs ?? 5000;
    // Hooks close over `gen` so output of an old child can never be mistaken for the current one's.
    const gen: Generation = {
      handle: undefined as unknown as ChildHandle,
      framer: new LineFramer(framerOpts),
      stderrFramer: new LineFramer(framerOpts),
      seq: new SeqTracker(),
      watchdog: new Watchdog(window, {
        probe: () => void this.#rpc.call("ping", {}, window).catch(() => {}),
        dead: (quiet) => this.#fail(gen, `no line from the sidecar for ${quiet} ms (hung)`),
      }),
      hello: null,
      helloTimer: null,
      readyAt: null,
      over: false,
    };
    const onItem = (item: FramedItem): void => this.#onItem(gen, item);
    const onStderr = (item: FramedItem): void => {
      if (item.kind === "line") this.#log.info(`[sidecar ${gen.handle.pid ?? "?"}] ${item.line}`);
    };
    this.#gen = gen;
    gen.handle = spawnChild(
      {
        command: spec.command,
        args: spec.args,
        cwd: this.#opts.cwd ?? REPO_ROOT,
        env: childEnvironment(process.env, this.#opts.env, this.#opts.envAllowlist),
      },
      {
        stdout: (chunk) => gen.framer.push(chunk, onItem),
        stderr: (chunk) => gen.stderrFramer.push(chunk, onStderr),
        exit: (info) => {
          gen.framer.end(onItem);
          gen.stderrFramer.end(onStderr);
          this.#fail(gen, describeExit(info));
        },
      },
    );
    this.#lastPid = gen.handle.pid;
    const helloMs = this.#opts.helloTimeoutMs ?? 15_000;
    gen.helloTimer = setTimeout(() => this.#fail(gen, `no hello within ${helloMs} ms`), helloMs);
  }

  #onItem(gen: Generation, item: FramedItem): void {
    if (item.kind === "oversize") {
      this.#counters.oversizeLines += 1;
      this.#bridgeError("LINE_TOO_LONG", `discarded a ${item.length}-character line`, item.prefix);
      return;
    }
    this.#onLine(gen, item.line);
  }

  /** The hot path: one stdout line → validated event → listeners. Never throws. */
  #onLine(gen: Generation, line: string): void {
    this.#counters.lines += 1;
    gen.watchdog.touch();
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.#counters.invalidLines += 1;
      this.#bridgeError("BAD_JSON", "sidecar stdout line is not JSON", line);
      return;
    }
    const seq = (raw as { seq?: unknown } | null)?.seq;
    if (typeof seq === "number") {
      const gap = gen.seq.observe(seq);
      if (gap !== null) this.#reportGap(gap);
    }
    if (gen.hello === null) {
      this.#handshake(gen, raw, line);
      return;
    }
    const parsed = SidecarLine.safeParse(raw);
    if (!parsed.success) {
      this.#counters.invalidLines += 1;
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      this.#bridgeError("INVALID_LINE", `sidecar line fails the protocol schema: ${why}`, line);
      return;
    }
    const event = parsed.data;
    if (event.type === "result" && !this.#rpc.handleResult(event)) {
      this.#bridgeError("UNMATCHED_RESULT", `result for unknown command id ${String(event.id)}`, line);
    }
    this.#events.emit(event.type, event as never);
  }

  #handshake(gen: Generation, raw: unknown, line: string): void {
    let hello: HelloEvent;
    try {
      if (typeof raw !== "object" || raw === null) throw new HandshakeError(`first line is not an object: ${line.slice(0, 200)}`);
      checkHello(raw);
      const parsed = SidecarLine.safeParse(raw);
      if (!parsed.success || parsed.data.type !== "hello") {
        throw new HandshakeError(`hello fails the protocol schema: ${parsed.success ? "" : parsed.error.message}`);
      }
      hello = parsed.data;
    } catch (err) {
      this.#fail(gen, (err as Error).message, err as Error);
      return;
    }
    gen.hello = hello;
    if (gen.helloTimer !== null) clearTimeout(gen.helloTimer);
    gen.helloTimer = null;
    this.#events.emit("hello", hello);
    void this.#becomeReady(gen, hello);
  }

  async #becomeReady(gen: Generation, hello: HelloEvent): Promise<void> {
    this.#state = "ready";
    this.#rpc.attach((line) => {
      if (!gen.handle.write(line)) throw new Error("sidecar stdin is closed");
    });
    gen.watchdog.start();
    const subs = [...this.#subscriptions.values()];
    const results = await Promise.allSettled(
      subs.map((s) =>
        this.#rpc.call("subscribe", s.market === undefined ? { channel: s.channel as never } : { channel: s.channel as never, market: s.market }, this.#opts.commandTimeoutMs ?? 5000),
      ),
    );
    if (gen.over) return;
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        const s = subs[i];
        this.#bridgeError("RESUBSCRIBE_FAILED", `resubscribe ${s?.channel} ${s?.market ?? ""}: ${String(r.reason)}`);
      }
    });
    gen.readyAt = performance.now();
    this.#everReady = true;
    this.#events.emit("lifecycle", {
      type: "lifecycle",
      state: "ready",
      attempt: this.#attempt,
      pid: gen.handle.pid ?? -1,
      hello,
    });
    const first = this.#first;
    this.#first = null;
    first?.resolve(hello);
  }

  /** The current child is unusable (exit, hang, bad handshake): reject its commands, then restart or stop. */
  #fail(gen: Generation, reason: string, error?: Error): void {
    if (gen.over) return;
    gen.over = true;
    gen.watchdog.stop();
    if (gen.helloTimer !== null) clearTimeout(gen.helloTimer);
    this.#rpc.rejectAll(reason);
    // Killing the group also reaps anything the child started; a hung child gets no grace.
    void gen.handle.kill();
    if (this.#gen !== gen || this.#state === "closing" || this.#state === "closed") return;
    this.#gen = null;
    this.#log.warn(`sidecar ${gen.handle.pid ?? "?"}: ${reason}`);
    const fatal = error instanceof SidecarError && error.code === "PROTOCOL_VERSION";
    if (fatal || (!this.#everReady && this.#opts.retryInitialStart !== true)) {
      this.#stopped(reason, error ?? new HandshakeError(`sidecar failed to start: ${reason}`));
      return;
    }
    if (gen.readyAt !== null && performance.now() - gen.readyAt >= this.#policy.stableAfterMs) this.#attempt = 0;
    this.#attempt += 1;
    if (this.#attempt > this.#policy.maxAttempts) {
      const why = `gave up after ${this.#policy.maxAttempts} restarts: ${reason}`;
      this.#stopped(why, new SidecarError("GAVE_UP", why));
      return;
    }
    const delay = restartDelay(this.#attempt, this.#policy);
    this.#counters.restarts += 1;
    this.#state = "restarting";
    this.#events.emit("lifecycle", { type: "lifecycle", state: "restarting", attempt: this.#attempt, delay_ms: delay, reason });
    this.#restartTimer = setTimeout(() => this.#launch(), delay);
  }

  #stopped(reason: string, error?: Error): void {
    this.#state = "closed";
    this.#gen = null;
    this.#closing ??= Promise.resolve();
    this.#events.emit("lifecycle", error === undefined ? { type: "lifecycle", state: "stopped", reason } : { type: "lifecycle", state: "stopped", reason, error });
    const first = this.#first;
    this.#first = null;
    first?.reject(error ?? new SidecarError("CLOSED", reason));
    this.#events.endAll();
  }

  async #close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closing";
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const gen = this.#gen;
    this.#rpc.rejectAll("closed");
    if (gen !== null) {
      gen.watchdog.stop();
      if (gen.helloTimer !== null) clearTimeout(gen.helloTimer);
      await gen.handle.stop(this.#opts.stop);
      gen.over = true;
    }
    this.#stopped("closed");
  }

  #reportGap(gap: SeqGap): void {
    this.#counters.seqGaps += 1;
    this.#counters.missingLines += gap.missing;
    const message =
      gap.missing > 0
        ? `${gap.missing} line(s) lost: seq ${gap.received} after ${gap.expected - 1}`
        : `seq went backwards: ${gap.received} after ${gap.expected - 1}`;
    this.#bridgeError("SEQ_GAP", message, undefined, gap);
  }

  #bridgeError(code: BridgeErrorEvent["code"], message: string, raw?: string, gap?: SeqGap): void {
    const event: BridgeErrorEvent = { type: "error", origin: "bridge", code, message };
    if (raw !== undefined) event.raw = raw;
    if (gap !== undefined) event.gap = gap;
    if (!this.#events.has("error")) this.#log.warn(`${code}: ${message}`);
    this.#events.emit("error", event);
  }
}

function subscriptionKey(channel: string, market: string | undefined): string {
  return `${channel}\u0000${market ?? ""}`;
}

function describeExit(info: ExitInfo): string {
  if (info.error !== undefined) return `could not start the sidecar: ${info.error.message}`;
  if (info.signal !== null) return `sidecar killed by ${info.signal}`;
  return `sidecar exited with code ${String(info.code)}`;
}
