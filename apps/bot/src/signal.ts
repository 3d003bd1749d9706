/**
 * @module signal — pure: the executable edge of buying on one venue and selling on the other, at a size.
 *
 * Prices come from walking each book for the whole size (not just the top), fees are both venues' taker
 * rates, and a slippage buffer is charged on top, so "edge ≥ threshold" means "still profitable if the book
 * moves a little before our IOC orders land". No I/O, no clock: every input is a value, so tests are tables.
 */
import type { MarketMeta, VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";
import type { BookView, Level } from "./quotes.ts";

const BPS = D.fromInt(10_000);

export interface VenueSide {
  venue: VenueName;
  meta: MarketMeta;
  book: BookView;
  /** Current signed position on this venue, base units. */
  position: D;
}

export interface SignalParams {
  size: D;
  maxPosition: D;
  minEdgeBps: D;
  exitEdgeBps: D;
  slippageBps: D;
}

export interface Opportunity {
  buy: { venue: VenueName; market: string; vwap: D; limit: D };
  sell: { venue: VenueName; market: string; vwap: D; limit: D };
  size: D;
  /** Net edge after both taker fees and the slippage buffer, bps of the buy price. */
  edgeBps: D;
  /** The threshold this trade had to beat (exit threshold when it reduces both positions). */
  thresholdBps: D;
  reducing: boolean;
}

export type Evaluation =
  | { ok: true; opp: Opportunity }
  | { ok: false; reason: string; edgeBps: D | null; direction: string; thresholdBps: D };

/** Volume-weighted price and worst level touched to fill `size`, or null if the book is too thin. */
export function walk(levels: Level[], size: D): { vwap: D; worst: D } | null {
  let left = size;
  let cost = D.ZERO;
  let worst: D | null = null;
  for (const l of levels) {
    if (!left.isPos()) break;
    const take = D.min(left, l.size);
    cost = cost.add(take.mul(l.price));
    left = left.sub(take);
    worst = l.price;
  }
  if (left.isPos() || worst === null) return null;
  return { vwap: cost.div(size), worst };
}

/** The lot both venues accept: the smallest common multiple of their step sizes (the coarser one in practice). */
export function commonLot(a: MarketMeta, b: MarketMeta): D {
  return D.lcm(a.stepSize, b.stepSize);
}

/** Net edge in bps of buying at `buyPx` (fee `fb`) and selling at `sellPx` (fee `fs`), minus `slip` bps. */
export function edgeBps(buyPx: D, sellPx: D, fb: D, fs: D, slip: D): D {
  const proceeds = sellPx.mul(D.ONE.sub(fs));
  const cost = buyPx.mul(D.ONE.add(fb));
  return proceeds.sub(cost).mul(BPS).div(buyPx).sub(slip);
}

/**
 * Size for this direction: the configured size, capped by what the position limits leave on each venue,
 * rounded down to the common lot, then checked against both venues' minimums. Null + reason if none fits.
 */
export function sizeFor(buy: VenueSide, sell: VenueSide, p: SignalParams, lot: D): { size: D } | { reason: string } {
  const roomBuy = p.maxPosition.sub(buy.position); // buying raises the buy venue's position
  const roomSell = p.maxPosition.add(sell.position); // selling lowers the sell venue's position
  const capped = D.min(p.size, D.min(roomBuy, roomSell));
  if (!capped.isPos()) return { reason: "position limit" };
  const size = capped.quantize(lot, "floor");
  if (!size.isPos()) return { reason: "position limit" };
  for (const m of [buy.meta, sell.meta]) {
    if (size.lt(m.minSize)) return { reason: `below ${m.market} min size ${m.minSize}` };
    if (m.maxSize !== null && size.gt(m.maxSize)) return { reason: `above ${m.market} max size ${m.maxSize}` };
  }
  return { size };
}

/**
 * Evaluate buying on `buy` and selling on `sell`. A direction refused for its size (position limit, venue
 * minimums) still reports the edge at the configured size, so the screen can say "+26 bps, position limit"
 * instead of silently showing the other direction.
 */
export function evaluateDirection(buy: VenueSide, sell: VenueSide, p: SignalParams): Evaluation {
  const direction = `buy ${buy.venue} / sell ${sell.venue}`;
  const reducing = buy.position.isNeg() && sell.position.isPos();
  const thresholdBps = reducing ? p.exitEdgeBps : p.minEdgeBps;
  const edgeAt = (size: D): { edge: D; b: { vwap: D; worst: D }; s: { vwap: D; worst: D } } | null => {
    const b = walk(buy.book.asks, size);
    const s = walk(sell.book.bids, size);
    if (b === null || s === null) return null;
    return {
      edge: edgeBps(b.vwap, s.vwap, D.from(buy.meta.takerFeeRate), D.from(sell.meta.takerFeeRate), p.slippageBps),
      b,
      s,
    };
  };
  const fail = (reason: string, edge: D | null): Evaluation => ({
    ok: false,
    reason,
    edgeBps: edge,
    direction,
    thresholdBps,
  });
  const lot = commonLot(buy.meta, sell.meta);
  const sized = sizeFor(buy, sell, p, lot);
  if ("reason" in sized) return fail(sized.reason, edgeAt(p.size)?.edge ?? null);
  const { size } = sized;
  const at = edgeAt(size);
  if (at === null) return fail("book too thin for size", null);
  const { edge, b, s } = at;
  for (const [m, px] of [
    [buy.meta, b.vwap],
    [sell.meta, s.vwap],
  ] as const) {
    if (m.minNotional !== null && size.mul(px).lt(m.minNotional)) {
      return fail(`below ${m.market} min notional ${m.minNotional}`, edge);
    }
  }
  const threshold = thresholdBps;
  if (edge.lt(threshold)) return fail("edge below threshold", edge);
  // IOC protection prices: the worst level we need, widened by the buffer, rounded away from the book to tick.
  const slip = p.slippageBps.div(BPS);
  const buyLimit = b.worst.mul(D.ONE.add(slip)).quantize(buy.meta.tickSize, "ceil");
  const sellLimit = s.worst.mul(D.ONE.sub(slip)).quantize(sell.meta.tickSize, "floor");
  return {
    ok: true,
    opp: {
      buy: { venue: buy.venue, market: buy.meta.market, vwap: b.vwap, limit: buyLimit },
      sell: { venue: sell.venue, market: sell.meta.market, vwap: s.vwap, limit: sellLimit },
      size,
      edgeBps: edge,
      thresholdBps: threshold,
      reducing,
    },
  };
}

/** Both directions; the better actionable one wins, else the evaluation with the highest edge (for display). */
export function evaluate(
  a: VenueSide,
  b: VenueSide,
  p: SignalParams,
): { best: Evaluation; ab: Evaluation; ba: Evaluation } {
  const ab = evaluateDirection(a, b, p);
  const ba = evaluateDirection(b, a, p);
  const score = (e: Evaluation): D | null => (e.ok ? e.opp.edgeBps : e.edgeBps);
  let best: Evaluation;
  if (ab.ok && ba.ok) best = ab.opp.edgeBps.gte(ba.opp.edgeBps) ? ab : ba;
  else if (ab.ok || ba.ok) best = ab.ok ? ab : ba;
  else {
    const sa = score(ab);
    const sb = score(ba);
    best = sb !== null && (sa === null || sb.gt(sa)) ? ba : ab;
  }
  return { best, ab, ba };
}
