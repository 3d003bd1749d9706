/**
 * Pure translations of EdgeX records into the normalized events of `bridge-ts/src/schema.ts`, the same
 * vocabulary the Paradex sidecar prints. `seq` is added by the emitter, so these return unsequenced drafts.
 * Decimals leave here canonical; a value EdgeX does not provide is null.
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
} from "@paradex-edgex/core";
import type { VenueEvent } from "@paradex-edgex/core";
import * as D from "@paradex-edgex/core/decimal";
import type { DepthBook } from "./book.ts";
import type { FillEntity, OrderEntity, PositionEntity, TradeRecord } from "./wire.ts";

/** An event before the emitter numbers it. */
export type Unsequenced<E> = E extends unknown ? Omit<E, "seq"> : never;
export type Draft = Unsequenced<VenueEvent>;

function safeInt(v: bigint | undefined): number | null {
  return v !== undefined && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

/** Top of a depth book. EdgeX depth records carry no timestamp, so exchange_ts is the arrival time. */
export function bboFromBook(
  market: string,
  book: DepthBook,
  exchangeTs: number,
  recvUs: number,
): Omit<BboEvent, "seq"> {
  const bid = book.best("bids");
  const ask = book.best("asks");
  return {
    type: "bbo",
    market,
    bid: bid?.price ?? null,
    bid_size: bid?.size ?? null,
    ask: ask?.price ?? null,
    ask_size: ask?.size ?? null,
    exchange_ts: exchangeTs,
    exchange_seq: safeInt(book.version),
    recv_us: recvUs,
  };
}

export function bookEvent(market: string, book: DepthBook, exchangeTs: number, recvUs: number): Omit<BookEvent, "seq"> {
  return {
    type: "book",
    market,
    bids: book.levels("bids"),
    asks: book.levels("asks"),
    exchange_seq: safeInt(book.version),
    exchange_ts: exchangeTs,
    recv_us: recvUs,
  };
}

/** Aggressor side = isBuyerMaker ? SELL : BUY (reference §1.6). */
export function tradeEvent(market: string, t: TradeRecord, recvUs: number): Omit<TradeEvent, "seq"> {
  return {
    type: "trade",
    market,
    trade_id: t.ticketId,
    side: t.isBuyerMaker ? "SELL" : "BUY",
    price: D.canonical(t.price),
    size: D.canonical(t.size),
    trade_type: "FILL",
    exchange_ts: t.time,
    recv_us: recvUs,
  };
}

/** EdgeX order status → the sidecar's NEW | OPEN | CLOSED (| UNTRIGGERED). */
/** Venue status → ours; a value we do not know (UNKNOWN_ORDER_STATUS, UNRECOGNIZED, a new one) passes through. */
export function orderStatus(status: string): string {
  switch (status) {
    case "PENDING":
      return "NEW";
    case "OPEN":
    case "CANCELING":
      return "OPEN";
    case "UNTRIGGERED":
      return "UNTRIGGERED";
    case "FILLED":
    case "CANCELED":
      return "CLOSED";
    default:
      return status;
  }
}

/**
 * Filled size/value of an order. `cumFill*` counts fills that passed censoring, `cumMatch*` everything matched
 * (reference §0a.3), `cumFailSize` what failed censoring. A fill still at censorStatus INIT is matched but not
 * yet in `cumFill*`: it is no longer open and its `fill` event was emitted, so the order counts it as filled
 * (matched − failed) until censoring ends; a record with only `cumMatch*` (a live FILLED excerpt) reads the same.
 * With failures the value of what is left is prorated from the matched value (the failed value is not sent).
 */
export function filledOf(o: OrderEntity): { size: string; value: string | undefined } {
  const failed = o.cumFailSize ?? "0";
  if (o.cumMatchSize !== undefined) {
    const matched = D.max("0", D.sub(o.cumMatchSize, failed));
    if (o.cumFillSize === undefined || D.cmp(matched, o.cumFillSize) > 0) {
      const value =
        o.cumMatchValue === undefined || D.isZero(failed) || D.isZero(o.cumMatchSize)
          ? o.cumMatchValue
          : D.div(D.mul(o.cumMatchValue, matched), o.cumMatchSize, 12);
      return { size: matched, value };
    }
  }
  return { size: o.cumFillSize ?? "0", value: o.cumFillValue };
}

/**
 * An order record as an `order` event. A record without `size` (an UNTRIGGERED STOP_MARKET, reference §0a.2)
 * whose earlier records did not carry one either reports size and remaining size "0": unknown, never dropped.
 */
export function orderEvent(market: string, o: OrderEntity, nowMs: number): Omit<OrderEvent, "seq"> {
  const { size: filled, value } = filledOf(o);
  const hasFills = !D.isZero(filled);
  const isMarket = o.type.includes("MARKET");
  const size = o.size ?? "0";
  return {
    type: "order",
    order_id: o.id,
    client_id: o.clientOrderId === undefined || o.clientOrderId === "" ? null : o.clientOrderId,
    market,
    side: o.side,
    order_type: o.type,
    status: orderStatus(o.status),
    price: isMarket || o.price === undefined || D.isZero(o.price) ? null : D.canonical(o.price),
    size: D.canonical(size),
    remaining_size: D.max("0", D.sub(size, filled)),
    avg_fill_price: hasFills && value !== undefined ? D.canonical(D.div(value, filled, 12)) : null,
    cancel_reason:
      o.status === "CANCELED" &&
      o.cancelReason !== undefined &&
      o.cancelReason !== "" &&
      !o.cancelReason.startsWith("UNKNOWN")
        ? o.cancelReason
        : null,
    exchange_ts: o.updatedTime ?? o.createdTime ?? nowMs,
  };
}

/** `f` with its contract and side known (taken from the order when the record lacks them). */
export function fillEvent(
  market: string,
  f: FillEntity & { orderSide: "BUY" | "SELL" },
  clientId: string | null,
  feeCurrency: string,
  nowMs: number,
): Omit<FillEvent, "seq"> {
  return {
    type: "fill",
    fill_id: f.id,
    order_id: f.orderId,
    client_id: clientId,
    market,
    side: f.orderSide,
    liquidity: f.direction,
    price: f.fillPrice !== undefined ? D.canonical(f.fillPrice) : D.div(f.fillValue, f.fillSize, 12),
    size: D.canonical(f.fillSize),
    fee: D.canonical(f.fillFee),
    fee_currency: feeCurrency,
    exchange_ts: f.matchTime ?? f.createdTime ?? nowMs,
  };
}

/**
 * A fill emitted at censorStatus INIT that then failed censoring (CENSOR_FAILURE / L2_REJECT): it did not
 * happen, and consumers undo it (reference §0a.4). `reason` is the final censor status.
 */
export function fillBustEvent(
  market: string | null,
  f: FillEntity,
  reason: string,
  nowMs: number,
): Omit<FillBustEvent, "seq"> {
  return {
    type: "fill_bust",
    fill_id: f.id,
    order_id: f.orderId,
    market,
    exchange_ts: f.updatedTime ?? nowMs,
    reason,
  };
}

/** `mark` (book mid or oracle) prices the unrealized PnL; without one it is null. */
export function positionEvent(
  market: string,
  p: PositionEntity,
  mark: string | undefined,
  nowMs: number,
): Omit<PositionEvent, "seq"> {
  const size = D.canonical(p.openSize);
  const sign = D.cmp(size, "0");
  return {
    type: "position",
    market,
    side: sign > 0 ? "LONG" : sign < 0 ? "SHORT" : "FLAT",
    size,
    average_entry_price: sign === 0 ? null : D.abs(D.div(p.openValue, size, 12)),
    unrealized_pnl: sign === 0 ? "0" : mark === undefined ? null : D.sub(D.mul(size, mark), p.openValue),
    liquidation_price: null,
    exchange_ts: p.updatedTime ?? nowMs,
  };
}

export interface AccountInputs {
  /** Quote collateral `amount` (StarkEx model: buys have already paid their value out of it). */
  readonly collateral: string;
  readonly positions: readonly {
    openSize: string;
    openValue: string;
    mark: string | undefined;
    leverage: string | undefined;
  }[];
  readonly status: string;
  readonly exchangeTs: number;
}

/**
 * Account figures from collateral and positions: equity = collateral + Σ size × mark (cost when no mark is
 * known); initial margin = Σ |size| × mark / leverage; maintenance taken as half of it (EdgeX's risk tiers
 * are not modelled here).
 */
export function accountEvent(a: AccountInputs): Omit<AccountEvent, "seq"> {
  let equity = a.collateral;
  let imr = "0";
  for (const p of a.positions) {
    const value = p.mark === undefined ? p.openValue : D.mul(p.openSize, p.mark);
    equity = D.add(equity, value);
    if (p.leverage !== undefined && !D.isZero(p.leverage)) imr = D.add(imr, D.div(D.abs(value), p.leverage, 8));
  }
  return {
    type: "account",
    account_value: equity,
    free_collateral: D.max("0", D.sub(equity, imr)),
    total_collateral: equity,
    initial_margin_requirement: imr,
    maintenance_margin_requirement: D.div(imr, "2", 8),
    status: a.status,
    exchange_ts: a.exchangeTs,
  };
}

export function statusEvent(
  state: StatusEvent["state"],
  extra: { channel?: string; market?: string; reason?: string; attempt?: number; delay_ms?: number } = {},
): Omit<StatusEvent, "seq"> {
  const out: Omit<StatusEvent, "seq"> = { type: "status", state, ts: Date.now() };
  if (extra.channel !== undefined) out.channel = extra.channel;
  if (extra.market !== undefined) out.market = extra.market;
  if (extra.reason !== undefined) out.reason = extra.reason;
  if (extra.attempt !== undefined) out.attempt = extra.attempt;
  if (extra.delay_ms !== undefined) out.delay_ms = extra.delay_ms;
  return out;
}
