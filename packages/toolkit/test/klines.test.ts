/** Kline builder: hand-computed candles from a fixed trade list for every interval, gaps, late and duplicate trades. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TradeEvent } from "@paradex-edgex/core";
import type { VenueEventOf, VenueEventType } from "@paradex-edgex/core";
import { LiveKlines } from "../src/live.ts";
import {
  INTERVALS,
  KlineBuilder,
  fillGaps,
  KlineError,
  intervalMs,
  type Candle,
  type ClosedCandleEvent,
  type Interval,
  type TradeInput,
} from "../src/klines.ts";

/** An hour boundary, so every interval's buckets start here. */
const H = 1_699_999_200_000;
const S = 1000;
const M = 60 * S;

let nextId = 0;
const tr = (offsetMs: number, price: string, size: string, id = `t${++nextId}`): TradeInput => ({
  trade_id: id,
  price,
  size,
  exchange_ts: H + offsetMs,
});

/** The fixed tape: sizes 0.2 + 0.1 check exactness (a float sum gives 0.30000000000000004). */
const TAPE: TradeInput[] = [
  tr(0, "100", "1", "a1"),
  tr(30 * S, "102", "0.2", "a2"),
  tr(59_999, "101", "0.1", "a3"),
  tr(60 * S, "99", "1", "a4"),
  tr(90 * S, "98.5", "0.5", "a5"),
  tr(180 * S, "103", "1", "a6"),
  tr(301 * S, "104", "2", "a7"),
  tr(901 * S, "105", "1", "a8"),
  tr(3600 * S, "106", "1", "a9"),
];

const c = (
  interval: Interval,
  index: number,
  o: string,
  h: string,
  l: string,
  cl: string,
  v: string,
  trades: number,
): Candle => {
  const ms = intervalMs(interval);
  return {
    openTime: H + index * ms,
    open: o,
    high: h,
    low: l,
    close: cl,
    volume: v,
    closeTime: H + (index + 1) * ms - 1,
    trades,
  };
};
const flat = (interval: Interval, index: number, px: string): Candle => c(interval, index, px, px, px, px, "0", 0);

function build(trades: TradeInput[], onClose?: (e: ClosedCandleEvent) => void): KlineBuilder {
  const b = new KlineBuilder({ market: "BTC-USD-PERP" });
  if (onClose) b.onClose(onClose);
  for (const t of trades) assert.equal(b.addTrade(t), "applied");
  return b;
}

test("1m candles: hand-computed, with flat candles for empty minutes", () => {
  const b = build(TAPE);
  const closed = b.candles("1m", undefined, false);
  assert.equal(closed.length, 60);
  assert.deepEqual(closed[0], c("1m", 0, "100", "102", "100", "101", "1.3", 3));
  assert.deepEqual(closed[1], c("1m", 1, "99", "99", "98.5", "98.5", "1.5", 2));
  assert.deepEqual(closed[2], flat("1m", 2, "98.5"));
  assert.deepEqual(closed[3], c("1m", 3, "103", "103", "103", "103", "1", 1));
  assert.deepEqual(closed[4], flat("1m", 4, "103"));
  assert.deepEqual(closed[5], c("1m", 5, "104", "104", "104", "104", "2", 1));
  for (let i = 6; i <= 14; i++) assert.deepEqual(closed[i], flat("1m", i, "104"));
  assert.deepEqual(closed[15], c("1m", 15, "105", "105", "105", "105", "1", 1));
  for (let i = 16; i <= 59; i++) assert.deepEqual(closed[i], flat("1m", i, "105"));
  assert.deepEqual(b.current("1m"), c("1m", 60, "106", "106", "106", "106", "1", 1));
});

test("5m candles: hand-computed", () => {
  const closed = build(TAPE).candles("5m", undefined, false);
  assert.equal(closed.length, 12);
  assert.deepEqual(closed[0], c("5m", 0, "100", "103", "98.5", "103", "3.8", 6));
  assert.deepEqual(closed[1], c("5m", 1, "104", "104", "104", "104", "2", 1));
  assert.deepEqual(closed[2], flat("5m", 2, "104"));
  assert.deepEqual(closed[3], c("5m", 3, "105", "105", "105", "105", "1", 1));
  for (let i = 4; i <= 11; i++) assert.deepEqual(closed[i], flat("5m", i, "105"));
});

test("15m candles: hand-computed", () => {
  const b = build(TAPE);
  assert.deepEqual(b.candles("15m", undefined, false), [
    c("15m", 0, "100", "104", "98.5", "104", "5.8", 7),
    c("15m", 1, "105", "105", "105", "105", "1", 1),
    flat("15m", 2, "105"),
    flat("15m", 3, "105"),
  ]);
  assert.deepEqual(b.current("15m"), c("15m", 4, "106", "106", "106", "106", "1", 1));
});

test("1h candles: hand-computed, array form is Binance-shaped", () => {
  const b = build(TAPE);
  assert.deepEqual(b.candles("1h"), [
    c("1h", 0, "100", "105", "98.5", "105", "6.8", 8),
    c("1h", 1, "106", "106", "106", "106", "1", 1),
  ]);
  assert.deepEqual(b.klines("1h", 1, false), [[H, "100", "105", "98.5", "105", "6.8", H + 3_600_000 - 1]]);
  assert.deepEqual(b.klines("1h", 1), [[H + 3_600_000, "106", "106", "106", "106", "1", H + 7_200_000 - 1]]);
});

test("every closed candle is emitted exactly once, in time order", () => {
  const events: ClosedCandleEvent[] = [];
  const b = build(TAPE, (e) => events.push(e));
  b.advanceTo(H + 3600 * S + 10 * M); // closes the open candles of 1m (and fills flat ones) but no longer ones
  b.advanceTo(H + 3600 * S + 10 * M); // idempotent
  for (const iv of INTERVALS) {
    const mine = events.filter((e) => e.interval === iv).map((e) => e.candle);
    assert.deepEqual(mine, b.candles(iv, undefined, false), `${iv}: emitted ≠ closed history`);
    const times = mine.map((x) => x.openTime);
    assert.deepEqual(
      times,
      [...new Set(times)].sort((x, y) => x - y),
      `${iv}: duplicate or unordered emission`,
    );
  }
  // 1m: 60 from the tape, then minute 60 (the 106 trade) and 61..68 flat; at now − grace = 69:58, minute 69
  // may still receive delayed trades and stays open.
  assert.equal(events.filter((e) => e.interval === "1m").length, 69);
  assert.deepEqual(b.candles("1m").at(-1), flat("1m", 68, "106"));
});

test("advanceTo closes an idle candle only after the grace period, then fills empty buckets", () => {
  const events: ClosedCandleEvent[] = [];
  const b = new KlineBuilder({ market: "X", intervals: ["1m"], graceMs: 2000 });
  b.onClose((e) => events.push(e));
  b.addTrade(tr(10 * S, "50", "1"));
  b.advanceTo(H + M + 1999); // closeTime H+59999 is not < H+M+1999-2000
  assert.equal(events.length, 0);
  b.advanceTo(H + M + 2001);
  assert.deepEqual(
    events.map((e) => e.candle),
    [c("1m", 0, "50", "50", "50", "50", "1", 1)],
  );
  b.advanceTo(H + 3 * M + 2001);
  assert.deepEqual(
    events.map((e) => e.candle),
    [c("1m", 0, "50", "50", "50", "50", "1", 1), flat("1m", 1, "50"), flat("1m", 2, "50")],
  );
  assert.equal(b.current("1m"), null);
});

test("a late trade is dropped for intervals whose candle closed and applied where it is still open", () => {
  const b = build(TAPE.slice(0, 7)); // up to the 104 trade at 301 s: 1m bucket 5 and 5m bucket 1 are open
  const late = tr(200 * S, "90", "3", "late1"); // 1m bucket 3 (closed), 5m bucket 0 (closed), 15m/1h open
  assert.equal(b.addTrade(late), "applied");
  const n = b.counters();
  assert.equal(n.late["1m"], 1);
  assert.equal(n.late["5m"], 1);
  assert.equal(n.late["15m"], 0);
  assert.deepEqual(b.candles("1m", undefined, false)[3], c("1m", 3, "103", "103", "103", "103", "1", 1));
  assert.deepEqual(b.candles("5m", undefined, false)[0], c("5m", 0, "100", "103", "98.5", "103", "3.8", 6));
  // 15m is still open: the late trade lowers its low and adds its volume, but does not become its close.
  assert.deepEqual(b.current("15m"), c("15m", 0, "100", "104", "90", "104", "8.8", 8));
});

test("a trade older than the very first candle is late, never merged into it", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.addTrade(tr(M + 5 * S, "10", "1"));
  b.addTrade(tr(30 * S, "99", "5"));
  assert.deepEqual(b.current("1m"), c("1m", 1, "10", "10", "10", "10", "1", 1));
  assert.equal(b.counters().late["1m"], 1);
});

test("after a seed with only an open candle, an older trade is late", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.seed("1m", [{ ...c("1m", 2, "5", "5", "5", "5", "1", 0), trades: null }], H + 2 * M + 10 * S);
  b.addTrade(tr(M + 5 * S, "99", "1"));
  assert.equal(b.counters().late["1m"], 1);
  assert.deepEqual(b.current("1m"), { ...c("1m", 2, "5", "5", "5", "5", "1", 0), trades: null });
});

test("a duplicate trade_id is dropped and counted; candles are unchanged", () => {
  const b = build(TAPE.slice(0, 3));
  const before = b.candles("1m");
  assert.equal(b.addTrade({ ...TAPE[1]!, price: "500" }), "duplicate");
  assert.deepEqual(b.candles("1m"), before);
  assert.equal(b.counters().duplicate, 1);
});

test("out-of-order trades inside an open candle: open is the earliest, close the latest", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.addTrade(tr(30 * S, "2", "1"));
  b.addTrade(tr(10 * S, "1", "1"));
  b.addTrade(tr(50 * S, "3", "1"));
  b.addTrade(tr(40 * S, "4", "1"));
  assert.deepEqual(b.current("1m"), c("1m", 0, "1", "4", "1", "3", "4", 4));
});

test("same-timestamp trades: the first to arrive opens, the last to arrive closes", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.addTrade(tr(5 * S, "10", "1"));
  b.addTrade(tr(5 * S, "11", "1"));
  b.addTrade(tr(5 * S, "12", "1"));
  assert.deepEqual(b.current("1m"), c("1m", 0, "10", "12", "10", "12", "3", 3));
});

test("invalid trades are counted and never throw", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  const bad: unknown[] = [
    { trade_id: "x1", price: "abc", size: "1", exchange_ts: H },
    { trade_id: "x2", price: "1", size: "-1", exchange_ts: H },
    { trade_id: "x3", price: "1", size: "1", exchange_ts: Number.NaN },
    { trade_id: "", price: "1", size: "1", exchange_ts: H },
    { trade_id: "x4", price: 1, size: "1", exchange_ts: H },
  ];
  for (const t of bad) assert.equal(b.addTrade(t as TradeInput), "invalid");
  assert.equal(b.counters().invalid, bad.length);
  assert.equal(b.current("1m"), null);
});

test("non-canonical decimals are canonicalized", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.addTrade(tr(1, "100.500", "0.10"));
  assert.deepEqual(b.current("1m"), c("1m", 0, "100.5", "100.5", "100.5", "100.5", "0.1", 1));
});

test("seed: REST history is taken, holes filled flat, the open REST candle continues with later trades only", () => {
  const events: ClosedCandleEvent[] = [];
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  b.onClose((e) => events.push(e));
  const rest: Candle[] = [
    { ...c("1m", 0, "10", "12", "9", "11", "5", 0), trades: null },
    // minute 1 missing: REST omitted an empty bucket
    { ...c("1m", 2, "11", "13", "11", "12", "2", 0), trades: null },
    { ...c("1m", 3, "12", "12", "11.5", "11.5", "1", 0), trades: null }, // still open at asOf
  ];
  const asOf = H + 3 * M + 20 * S;
  b.seed("1m", rest, asOf);
  assert.equal(events.length, 0, "seeded history is not emitted as new closes");
  assert.deepEqual(b.candles("1m", undefined, false), [rest[0], flat("1m", 1, "11"), rest[1]]);
  // A stream trade at or before asOf is already inside the REST candle; a later one extends it.
  b.addTrade(tr(3 * M + 10 * S, "99", "9", "s1"));
  b.addTrade(tr(3 * M + 30 * S, "11.8", "0.5", "s2"));
  assert.deepEqual(b.current("1m"), { ...c("1m", 3, "12", "12", "11.5", "11.8", "1.5", 0), trades: null });
  assert.equal(b.counters().seeded["1m"], 1);
  b.addTrade(tr(4 * M, "13", "1", "s3"));
  assert.deepEqual(
    events.map((e) => e.candle),
    [{ ...c("1m", 3, "12", "12", "11.5", "11.8", "1.5", 0), trades: null }],
  );
  assert.throws(() => b.seed("1m", rest, asOf), KlineError);
});

test("unsupported intervals are clear errors", () => {
  assert.throws(() => intervalMs("2m"), /unsupported interval "2m" \(supported: 1m, 5m, 15m, 1h\)/);
  const b = new KlineBuilder({ market: "X", intervals: ["1m"] });
  assert.throws(() => b.candles("1h"), /interval 1h is not built/);
});

test("the dedupe window is bounded and forgets the oldest ids first", () => {
  const b = new KlineBuilder({ market: "X", intervals: ["1h"], dedupeWindow: 3 });
  for (const id of ["d1", "d2", "d3", "d4"]) assert.equal(b.addTrade(tr(1, "1", "1", id)), "applied");
  assert.equal(b.addTrade(tr(1, "1", "1", "d4")), "duplicate");
  assert.equal(b.addTrade(tr(1, "1", "1", "d1")), "applied", "d1 should have been forgotten");
});

test("fillGaps: missing buckets between candles become flat candles at the previous close", () => {
  const a = c("5m", 0, "1", "2", "1", "2", "3", 1);
  const b = c("5m", 3, "2", "4", "2", "3", "1", 1);
  assert.deepEqual(fillGaps([a, b], "5m"), [a, flat("5m", 1, "2"), flat("5m", 2, "2"), b]);
  assert.deepEqual(fillGaps([], "5m"), []);
});

/** A scripted trade source with the `on`/`subscribe` of a Venue. */
class TradeSource {
  readonly listeners = new Set<(t: TradeEvent) => void>();
  subscribed: string[] = [];
  on<K extends VenueEventType>(type: K, listener: (e: VenueEventOf<K>) => void): () => void {
    assert.equal(type, "trade");
    const l = listener as unknown as (t: TradeEvent) => void;
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  async subscribe(channel: string, market: string): Promise<void> {
    this.subscribed.push(`${channel}:${market}`);
  }
  emit(t: TradeInput, market = "X"): void {
    const e: TradeEvent = { type: "trade", seq: 1, market, side: "BUY", trade_type: "FILL", recv_us: 0, ...t };
    for (const l of this.listeners) l(e);
  }
}

test("live: trades arriving while REST history loads are buffered, then applied unless REST already has them", async () => {
  const src = new TradeSource();
  let now = H + 2 * M + 30 * S;
  const feed = new LiveKlines({
    venue: src,
    market: "X",
    intervals: ["1m"],
    now: () => now,
    clockMs: 60_000,
    fetchHistory: async () => {
      // While the request is out: one trade the REST candle already holds, one printed after it was read.
      src.emit(tr(2 * M + 20 * S, "7", "1", "in-rest"));
      src.emit(tr(2 * M + 40 * S, "9", "2", "after-rest"));
      src.emit(tr(2 * M + 50 * S, "9", "1", "other"), "Y");
      now += 50;
      return [c("1m", 0, "5", "6", "5", "6", "1", 0), { ...c("1m", 2, "6", "7", "6", "7", "4", 0), trades: null }];
    },
  });
  await feed.start();
  try {
    assert.deepEqual(src.subscribed, ["trades:X"], "trades are subscribed before history is read");
    assert.deepEqual(feed.builder.candles("1m"), [
      c("1m", 0, "5", "6", "5", "6", "1", 0),
      flat("1m", 1, "6"),
      { ...c("1m", 2, "6", "9", "6", "9", "6", 0), trades: null },
    ]);
    assert.equal(feed.builder.counters().seeded["1m"], 1);
    src.emit(tr(3 * M, "10", "1", "next"));
    assert.equal(feed.builder.candles("1m", undefined, false).length, 3);
  } finally {
    feed.stop();
  }
});
