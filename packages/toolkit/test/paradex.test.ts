/**
 * The toolkit against the real Paradex simulator through the real sidecar and bridge: symbols from the sim's
 * metadata, klines equal to the sim's REST klines (REST and stream-built), the REST bbo fallback on a silenced
 * stream, a stream-only outage and a whole-venue outage, and the health report.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { BboEvent, StatusEvent, TradeEvent } from "@paradex-edgex/core";
import { silentLogger } from "@paradex-edgex/paradex";
import { type ParadexSimHandle as SimHandle, startParadexSim } from "@paradex-edgex/dev/sims";
import { until, within } from "@paradex-edgex/dev/testing";
import type { ExchangeClient } from "../src/client.ts";
import { createExchange } from "../src/factory.ts";
import { HealthMonitor } from "../src/health.ts";
import { INTERVALS, fillGaps, type Candle } from "../src/klines.ts";
import { candlesFromParadex } from "../src/convert.ts";
import * as D from "@paradex-edgex/core/decimal";
import type { Position } from "../src/types.ts";
import type { ParadexVenue } from "@paradex-edgex/paradex";
import { SymbolMapper, UnknownSymbolError } from "../src/symbols.ts";

const MARKETS = ["BTC-USD-PERP", "ETH-USD-PERP"];
let sim: SimHandle;
let client: ExchangeClient;
const health = new HealthMonitor();

before(async () => {
  sim = await startParadexSim({ seed: 11, bboRate: 20, tradeRate: 20 });
  // network sim + the standalone simulator's URLs: the sidecar trades on a throwaway paper key.
  client = createExchange("paradex", {
    network: "sim",
    wsUrl: sim.wsUrl,
    restUrl: sim.restUrl,
    markets: MARKETS,
    bridge: {
      channels: ["bbo", "trades"],
      statsIntervalS: 0.5,
      extraArgs: ["--log-level", "WARNING"],
      logger: silentLogger,
    },
  });
  health.attach("paradex", client.venue);
  await within(client.connect(), 20_000, "paradex connect");
});

after(async () => {
  await client?.close();
  await sim?.stop();
});

test("symbols: every market the simulator lists maps both ways; the selection is PARADEX_MARKETS-style", async () => {
  const listed = await client.venue.markets();
  assert.ok(listed.length >= 3, "the simulator lists BTC, ETH and SOL perps");
  const all = new SymbolMapper("paradex", listed);
  for (const m of listed) assert.equal(all.toVenue(all.fromVenue(m.market)), m.market);
  assert.deepEqual(client.symbols.symbols(), ["BTCUSDT", "ETHUSDT"]);
  assert.equal(client.symbols.toVenue("ETHUSDT"), "ETH-USD-PERP");
  assert.throws(() => client.symbols.toVenue("SOLUSDT"), UnknownSymbolError, "SOL is listed but not selected");
  await assert.rejects(client.getKlines("DOGEUSDT", "1m", 5), /paradex does not list "DOGEUSDT"/);
});

/** Candles compared without the trade count (REST klines carry none). */
const ohlcv = (cs: Candle[]): Omit<Candle, "trades">[] => cs.map(({ trades: _t, ...rest }) => rest);

test("klines: the stream-built candles equal the simulator's REST klines for every interval", async () => {
  // Seed while the market is paused, so no trade can fall between the REST history and the stream.
  await sim.control("pause");
  const feed = client.klineFeed("BTCUSDT", { clockMs: 200 });
  // Listening before the feed starts: a trade still in transit from before the pause reaches both.
  const seen: TradeEvent[] = [];
  const off = client.venue.on("trade", (t) => {
    if (t.market === "BTC-USD-PERP") seen.push(t);
  });
  await within(feed.start(), 10_000, "kline feed start");
  await sim.control("resume");
  try {
    await until(() => seen.length >= 30, 15_000, "30 live trades");
    await sim.control("pause");
    const res = await fetch(`${sim.restUrl}/trades?market=BTC-USD-PERP&page_size=1`);
    const newest = ((await res.json()) as { results: { id: string }[] }).results[0]!.id;
    await until(() => seen.some((t) => t.trade_id === newest), 5000, "the newest trade on the stream");
    for (const iv of INTERVALS) {
      const rest = await client.getCandles("BTCUSDT", iv, 50);
      const built = feed.builder.candles(iv, 50);
      assert.ok(rest.length > 0, `${iv}: REST has candles`);
      assert.deepEqual(ohlcv(built), ohlcv(rest), `${iv}: builder ≠ REST`);
    }
    const n = feed.builder.counters();
    assert.equal(n.duplicate + n.invalid + n.late["1m"], 0);
    assert.equal(n.applied, seen.length, "every streamed trade reached the builder once");
    // The array form is the Binance one.
    const [k] = await client.getKlines("BTCUSDT", "1m", 1);
    assert.equal(k!.length, 7);
    assert.equal(k![6], k![0] + 59_999);
  } finally {
    off();
    feed.stop();
    await sim.control("resume");
  }
});

test("getQuote reads the REST top of book; bad limits and intervals are clear errors", async () => {
  const q = await client.getQuote("BTCUSDT");
  assert.equal(q.symbol, "BTCUSDT");
  assert.equal(q.source, "rest");
  assert.ok(q.bid !== null && q.ask !== null && Number(q.bid) < Number(q.ask));
  await assert.rejects(client.getKlines("BTCUSDT", "1m", 0), /limit must be an integer in 1..1000/);
  await assert.rejects(client.getKlines("BTCUSDT", "2m" as "1m", 5), /unsupported interval "2m"/);
});

function collect(fb: ReturnType<ExchangeClient["bboFallback"]>): { quotes: BboEvent[]; statuses: StatusEvent[] } {
  const quotes: BboEvent[] = [];
  const statuses: StatusEvent[] = [];
  fb.onBbo((q) => quotes.push(q));
  fb.onStatus((s) => statuses.push(s));
  return { quotes, statuses };
}

test("fallback: a silenced bbo stream is served from REST (source rest), then handed back to the stream", async () => {
  const fb = client.bboFallback(["BTCUSDT"], { staleAfterMs: 1200, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.some((q) => q.source !== "rest"), 5000, "a stream quote");
    await sim.control("silence", { channel: "bbo", seconds: 4 });
    await until(() => quotes.filter((q) => q.source === "rest").length >= 3, 8000, "three REST quotes");
    const stale = statuses.find((s) => s.state === "stale");
    assert.equal(stale?.channel, "bbo");
    assert.equal(stale?.market, "BTC-USD-PERP");
    assert.match(stale?.reason ?? "", /^rest_fallback/);
    for (const q of quotes.filter((x) => x.source === "rest")) {
      assert.equal(q.market, "BTC-USD-PERP");
      assert.ok(q.bid !== null && q.ask !== null && Number(q.bid) < Number(q.ask));
    }
    // With the market paused, a REST quote must be exactly the simulator's GET /bbo.
    await sim.control("pause");
    try {
      const wire = (await (await fetch(`${sim.restUrl}/bbo/BTC-USD-PERP`)).json()) as Record<string, string>;
      const n = quotes.length;
      await until(() => quotes.length > n + 1, 5000, "REST quotes while paused");
      const last = quotes.at(-1)!;
      assert.equal(last.source, "rest");
      assert.deepEqual(
        [last.bid, last.bid_size, last.ask, last.ask_size],
        [wire["bid"], wire["bid_size"], wire["ask"], wire["ask_size"]],
      );
    } finally {
      await sim.control("resume");
    }
    await until(() => statuses.some((s) => s.state === "live"), 10_000, "the stream back");
    const liveAt = quotes.length;
    await until(() => quotes.length > liveAt + 2, 5000, "quotes after recovery");
    assert.ok(
      quotes.slice(liveAt).every((q) => q.source === undefined || q.source === "ws"),
      `stream quotes after recovery: ${JSON.stringify({ statuses, tail: quotes.slice(liveAt - 3).map((q) => [q.source, q.seq, q.exchange_ts]) })}`,
    );
    assert.equal(statuses.at(-1)?.reason, "stream_recovered");
    assert.equal(fb.mode("BTC-USD-PERP"), "ws");
  } finally {
    fb.stop();
  }
});

test("fallback: a stream outage (down keep_rest) is served from REST equal to GET /bbo, then by the stream again", async () => {
  // staleAfterMs far above the test: the switch must come from the bridge's own disconnect status.
  const fb = client.bboFallback(["BTCUSDT"], { staleAfterMs: 60_000, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.some((q) => q.source !== "rest"), 5000, "a stream quote");
    await sim.control("down", { seconds: 4, keep_rest: true });
    await until(() => statuses.some((s) => s.state === "stale"), 5000, "the switch to REST");
    const stale = statuses.find((s) => s.state === "stale")!;
    assert.equal(stale.market, "BTC-USD-PERP");
    assert.match(stale.reason ?? "", /^rest_fallback: (disconnected|reconnecting)/);
    await until(() => quotes.filter((q) => q.source === "rest").length >= 2, 5000, "REST quotes during the outage");
    // Paused, so the book cannot move: the next REST quote must be exactly the simulator's GET /bbo.
    await sim.control("pause");
    try {
      const wire = (await (await fetch(`${sim.restUrl}/bbo/BTC-USD-PERP`)).json()) as Record<string, string>;
      const n = quotes.length;
      await until(() => quotes.length > n + 1, 5000, "REST quotes while paused");
      const last = quotes.at(-1)!;
      assert.equal(last.source, "rest");
      assert.equal(last.market, "BTC-USD-PERP");
      assert.deepEqual(
        [last.bid, last.bid_size, last.ask, last.ask_size],
        [wire["bid"], wire["bid_size"], wire["ask"], wire["ask_size"]],
      );
    } finally {
      await sim.control("resume");
    }
    await until(() => statuses.some((s) => s.state === "live"), 15_000, "the stream back after the outage");
    assert.equal(statuses.at(-1)?.reason, "stream_recovered");
    const liveAt = quotes.findIndex((q, i) => i > 0 && q.source !== "rest" && quotes[i - 1]!.source === "rest");
    await until(() => quotes.length > liveAt + 3, 5000, "stream quotes after recovery");
    assert.ok(
      quotes.slice(liveAt).every((q) => q.source !== "rest"),
      "no REST quote once the stream is back",
    );
    assert.equal(fb.mode("BTC-USD-PERP"), "ws");
    assert.equal(fb.stats().pollErrors, 0, "REST answered throughout the stream outage");
    assert.deepEqual(
      statuses.map((s) => s.state),
      ["stale", "live"],
    );
  } finally {
    fb.stop();
  }
});

test("fallback: with the whole simulator down, polls fail without inventing quotes; the stream comes back", async () => {
  const fb = client.bboFallback(["ETHUSDT"], { staleAfterMs: 800, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.length > 0, 5000, "a quote");
    await sim.control("down", { seconds: 2 });
    await until(() => statuses.some((s) => s.state === "stale"), 5000, "the switch to REST");
    await until(() => fb.stats().pollErrors > 0, 5000, "a failed poll while the venue is down");
    await until(() => statuses.some((s) => s.state === "live"), 20_000, "the stream back after the outage");
    const after = quotes.length;
    await until(() => quotes.length > after, 5000, "stream quotes after recovery");
    assert.equal(fb.mode("ETH-USD-PERP"), "ws");
  } finally {
    fb.stop();
  }
});

test("the sidecar's klines command agrees with the direct REST klines the toolkit reads", async () => {
  await sim.control("pause");
  try {
    const viaSidecar = await (client.venue as ParadexVenue).sidecar.command("klines", {
      market: "BTC-USD-PERP",
      resolution: "1m",
      limit: 5,
    });
    const direct = await client.getCandles("BTCUSDT", "1m", 5);
    const fromSidecar = fillGaps(candlesFromParadex(viaSidecar, "1m"), "1m");
    assert.deepEqual(ohlcv(fromSidecar.slice(-direct.length)), ohlcv(direct));
  } finally {
    await sim.control("resume");
  }
});

test("trading: balance, market order → position, limit order → cancel, leverage", async () => {
  const before = await client.getBalance();
  assert.equal(before.asset, "USDC");
  assert.ok(D.sign(before.balance) > 0 && D.sign(before.equity) > 0);

  const buy = await client.placeMarketOrder("ETHUSDT", "BUY", "0.5", { clientId: "tk-pdx-mkt-1" });
  assert.equal(buy.symbol, "ETHUSDT");
  assert.equal(buy.clientId, "tk-pdx-mkt-1");
  let eth: Position | undefined;
  for (let i = 0; i < 50 && eth === undefined; i++) {
    eth = (await client.getPositions()).find((p) => p.symbol === "ETHUSDT");
    if (eth === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(eth !== undefined, "the ETH position");
  assert.equal(eth.side, "long");
  assert.equal(eth.size, "0.5");
  assert.ok(eth.currentPrice !== null && D.sign(eth.entryPrice) > 0);

  const q = await client.getQuote("ETHUSDT");
  const far = D.canonical((Math.floor(Number(q.bid) * 0.97 * 100) / 100).toFixed(2));
  const limit = await client.placeLimitOrder("ETHUSDT", "BUY", "0.5", far, { clientId: "tk-pdx-lmt-1" });
  assert.ok(limit.orderId !== null);
  await client.cancelOrder("ETHUSDT", { orderId: limit.orderId });
  let open = true;
  for (let i = 0; i < 50 && open; i++) {
    open = (await client.venue.snapshot()).orders.some((o) => o.order_id === limit.orderId && o.status !== "CLOSED");
    if (open) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(open, false, "the limit order is no longer open");

  const after = await client.getBalance();
  assert.ok(after.marginUsed !== null && D.sign(after.marginUsed) > 0, "the position holds margin");
  await client.setLeverage("ETHUSDT", 5);
  await assert.rejects(client.setLeverage("ETHUSDT", 0), /leverage must be a positive number/);
  await assert.rejects(client.setLeverage("ETHUSDT", "2.5"), /whole number/);
});

test("health: rates, ages, lag and the reconnect of the outage, in one report", () => {
  const r = health.report().venues.paradex;
  assert.ok(r !== undefined);
  const bbo = r.channels["bbo"];
  assert.ok(bbo !== undefined && bbo.messages > 0);
  assert.ok(bbo.ratePerSec > 0, "bbo is flowing");
  assert.ok(bbo.lastMessageAgeMs !== null && bbo.lastMessageAgeMs < 5000);
  assert.ok(bbo.lagP50Us !== null && bbo.lagP50Us >= 0 && bbo.lagP99Us! >= bbo.lagP50Us);
  assert.ok(Object.keys(bbo.marketAgeMs).includes("BTC-USD-PERP"));
  assert.ok(r.channels["trades"]!.messages > 0);
  assert.ok(r.reconnects >= 1, `the outage shows as a reconnect (${JSON.stringify(r)})`);
});
