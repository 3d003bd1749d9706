/**
 * Kline records of the simulator (REST `getKline` and the `kline.*` channel), with the wire fields of reference
 * §1.6. LAST_PRICE candles aggregate the contract's own public trade tape, as the venue does: open/high/low/close
 * of trade prices, `trades` the count, `size` the base volume, `value` the quote volume, `makerBuy*` the part
 * where the buyer was the maker. The other price types follow the simulator's oracle (its mid), which is what
 * the simulator publishes as index, oracle and mark price; nothing trades at those, so their volumes are 0.
 */
import { mul } from "@paradex-edgex/core/decimal";
import type { ContractMarket, PublicTrade } from "./market.ts";

/** Fixed-length kline types (WEEK_1 and MONTH_1 have no fixed length and are not served by getKline). */
export const KLINE_MS: Readonly<Record<string, number>> = {
  MINUTE_1: 60_000,
  MINUTE_5: 300_000,
  MINUTE_15: 900_000,
  MINUTE_30: 1_800_000,
  HOUR_1: 3_600_000,
  HOUR_2: 7_200_000,
  HOUR_4: 14_400_000,
  HOUR_6: 21_600_000,
  HOUR_8: 28_800_000,
  HOUR_12: 43_200_000,
  DAY_1: 86_400_000,
};

export const PRICE_TYPES = ["LAST_PRICE", "INDEX_PRICE", "ORACLE_PRICE", "MARK_PRICE"] as const;
export type PriceType = (typeof PRICE_TYPES)[number];

export function isPriceType(text: string): text is PriceType {
  return (PRICE_TYPES as readonly string[]).includes(text);
}

export interface KlineQuery {
  readonly klineType: string;
  readonly priceType: PriceType;
  /** Inclusive start and exclusive end of the candles' open times (ms). */
  readonly from: number;
  readonly to: number;
  /** At most this many candles, the newest ones. */
  readonly size: number;
}

/** One candle in exact units: prices as tick indexes, volumes as step counts, values as tick×step products. */
interface Bucket {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  trades: number;
  steps: number;
  tickSteps: bigint;
  makerBuySteps: number;
  makerBuyTickSteps: bigint;
}

function openBucket(start: number, tick: number): Bucket {
  return {
    start,
    open: tick,
    high: tick,
    low: tick,
    close: tick,
    trades: 0,
    steps: 0,
    tickSteps: 0n,
    makerBuySteps: 0,
    makerBuyTickSteps: 0n,
  };
}

function addPrice(b: Bucket, tick: number): void {
  b.high = Math.max(b.high, tick);
  b.low = Math.min(b.low, tick);
  b.close = tick;
}

function addTrade(b: Bucket, t: PublicTrade): void {
  addPrice(b, t.tick);
  const value = BigInt(t.tick) * BigInt(t.steps);
  b.trades += 1;
  b.steps += t.steps;
  b.tickSteps += value;
  if (t.isBuyerMaker) {
    b.makerBuySteps += t.steps;
    b.makerBuyTickSteps += value;
  }
}

/** Trade-tape candles, keyed by open time; periods without a trade have no candle. */
function tradeBuckets(m: ContractMarket, span: number, from: number, to: number): Map<number, Bucket> {
  const out = new Map<number, Bucket>();
  for (const t of m.tradeHistory) {
    const start = Math.floor(t.time / span) * span;
    if (start < from || start >= to) continue;
    let b = out.get(start);
    if (b === undefined) {
      b = openBucket(start, t.tick);
      out.set(start, b);
    }
    addTrade(b, t);
  }
  return out;
}

/** Oracle candles from the mid history (rounded to the tick like the published oracle price). */
function midBuckets(m: ContractMarket, span: number, from: number, to: number): Map<number, Bucket> {
  const tickSize = Number(m.contract.tickSize);
  const out = new Map<number, Bucket>();
  for (const h of m.midHistory) {
    const start = Math.floor(h.time / span) * span;
    if (start < from || start >= to) continue;
    const tick = Math.round(h.mid / tickSize);
    const b = out.get(start);
    if (b === undefined) out.set(start, openBucket(start, tick));
    else addPrice(b, tick);
  }
  return out;
}

function record(
  m: ContractMarket,
  b: Bucket,
  klineType: string,
  priceType: PriceType,
  contractId: string | number,
): Record<string, unknown> {
  // One tick × one step, so quote values stay exact decimal products.
  const unit = mul(m.priceText(1), m.sizeText(1));
  return {
    klineId: String(b.start),
    contractId,
    contractName: m.contract.contractName,
    klineType,
    klineTime: String(b.start),
    priceType,
    trades: String(b.trades),
    size: m.sizeText(b.steps),
    value: mul(String(b.tickSteps), unit),
    high: m.priceText(b.high),
    low: m.priceText(b.low),
    open: m.priceText(b.open),
    close: m.priceText(b.close),
    makerBuySize: m.sizeText(b.makerBuySteps),
    makerBuyValue: mul(String(b.makerBuyTickSteps), unit),
  };
}

/** `getKline` rows: the newest `size` candles in [from, to), newest first (the venue's order). */
export function klineRows(m: ContractMarket, q: KlineQuery): Record<string, unknown>[] {
  const span = KLINE_MS[q.klineType];
  if (span === undefined) throw new RangeError(`unknown klineType ${q.klineType}`);
  const buckets =
    q.priceType === "LAST_PRICE" ? tradeBuckets(m, span, q.from, q.to) : midBuckets(m, span, q.from, q.to);
  return [...buckets.values()]
    .sort((a, b) => b.start - a.start)
    .slice(0, q.size)
    .map((b) => record(m, b, q.klineType, q.priceType, m.contract.contractId));
}

/**
 * The candle of the current period, as the `kline.*` channel pushes it. A period without a trade yet is a flat
 * candle at the last trade price (the oracle before any trade) with zero volume.
 */
export function currentKline(
  m: ContractMarket,
  klineType: string,
  priceType: PriceType,
  contractId: string | number,
  now = Date.now(),
): Record<string, unknown> {
  const span = KLINE_MS[klineType] ?? 60_000;
  const start = Math.floor(now / span) * span;
  const buckets =
    priceType === "LAST_PRICE" ? tradeBuckets(m, span, start, start + span) : midBuckets(m, span, start, start + span);
  const fallback =
    priceType === "LAST_PRICE" && m.lastTradeTick !== undefined
      ? m.lastTradeTick
      : Math.round(m.mid / Number(m.contract.tickSize));
  return record(m, buckets.get(start) ?? openBucket(start, fallback), klineType, priceType, contractId);
}
