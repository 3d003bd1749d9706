/**
 * @module schema — the sidecar's wire: every line it can print (core's normalized events plus hello, stats,
 * error and result lines) and every command it accepts, as zod schemas.
 *
 * This is the TypeScript half of protocol version 1; the Python half is `paradex_ws_service/protocol.py`.
 * Both are tested against `paradex_ws_service/protocol_examples/*.jsonl`, so a field renamed on one side
 * fails a test on the other. Objects are strict: an unknown field is a protocol drift we want to see, not
 * silently carry. TS types are `z.infer` of these schemas, never hand-written twins.
 */
import { z } from "zod";
import {
  Account,
  CommandId,
  Bbo,
  Book,
  Dec,
  Fill,
  Funding,
  Order,
  Position,
  Side,
  Status,
  Summary,
  Trade,
  ErrorEvent,
  ErrorBody,
} from "@paradex-edgex/core";

export * from "@paradex-edgex/core";

export const PROTOCOL_VERSION = 1;

const Int = z.number().int();
const Seq = Int.positive();

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

/** A fill Paradex retracted (`tradebusts`): undo what the `fill` with this `fill_id` did. */
export const FillBust = z.strictObject({
  type: z.literal("fill_bust"),
  seq: Seq,
  fill_id: z.string(),
  order_id: z.string().nullable(),
  market: z.string().nullable(),
  exchange_ts: Int,
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
  FillBust,
  Position,
  Account,
  Stats,
  ErrorEvent,
  Result,
]);

export type SidecarLine = z.infer<typeof SidecarLine>;
export type SidecarLineType = SidecarLine["type"];
export type HelloEvent = z.infer<typeof Hello>;
export type StatsEvent = z.infer<typeof Stats>;
export type ResultLine = z.infer<typeof Result>;
export type FillBustEvent = z.infer<typeof FillBust>;

// ---------------------------------------------------------------------------------------------------
// Commands (stdin). Decimal inputs are strings: the sidecar refuses JSON numbers for sizes and prices.
// ---------------------------------------------------------------------------------------------------

const Cmd = <T extends string, S extends z.ZodRawShape>(op: T, shape: S) =>
  z.strictObject({ id: CommandId, op: z.literal(op), ...shape });

export const MarketChannel = z.enum(["bbo", "trades", "book", "summary", "funding"]);
export const PrivateChannel = z.enum(["orders", "fills", "positions", "account", "tradebusts"]);

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
