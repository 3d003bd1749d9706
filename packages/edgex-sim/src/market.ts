/**
 * One contract's simulated market: a seeded price process (or a reference price path), the synthetic
 * order book it quotes, the user's resting orders merged into the published book, depth diffs with
 * contiguous versions, public trades and ticker figures.
 *
 * Prices are integer tick indexes and sizes integer step counts inside the simulator, so every wire value is
 * exact; only the price process itself is a float.
 */
import { formatDec, parseDec } from "@paradex-edgex/core/decimal";
import type { SimContract } from "./fixtures.ts";
import type { Rng } from "./rng.ts";

/** Pull of log(mid/anchor) back to 0 per second (half-life ln 2 / θ ≈ 416 s). */
const MEAN_REVERSION_PER_SECOND = 1 / 600;
/** Levels per side the synthetic market maker keeps. */
const SYNTHETIC_DEPTH = 40;
/** Trades kept for klines: hours of tape at the default rates (≈ 3 trades/s per contract). */
const MAX_TRADE_HISTORY = 40_000;
/** Depth channel sizes a client may subscribe to (reference §1.4). */
export const DEPTH_LEVELS = [15, 200] as const;
export type DepthLevel = (typeof DEPTH_LEVELS)[number];

export type BookSide = Map<number, number>;
const NO_LEVELS: ReadonlySet<DepthLevel> = new Set();

/** A published book view: tick → step count, per side. */
export interface BookView {
  readonly bids: BookSide;
  readonly asks: BookSide;
}
/** One level change on the wire: absolute size, 0 deletes. */
export type LevelChange = readonly [tick: number, steps: number];
export interface DepthDiff {
  readonly startVersion: number;
  readonly endVersion: number;
  readonly bids: LevelChange[];
  readonly asks: LevelChange[];
}

export interface PublicTrade {
  readonly ticketId: string;
  readonly time: number;
  readonly tick: number;
  readonly steps: number;
  readonly isBuyerMaker: boolean;
}

function topView(side: BookSide, userSide: BookSide, n: number, descending: boolean): BookSide {
  const merged = new Map(side);
  for (const [t, s] of userSide) merged.set(t, (merged.get(t) ?? 0) + s);
  const ticks = [...merged.keys()].sort((a, b) => (descending ? b - a : a - b)).slice(0, n);
  return new Map(ticks.map((t) => [t, merged.get(t) ?? 0]));
}

function diffSide(prev: BookSide, next: BookSide): LevelChange[] {
  const out: LevelChange[] = [];
  for (const [t, s] of next) if (prev.get(t) !== s) out.push([t, s]);
  for (const t of prev.keys()) if (!next.has(t)) out.push([t, 0]);
  return out;
}

export class ContractMarket {
  readonly contract: SimContract;
  mid: number;
  /** Level the random walk reverts to: the initial mid, the last path price or the last `price` jump. */
  #anchor: number;
  /** Synthetic liquidity. */
  readonly bids: BookSide = new Map();
  readonly asks: BookSide = new Map();
  /** Resting user orders, aggregated per tick (maintained by the matching engine). */
  readonly userBids: BookSide = new Map();
  readonly userAsks: BookSide = new Map();
  /** Last version handed out; the next diff starts at version + 1. */
  version: number;
  readonly #published = new Map<DepthLevel, BookView>();
  readonly #rng: Rng;
  readonly #tick: ReturnType<typeof parseDec>;
  readonly #step: ReturnType<typeof parseDec>;
  readonly #tickNum: number;
  readonly #maxLevelSteps: number;
  #tradeSeq = 0;
  readonly midHistory: { time: number; mid: number }[] = [];
  /** The public trade tape, oldest first (bounded): what LAST_PRICE klines aggregate. */
  readonly tradeHistory: PublicTrade[] = [];
  lastTradeTick: number | undefined;
  volumeSteps = 0;

  constructor(contract: SimContract, rng: Rng, versionBase: number) {
    this.contract = contract;
    this.mid = contract.initialMid;
    this.#anchor = contract.initialMid;
    this.#rng = rng;
    this.version = versionBase;
    this.#tick = parseDec(contract.tickSize);
    this.#step = parseDec(contract.stepSize);
    this.#tickNum = Number(contract.tickSize);
    // Up to ≈ 100k USD per level.
    this.#maxLevelSteps = Math.max(10, Math.round(100_000 / (contract.initialMid * Number(contract.stepSize))));
    this.#reshape(true);
    for (const level of DEPTH_LEVELS) this.#published.set(level, this.view(level));
  }

  priceText(tick: number): string {
    return formatDec({ int: BigInt(tick) * this.#tick.int, scale: this.#tick.scale });
  }

  sizeText(steps: number): string {
    return formatDec({ int: BigInt(steps) * this.#step.int, scale: this.#step.scale });
  }

  /** Tick index of an exact price text, or undefined if it is not on the tick grid. */
  tickOf(price: string): number | undefined {
    const p = parseDec(price);
    const scale = Math.max(p.scale, this.#tick.scale);
    const pi = p.int * 10n ** BigInt(scale - p.scale);
    const ti = this.#tick.int * 10n ** BigInt(scale - this.#tick.scale);
    return pi % ti === 0n ? Number(pi / ti) : undefined;
  }

  /** Step count of an exact size text, or undefined if it is not on the step grid. */
  stepsOf(size: string): number | undefined {
    const p = parseDec(size);
    const scale = Math.max(p.scale, this.#step.scale);
    const pi = p.int * 10n ** BigInt(scale - p.scale);
    const si = this.#step.int * 10n ** BigInt(scale - this.#step.scale);
    return pi % si === 0n ? Number(pi / si) : undefined;
  }

  /** Mid rounded to a tick: the simulator's oracle/mark/index price. */
  oracleText(): string {
    return this.priceText(Math.round(this.mid / this.#tickNum));
  }

  bestBidTick(): number | undefined {
    return this.#best(this.bids, this.userBids, true);
  }

  bestAskTick(): number | undefined {
    return this.#best(this.asks, this.userAsks, false);
  }

  #best(a: BookSide, b: BookSide, max: boolean): number | undefined {
    const ticks = [...a.keys(), ...b.keys()];
    if (ticks.length === 0) return undefined;
    return max ? Math.max(...ticks) : Math.min(...ticks);
  }

  /** The top-n published book (synthetic + user), best first. */
  view(n: number): BookView {
    return {
      bids: topView(this.bids, this.userBids, n, true),
      asks: topView(this.asks, this.userAsks, n, false),
    };
  }

  /** The view last sent for a depth level (what a new subscriber's Snapshot holds). */
  published(level: DepthLevel): BookView {
    const v = this.#published.get(level);
    if (v === undefined) throw new Error(`no depth level ${level}`);
    return v;
  }

  /**
   * Advance the price process by dt seconds and reshape the book. With a path price the mid holds it; without,
   * log(mid / anchor) follows a slowly mean-reverting random walk (Ornstein–Uhlenbeck, half-life ≈ 7 min), so
   * two independently seeded venues drift apart and back: cross-venue spreads open and close instead of
   * wandering without bound.
   */
  step(dtSeconds: number, pathMid?: number): void {
    if (pathMid !== undefined) {
      this.mid = pathMid;
      this.#anchor = pathMid;
    } else {
      const x = Math.log(this.mid / this.#anchor);
      const next =
        x -
        MEAN_REVERSION_PER_SECOND * x * dtSeconds +
        this.contract.volPerSqrtSecond * Math.sqrt(dtSeconds) * this.#rng.normal();
      this.mid = this.#anchor * Math.exp(next);
    }
    this.#reshape(false);
    this.midHistory.push({ time: Date.now(), mid: this.mid });
    if (this.midHistory.length > 40_000) this.midHistory.splice(0, 10_000);
  }

  /** Move the mid now (control `price`) and reshape around it; the process then reverts toward the new level. */
  jump(mid: number): void {
    this.mid = mid;
    this.#anchor = mid;
    this.#reshape(false);
  }

  #randomSize(): number {
    const u = this.#rng.next();
    return Math.max(1, Math.ceil(u * u * this.#maxLevelSteps));
  }

  /** Keep SYNTHETIC_DEPTH levels on a grid of `levelGapTicks` around the mid, and churn a few sizes. */
  #reshape(initial: boolean): void {
    const gap = this.contract.levelGapTicks;
    const midTick = this.mid / this.#tickNum;
    const bestBid = Math.floor((midTick - gap / 2) / gap) * gap;
    const bestAsk = Math.ceil((midTick + gap / 2) / gap) * gap;
    const lowBid = bestBid - (SYNTHETIC_DEPTH - 1) * gap;
    const highAsk = bestAsk + (SYNTHETIC_DEPTH - 1) * gap;
    for (const t of [...this.bids.keys()]) if (t > bestBid || t < lowBid) this.bids.delete(t);
    for (const t of [...this.asks.keys()]) if (t < bestAsk || t > highAsk) this.asks.delete(t);
    for (let i = 0; i < SYNTHETIC_DEPTH; i++) {
      const b = bestBid - i * gap;
      const a = bestAsk + i * gap;
      if (b > 0 && !this.bids.has(b)) this.bids.set(b, this.#randomSize());
      if (!this.asks.has(a)) this.asks.set(a, this.#randomSize());
    }
    if (initial) return;
    // Churn: resize a few of the top levels, occasionally pull one (it is refilled by a later step).
    const changes = this.#rng.int(1, 4);
    for (let i = 0; i < changes; i++) {
      const side = this.#rng.chance(0.5) ? this.bids : this.asks;
      const t = side === this.bids ? bestBid - this.#rng.int(0, 19) * gap : bestAsk + this.#rng.int(0, 19) * gap;
      if (!side.has(t)) continue;
      if (this.#rng.chance(0.1) && i > 0) side.delete(t);
      else side.set(t, this.#randomSize());
    }
  }

  /**
   * Remove up to `steps` of synthetic liquidity on `side` at prices no worse than `limitTick` (undefined: any
   * price), best first. Returns the consumed (tick, steps) pieces.
   */
  consume(side: "bids" | "asks", steps: number, limitTick: number | undefined): LevelChange[] {
    const book = side === "asks" ? this.asks : this.bids;
    const ticks = [...book.keys()].sort((a, b) => (side === "asks" ? a - b : b - a));
    const out: [number, number][] = [];
    let left = steps;
    for (const t of ticks) {
      if (left <= 0) break;
      if (limitTick !== undefined && (side === "asks" ? t > limitTick : t < limitTick)) break;
      const have = book.get(t) ?? 0;
      const take = Math.min(have, left);
      out.push([t, take]);
      left -= take;
      if (take === have) book.delete(t);
      else book.set(t, have - take);
    }
    return out;
  }

  /** Synthetic steps available on `side` no worse than limitTick. */
  available(side: "bids" | "asks", limitTick: number | undefined): number {
    const book = side === "asks" ? this.asks : this.bids;
    let total = 0;
    for (const [t, s] of book) {
      if (limitTick === undefined || (side === "asks" ? t <= limitTick : t >= limitTick)) total += s;
    }
    return total;
  }

  /**
   * Diff every depth level against what was last published and advance the version. `skip` extra versions are
   * consumed without being sent (the `gap` fault). Returns a diff per level, possibly with no changes, except
   * for a level in `hold`: nothing for it now, and its next diff (against what it last published) carries the
   * changes, with versions in between never sent on that level (the `skip_depth15` fault).
   */
  publish(skip = 0, hold: ReadonlySet<DepthLevel> = NO_LEVELS): Map<DepthLevel, DepthDiff> {
    const views = new Map<DepthLevel, BookView>();
    let changeCount = 0;
    for (const level of DEPTH_LEVELS) {
      const v = this.view(level);
      views.set(level, v);
      if (level === 200) {
        const prev = this.published(level);
        changeCount = diffSide(prev.bids, v.bids).length + diffSide(prev.asks, v.asks).length;
      }
    }
    this.version += skip;
    const startVersion = this.version + 1;
    const endVersion = this.version + Math.max(1, changeCount);
    this.version = endVersion;
    const out = new Map<DepthLevel, DepthDiff>();
    for (const level of DEPTH_LEVELS) {
      if (hold.has(level)) continue;
      const prev = this.published(level);
      const next = views.get(level) ?? prev;
      out.set(level, {
        startVersion,
        endVersion,
        bids: diffSide(prev.bids, next.bids),
        asks: diffSide(prev.asks, next.asks),
      });
      this.#published.set(level, next);
    }
    return out;
  }

  /** A synthetic public trade at the touch (called by the market loop now and then). */
  randomTrade(now: number): PublicTrade | undefined {
    const buyerIsMaker = this.#rng.chance(0.5);
    const tick = buyerIsMaker ? this.bestBidTick() : this.bestAskTick();
    if (tick === undefined) return undefined;
    return this.recordTrade(now, tick, Math.max(1, Math.ceil(this.#randomSize() / 20)), buyerIsMaker);
  }

  recordTrade(now: number, tick: number, steps: number, isBuyerMaker: boolean): PublicTrade {
    this.#tradeSeq += 1;
    this.lastTradeTick = tick;
    this.volumeSteps += steps;
    const ticketId = `${this.contract.contractId.slice(-3)}${String(this.#tradeSeq).padStart(9, "0")}`;
    const trade = { ticketId, time: now, tick, steps, isBuyerMaker };
    this.tradeHistory.push(trade);
    if (this.tradeHistory.length > MAX_TRADE_HISTORY) this.tradeHistory.splice(0, MAX_TRADE_HISTORY / 4);
    return trade;
  }
}
