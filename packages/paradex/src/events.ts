/**
 * @module events — the events of a `ParadexSidecar` (core's typed emitter carries them).
 */
import type { ErrorLine, HelloEvent, SidecarLine, SidecarLineType } from "./schema.ts";
import type { SeqGap } from "./supervisor.ts";

// ---------------------------------------------------------------------------------------------------
// The events of a ParadexSidecar
// ---------------------------------------------------------------------------------------------------

/** The supervisor's own story: a child starting, ready (subscriptions restored), being replaced, or the end. */
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
