/**
 * @module bridge-ts — public entry point of the TypeScript bridge to the Paradex sidecar.
 */
export {
  ParadexSidecar,
  REPO_ROOT,
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
  ProtocolVersionError,
  SidecarCommandError,
  SidecarError,
  SidecarGoneError,
} from "./errors.ts";
export { IteratorOverflowError, type IterateOptions } from "./events.ts";
export { LineFramer, type FramedItem } from "./framing.ts";
export { DEFAULT_RESTART_POLICY, type RestartPolicy, type SeqGap } from "./supervisor.ts";
export type { CommandParams, ResultData } from "./rpc.ts";
export * from "./schema.ts";
export type {
  CancelRequest,
  MarketChannel as VenueMarketChannel,
  MarketMeta,
  PlaceOrderRequest,
  PlaceOrderResult,
  Unsubscribe,
  Venue,
  VenueEvent,
  VenueEventOf,
  VenueEventType,
  VenueName,
  VenueSnapshot,
} from "./venue.ts";
