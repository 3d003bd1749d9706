/**
 * @module schema — every line the sidecar can print, and every command it accepts, as zod schemas.
 *
 * This is the TypeScript half of protocol version 1; the Python half is `paradex_ws_service/protocol.py`.
 * Both are tested against `paradex_ws_service/protocol_examples/*.jsonl`, so a field renamed on one side
 * fails a test on the other. Objects are strict: an unknown field is a protocol drift we want to see, not
 * silently carry. TS types are `z.infer` of these schemas, never hand-written twins.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;

/** Canonical decimal string: no exponent, no trailing zeros, no "-0" (floats would lose precision). */
export const DECIMAL_RE = /^(?!-0$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?$/;
export const Dec = z.string().regex(DECIMAL_RE, "not a canonical decimal string");
const NDec = Dec.nullable();
const Int = z.number().int();
const Seq = Int.positive();
const Side = z.enum(["BUY", "SELL"]);
const Level = z.tuple([Dec, Dec]);
const CommandId = z.union([z.string(), Int]);

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

export const Hello = z.strictObject({
  type: z.literal("hello"),
  seq: Seq,
  protocol: Int,
  version: z.string(),
  pid: Int,
  env: z.string(),
  markets: z.array(z.string()),
  channels: z.array(z.string()),
  sbe: z.boolean(),
});

export const Status = z.strictObject({
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

export const Bbo = z.strictObject({
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

export const Trade = z.strictObject({
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

export const Book = z.strictObject({
  type: z.literal("book"),
  seq: Seq,
  market: z.string(),
  bids: z.array(Level),
  asks: z.array(Level),
  exchange_seq: Int.nullable(),
  exchange_ts: Int,
  recv_us: Int,
});

export const Summary = z.strictObject({
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

export const Funding = z.strictObject({
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

export const Order = z.strictObject({
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
});

export const Fill = z.strictObject({
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
});

export const Position = z.strictObject({
  type: z.literal("position"),
  seq: Seq,
  market: z.string(),
  side: z.enum(["LONG", "SHORT", "FLAT"]),
  size: Dec,
  average_entry_price: NDec,
  unrealized_pnl: NDec,
  liquidation_price: NDec,
  exchange_ts: Int,
});

export const Account = z.strictObject({
  type: z.literal("account"),
  seq: Seq,
  account_value: Dec,
  free_collateral: Dec,
  total_collateral: Dec,
  initial_margin_requirement: Dec,
  maintenance_margin_requirement: Dec,
  status: z.string(),
  exchange_ts: Int,
});

export const Stats = z.strictObject({
  type: z.literal("stats"),
  seq: Seq,
  interval_s: z.number(),
  events: z.record(z.string(), Int),
  coalesced: Int,
  reconnects: Int,
  bad_frames: Int,
  queue_depth: Int,
  lag_p50_us: Int.nullable(),
  lag_p99_us: Int.nullable(),
});

export const ErrorBody = z.strictObject({ code: z.string(), message: z.string() });

export const ErrorEvent = z.strictObject({
  type: z.literal("error"),
  seq: Seq,
  code: z.string(),
  message: z.string(),
  id: CommandId.nullable().optional(),
});

export const Result = z.strictObject({
  type: z.literal("result"),
  seq: Seq,
  id: CommandId.nullable(),
  ok: z.boolean(),
  data: z.record(z.string(), z.unknown()).optional(),
  error: ErrorBody.optional(),
});

/** Every line the sidecar may write on stdout. */
export const SidecarLine = z.discriminatedUnion("type", [
  Hello,
  Status,
  Bbo,
  Trade,
  Book,
  Summary,
  Funding,
  Order,
  Fill,
  Position,
  Account,
  Stats,
  ErrorEvent,
  Result,
]);

export type SidecarLine = z.infer<typeof SidecarLine>;
export type SidecarLineType = SidecarLine["type"];
export type HelloEvent = z.infer<typeof Hello>;
export type StatusEvent = z.infer<typeof Status>;
export type BboEvent = z.infer<typeof Bbo>;
export type TradeEvent = z.infer<typeof Trade>;
export type BookEvent = z.infer<typeof Book>;
export type SummaryEvent = z.infer<typeof Summary>;
export type FundingEvent = z.infer<typeof Funding>;
export type OrderEvent = z.infer<typeof Order>;
export type FillEvent = z.infer<typeof Fill>;
export type PositionEvent = z.infer<typeof Position>;
export type AccountEvent = z.infer<typeof Account>;
export type StatsEvent = z.infer<typeof Stats>;
export type ErrorLine = z.infer<typeof ErrorEvent>;
export type ResultLine = z.infer<typeof Result>;

// ---------------------------------------------------------------------------------------------------
// Commands (stdin). Decimal inputs are strings: the sidecar refuses JSON numbers for sizes and prices.
// ---------------------------------------------------------------------------------------------------

const Cmd = <T extends string, S extends z.ZodRawShape>(op: T, shape: S) =>
  z.strictObject({ id: CommandId, op: z.literal(op), ...shape });

export const MarketChannel = z.enum(["bbo", "trades", "book", "summary", "funding"]);
export const PrivateChannel = z.enum(["orders", "fills", "positions", "account"]);

export const Command = z.discriminatedUnion("op", [
  Cmd("ping", {}),
  Cmd("subscribe", { channel: z.union([MarketChannel, PrivateChannel]), market: z.string().optional() }),
  Cmd("unsubscribe", { channel: z.union([MarketChannel, PrivateChannel]), market: z.string().optional() }),
  Cmd("stats", {}),
  Cmd("shutdown", {}),
  Cmd("markets", {}),
  Cmd("place", {
    market: z.string(),
    side: Side,
    type: z.enum(["MARKET", "LIMIT"]),
    size: Dec,
    price: Dec.optional(),
    tif: z.enum(["GTC", "IOC", "POST_ONLY"]).optional(),
    reduce_only: z.boolean().optional(),
    client_id: z.string().optional(),
  }),
  Cmd("cancel", { order_id: z.string().optional(), client_id: z.string().optional(), market: z.string().optional() }),
  Cmd("cancel_all", { market: z.string().optional() }),
  Cmd("snapshot", {}),
  Cmd("balance", {}),
  Cmd("klines", {
    market: z.string(),
    resolution: z.string(),
    limit: Int.optional(),
    start_at: Int.optional(),
    end_at: Int.optional(),
  }),
  Cmd("set_leverage", { market: z.string(), leverage: Dec }),
]);
export type Command = z.infer<typeof Command>;
export type CommandOp = Command["op"];
