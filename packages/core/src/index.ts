/**
 * @module @paradex-edgex/core — the venue-neutral vocabulary every other package stands on: the normalized
 * event schemas and their types, the `Venue` interface, the typed emitter, one backoff, one base error.
 */
export * from "./schema.ts";
export type {
  CancelRequest,
  MarketChannel,
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
export { VENUE_EVENT_TYPES } from "./venue.ts";
export { IteratorOverflowError, TypedEmitter, type IterateOptions, type Listener } from "./emitter.ts";
export { backoffDelay, type BackoffPolicy } from "./backoff.ts";
export { CodedError } from "./errors.ts";
