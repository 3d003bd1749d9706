/** Health monitor arithmetic (injected clock) and the REST fallback's switching rules and poll budget. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BboEvent, StatusEvent } from "@paradex-edgex/core";
import type { Venue, VenueEventOf, VenueEventType } from "@paradex-edgex/core";
import { until } from "@paradex-edgex/dev/testing";
import { BboFallback } from "../src/fallback.ts";
import { HealthMonitor, formatHealth } from "../src/health.ts";
import type { RestTopOfBook } from "../src/convert.ts";

/** A scripted event source with the `on` of a Venue. */
class Source implements Pick<Venue, "on"> {
  private readonly listeners = new Map<string, Set<(e: never) => void>>();
  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener as (e: never) => void);
    this.listeners.set(type, set);
    return () => set.delete(listener as (e: never) => void);
  }
  emit<K extends VenueEventType>(type: K, event: VenueEventOf<K>): void {
    for (const l of this.listeners.get(type) ?? []) (l as (e: VenueEventOf<K>) => void)(event);
  }
}

let seq = 0;
const bbo = (market: string, recvUs: number): BboEvent => ({
  type: "bbo",
  seq: ++seq,
  market,
  bid: "100",
  bid_size: "1",
  ask: "101",
  ask_size: "1",
  exchange_ts: 1,
  exchange_seq: null,
  recv_us: recvUs,
});
const status = (state: StatusEvent["state"], extra: Partial<StatusEvent> = {}): StatusEvent => ({
  type: "status",
  seq: ++seq,
  state,
  ts: 0,
  ...extra,
});

test("health: rates over the window, per-market ages, lag percentiles, reconnects, degraded channels", () => {
  let now = 1_000_000;
  const h = new HealthMonitor({ now: () => now, nowUs: () => now * 1000, rateWindowMs: 10_000 });
  const src = new Source();
  h.attach("paradex", src);
  src.emit("status", status("connected"));
  for (let i = 0; i < 100; i++) {
    now += 100; // 10 per second
    src.emit("bbo", bbo(i % 2 === 0 ? "A" : "B", now * 1000 - (i + 1) * 10)); // lags 10..1000 µs
  }
  src.emit("status", status("reconnecting", { attempt: 1 }));
  src.emit("status", status("connected"));
  src.emit("status", status("stale", { channel: "bbo", market: "A" }));
  now += 500;
  let r = h.report().venues.paradex!;
  const c = r.channels["bbo"]!;
  assert.equal(c.messages, 100);
  assert.equal(c.ratePerSec, 9.5, "95 of the arrivals fall within the last 10 s");
  assert.equal(c.lastMessageAgeMs, 500);
  assert.deepEqual(c.marketAgeMs, { A: 600, B: 500 });
  assert.equal(c.lagP50Us, 510);
  assert.equal(c.lagP99Us, 1000);
  assert.equal(c.lagMaxUs, 1000);
  assert.equal(r.reconnects, 1);
  assert.equal(r.reconnectAttempts, 1);
  assert.deepEqual(r.degraded, ["bbo:A"]);
  src.emit("status", status("live", { channel: "bbo", market: "A" }));
  now += 20_000;
  r = h.report().venues.paradex!;
  assert.deepEqual(r.degraded, []);
  assert.equal(r.channels["bbo"]!.ratePerSec, 0, "nothing in the last 10 s");
  assert.ok(formatHealth(h.report()).some((l) => l.startsWith("paradex: state=connected reconnects=1")));
});

test("fallback: a venue status switches at once; the first stream quote switches back; statuses report both", async () => {
  const src = new Source();
  const polled: string[] = [];
  const top = (market: string): RestTopOfBook => ({
    market,
    bid: "99",
    bidSize: "2",
    ask: "100",
    askSize: "3",
    exchangeTs: 5,
    exchangeSeq: null,
  });
  const fb = new BboFallback({
    venue: "edgex",
    source: src,
    markets: ["A", "B"],
    poll: async (m) => {
      polled.push(m);
      return top(m);
    },
    staleAfterMs: 60_000,
    pollIntervalMs: 20,
    tickMs: 5,
  });
  const quotes: BboEvent[] = [];
  const statuses: StatusEvent[] = [];
  fb.onBbo((q) => quotes.push(q));
  fb.onStatus((s) => statuses.push(s));
  fb.start();
  try {
    src.emit("bbo", bbo("A", 1));
    assert.equal(quotes.length, 1);
    src.emit("status", status("stale", { channel: "book", market: "A" }));
    assert.equal(fb.mode("A"), "ws", "another channel's staleness does not concern bbo");
    src.emit("status", status("disconnected"));
    assert.deepEqual([fb.mode("A"), fb.mode("B")], ["rest", "rest"], "a connection-wide drop affects every market");
    await until(
      () => quotes.filter((q) => q.source === "rest" && q.market === "B").length >= 2,
      2000,
      "REST quotes for B",
    );
    assert.deepEqual(
      quotes.find((q) => q.source === "rest"),
      { ...quotes.find((q) => q.source === "rest")!, bid: "99", ask_size: "3" },
    );
    src.emit("bbo", bbo("A", 2));
    assert.equal(fb.mode("A"), "ws");
    assert.equal(fb.mode("B"), "rest", "B has not delivered yet");
    assert.deepEqual(
      statuses.map((s) => [s.market, s.state]),
      [
        ["A", "stale"],
        ["B", "stale"],
        ["A", "live"],
      ],
    );
    assert.match(statuses[0]!.reason!, /^rest_fallback: disconnected/);
  } finally {
    fb.stop();
  }
});

test("fallback: polls stay within the venue budget however many markets are degraded", async () => {
  const src = new Source();
  let polls = 0;
  const markets = Array.from({ length: 20 }, (_, i) => `M${i}`);
  const fb = new BboFallback({
    venue: "paradex",
    source: src,
    markets,
    poll: async (m) => {
      polls += 1;
      return { market: m, bid: "1", bidSize: "1", ask: "2", askSize: "1", exchangeTs: 1, exchangeSeq: null };
    },
    staleAfterMs: 60_000,
    pollIntervalMs: 1,
    tickMs: 2,
    rateLimit: { perSecond: 20, burst: 5 },
  });
  fb.start();
  const started = Date.now();
  try {
    src.emit("status", status("disconnected"));
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    fb.stop();
  }
  const elapsed = (Date.now() - started) / 1000;
  // Upper bound only (a slow machine polls less, never more): burst + rate × elapsed.
  assert.ok(polls <= 5 + Math.ceil(20 * elapsed) + 1, `${polls} polls in ${elapsed}s`);
  assert.ok(fb.stats().throttled > 0, "the budget was the limit, not the markets");
});

test("fallback: a failing poll backs off and reports the error; no quote is invented", async () => {
  const src = new Source();
  const errors: unknown[] = [];
  let calls = 0;
  const fb = new BboFallback({
    venue: "edgex",
    source: src,
    markets: ["A"],
    poll: async () => {
      calls += 1;
      throw new Error("HTTP 429");
    },
    pollIntervalMs: 10,
    tickMs: 2,
    onError: (_m, e) => errors.push(e),
  });
  const quotes: BboEvent[] = [];
  fb.onBbo((q) => quotes.push(q));
  fb.start();
  try {
    src.emit("status", status("reconnecting"));
    await until(() => errors.length >= 3, 3000, "three failed polls");
    const at = calls;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(calls - at <= 1, "backoff grows: 80 ms then 160 ms between polls after three failures");
    assert.equal(quotes.length, 0);
    assert.equal(fb.stats().pollErrors, errors.length);
  } finally {
    fb.stop();
  }
});
