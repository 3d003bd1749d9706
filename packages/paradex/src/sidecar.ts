/**
 * @module sidecar — `ParadexSidecar`, the public class: keeps one healthy sidecar child running until
 * `close()` (restart with jittered backoff, resubscribe, lifecycle events), exposes its stdout as typed,
 * validated events and its stdin as promise-returning commands.
 *
 * It composes `session` (one child: spawn, framing, zod, handshake, seq, watchdog), `rpc` (ids, deadlines,
 * rejection on death), `events` (listeners, iterators) and `supervisor` (backoff). A listener that
 * throws is logged, never propagated into the reader.
 */
import { childEnvironment } from "./process.ts";
import type { CommandOp, HelloEvent, SidecarLine } from "./schema.ts";
import { RpcClient, type CommandParams, type ResultData, type RpcStats } from "./rpc.ts";
import { TypedEmitter, type IterateOptions, type Listener } from "@paradex-edgex/core";
import type { BridgeErrorEvent, SidecarEventMap, SidecarEventType } from "./events.ts";
import { DEFAULT_RESTART_POLICY, restartDelay, type RestartPolicy } from "./supervisor.ts";
import { ChildSession } from "./session.ts";
import {
  sidecarCommand,
  sidecarPlace,
  stderrLogger,
  type BridgeLogger,
  type ParadexSidecarOptions,
} from "./options.ts";
import { HandshakeError, NotReadyError, SidecarConfigError, SidecarError } from "./errors.ts";

export {
  DEFAULT_SIDECAR_EXECUTABLE,
  silentLogger,
  stderrLogger,
  type BridgeLogger,
  type ParadexSidecarOptions,
} from "./options.ts";
export type { BridgeErrorEvent, LifecycleEvent, SidecarEventMap, SidecarEventType } from "./events.ts";

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

type Channel = CommandParams<"subscribe">["channel"];

export class ParadexSidecar {
  readonly #opts: ParadexSidecarOptions;
  readonly #policy: RestartPolicy;
  readonly #log: BridgeLogger;
  readonly #events: TypedEmitter<SidecarEventMap>;
  readonly #rpc = new RpcClient();
  readonly #subscriptions = new Map<string, { channel: Channel; market: string | undefined }>();
  /** Counts of the sessions that are over; the live session's are added on read. */
  readonly #past = { lines: 0, invalid: 0, oversize: 0, gaps: 0, missing: 0 };
  readonly #retired = new WeakSet<ChildSession>();
  #restarts = 0;
  #state: SidecarState = "idle";
  #session: ChildSession | null = null;
  /** The warm standby child (imports done, waiting for `go`), when one is kept. */
  #standby: ChildSession | null = null;
  #standbyTimer: NodeJS.Timeout | null = null;
  /** The standby said it finished its imports (`paradex-ws: standby ready` on stderr). */
  #standbyWarm = false;
  /** Off after a standby died before it was used (a sidecar without `--standby`, say): cold starts only. */
  #standbyOk: boolean;
  #lastPid: number | undefined;
  #readyAt: number | null = null;
  #attempt = 0;
  #everReady = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #first: { resolve: (h: HelloEvent) => void; reject: (e: Error) => void } | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: ParadexSidecarOptions = {}) {
    this.#opts = options;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.#log = options.logger ?? stderrLogger;
    this.#standbyOk = options.warmStandby ?? options.command === undefined;
    this.#events = new TypedEmitter<SidecarEventMap>((err, type) =>
      this.#log.error(
        `a '${String(type)}' listener threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      ),
    );
  }

  get state(): SidecarState {
    return this.#state;
  }

  /** The current child's `hello` (null while none is ready). */
  get hello(): HelloEvent | null {
    return this.#state === "ready" ? (this.#session?.hello ?? null) : null;
  }

  /** Pid of the current child, or of the last one once it is gone (it is also its process group id). */
  get pid(): number | undefined {
    return this.#session?.pid ?? this.#lastPid;
  }

  /** Pid of the warm standby child, when one is waiting (it becomes the child at the next restart). */
  get standbyPid(): number | undefined {
    return this.#standby?.pid;
  }

  /** True when a standby child is waiting with its imports done (a crash now costs only a reconnect). */
  get standbyReady(): boolean {
    return this.#standby !== null && this.#standbyWarm;
  }

  get counters(): SidecarCounters {
    const session = this.#session;
    const live =
      session === null || this.#retired.has(session)
        ? { lines: 0, invalid: 0, oversize: 0, gaps: 0, missing: 0 }
        : session.counts;
    const p = this.#past;
    return {
      lines: p.lines + live.lines,
      invalidLines: p.invalid + live.invalid,
      oversizeLines: p.oversize + live.oversize,
      seqGaps: p.gaps + live.gaps,
      missingLines: p.missing + live.missing,
      restarts: this.#restarts,
      rpc: { ...this.#rpc.stats },
    };
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
   * major: configuration errors surface at once instead of looping (unless `retryInitialStart`). After
   * the first ready, supervision restarts the child for ever (or up to `restart.maxAttempts`).
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
  async subscribe(channel: Channel, market?: string, options?: CallOptions): Promise<ResultData> {
    const data = await this.command("subscribe", market === undefined ? { channel } : { channel, market }, options);
    this.#subscriptions.set(`${channel}\u0000${market ?? ""}`, { channel, market });
    return data;
  }

  unsubscribe(channel: Channel, market?: string, options?: CallOptions): Promise<ResultData> {
    this.#subscriptions.delete(`${channel}\u0000${market ?? ""}`);
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

  // ----- supervision ---------------------------------------------------------------------------------

  #launch(): void {
    this.#restartTimer = null;
    this.#state = "starting";
    this.#readyAt = null;
    this.#events.emit("lifecycle", { type: "lifecycle", state: "starting", attempt: this.#attempt });
    // A warm standby only has to connect: promote it when there is one.
    const standby = this.#standby;
    this.#standby = null;
    if (standby !== null) {
      if (standby.go()) {
        this.#session = standby;
        this.#lastPid = standby.pid;
        return;
      }
      void standby.stop(this.#opts.stop);
    }
    const session = this.#spawn(false);
    this.#session = session;
    this.#lastPid = session.pid;
  }

  /** A child; `standby` ones get `--standby` and wait for `go`. Hooks close over the session, so output of
   * an old (or not yet promoted) child can never be mistaken for the current one's. */
  #spawn(standby: boolean): ChildSession {
    const spec = sidecarCommand(this.#opts);
    const place = sidecarPlace(this.#opts);
    const window = this.#opts.heartbeatWindowMs ?? 5000;
    const session: ChildSession = new ChildSession(
      {
        spawn: {
          command: spec.command,
          args: standby ? [...spec.args, "--standby"] : spec.args,
          cwd: place.cwd,
          env: childEnvironment(process.env, place.env, this.#opts.envAllowlist),
        },
        helloTimeoutMs: this.#opts.helloTimeoutMs ?? 15_000,
        heartbeatWindowMs: window,
        standby,
        ...(this.#opts.maxLineLength === undefined ? {} : { maxLineLength: this.#opts.maxLineLength }),
      },
      {
        hello: (hello) => void this.#becomeReady(session, hello),
        line: (event) => this.#dispatch(event),
        problem: (event) => this.#problem(event),
        probe: () => void this.#rpc.call("ping", {}, window).catch(() => {}),
        dead: (reason, error) =>
          session === this.#standby ? this.#standbyDied(session, reason) : this.#onDead(session, reason, error),
        stderr: (line) => {
          if (session === this.#standby && line.includes("standby ready")) this.#standbyWarm = true;
          this.#log.info(`[sidecar ${session.pid ?? "?"}] ${line}`);
        },
      },
    );
    return session;
  }

  /** After a child is ready: start the next standby a little later (not competing with the start-up). */
  #prepareStandby(): void {
    if (!this.#standbyOk || this.#standby !== null || this.#standbyTimer !== null) return;
    this.#standbyTimer = setTimeout(() => {
      this.#standbyTimer = null;
      if (this.#state !== "ready" || this.#standby !== null || !this.#standbyOk) return;
      this.#standbyWarm = false;
      this.#standby = this.#spawn(true);
    }, this.#opts.standbyDelayMs ?? 500);
    this.#standbyTimer.unref();
  }

  #standbyDied(session: ChildSession, reason: string): void {
    this.#retire(session);
    this.#standby = null;
    this.#standbyOk = false;
    this.#log.warn(`standby sidecar ${session.pid ?? "?"}: ${reason}; restarts are cold from now on`);
  }

  #dispatch(event: SidecarLine): void {
    if (event.type === "result" && !this.#rpc.handleResult(event)) {
      this.#problem({
        type: "error",
        origin: "bridge",
        code: "UNMATCHED_RESULT",
        message: `result for unknown command id ${String(event.id)} (late after a timeout?)`,
        raw: JSON.stringify(event),
      });
    }
    this.#events.emit(event.type, event as never);
  }

  async #becomeReady(session: ChildSession, hello: HelloEvent): Promise<void> {
    this.#events.emit("hello", hello);
    // A hello that arrives after close() began (or from a replaced child) must not reopen for commands.
    if (this.#state !== "starting" || this.#session !== session) return;
    this.#state = "ready";
    this.#rpc.attach((line) => session.write(line));
    session.watch();
    const subs = [...this.#subscriptions.values()];
    const timeout = this.#opts.commandTimeoutMs ?? 5000;
    const results = await Promise.allSettled(
      subs.map((s) =>
        this.#rpc.call(
          "subscribe",
          s.market === undefined ? { channel: s.channel } : { channel: s.channel, market: s.market },
          timeout,
        ),
      ),
    );
    if (session.over) return;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") return;
      const s = subs[i];
      this.#problem({
        type: "error",
        origin: "bridge",
        code: "RESUBSCRIBE_FAILED",
        message: `resubscribe ${String(s?.channel)} ${s?.market ?? ""}: ${String(r.reason)}`,
      });
    });
    this.#readyAt = performance.now();
    this.#everReady = true;
    this.#events.emit("lifecycle", {
      type: "lifecycle",
      state: "ready",
      attempt: this.#attempt,
      pid: session.pid ?? -1,
      hello,
    });
    this.#prepareStandby();
    const first = this.#first;
    this.#first = null;
    first?.resolve(hello);
  }

  /** The child is gone (exit, hang, bad handshake): reject its commands, then restart or stop. */
  #onDead(session: ChildSession, reason: string, error?: Error): void {
    this.#retire(session);
    this.#rpc.rejectAll(reason);
    if (this.#session !== session || this.#state === "closing" || this.#state === "closed") return;
    this.#session = null;
    this.#log.warn(`sidecar ${session.pid ?? "?"}: ${reason}`);
    // A refused protocol or configuration (exit 2/3/4) would fail the same way again: stop, never restart.
    const fatal =
      (error instanceof SidecarError && error.code === "PROTOCOL_VERSION") || error instanceof SidecarConfigError;
    if (fatal || (!this.#everReady && this.#opts.retryInitialStart !== true)) {
      this.#stopped(reason, error ?? new HandshakeError(`sidecar failed to start: ${reason}`));
      return;
    }
    // A child that ran fine (ready for `stableAfterMs`) is replaced at once; only children that die early
    // (before ready, or soon after) make the backoff grow.
    const wasStable = this.#readyAt !== null && performance.now() - this.#readyAt >= this.#policy.stableAfterMs;
    this.#attempt = wasStable ? 1 : this.#attempt + 1;
    if (this.#attempt > this.#policy.maxAttempts) {
      const why = `gave up after ${this.#policy.maxAttempts} restarts: ${reason}`;
      this.#stopped(why, new SidecarError("GAVE_UP", why));
      return;
    }
    const delay = wasStable ? 0 : restartDelay(this.#attempt, this.#policy);
    this.#restarts += 1;
    this.#state = "restarting";
    this.#events.emit("lifecycle", {
      type: "lifecycle",
      state: "restarting",
      attempt: this.#attempt,
      delay_ms: delay,
      reason,
    });
    this.#restartTimer = setTimeout(() => this.#launch(), delay);
  }

  /** Folds a finished session's counts into the totals (once). */
  #retire(session: ChildSession): void {
    if (this.#retired.has(session)) return;
    this.#retired.add(session);
    const c = session.counts;
    this.#past.lines += c.lines;
    this.#past.invalid += c.invalid;
    this.#past.oversize += c.oversize;
    this.#past.gaps += c.gaps;
    this.#past.missing += c.missing;
  }

  #stopped(reason: string, error?: Error): void {
    this.#state = "closed";
    this.#closing ??= Promise.resolve();
    this.#events.emit(
      "lifecycle",
      error === undefined
        ? { type: "lifecycle", state: "stopped", reason }
        : { type: "lifecycle", state: "stopped", reason, error },
    );
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
    if (this.#standbyTimer !== null) clearTimeout(this.#standbyTimer);
    this.#standbyTimer = null;
    const standby = this.#standby;
    this.#standby = null;
    const stoppingStandby = standby === null ? Promise.resolve() : standby.stop(this.#opts.stop);
    this.#rpc.rejectAll("closed");
    const session = this.#session;
    if (session !== null) {
      await session.stop(this.#opts.stop);
      // Lines printed while stopping (`status closed`) were still delivered; now the counts are final.
      this.#retire(session);
      this.#session = null;
    }
    await stoppingStandby;
    this.#stopped("closed");
  }

  #problem(event: BridgeErrorEvent): void {
    if (!this.#events.has("error")) this.#log.warn(`${event.code}: ${event.message}`);
    this.#events.emit("error", event);
  }
}
