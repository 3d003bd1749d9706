/**
 * @module session — the life of one sidecar child, from spawn to death: its stdout framed and validated
 * into events, its handshake, its `seq` continuity, its watchdog, its stderr to the logger.
 *
 * A session reports upwards through hooks and never throws on the reader path: a line that is not JSON
 * or fails the schema becomes a `problem` carrying the raw line. It dies exactly once (`dead`), whatever
 * the cause: exit, spawn failure, no `hello` in time, a refused `hello`, or a silent (hung) child, which is
 * SIGKILLed with its group. Restarting is not its business; `sidecar.ts` decides that.
 */
import { spawnChild, type ChildHandle, type ExitInfo, type SpawnSpec, type StopTimings } from "./process.ts";
import { LineFramer, type FramedItem } from "./framing.ts";
import { KNOWN_LINE_TYPES, SidecarLine, type HelloEvent } from "./schema.ts";
import { SeqTracker, Watchdog, checkHello, type SeqGap } from "./supervisor.ts";
import { CONFIG_EXIT_CODES, HandshakeError, SidecarConfigError } from "./errors.ts";
import type { BridgeErrorEvent } from "./events.ts";

export interface SessionConfig {
  spawn: SpawnSpec;
  helloTimeoutMs: number;
  heartbeatWindowMs: number;
  maxLineLength?: number;
  /**
   * A warm standby (the child was started with `--standby`): it does its imports and waits for a `go` line;
   * the hello deadline starts at `go()`, not at spawn.
   */
  standby?: boolean;
}

export interface SessionHooks {
  /** The handshake passed. */
  hello(hello: HelloEvent): void;
  /** A validated line after the handshake (results included). Hot path. */
  line(event: SidecarLine): void;
  /** A line that could not be used, or a `seq` gap. */
  problem(event: BridgeErrorEvent): void;
  /** The watchdog wants a sign of life (the caller sends a `ping`). */
  probe(): void;
  /** Exactly once; `error` is set when the death carries a typed cause (a refused handshake). */
  dead(reason: string, error?: Error): void;
  stderr(line: string): void;
}

export class ChildSession {
  readonly #hooks: SessionHooks;
  readonly #handle: ChildHandle;
  readonly #framer: LineFramer;
  readonly #stderrFramer: LineFramer;
  #lastStderr: string | null = null;
  #lastErrorEvent: string | null = null; // the message of the sidecar's last `error` event
  readonly #seq = new SeqTracker();
  readonly #watchdog: Watchdog;
  #helloTimer: NodeJS.Timeout | null = null;
  readonly #helloTimeoutMs: number;
  #hello: HelloEvent | null = null;
  #over = false;
  /** Lines read, lines unusable, seq gaps and lines missing (added into the sidecar's counters). */
  readonly counts = { lines: 0, invalid: 0, oversize: 0, gaps: 0, missing: 0 };

  constructor(config: SessionConfig, hooks: SessionHooks) {
    this.#hooks = hooks;
    const framing = config.maxLineLength === undefined ? {} : { maxLineLength: config.maxLineLength };
    this.#framer = new LineFramer(framing);
    this.#stderrFramer = new LineFramer(framing);
    this.#watchdog = new Watchdog(config.heartbeatWindowMs, {
      probe: () => hooks.probe(),
      dead: (quiet) => this.#die(`no line from the sidecar for ${quiet} ms (hung)`),
    });
    const onItem = (item: FramedItem): void => this.#onItem(item);
    const onStderr = (item: FramedItem): void => {
      if (item.kind !== "line") return;
      if (item.line.trim() !== "") this.#lastStderr = item.line.trim();
      hooks.stderr(item.line);
    };
    this.#handle = spawnChild(config.spawn, {
      stdout: (chunk) => this.#framer.push(chunk, onItem),
      stderr: (chunk) => this.#stderrFramer.push(chunk, onStderr),
      exit: (info) => {
        this.#framer.end(onItem);
        this.#stderrFramer.end(onStderr);
        this.#die(describeExit(info), this.#configError(info));
      },
    });
    this.#helloTimeoutMs = config.helloTimeoutMs;
    if (config.standby !== true) this.#armHello();
  }

  #armHello(): void {
    const ms = this.#helloTimeoutMs;
    this.#helloTimer = setTimeout(() => this.#die(`no hello within ${ms} ms`), ms);
  }

  /** Wakes a warm standby: it starts for real and says `hello`. False when it can no longer be used. */
  go(): boolean {
    if (this.#over || !this.#handle.running || !this.#handle.write("go\n")) return false;
    this.#armHello();
    return true;
  }

  get pid(): number | undefined {
    return this.#handle.pid;
  }

  get hello(): HelloEvent | null {
    return this.#hello;
  }

  /** True once the session died or was stopped. */
  get over(): boolean {
    return this.#over;
  }

  /** Writes one command line; throws when the child can no longer take input. */
  write(line: string): void {
    if (this.#over || !this.#handle.write(line)) throw new Error("sidecar stdin is closed");
  }

  /** Arms the liveness watchdog (after the handshake, once commands can be answered). */
  watch(): void {
    if (!this.#over) this.#watchdog.start();
  }

  /** Graceful stop (`close()`): stdin EOF → grace → SIGTERM → SIGKILL. The exit is not reported as a death. */
  async stop(timings?: StopTimings): Promise<void> {
    this.#quiesce();
    await this.#handle.stop(timings);
  }

  #quiesce(): void {
    this.#over = true;
    this.#watchdog.stop();
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }

  /** Exit 2, 3 or 4: a configuration error, with the sidecar's own words (its error event, else stderr). */
  #configError(info: ExitInfo): SidecarConfigError | undefined {
    if (info.error !== undefined || info.signal !== null || info.code === null) return undefined;
    if (CONFIG_EXIT_CODES[info.code] === undefined) return undefined;
    return new SidecarConfigError(info.code, this.#lastErrorEvent ?? stripLogPrefix(this.#lastStderr ?? ""));
  }

  #die(reason: string, error?: Error): void {
    if (this.#over) return;
    this.#quiesce();
    // Killing the group also reaps anything the child started; a hung child gets no grace.
    void this.#handle.kill();
    this.#hooks.dead(reason, error);
  }

  #onItem(item: FramedItem): void {
    if (item.kind === "oversize") {
      this.counts.oversize += 1;
      this.#problem("LINE_TOO_LONG", `discarded a ${item.length}-character line`, item.prefix);
      return;
    }
    this.#onLine(item.line);
  }

  /** The hot path: one stdout line → validated event. Never throws. */
  #onLine(line: string): void {
    this.counts.lines += 1;
    this.#watchdog.touch();
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.counts.invalid += 1;
      this.#problem("BAD_JSON", "sidecar stdout line is not JSON", line);
      return;
    }
    const seq = (raw as { seq?: unknown } | null)?.seq;
    if (typeof seq === "number") {
      const gap = this.#seq.observe(seq);
      if (gap !== null) this.#reportGap(gap);
    }
    if (this.#hello === null) {
      this.#handshake(raw, line);
      return;
    }
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === "string" && typeof seq === "number" && !KNOWN_LINE_TYPES.has(type)) {
      // A newer sidecar's new event type (PROTOCOL.md versioning): the consumer sees it, nothing is dropped.
      this.#hooks.line({ type: "unknown", seq, line_type: type, line: raw as Record<string, unknown> });
      return;
    }
    const parsed = SidecarLine.safeParse(raw);
    if (!parsed.success) {
      this.counts.invalid += 1;
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      this.#problem("INVALID_LINE", `sidecar line fails the protocol schema: ${why}`, line);
      return;
    }
    if (parsed.data.type === "error") this.#lastErrorEvent = parsed.data.message;
    this.#hooks.line(parsed.data);
  }

  #handshake(raw: unknown, line: string): void {
    let hello: HelloEvent;
    try {
      if (typeof raw !== "object" || raw === null)
        throw new HandshakeError(`first line is not an object: ${line.slice(0, 200)}`);
      checkHello(raw);
      const parsed = SidecarLine.safeParse(raw);
      if (!parsed.success || parsed.data.type !== "hello") {
        throw new HandshakeError(`hello fails the protocol schema: ${parsed.success ? "" : parsed.error.message}`);
      }
      hello = parsed.data;
    } catch (err) {
      this.#die((err as Error).message, err as Error);
      return;
    }
    this.#hello = hello;
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
    this.#hooks.hello(hello);
  }

  #reportGap(gap: SeqGap): void {
    this.counts.gaps += 1;
    this.counts.missing += gap.missing;
    const message =
      gap.missing > 0
        ? `${gap.missing} line(s) lost: seq ${gap.received} after ${gap.expected - 1}`
        : `seq went backwards: ${gap.received} after ${gap.expected - 1}`;
    this.#hooks.problem({ type: "error", origin: "bridge", code: "SEQ_GAP", message, gap });
  }

  #problem(code: BridgeErrorEvent["code"], message: string, raw: string): void {
    this.#hooks.problem({ type: "error", origin: "bridge", code, message, raw });
  }
}

/** `2026-12-03 12:00:00,123 ERROR paradex_ws_service.app: message` → `message` (argparse lines stay whole). */
function stripLogPrefix(line: string): string {
  const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ [\w.]+: (.*)$/.exec(line);
  return m?.[1] ?? line;
}

function describeExit(info: ExitInfo): string {
  if (info.error !== undefined) return `could not start the sidecar: ${info.error.message}`;
  if (info.signal !== null) return `sidecar killed by ${info.signal}`;
  return `sidecar exited with code ${String(info.code)}`;
}
