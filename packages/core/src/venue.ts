/**
 * @module venue — the one interface through which the bot sees an exchange.
 *
 * Paradex (through the sidecar bridge) and EdgeX (native client) both implement `Venue` and emit the same
 * normalized event shapes defined in `schema.ts`, so strategy code never learns which venue it talks to.
 * Event `market` fields carry the venue's own market name (Paradex `BTC-USD-PERP`, EdgeX `BTCUSDC`);
 * `MarketMeta.base` is what maps markets across venues.
 */
import type {
  AccountEvent,
  BboEvent,
  BookEvent,
  FillBustEvent,
  FillEvent,
  OrderEvent,
  PositionEvent,
  StatusEvent,
  TradeEvent,
} from "./schema.ts";

export type VenueName = "paradex" | "edgex";

/** The normalized events a venue emits (the sidecar's wire shapes; `seq` is per venue connection). */
export type VenueEvent =
  | BboEvent
  | TradeEvent
  | BookEvent
  | StatusEvent
  | OrderEvent
  | FillEvent
  | FillBustEvent
  | PositionEvent
  | AccountEvent;
export type VenueEventType = VenueEvent["type"];

/** Every venue event type, in one list (what `Venue.events()` iterates); typed against the union both ways. */
export const VENUE_EVENT_TYPES = [
  "bbo",
  "trade",
  "book",
  "status",
  "order",
  "fill",
  "fill_bust",
  "position",
  "account",
] as const satisfies readonly VenueEventType[];
// A type added to the union but not to the list fails to compile here.
type MissingFromList = Exclude<VenueEventType, (typeof VENUE_EVENT_TYPES)[number]>;
export const _VENUE_EVENT_TYPES_COMPLETE: [MissingFromList] extends [never] ? true : never = true;
export type VenueEventOf<K extends VenueEventType> = Extract<VenueEvent, { type: K }>;

export type MarketChannel = "bbo" | "trades" | "book";

/** Trading rules of one market, from the venue's metadata (never hard-coded). Decimals are strings. */
export interface MarketMeta {
  /** Venue-native market name used in events and orders, e.g. `BTC-USD-PERP` or `BTCUSDC`. */
  market: string;
  /** Venue-native id when it differs from the name (EdgeX `contractId`). */
  venueId?: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minSize: string;
  maxSize: string | null;
  minNotional: string | null;
  takerFeeRate: string;
  makerFeeRate: string;
}

export interface PlaceOrderRequest {
  market: string;
  side: "BUY" | "SELL";
  type: "MARKET" | "LIMIT";
  size: string;
  /** Required for LIMIT; for MARKET on venues that need a protection price, the client derives one. */
  price?: string;
  tif?: "GTC" | "IOC" | "POST_ONLY";
  reduceOnly?: boolean;
  /** Idempotency key: a repeated clientId is answered from the first outcome, never sent twice. */
  clientId?: string;
}

export interface PlaceOrderResult {
  orderId: string | null;
  clientId: string;
  /** Venue status right after acceptance, e.g. NEW, OPEN, CLOSED (order events carry what follows). */
  status: string;
  /** True when nothing was sent (paper/dry-run). */
  dryRun?: boolean;
}

export interface CancelRequest {
  orderId?: string;
  clientId?: string;
  market?: string;
}

export interface VenueSnapshot {
  orders: OrderEvent[];
  positions: PositionEvent[];
  account: AccountEvent | null;
  balances: { token: string; size: string }[];
}

export type Unsubscribe = () => void;

export interface Venue {
  readonly name: VenueName;
  /** Connect and wait until the venue can serve subscriptions (metadata loaded). */
  connect(): Promise<void>;
  close(): Promise<void>;
  markets(): Promise<MarketMeta[]>;
  subscribe(channel: MarketChannel, market: string): Promise<void>;
  unsubscribe(channel: MarketChannel, market: string): Promise<void>;
  /** Typed listener; returns a function that removes it. */
  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): Unsubscribe;
  /** Every event, in arrival order, for `for await` consumers. */
  events(): AsyncIterable<VenueEvent>;
  place(order: PlaceOrderRequest): Promise<PlaceOrderResult>;
  cancel(request: CancelRequest): Promise<void>;
  cancelAll(market?: string): Promise<void>;
  snapshot(): Promise<VenueSnapshot>;
}
