/**
 * @module schema — the sidecar's wire: every line it can print (core's normalized events plus hello, stats,
 * error and result lines) and every command it accepts, as zod schemas.
 *
 * This is the TypeScript half of protocol version 1; the Python half is `paradex_ws_service/protocol.py`.
 * Both are tested against `paradex_ws_service/protocol_examples/*.jsonl`, so a field renamed on one side
 * fails a test on the other. Versioning (docs/PROTOCOL.md): events are loose objects, so a field a newer sidecar
 * adds passes through to the consumer, and a line of an event type this bridge does not know reaches it as an
 * `unknown` event; `hello.protocol` (major) must match, `hello.protocol_minor` may be newer. Commands, which
 * this side writes, stay strict. TS types are `z.infer` of these schemas, never hand-written twins.
 */
import { z } from "zod";
import {
  Account,
  CommandId,
  Bbo,
  Book,
  Fill,
  FillBust,
  Funding,
  Order,
  Position,
  Side,
  Status,
  Summary,
  Trade,
  ErrorEvent,
  ErrorBody,
  eventObject,
} from "@paradex-edgex/core";

export * from "@paradex-edgex/core";

/** The protocol major this bridge speaks: a sidecar announcing another one is refused. */
export const PROTOCOL_VERSION = 1;
/** The newest minor this bridge knows; a newer sidecar minor only adds fields and event types, so it is accepted. */
export const PROTOCOL_MINOR = 1;

const Int = z.number().int();
const Seq = Int.positive();

export const Hello = eventObject({
  type: z.literal("hello"),
  seq: Seq,
  protocol: Int,
  /** Absent on sidecars older than minor 1 (read as 0). */
  protocol_minor: Int.nonnegative().optional(),
  version: z.string(),
  pid: Int,
  env: z.string(),
  markets: z.array(z.string()),
  channels: z.array(z.string()),
  sbe: z.boolean(),
});

export const Stats = eventObject({
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

export const Result = eventObject({
  type: z.literal("result"),
  seq: Seq,
  id: CommandId.nullable(),
  ok: z.boolean(),
  data: z.record(z.string(), z.unknown()).optional(),
  error: ErrorBody.optional(),
});

/** Every line this bridge knows the sidecar may write on stdout. */
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

export type KnownSidecarLine = z.infer<typeof SidecarLine>;
/** The event types this bridge knows; any other `type` is delivered as an `unknown` event. */
export const KNOWN_LINE_TYPES: ReadonlySet<string> = new Set(SidecarLine.options.map((o) => o.shape.type.value));

/**
 * A line of an event type added by a newer sidecar (PROTOCOL.md: new types do not bump the major). The
 * consumer gets it whole, so it can log or handle it, instead of the line being dropped as invalid.
 */
export interface UnknownLine {
  type: "unknown";
  seq: number;
  /** The line's own `type`. */
  line_type: string;
  /** The line as received. */
  line: Record<string, unknown>;
}

export type SidecarLine = KnownSidecarLine | UnknownLine;
export type SidecarLineType = SidecarLine["type"];
export type HelloEvent = z.infer<typeof Hello>;
export type StatsEvent = z.infer<typeof Stats>;
export type ResultLine = z.infer<typeof Result>;

// ---------------------------------------------------------------------------------------------------
// Commands (stdin). One rule with the Python validator (paradex_ws_service/order_params.py), both tested on
// paradex_ws_service/protocol_examples/commands.jsonl (accepted) and commands_refused.jsonl (refused):
// enumerations are exact (BUY, not buy); an optional parameter is omitted, never null or ""; unknown
// parameters are refused; decimal inputs are digit strings with an optional fraction, greater than zero —
// "0.10" and "007" are accepted (the value counts), "1e-3", "-1", " 1", ".5", "5." and JSON numbers are not.
// ---------------------------------------------------------------------------------------------------

/** A command id: a non-empty string or an integer. */
const Id = z.union([z.string().min(1), Int]);
/** A decimal input (size, price): digits, an optional fraction, not zero. */
export const InDec = z.string().regex(/^(?=[0-9.]*[1-9])[0-9]+(?:\.[0-9]+)?$/, "not a positive decimal string");
const Name = z.string().min(1);
export const ClientId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "1-64 of A-Za-z0-9_-.:");
export const KlineResolution = z.enum(["1m", "3m", "5m", "15m", "30m", "1h"]);

const Cmd = <T extends string, S extends z.ZodRawShape>(op: T, shape: S) =>
  z.strictObject({ id: Id, op: z.literal(op), ...shape });

export const MarketChannel = z.enum(["bbo", "trades", "book", "summary", "funding"]);
export const PrivateChannel = z.enum(["orders", "fills", "positions", "account", "tradebusts"]);

const Place = Cmd("place", {
  market: Name,
  side: Side,
  type: z.enum(["MARKET", "LIMIT"]),
  size: InDec,
  price: InDec.optional(),
  tif: z.enum(["GTC", "IOC", "POST_ONLY"]).optional(),
  reduce_only: z.boolean().optional(),
  client_id: ClientId.optional(),
}).superRefine((c, ctx) => {
  if (c.type === "LIMIT" && c.price === undefined)
    ctx.addIssue({ code: "custom", path: ["price"], message: "a LIMIT order needs a price" });
  if (c.type === "MARKET" && c.price !== undefined)
    ctx.addIssue({ code: "custom", path: ["price"], message: "a MARKET order takes no price" });
  if (c.type === "MARKET" && c.tif === "POST_ONLY")
    ctx.addIssue({ code: "custom", path: ["tif"], message: "a MARKET order cannot be POST_ONLY" });
});

const Cancel = Cmd("cancel", {
  order_id: Name.optional(),
  client_id: Name.optional(),
  market: Name.optional(),
}).superRefine((c, ctx) => {
  if (c.order_id === undefined && (c.client_id === undefined || c.market === undefined))
    ctx.addIssue({ code: "custom", message: "give order_id, or client_id and market" });
});

const Klines = Cmd("klines", {
  market: Name,
  resolution: KlineResolution.optional(),
  limit: Int.min(1).max(1000).optional(),
  start_at: Int.optional(),
  end_at: Int.optional(),
}).superRefine((c, ctx) => {
  if (c.start_at !== undefined && (c.end_at === undefined || c.end_at < c.start_at))
    ctx.addIssue({ code: "custom", path: ["end_at"], message: "start_at needs end_at, start_at ≤ end_at" });
});

/** (un)subscribe: a market-data channel exists per market, so it needs one (the sidecar's rule too). */
const ChannelCmd = <T extends "subscribe" | "unsubscribe">(op: T) =>
  Cmd(op, { channel: z.union([MarketChannel, PrivateChannel]), market: Name.optional() }).superRefine((c, ctx) => {
    if (c.market === undefined && MarketChannel.safeParse(c.channel).success)
      ctx.addIssue({ code: "custom", path: ["market"], message: `channel ${c.channel} needs a market` });
  });

export const Command = z.discriminatedUnion("op", [
  Cmd("ping", {}),
  ChannelCmd("subscribe"),
  ChannelCmd("unsubscribe"),
  Cmd("stats", {}),
  Cmd("shutdown", {}),
  Cmd("markets", {}),
  Place,
  Cancel,
  Cmd("cancel_all", { market: Name.optional() }),
  Cmd("snapshot", { fills_since: Int.nonnegative().optional() }),
  Cmd("order", { client_id: ClientId, market: Name.optional() }),
  Cmd("balance", {}),
  Klines,
  Cmd("set_leverage", { market: Name, leverage: z.string().regex(/^[1-9][0-9]*$/, "a whole number string") }),
]);
export type Command = z.infer<typeof Command>;
export type CommandOp = Command["op"];
