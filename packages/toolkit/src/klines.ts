/**
 * @module klines — builds 1m/5m/15m/1h candles of one market from a venue's normalized `trade` stream.
 *
 * Rules (deterministic: the same calls in the same order give the same candles, whatever the wall clock):
 * - A trade belongs to the bucket `floor(exchange_ts / interval) * interval`; candles are Binance-shaped:
 *   `closeTime = openTime + interval - 1`, prices and volume are exact decimal strings.
 * - Within a bucket, `open` is the trade with the smallest `exchange_ts` (earliest arrival on ties) and `close`
 *   the one with the largest (latest arrival on ties), so a reordered delivery still yields the venue's candle.
 * - A candle closes when a trade of a later bucket arrives, or when `advanceTo(now)` passes its close time by
 *   more than `graceMs` (the grace lets trades delayed in transit still land in their own candle).
 * - Buckets without trades become flat candles at the previous close with zero volume, emitted in order.
 * - A closed candle is emitted exactly once and never changes afterwards: downstream indicators have consumed
 *   it, and amending would make two readers disagree about history. A trade for an already-closed bucket is
 *   therefore counted as `late` and dropped; the count is exposed so a growing number is visible.
 * - A repeated `trade_id` is counted as `duplicate` and dropped (ids are remembered in a bounded FIFO window).
 * - History comes from the venue's REST klines via `seed()`; the REST candle containing `asOf` becomes the open
 *   candle, and stream trades with `exchange_ts <= asOf` in it are taken as already counted by REST (`seeded`).
 */
import * as D from "@paradex-edgex/core/decimal";

export const INTERVALS = ["1m", "5m", "15m", "1h"] as const;
export type Interval = (typeof INTERVALS)[number];

const INTERVAL_MS: Readonly<Record<Interval, number>> = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
};

export class KlineError extends Error {
  override readonly name = "KlineError";
}

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

/** Interval length in ms; an interval we do not build raises KlineError naming the supported ones. */
export function intervalMs(interval: string): number {
  if (!isInterval(interval)) {
    throw new KlineError(`unsupported interval ${JSON.stringify(interval)} (supported: ${INTERVALS.join(", ")})`);
  }
  return INTERVAL_MS[interval];
}

/** Start of the bucket containing `ts`. */
export function bucketStart(ts: number, interval: Interval): number {
  const ms = INTERVAL_MS[interval];
  return Math.floor(ts / ms) * ms;
}

/** The object form of a candle. `trades` is the number of trades aggregated (null when seeded from REST). */
export interface Candle {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTime: number;
  trades: number | null;
}

/** The array form technical-analysis code expects: `[openTime, open, high, low, close, volume, closeTime]`. */
export type KlineArray = [number, string, string, string, string, string, number];

export function toArray(c: Candle): KlineArray {
  return [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime];
}

/**
 * Candles (oldest first) with every missing bucket between two of them added flat at the previous close with
 * zero volume, the way the builder produces them live: venues omit empty buckets, indicators expect none missing.
 */
export function fillGaps(candles: readonly Candle[], interval: Interval): Candle[] {
  const ms = INTERVAL_MS[interval];
  const out: Candle[] = [];
  for (const c of candles) {
    const prev = out.at(-1);
    if (prev !== undefined) {
      for (let t = prev.openTime + ms; t < c.openTime; t += ms) {
        const px = prev.close;
        out.push({
          openTime: t,
          open: px,
          high: px,
          low: px,
          close: px,
          volume: "0",
          closeTime: t + ms - 1,
          trades: 0,
        });
      }
    }
    out.push(c);
  }
  return out;
}

/** The trade fields the builder reads (a `TradeEvent` qualifies). */
export interface TradeInput {
  trade_id: string;
  price: string;
  size: string;
  exchange_ts: number;
}

export type TradeOutcome = "applied" | "duplicate" | "invalid";

export interface ClosedCandleEvent {
  market: string;
  interval: Interval;
  candle: Candle;
}

export interface KlineCounters {
  applied: number;
  duplicate: number;
  invalid: number;
  /** Per interval: trades whose bucket had already closed (dropped). */
  late: Record<Interval, number>;
  /** Per interval: trades already contained in the REST seed (dropped). */
  seeded: Record<Interval, number>;
}

export interface KlineBuilderOptions {
  market: string;
  intervals?: readonly Interval[];
  /** Closed candles kept per interval (older ones are forgotten). Default 1500. */
  maxCandles?: number;
  /** How long after its close time a candle waits for delayed trades when closed by `advanceTo`. Default 2 s. */
  graceMs?: number;
  /** How many trade ids are remembered for de-duplication. Default 100 000. */
  dedupeWindow?: number;
}

interface OpenCandle {
  candle: Candle;
  firstTs: number;
  lastTs: number;
}

/** One interval's state: closed history, the open candle, and the boundary below which buckets are final. */
class Series {
  readonly closed: Candle[] = [];
  open: OpenCandle | null = null;
  /** Every bucket starting before this is closed. */
  closedThrough = Number.NEGATIVE_INFINITY;
  /** Trades with ts <= seedCut inside the seeded open bucket are already in the REST candle. */
  seedCut = Number.NEGATIVE_INFINITY;
  late = 0;
  seeded = 0;

  constructor(
    readonly interval: Interval,
    readonly ms: number,
  ) {}

  lastClose(): string | null {
    return this.closed.at(-1)?.close ?? null;
  }
}

export class KlineBuilder {
  readonly market: string;
  private readonly series = new Map<Interval, Series>();
  private readonly maxCandles: number;
  private readonly graceMs: number;
  private readonly dedupeWindow: number;
  private readonly seenIds = new Set<string>();
  private readonly seenOrder: string[] = [];
  private seenHead = 0;
  private readonly listeners = new Set<(e: ClosedCandleEvent) => void>();
  private applied = 0;
  private duplicate = 0;
  private invalid = 0;

  constructor(options: KlineBuilderOptions) {
    this.market = options.market;
    this.maxCandles = options.maxCandles ?? 1500;
    this.graceMs = options.graceMs ?? 2000;
    this.dedupeWindow = options.dedupeWindow ?? 100_000;
    for (const iv of options.intervals ?? INTERVALS) this.series.set(iv, new Series(iv, intervalMs(iv)));
  }

  intervals(): Interval[] {
    return [...this.series.keys()];
  }

  /** Called once per closed candle (trade-driven, time-driven and flat gap candles alike). */
  onClose(listener: (e: ClosedCandleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Load REST history for one interval before live trades are applied. Candles are taken as final when they
   * closed at or before `asOf`; the one containing `asOf` becomes the open candle. Missing buckets between REST
   * candles are filled flat, so history has no holes. Seeding after live trades for that interval is refused.
   */
  seed(interval: Interval, candles: readonly Candle[], asOf: number): void {
    const s = this.getSeries(interval);
    if (s.open !== null || s.closed.length > 0) {
      throw new KlineError(`${this.market} ${interval}: seed() must come before live trades`);
    }
    const sorted = [...candles].sort((a, b) => a.openTime - b.openTime);
    for (const c of sorted) {
      if (c.openTime % s.ms !== 0) {
        throw new KlineError(`${this.market} ${interval}: seed candle openTime ${c.openTime} is not on a boundary`);
      }
      if (c.openTime + s.ms - 1 <= asOf) {
        this.fillFlatUntil(s, c.openTime, false);
        this.pushClosed(s, { ...c, closeTime: c.openTime + s.ms - 1 }, false);
      } else if (c.openTime <= asOf) {
        this.fillFlatUntil(s, c.openTime, false);
        s.open = { candle: { ...c, closeTime: c.openTime + s.ms - 1 }, firstTs: c.openTime, lastTs: asOf };
        s.seedCut = asOf;
      }
      // Candles starting after asOf cannot exist yet; ignore rather than invent the future.
    }
    if (s.open === null) s.seedCut = asOf;
    // With no closed candle to continue from, nothing before the open (or current) bucket can be placed.
    if (s.lastClose() === null) s.closedThrough = s.open?.candle.openTime ?? Math.floor(asOf / s.ms) * s.ms;
  }

  /** Apply one trade to every interval. Bad input is counted as `invalid` and never throws. */
  addTrade(trade: TradeInput): TradeOutcome {
    if (!validTrade(trade)) {
      this.invalid += 1;
      return "invalid";
    }
    if (this.seenIds.has(trade.trade_id)) {
      this.duplicate += 1;
      return "duplicate";
    }
    this.remember(trade.trade_id);
    this.applied += 1;
    const t = { ...trade, price: D.canonical(trade.price), size: D.canonical(trade.size) };
    for (const s of this.series.values()) this.applyTo(s, t);
    return "applied";
  }

  /** Close every candle whose close time is more than `graceMs` before `now`, filling empty buckets flat. */
  advanceTo(now: number): void {
    const horizon = now - this.graceMs;
    for (const s of this.series.values()) {
      if (s.open !== null && s.open.candle.closeTime < horizon) this.closeOpen(s);
      if (s.lastClose() === null) continue;
      // The first bucket that must stay open: the one containing `horizon`.
      const keepFrom = Math.floor(horizon / s.ms) * s.ms;
      if (s.open === null) this.fillFlatUntil(s, keepFrom, true);
    }
  }

  /** Closed candles (oldest first) followed by the open one when `includeOpen`; at most `limit`, newest kept. */
  candles(interval: Interval, limit?: number, includeOpen = true): Candle[] {
    const s = this.getSeries(interval);
    const all = includeOpen && s.open !== null ? [...s.closed, { ...s.open.candle }] : [...s.closed];
    return limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
  }

  klines(interval: Interval, limit?: number, includeOpen = true): KlineArray[] {
    return this.candles(interval, limit, includeOpen).map(toArray);
  }

  /** The open (still changing) candle of an interval, if any. */
  current(interval: Interval): Candle | null {
    const open = this.getSeries(interval).open;
    return open === null ? null : { ...open.candle };
  }

  counters(): KlineCounters {
    const late = {} as Record<Interval, number>;
    const seeded = {} as Record<Interval, number>;
    for (const s of this.series.values()) {
      late[s.interval] = s.late;
      seeded[s.interval] = s.seeded;
    }
    return { applied: this.applied, duplicate: this.duplicate, invalid: this.invalid, late, seeded };
  }

  private getSeries(interval: Interval): Series {
    const s = this.series.get(interval);
    if (s === undefined) {
      throw new KlineError(`${this.market}: interval ${interval} is not built (built: ${this.intervals().join(", ")})`);
    }
    return s;
  }

  private applyTo(s: Series, t: TradeInput): void {
    const bucket = Math.floor(t.exchange_ts / s.ms) * s.ms;
    if (bucket < s.closedThrough) {
      s.late += 1;
      return;
    }
    if (s.open !== null && bucket > s.open.candle.openTime) this.closeOpen(s);
    if (s.open === null) {
      this.fillFlatUntil(s, bucket, true);
      // Buckets before the first open candle are history we never saw: a trade for one is late, and must
      // not be merged into this candle.
      s.closedThrough = Math.max(s.closedThrough, bucket);
      s.open = {
        candle: {
          openTime: bucket,
          open: t.price,
          high: t.price,
          low: t.price,
          close: t.price,
          volume: "0",
          closeTime: bucket + s.ms - 1,
          trades: 0,
        },
        firstTs: t.exchange_ts,
        lastTs: t.exchange_ts,
      };
    } else if (bucket === s.open.candle.openTime && t.exchange_ts <= s.seedCut) {
      s.seeded += 1;
      return;
    }
    const o = s.open;
    const c = o.candle;
    if (t.exchange_ts < o.firstTs) {
      o.firstTs = t.exchange_ts;
      c.open = t.price;
    }
    if (t.exchange_ts >= o.lastTs) {
      o.lastTs = t.exchange_ts;
      c.close = t.price;
    }
    c.high = D.max(c.high, t.price);
    c.low = D.min(c.low, t.price);
    c.volume = D.add(c.volume, t.size);
    c.trades = c.trades === null ? null : c.trades + 1;
  }

  private closeOpen(s: Series): void {
    const open = s.open;
    if (open === null) return;
    s.open = null;
    this.pushClosed(s, open.candle, true);
  }

  /** Emit flat candles for every bucket from `closedThrough` up to (excluding) `until`, at the last close. */
  private fillFlatUntil(s: Series, until: number, emit: boolean): void {
    const prev = s.lastClose();
    if (prev === null) return;
    // Only the newest `maxCandles` candles are kept, so older flat buckets need not be materialized.
    const from = Math.max(s.closedThrough, until - this.maxCandles * s.ms);
    for (let t = from; t < until; t += s.ms) {
      this.pushClosed(
        s,
        {
          openTime: t,
          open: prev,
          high: prev,
          low: prev,
          close: prev,
          volume: "0",
          closeTime: t + s.ms - 1,
          trades: 0,
        },
        emit,
      );
    }
  }

  private pushClosed(s: Series, candle: Candle, emit: boolean): void {
    s.closed.push(candle);
    if (s.closed.length > this.maxCandles) s.closed.splice(0, s.closed.length - this.maxCandles);
    s.closedThrough = candle.openTime + s.ms;
    if (!emit) return;
    const event: ClosedCandleEvent = { market: this.market, interval: s.interval, candle: { ...candle } };
    for (const l of this.listeners) l(event);
  }

  private remember(id: string): void {
    this.seenIds.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length - this.seenHead > this.dedupeWindow) {
      this.seenIds.delete(this.seenOrder[this.seenHead]!);
      this.seenHead += 1;
      // Compact occasionally so the array does not grow without bound.
      if (this.seenHead > this.dedupeWindow) {
        this.seenOrder.splice(0, this.seenHead);
        this.seenHead = 0;
      }
    }
  }
}

function validTrade(t: TradeInput): boolean {
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.trade_id === "string" &&
    t.trade_id.length > 0 &&
    D.isDecimal(t.price) &&
    D.isDecimal(t.size) &&
    D.sign(t.size) > 0 &&
    D.sign(t.price) > 0 &&
    Number.isSafeInteger(t.exchange_ts) &&
    t.exchange_ts >= 0
  );
}
