/**
 * @module @paradex-edgex/paradex — the Paradex venue: the bridge to the Python sidecar (`paradex-ws`),
 * `ParadexSidecar` and `ParadexVenue`. Core's vocabulary is re-exported, so one import serves a Paradex-only bot.
 */
export {
  DEFAULT_SIDECAR_EXECUTABLE,
  ParadexSidecar,
  silentLogger,
  stderrLogger,
  type BridgeErrorEvent,
  type BridgeLogger,
  type CallOptions,
  type LifecycleEvent,
  type ParadexSidecarOptions,
  type SidecarCounters,
  type SidecarEventMap,
  type SidecarEventType,
  type SidecarState,
} from "./sidecar.ts";
export { ParadexVenue, type ParadexVenueOptions } from "./paradex-venue.ts";
export {
  CommandTimeoutError,
  HandshakeError,
  NotReadyError,
  OrderNotPlacedError,
  PlaceOutcomeUnknownError,
  ProtocolVersionError,
  SidecarCommandError,
  SidecarConfigError,
  CONFIG_EXIT_CODES,
  SidecarError,
  SidecarGoneError,
} from "./errors.ts";
export { LineFramer, type FramedItem } from "./framing.ts";
export { DEFAULT_RESTART_POLICY, type RestartPolicy, type SeqGap } from "./supervisor.ts";
export type { CommandParams, ResultData } from "./rpc.ts";
export * from "./schema.ts";
