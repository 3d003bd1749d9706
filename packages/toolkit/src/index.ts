/**
 * @module @paradex-edgex/toolkit — one client API over Paradex and EdgeX, composed from the venue packages'
 * public exports: the factory, the symbol mapper, klines (REST and built from trades), a REST fallback for
 * quotes, and feed health.
 */
export { ExchangeClient, ExchangeError, type ExchangeClientOptions, type ExchangeDriver } from "./client.ts";
export {
  EXCHANGES,
  ExchangeConfigError,
  createExchange,
  exchangeFromEnv,
  exchangeName,
  paradexCredentialsFromEnv,
  type CredentialsOf,
  type EdgexCredentials,
  type ParadexCredentials,
} from "./factory.ts";
export * from "./symbols.ts";
export * from "./types.ts";
export {
  INTERVALS,
  KlineBuilder,
  KlineError,
  bucketStart,
  fillGaps,
  intervalMs,
  isInterval,
  toArray,
  type Candle,
  type ClosedCandleEvent,
  type Interval,
  type KlineArray,
  type KlineBuilderOptions,
  type KlineCounters,
  type TradeInput,
  type TradeOutcome,
} from "./klines.ts";
export { LiveKlines, type LiveKlinesOptions } from "./live.ts";
export {
  BboFallback,
  REST_LIMITS,
  type BboFallbackOptions,
  type BboMode,
  type FallbackCounters,
  type RateLimit,
} from "./fallback.ts";
export {
  HealthMonitor,
  channelOf,
  formatHealth,
  wallMicros,
  type ChannelHealth,
  type HealthOptions,
  type HealthReport,
  type VenueHealth,
} from "./health.ts";
