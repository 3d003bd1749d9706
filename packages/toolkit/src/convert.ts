/**
 * @module convert — the one place where each venue's own formats become the toolkit's internal ones (types.ts).
 *
 * Every function is pure and validates its input with zod: a venue reply of an unexpected shape raises a
 * `ConvertError` naming the venue and the field, instead of flowing on as `undefined` into an order size.
 * Venue decimals may arrive as JSON numbers (Paradex klines) and are brought to canonical strings exactly.
 */
import { z } from "zod";
import type { BboEvent, PositionEvent } from "@paradex-edgex/core";
import type { PlaceOrderResult, VenueName } from "@paradex-edgex/core";
import { DepthRecord } from "@paradex-edgex/edgex";
import * as D from "@paradex-edgex/core/decimal";
import { intervalMs, type Candle, type Interval } from "./klines.ts";
import type { Balance, OrderResult, Position, Quote } from "./types.ts";

export class ConvertError extends Error {
  override readonly name = "ConvertError";
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".") || "(root)"}: ${issue.message}`;
    throw new ConvertError(`${what}: unexpected shape${where}`);
  }
  return r.data;
}

/** A decimal given as string or JSON number, to canonical text. */
const WireDec = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return D.fromWire(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});
const Millis = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

// ------------------------------------------------------------------------------------------------
// Intervals
// ------------------------------------------------------------------------------------------------

/** The `resolution` of the sidecar's `klines` command (docs/PROTOCOL.md): the interval text itself. */
export function paradexResolution(interval: Interval): string {
  return interval;
}

const EDGEX_KLINE_TYPE: Readonly<Record<Interval, string>> = {
  "1m": "MINUTE_1",
  "5m": "MINUTE_5",
  "15m": "MINUTE_15",
  "1h": "HOUR_1",
};

/** EdgeX `klineType` of an interval (reference edgex-protocol.md §1.4). */
export function edgexKlineType(interval: Interval): string {
  return EDGEX_KLINE_TYPE[interval];
}

// ------------------------------------------------------------------------------------------------
// Klines
// ------------------------------------------------------------------------------------------------

/** `[openTime, open, high, low, close, volume]` (REST) or with a trailing `closeTime` (sidecar). */
const ParadexKlineRow = z.union([
  z.tuple([Millis, WireDec, WireDec, WireDec, WireDec, WireDec]),
  z.tuple([Millis, WireDec, WireDec, WireDec, WireDec, WireDec, Millis]),
]);
const ParadexKlines = z.union([
  z.object({ klines: z.array(ParadexKlineRow) }),
  z.object({ results: z.array(ParadexKlineRow) }),
]);

/**
 * Paradex candles (sidecar `klines` result `{klines}` or REST `{results}`), oldest first. `closeTime` is always
 * recomputed as `openTime + interval - 1` so candles from every source compare equal.
 */
export function candlesFromParadex(data: unknown, interval: Interval): Candle[] {
  const parsed = parseOrThrow(ParadexKlines, data, "paradex klines");
  const rows = "klines" in parsed ? parsed.klines : parsed.results;
  const ms = intervalMs(interval);
  return rows
    .map(([openTime, open, high, low, close, volume]) => ({
      openTime,
      open,
      high,
      low,
      close,
      volume,
      closeTime: openTime + ms - 1,
      trades: null,
    }))
    .sort((a, b) => a.openTime - b.openTime);
}

const EdgexKline = z.object({
  klineTime: Millis,
  open: WireDec,
  high: WireDec,
  low: WireDec,
  close: WireDec,
  size: WireDec,
  trades: z.union([z.string(), z.number()]).optional(),
});
const EdgexKlinePage = z.object({ dataList: z.array(EdgexKline) });

/** EdgeX `getKline` data (`{dataList: [...]}`, newest first on the wire) → candles oldest first. */
export function candlesFromEdgex(data: unknown, interval: Interval): Candle[] {
  const page = parseOrThrow(EdgexKlinePage, data, "edgex getKline");
  const ms = intervalMs(interval);
  return page.dataList
    .map((k) => ({
      openTime: k.klineTime,
      open: k.open,
      high: k.high,
      low: k.low,
      close: k.close,
      volume: k.size,
      closeTime: k.klineTime + ms - 1,
      trades: k.trades === undefined ? null : Number(k.trades),
    }))
    .sort((a, b) => a.openTime - b.openTime);
}

// ------------------------------------------------------------------------------------------------
// Top of book from REST (the fallback's source)
// ------------------------------------------------------------------------------------------------

/** A REST top of book, before it becomes a `bbo` event. */
export interface RestTopOfBook {
  market: string;
  bid: string | null;
  bidSize: string | null;
  ask: string | null;
  askSize: string | null;
  exchangeTs: number;
  exchangeSeq: number | null;
}

const OptWireDec = z.union([WireDec, z.literal(""), z.null()]).transform((v) => (v === "" || v === null ? null : v));

const ParadexBbo = z.object({
  market: z.string(),
  seq_no: z.number().int().nullable().optional(),
  bid: OptWireDec,
  bid_size: OptWireDec,
  ask: OptWireDec,
  ask_size: OptWireDec,
  last_updated_at: Millis,
});

/** Paradex `GET /v1/bbo/{market}` → top of book. */
export function topOfBookFromParadex(body: unknown): RestTopOfBook {
  const b = parseOrThrow(ParadexBbo, body, "paradex GET /bbo");
  return {
    market: b.market,
    bid: b.bid,
    bidSize: b.bid_size,
    ask: b.ask,
    askSize: b.ask_size,
    exchangeTs: b.last_updated_at,
    exchangeSeq: b.seq_no ?? null,
  };
}

/**
 * EdgeX `getDepth` data (`[depthRecord]`) → top of book of `market` (the contract name events carry). The depth
 * record has no timestamp, so `nowMs` (the poll time) stands in for it; `endVersion` is the sequence.
 */
export function topOfBookFromEdgex(data: unknown, market: string, nowMs: number): RestTopOfBook {
  const [rec] = parseOrThrow(z.array(DepthRecord).min(1), data, "edgex getDepth");
  const best = (levels: { price: string; size: string }[], better: (a: string, b: string) => boolean) =>
    levels
      .filter((l) => !D.isZero(l.size))
      .reduce<{ price: string; size: string } | null>(
        (acc, l) => (acc === null || better(l.price, acc.price) ? l : acc),
        null,
      );
  const bid = best(rec!.bids, (a, b) => D.cmp(a, b) > 0);
  const ask = best(rec!.asks, (a, b) => D.cmp(a, b) < 0);
  const seq = Number(rec!.endVersion);
  return {
    market,
    bid: bid === null ? null : D.canonical(bid.price),
    bidSize: bid === null ? null : D.canonical(bid.size),
    ask: ask === null ? null : D.canonical(ask.price),
    askSize: ask === null ? null : D.canonical(ask.size),
    exchangeTs: nowMs,
    exchangeSeq: Number.isSafeInteger(seq) ? seq : null,
  };
}

/** A REST top of book as a normalized `bbo` event tagged `source: "rest"`. */
export function bboEventFromRest(t: RestTopOfBook, seq: number, recvUs: number): BboEvent {
  return {
    type: "bbo",
    seq,
    market: t.market,
    bid: t.bid,
    bid_size: t.bidSize,
    ask: t.ask,
    ask_size: t.askSize,
    exchange_ts: t.exchangeTs,
    exchange_seq: t.exchangeSeq,
    recv_us: recvUs,
    source: "rest",
  };
}

/** A normalized `bbo` event as an internal quote. */
export function quoteFromBbo(e: BboEvent, symbol: string): Quote {
  return {
    symbol,
    bid: e.bid,
    bidSize: e.bid_size,
    ask: e.ask,
    askSize: e.ask_size,
    ts: e.exchange_ts,
    source: e.source ?? "ws",
  };
}

/** A REST top of book as an internal quote. */
export function quoteFromTopOfBook(t: RestTopOfBook, symbol: string): Quote {
  return { symbol, bid: t.bid, bidSize: t.bidSize, ask: t.ask, askSize: t.askSize, ts: t.exchangeTs, source: "rest" };
}

/** Mid of a two-sided book; null when a side is missing. */
export function midPrice(bid: string | null, ask: string | null): string | null {
  if (bid === null || ask === null) return null;
  return D.div(D.add(bid, ask), "2", 12);
}

// ------------------------------------------------------------------------------------------------
// Balances
// ------------------------------------------------------------------------------------------------

const ParadexBalance = z.object({
  balances: z.array(z.object({ token: z.string(), size: WireDec }).loose()),
  account: z
    .object({
      account_value: WireDec,
      free_collateral: WireDec,
      total_collateral: WireDec,
      initial_margin_requirement: WireDec,
    })
    .loose()
    .nullable(),
});

/**
 * Paradex sidecar `balance` result (`{balances, account}`) and the open positions → Balance. Cash is the
 * settlement token's balance; unrealized PnL is the sum the venue reports per position.
 */
export function balanceFromParadex(data: unknown, positions: readonly PositionEvent[], asset = "USDC"): Balance {
  const b = parseOrThrow(ParadexBalance, data, "paradex balance");
  const cash = b.balances.find((x) => x.token === asset)?.size ?? "0";
  const upnl = D.sum(positions.map((p) => p.unrealized_pnl ?? "0"));
  const account = b.account;
  return {
    asset,
    balance: cash,
    unrealizedPnl: upnl,
    equity: account?.account_value ?? D.add(cash, upnl),
    available: account?.free_collateral ?? cash,
    marginUsed: account?.initial_margin_requirement ?? null,
  };
}

const EdgexAccountAsset = z.object({
  collateralList: z.array(z.object({ coinId: z.union([z.string(), z.number()]), amount: WireDec }).loose()),
  positionList: z.array(z.object({ openValue: WireDec }).loose()).default([]),
  positionAssetList: z
    .array(z.object({ contractId: z.union([z.string(), z.number()]), unrealizePnl: WireDec }).loose())
    .default([]),
  collateralAssetModelList: z
    .array(
      z
        .object({
          coinId: z.union([z.string(), z.number()]),
          totalEquity: WireDec,
          availableAmount: WireDec,
          initialMarginRequirement: WireDec.optional(),
        })
        .loose(),
    )
    .default([]),
});

/**
 * EdgeX `getAccountAsset` data → Balance in the collateral coin `quoteCoinId` (named `asset`).
 *
 * EdgeX books a position's signed open value against the collateral `amount` (equity = amount + Σ size × price),
 * so `amount` is not the cash balance other venues report. The comparable figure, equity minus unrealized PnL,
 * is what `balance` carries; it equals `amount + Σ openValue`, which is used when the asset model is absent.
 */
export function balanceFromEdgex(data: unknown, quoteCoinId: string, asset: string): Balance {
  const a = parseOrThrow(EdgexAccountAsset, data, "edgex getAccountAsset");
  const amount = a.collateralList.find((c) => String(c.coinId) === quoteCoinId)?.amount ?? "0";
  const upnl = D.sum(a.positionAssetList.map((p) => p.unrealizePnl));
  const model = a.collateralAssetModelList.find((c) => String(c.coinId) === quoteCoinId);
  const cash =
    model === undefined ? D.add(amount, D.sum(a.positionList.map((p) => p.openValue))) : D.sub(model.totalEquity, upnl);
  return {
    asset,
    balance: cash,
    unrealizedPnl: upnl,
    equity: model?.totalEquity ?? D.add(cash, upnl),
    available: model?.availableAmount ?? cash,
    marginUsed: model?.initialMarginRequirement ?? null,
  };
}

// ------------------------------------------------------------------------------------------------
// Positions and orders
// ------------------------------------------------------------------------------------------------

/**
 * A normalized `position` event → internal Position, or null for a flat one. `currentPrice` is supplied by the
 * caller (the venue's current mid); `marginUsed` is the venue's figure when it has one, else notional ÷ leverage
 * when the leverage is known, else null.
 */
export function positionFromEvent(
  p: PositionEvent,
  symbol: string,
  extra: { currentPrice: string | null; marginUsed?: string | null; leverage?: string | null },
): Position | null {
  if (p.side === "FLAT" || D.isZero(p.size)) return null;
  if (p.average_entry_price === null) throw new ConvertError(`${p.market}: open position without an entry price`);
  const size = D.abs(p.size);
  let margin = extra.marginUsed ?? null;
  if (margin === null && extra.leverage && extra.currentPrice !== null && !D.isZero(extra.leverage)) {
    margin = D.div(D.mul(size, extra.currentPrice), extra.leverage, 8);
  }
  return {
    symbol,
    side: p.side === "LONG" ? "long" : "short",
    size,
    entryPrice: p.average_entry_price,
    currentPrice: extra.currentPrice,
    unrealizedPnl: p.unrealized_pnl,
    marginUsed: margin,
    liquidationPrice: p.liquidation_price,
  };
}

export function orderResultFrom(r: PlaceOrderResult, symbol: string): OrderResult {
  return { symbol, orderId: r.orderId, clientId: r.clientId, status: r.status, dryRun: r.dryRun ?? false };
}

/** Leverage as a canonical positive decimal string; anything else is a clear error. */
export function leverageText(venue: VenueName, leverage: number | string): string {
  let text: string;
  try {
    text = typeof leverage === "number" ? D.fromWire(leverage) : String(leverage).trim();
  } catch {
    text = "";
  }
  if (!D.isDecimal(text) || D.sign(text) <= 0) {
    throw new ConvertError(`${venue}: leverage must be a positive number, got ${JSON.stringify(leverage)}`);
  }
  return D.canonical(text);
}
