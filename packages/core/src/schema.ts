/**
 * @module schema — the normalized events every venue emits, as zod schemas, and their types.
 *
 * One vocabulary for both venues: the Paradex sidecar prints these shapes as NDJSON and the bridge validates
 * them; the EdgeX client builds the same shapes natively. TS types are `z.infer` of these schemas, never
 * hand-written twins. Decimals are canonical strings (floats would lose precision). The Python half of the
 * sidecar's protocol is `paradex_ws_service/protocol.py`; both are tested against one example corpus.
 */
import { z } from "zod";

/** Canonical decimal string: no exponent, no trailing zeros, no "-0" (floats would lose precision). */
export const DECIMAL_RE = /^(?!-0$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?$/;
export const Dec = z.string().regex(DECIMAL_RE, "not a canonical decimal string");
const NDec = Dec.nullable();
const Int = z.number().int();
const Seq = Int.positive();
export const Side = z.enum(["BUY", "SELL"]);

/**
 * An event's object schema: loose at runtime, so a field added by a newer producer passes through to the
 * consumer (docs/PROTOCOL.md: added optional fields do not bump the major), typed as the fields this
 * version knows — without the index signature a loose object's type would carry into every consumer.
 */
export function eventObject<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strip> {
  return z.looseObject(shape) as unknown as z.ZodObject<S, z.core.$strip>;
}
const Level = z.tuple([Dec, Dec]);
/** A command's id as the caller chose it (echoed on results and command errors). */
export const CommandId = z.union([z.string(), Int]);

export const StatusState = z.enum([
  "connecting",
  "connected",
  "subscribed",
  "reconnecting",
  "disconnected",
  "stale",
  "live",
  "gap",
  "closed",
]);

export const Status = eventObject({
  type: z.literal("status"),
  seq: Seq,
  state: StatusState,
  ts: Int,
  channel: z.string().optional(),
  market: z.string().optional(),
  reason: z.string().optional(),
  attempt: Int.optional(),
  delay_ms: Int.optional(),
});

export const Bbo = eventObject({
  type: z.literal("bbo"),
  seq: Seq,
  market: z.string(),
  bid: NDec,
  bid_size: NDec,
  ask: NDec,
  ask_size: NDec,
  exchange_ts: Int,
  exchange_seq: Int.nullable(),
  recv_us: Int,
  source: z.enum(["ws", "rest"]).optional(),
});

export const Trade = eventObject({
  type: z.literal("trade"),
  seq: Seq,
  market: z.string(),
  trade_id: z.string(),
  side: Side,
  price: Dec,
  size: Dec,
  trade_type: z.string(),
  exchange_ts: Int,
  recv_us: Int,
});

export const Book = eventObject({
  type: z.literal("book"),
  seq: Seq,
  market: z.string(),
  bids: z.array(Level),
  asks: z.array(Level),
  exchange_seq: Int.nullable(),
  exchange_ts: Int,
  recv_us: Int,
});

export const Summary = eventObject({
  type: z.literal("summary"),
  seq: Seq,
  market: z.string(),
  mark_price: NDec,
  last_price: NDec,
  bid: NDec,
  ask: NDec,
  underlying_price: NDec,
  volume_24h: NDec,
  open_interest: NDec,
  funding_rate: NDec,
  price_change_rate_24h: NDec,
  exchange_ts: Int,
  recv_us: Int,
});

export const Funding = eventObject({
  type: z.literal("funding"),
  seq: Seq,
  market: z.string(),
  funding_rate: NDec,
  funding_rate_8h: NDec,
  funding_index: NDec,
  funding_premium: NDec,
  funding_period_hours: z.number().nullable(),
  exchange_ts: Int,
  recv_us: Int,
});

export const Order = eventObject({
  type: z.literal("order"),
  seq: Seq,
  order_id: z.string(),
  client_id: z.string().nullable(),
  market: z.string(),
  side: Side,
  order_type: z.string(),
  status: z.string(),
  price: NDec,
  size: Dec,
  remaining_size: Dec,
  avg_fill_price: NDec,
  cancel_reason: z.string().nullable(),
  exchange_ts: Int,
  /** The venue's seq_no of this update as a decimal string (Paradex's have 19 digits: beyond a JS number). */
  seq_no: z
    .string()
    .regex(/^[0-9]+$/)
    .nullable()
    .optional(),
  /** True when read over REST after a reconnect (the stream was down when it happened), not streamed. */
  recovered: z.boolean().optional(),
});

export const Fill = eventObject({
  type: z.literal("fill"),
  seq: Seq,
  fill_id: z.string(),
  order_id: z.string(),
  client_id: z.string().nullable(),
  market: z.string(),
  side: Side,
  liquidity: z.enum(["MAKER", "TAKER"]),
  price: Dec,
  size: Dec,
  fee: Dec,
  fee_currency: z.string(),
  exchange_ts: Int,
  /** True when read over REST after a reconnect (the stream was down when it happened), not streamed. */
  recovered: z.boolean().optional(),
});

export const Position = eventObject({
  type: z.literal("position"),
  seq: Seq,
  market: z.string(),
  side: z.enum(["LONG", "SHORT", "FLAT"]),
  size: Dec,
  average_entry_price: NDec,
  unrealized_pnl: NDec,
  liquidation_price: NDec,
  exchange_ts: Int,
  seq_no: z
    .string()
    .regex(/^[0-9]+$/)
    .nullable()
    .optional(),
});

export const Account = eventObject({
  type: z.literal("account"),
  seq: Seq,
  account_value: Dec,
  free_collateral: Dec,
  total_collateral: Dec,
  initial_margin_requirement: Dec,
  maintenance_margin_requirement: Dec,
  status: z.string(),
  exchange_ts: Int,
  seq_no: z
    .string()
    .regex(/^[0-9]+$/)
    .nullable()
    .optional(),
});

/**
 * A fill the venue retracted after it was emitted: undo what the `fill` with this `fill_id` did (position,
 * PnL, fees). Paradex busts a trade (`tradebusts`); EdgeX retracts a fill whose censoring fails (its
 * `censorStatus` goes INIT → CENSOR_FAILURE or L2_REJECT). `order_id`/`market` are null when the producer
 * did not see the fill itself (the Paradex sidecar learns only the busted fill id). `reason` says why, when
 * the venue tells (EdgeX: the final censor status).
 */
export const FillBust = eventObject({
  type: z.literal("fill_bust"),
  seq: Seq,
  fill_id: z.string(),
  order_id: z.string().nullable(),
  market: z.string().nullable(),
  exchange_ts: Int,
  reason: z.string().optional(),
});

/** A problem a venue reports in-band (a bad frame, a refused subscription, …); `code` is stable. */
export const ErrorBody = eventObject({ code: z.string(), message: z.string() });

export const ErrorEvent = eventObject({
  type: z.literal("error"),
  seq: Seq,
  code: z.string(),
  message: z.string(),
  id: CommandId.nullable().optional(),
});

/** Every normalized event a venue emits (market data, account, status and in-band errors). */
export const NormalizedEvent = z.discriminatedUnion("type", [
  ErrorEvent,
  Status,
  Bbo,
  Trade,
  Book,
  Summary,
  Funding,
  Order,
  Fill,
  FillBust,
  Position,
  Account,
]);
export type NormalizedEvent = z.infer<typeof NormalizedEvent>;
export type StatusEvent = z.infer<typeof Status>;
export type BboEvent = z.infer<typeof Bbo>;
export type TradeEvent = z.infer<typeof Trade>;
export type BookEvent = z.infer<typeof Book>;
export type SummaryEvent = z.infer<typeof Summary>;
export type FundingEvent = z.infer<typeof Funding>;
export type OrderEvent = z.infer<typeof Order>;
export type FillEvent = z.infer<typeof Fill>;
export type FillBustEvent = z.infer<typeof FillBust>;
export type PositionEvent = z.infer<typeof Position>;
export type AccountEvent = z.infer<typeof Account>;
export type ErrorLine = z.infer<typeof ErrorEvent>;
