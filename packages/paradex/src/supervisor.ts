/**
 * @module supervisor — the decisions of supervision, apart from the processes they act on: the handshake
 * check, the restart delay (jittered exponential backoff with an optional cap on attempts), the liveness
 * watchdog and the `seq` continuity check. `sidecar.ts` wires them to a real child.
 */
import { backoffDelay, type BackoffPolicy } from "@paradex-edgex/core";
import { PROTOCOL_VERSION } from "./schema.ts";
import { HandshakeError, ProtocolVersionError } from "./errors.ts";

// ---------------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------------

/**
 * Accepts the child's first line only if it is a `hello` of our protocol major version, whatever its minor
 * (`protocol_minor`: a newer minor only adds optional fields and event types, which this bridge passes
 * through). The version is checked before the full schema, so a newer major gets "speaks protocol 2", not a
 * list of field errors.
 */
export function checkHello(first: { type?: unknown; protocol?: unknown }, expected = PROTOCOL_VERSION): void {
  if (first.type !== "hello") {
    throw new HandshakeError(`first line from the sidecar is a ${JSON.stringify(first.type)}, expected "hello"`);
  }
  if (first.protocol !== expected) throw new ProtocolVersionError(Number(first.protocol), expected);
}

// ---------------------------------------------------------------------------------------------------
// Restart policy
// ---------------------------------------------------------------------------------------------------

/** Core's backoff (defaults: 100 ms first, ×2, capped at 10 s, jitter 0.5) plus when to give up or forgive. */
export interface RestartPolicy extends BackoffPolicy {
  /** Consecutive failed attempts before giving up; `Infinity` (default) never gives up. */
  maxAttempts: number;
  /** A child that stayed ready this long "ran fine": it is replaced at once and the attempt counter resets (default 2,000 ms). */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Number.POSITIVE_INFINITY,
  stableAfterMs: 2_000,
};

/** Delay before restart number `attempt` (1-based): exponential, capped, then jittered downwards. */
export function restartDelay(attempt: number, policy: RestartPolicy, random: () => number = Math.random): number {
  return backoffDelay(attempt, policy, random);
}

// ---------------------------------------------------------------------------------------------------
// Liveness watchdog
// ---------------------------------------------------------------------------------------------------

export interface WatchdogHooks {
  /** Quiet for half the window: ask the child for a sign of life (a `ping`), once per quiet spell. */
  probe(): void;
  /** Quiet for the whole window: the child is hung. */
  dead(quietMs: number): void;
}

/**
 * Any line from the child counts as a heartbeat (`stats` lines arrive every `--stats-interval`, data
 * more often). A quiet child is probed with a `ping` before it is declared dead, so a healthy child with
 * nothing to say is never restarted (cryptofeed's connection-wide silence watchdog restarts healthy
 * feeds, its issue #226); a stopped or wedged child answers nothing and is replaced.
 */
export class Watchdog {
  readonly #windowMs: number;
  readonly #hooks: WatchdogHooks;
  readonly #now: () => number;
  #last: number;
  #probed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(windowMs: number, hooks: WatchdogHooks, now: () => number = () => performance.now()) {
    if (!(windowMs > 0)) throw new RangeError("watchdog window must be positive");
    this.#windowMs = windowMs;
    this.#hooks = hooks;
    this.#now = now;
    this.#last = now();
  }

  /** Called for every line from the child; as cheap as possible (hot path). */
  touch(): void {
    this.#last = this.#now();
    this.#probed = false;
  }

  start(): void {
    this.touch();
    this.stop();
    this.#timer = setInterval(() => this.check(), Math.max(10, Math.floor(this.#windowMs / 8)));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One evaluation (the interval calls it; tests call it with a fake clock). */
  check(): void {
    const quiet = this.#now() - this.#last;
    if (quiet >= this.#windowMs) {
      this.stop();
      this.#hooks.dead(Math.round(quiet));
    } else if (quiet >= this.#windowMs / 2 && !this.#probed) {
      this.#probed = true;
      this.#hooks.probe();
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Sequence continuity
// ---------------------------------------------------------------------------------------------------

export interface SeqGap {
  expected: number;
  received: number;
  /** Lines missing (0 when the sequence went backwards, which is reported too). */
  missing: number;
}

/** `seq` is 1, 2, 3… per child process; anything else means a line was lost or the child misbehaves. */
export class SeqTracker {
  #last = 0;
  gaps = 0;
  missing = 0;

  /** A new child starts again at 1. */
  reset(): void {
    this.#last = 0;
  }

  /** Returns the gap this `seq` reveals, or null when it is the next one. */
  observe(seq: number): SeqGap | null {
    const expected = this.#last + 1;
    this.#last = seq;
    if (seq === expected) return null;
    const missing = Math.max(0, seq - expected);
    this.gaps += 1;
    this.missing += missing;
    return { expected, received: seq, missing };
  }
}
