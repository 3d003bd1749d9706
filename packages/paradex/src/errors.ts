/**
 * @module errors — the named failures of the bridge, so callers switch on a class or a `code`, not on text.
 */
import { CodedError } from "@paradex-edgex/core";

/** Base class of the bridge's errors (core's `CodedError`: a stable `code`). */
export class SidecarError extends CodedError {}

/** The sidecar answered a command with `ok:false`; `code` is the sidecar's stable code (BAD_PARAMS, …). */
export class SidecarCommandError extends SidecarError {
  readonly op: string;
  readonly id: string | number;
  constructor(op: string, id: string | number, code: string, message: string) {
    super(code, `${op} (${String(id)}) refused by the sidecar: ${code}: ${message}`);
    this.op = op;
    this.id = id;
  }
}

/**
 * No result arrived before the deadline. The command may still have taken effect in the sidecar (an
 * order, say): the bridge never resends it; reconcile with `snapshot` or by client id.
 */
export class CommandTimeoutError extends SidecarError {
  readonly op: string;
  readonly id: string | number;
  constructor(op: string, id: string | number, timeoutMs: number) {
    super("TIMEOUT", `${op} (${String(id)}): no result within ${timeoutMs} ms; outcome unknown, not resent`);
    this.op = op;
    this.id = id;
  }
}

/**
 * The child went away (exit, hang, restart, close) while the command was in flight. It is rejected rather
 * than replayed on the next child: a replayed `place` could double an order. For a `place` (or `cancel`)
 * the outcome is **unknown**, not "not placed": the child may have sent it before it died. `ParadexVenue`
 * resolves such a `place` by client id through the next child; a direct `ParadexSidecar` user must do the
 * same (the `order` command).
 */
export class SidecarGoneError extends SidecarError {
  readonly op: string;
  readonly id: string | number;
  /** True for commands that may have acted on the venue before the child died (`place`, `cancel`, …). */
  readonly outcomeUnknown: boolean;
  constructor(op: string, id: string | number, reason: string) {
    const acts = ACTING_OPS.has(op);
    super(
      "SIDECAR_GONE",
      `${op} (${String(id)}): sidecar went away before answering (${reason}); ${acts ? "outcome unknown (it may have reached the venue), not resent: look it up by client id" : "not resent"}`,
    );
    this.op = op;
    this.id = id;
    this.outcomeUnknown = acts;
  }
}

const ACTING_OPS: ReadonlySet<string> = new Set(["place", "cancel", "cancel_all", "set_leverage"]);

/**
 * A `place` whose sidecar died with it in flight, and whose outcome could still not be established by client
 * id afterwards (no ready child, or the venue could not answer in time). It may be on the venue; it was not
 * resent. Look it up by `clientId` (`ParadexVenue.order()`) before placing again.
 */
export class PlaceOutcomeUnknownError extends SidecarError {
  readonly clientId: string;
  constructor(clientId: string, why: string, options?: { cause?: unknown }) {
    super(
      "OUTCOME_UNKNOWN",
      `place ${clientId}: outcome unknown (${why}); not resent, look it up by client id`,
      options,
    );
    this.clientId = clientId;
  }
}

/** A definite "not placed": after the sidecar came back, Paradex answered (twice) that it has no such order. */
export class OrderNotPlacedError extends SidecarError {
  readonly clientId: string;
  constructor(clientId: string, why: string) {
    super("NOT_PLACED", `place ${clientId} did not reach Paradex: ${why}`);
    this.clientId = clientId;
  }
}

/** A command was issued while no child is ready (starting, restarting or closed). */
export class NotReadyError extends SidecarError {
  constructor(op: string, state: string) {
    super("NOT_READY", `${op}: sidecar is ${state}, not ready for commands`);
  }
}

/** The child's `hello` names a protocol major version this bridge does not speak. */
export class ProtocolVersionError extends SidecarError {
  readonly got: number;
  readonly expected: number;
  constructor(got: number, expected: number) {
    super(
      "PROTOCOL_VERSION",
      `sidecar speaks protocol ${got}, this bridge speaks ${expected}: upgrade whichever side is older`,
    );
    this.got = got;
    this.expected = expected;
  }
}

/** The child did not print a valid `hello` in time, or exited before it. */
export class HandshakeError extends SidecarError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("HANDSHAKE", message, options);
  }
}

/** Exit codes the sidecar documents as configuration errors: restarting cannot help, so the bridge stops. */
export const CONFIG_EXIT_CODES: Readonly<Record<number, string>> = {
  2: "BAD_CONFIG", // bad flag, environment value or .env.paradex entry; unknown market
  3: "CREDENTIALS", // credentials missing or refused while private channels were asked for
  4: "UNREACHABLE", // Paradex REST unreachable at start while trading was asked for
};

/**
 * The sidecar exited with a configuration error (exit 2, 3 or 4). `code` is `BAD_CONFIG`, `CREDENTIALS` or
 * `UNREACHABLE`; the message carries the sidecar's own (its last `error` event, else its last stderr line).
 * Never restarted: `start()` rejects with it, or, after a ready, the `stopped` lifecycle event carries it.
 */
export class SidecarConfigError extends SidecarError {
  readonly exitCode: number;
  readonly sidecarMessage: string;
  constructor(exitCode: number, sidecarMessage: string) {
    const code = CONFIG_EXIT_CODES[exitCode] ?? "BAD_CONFIG";
    super(code, `sidecar refused its configuration (exit ${exitCode}, ${code}): ${sidecarMessage || "no message"}`);
    this.exitCode = exitCode;
    this.sidecarMessage = sidecarMessage;
  }
}
