/**
 * The toolkit against the real EdgeX simulator (a child process) through the native EdgeX client, configured
 * the way a deployment is: `EXCHANGE=edgex` and `EDGEX_*` variables.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { BboEvent, OrderEvent, PositionEvent, StatusEvent } from "@paradex-edgex/core";
import { until, within } from "@paradex-edgex/dev/testing";
import type { ExchangeClient } from "../src/client.ts";
import * as D from "@paradex-edgex/core/decimal";
import { exchangeFromEnv } from "../src/factory.ts";
import { HealthMonitor } from "../src/health.ts";
import { INTERVALS, type Candle, type KlineArray } from "../src/klines.ts";
import type { Balance } from "../src/types.ts";
import { SymbolMapper } from "../src/symbols.ts";
import type { EdgeXClient } from "@paradex-edgex/edgex";
import { type EdgexSimHandle, TEST_EDGEX_ENV, startEdgex } from "@paradex-edgex/dev/sims";

let sim: EdgexSimHandle;
let client: ExchangeClient;
const health = new HealthMonitor();
const orders: OrderEvent[] = [];
const positions: PositionEvent[] = [];

before(async () => {
  sim = await startEdgex({ seed: 5, stepMs: 50, separateProcess: true });
  client = exchangeFromEnv({
    EXCHANGE: "edgex",
    EDGEX_REST_URL: sim.restUrl,
    EDGEX_QUOTE_WS_URL: sim.quoteWsUrl,
    EDGEX_PRIVATE_WS_URL: sim.privateWsUrl,
    EDGEX_CONTRACTS: "BTC,ETH",
    ...TEST_EDGEX_ENV,
  });
  health.attach("edgex", client.venue);
  client.venue.on("order", (o) => orders.push(o));
  client.venue.on("position", (p) => positions.push(p));
  await within(client.connect(), 20_000, "edgex connect");
});

after(async () => {
  await client?.close();
  await sim?.stop();
});

async function raw(path: string): Promise<unknown> {
  const res = await fetch(`${sim.restUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { code: string; data: unknown };
  assert.equal(body.code, "SUCCESS");
  return body.data;
}

test("symbols: every USD contract of getMetaData maps by name and id both ways; EDGEX_CONTRACTS selects", async () => {
  const listed = await client.venue.markets();
  const all = new SymbolMapper("edgex", listed);
  assert.ok(all.symbols().length >= 3);
  for (const m of listed) {
    const sym = all.fromVenue(m.market);
    assert.equal(all.fromVenue(m.venueId!), sym);
    assert.equal(all.toVenue(sym), m.market);
    assert.equal(all.toVenueId(sym), m.venueId);
  }
  assert.deepEqual(client.symbols.symbols(), ["BTCUSDT", "ETHUSDT"]);
});

test("connect() refuses an EDGEX_CONTRACTS entry the venue does not list, naming what it lists", async () => {
  const bad = exchangeFromEnv({
    EXCHANGE: "edgex",
    EDGEX_REST_URL: sim.restUrl,
    EDGEX_QUOTE_WS_URL: sim.quoteWsUrl,
    EDGEX_CONTRACTS: "BTC,DOGE",
  });
  await assert.rejects(
    within(bad.connect(), 10_000, "connect"),
    /EDGEX_CONTRACTS: edgex does not list "DOGE" \(USD-quoted markets listed: BTCUSDC, ETHUSDC, SOLUSDC\)/,
  );
  assert.throws(() => bad.symbols, /connect\(\) first/);
});

test("getKlines: the simulator's getKline, oldest first, Binance-shaped", async () => {
  const id = client.symbols.toVenueId("BTCUSDT");
  const path = `/api/v2/public/quote/getKline?contractId=${id}&klineType=MINUTE_1&priceType=LAST_PRICE&size=5`;
  // LAST_PRICE candles exist once something traded.
  for (const end = Date.now() + 10_000; ((await raw(path)) as { dataList: unknown[] }).dataList.length === 0; ) {
    if (Date.now() > end) throw new Error("no traded candle within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  // Paused, so the open candle cannot move between the two reads.
  await sim.control("pause");
  let candles: Candle[];
  let arrays: KlineArray[];
  let wire: { dataList: Record<string, string>[] };
  try {
    candles = await client.getCandles("BTCUSDT", "1m", 5);
    arrays = await client.getKlines("BTCUSDT", "1m", 5);
    wire = (await raw(path)) as { dataList: Record<string, string>[] };
  } finally {
    await sim.control("resume");
  }
  assert.ok(wire.dataList.length > 0);
  for (const k of wire.dataList) {
    const c = candles.find((x) => x.openTime === Number(k["klineTime"]));
    assert.ok(c !== undefined, `candle ${k["klineTime"]} missing`);
    assert.deepEqual(
      [c.open, c.high, c.low, c.close, c.volume],
      [k["open"], k["high"], k["low"], k["close"], k["size"]].map((v) => D.canonical(v!)),
    );
    assert.equal(c.closeTime, c.openTime + 59_999);
    assert.equal(c.trades, Number(k["trades"]));
  }
  const times = candles.map((c) => c.openTime);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.deepEqual(
    arrays,
    candles.map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime]),
  );
});

/** Candles compared without the trade count (a candle seeded from REST carries none). */
const ohlcv = (cs: Candle[]): Omit<Candle, "trades">[] => cs.map(({ trades: _t, ...rest }) => rest);

test("klines: the stream-built candles equal the simulator's getKline for every interval", async () => {
  // Seed while the market is paused, so no trade can fall between the REST history and the stream.
  const market = client.symbols.toVenue("BTCUSDT");
  const id = client.symbols.toVenueId("BTCUSDT");
  await sim.control("pause");
  const feed = client.klineFeed("BTCUSDT", { clockMs: 200 });
  const seen = new Set<string>();
  const off = client.venue.on("trade", (t) => {
    if (t.market === market) seen.add(t.trade_id);
  });
  try {
    await within(feed.start(), 10_000, "edgex kline feed start");
    await sim.control("resume");
    await until(() => seen.size >= 30, 20_000, "30 live EdgeX trades");
    await sim.control("pause");
    // The newest print, from the simulator's record of the trade frames it sent.
    const res = await fetch(`${sim.controlUrl}/sent?channel=trades.${id}&limit=1`, {
      signal: AbortSignal.timeout(5000),
    });
    const [record] = ((await res.json()) as { records: { frame: string }[] }).records;
    const frame = JSON.parse(record!.frame) as { content: { data: { ticketId: string }[] } };
    const newest = String(frame.content.data.at(-1)!.ticketId);
    await until(() => seen.has(newest), 5000, "the newest trade on the stream");
    for (const iv of INTERVALS) {
      const rest = await client.getCandles("BTCUSDT", iv, 50);
      const built = feed.builder.candles(iv, 50);
      assert.ok(rest.length > 0 && D.sign(rest.at(-1)!.volume) > 0, `${iv}: REST has traded candles`);
      assert.deepEqual(ohlcv(built), ohlcv(rest), `${iv}: builder ≠ getKline`);
    }
    const n = feed.builder.counters();
    assert.equal(n.duplicate + n.invalid + n.late["1m"], 0);
    assert.equal(n.applied, seen.size, "every streamed trade reached the builder once");
  } finally {
    off();
    feed.stop();
    await sim.control("resume");
  }
});

test("getQuote: REST top of book from getDepth, tagged rest", async () => {
  const q = await client.getQuote("ETHUSDT");
  assert.equal(q.symbol, "ETHUSDT");
  assert.equal(q.source, "rest");
  assert.ok(q.bid !== null && q.ask !== null && D.cmp(q.bid, q.ask) < 0);
});

test("orders, positions and balance: market buy → position; limit → cancel; balance matches getAccountAsset", async () => {
  const before = await client.getBalance();
  assert.equal(before.asset, "USDC");
  assert.ok(D.sign(before.equity) > 0);

  const buy = await client.placeMarketOrder("ETHUSDT", "BUY", "0.1", { clientId: "tk-mkt-1" });
  assert.equal(buy.symbol, "ETHUSDT");
  assert.equal(buy.clientId, "tk-mkt-1");
  assert.ok(buy.orderId !== null);
  await until(
    () => positions.some((p) => p.market === "ETHUSDC" && D.cmp(p.size, "0.1") === 0),
    10_000,
    "the ETH position",
  );
  const held = await client.getPositions();
  const eth = held.find((p) => p.symbol === "ETHUSDT");
  assert.ok(eth !== undefined, JSON.stringify(held));
  assert.equal(eth.side, "long");
  assert.equal(eth.size, "0.1");
  assert.ok(eth.currentPrice !== null && D.sign(eth.currentPrice) > 0);
  assert.ok(D.sign(eth.entryPrice) > 0);

  const q = await client.getQuote("ETHUSDT");
  const far = D.canonical((Math.floor(Number(q.bid) * 0.97 * 100) / 100).toFixed(2));
  const limit = await client.placeLimitOrder("ETHUSDT", "BUY", "0.1", far, { clientId: "tk-lmt-1", tif: "GTC" });
  assert.ok(limit.orderId !== null);
  await client.cancelOrder("ETHUSDT", { orderId: limit.orderId });
  await until(
    () => orders.some((o) => o.order_id === limit.orderId && o.status === "CLOSED" && o.cancel_reason !== null),
    10_000,
    `the cancel confirmed on the stream: ${limit.orderId} in ${JSON.stringify(orders.map((o) => [o.order_id, o.status]))}`,
  );

  const bal = await client.getBalance();
  assert.ok(bal.marginUsed !== null && D.sign(bal.marginUsed) > 0, "the ETH position holds margin");
  assert.equal(D.add(bal.balance, bal.unrealizedPnl), bal.equity, "equity = balance + unrealized PnL");
  // Against the venue's own numbers, read separately: totalEquity and Σ unrealizePnl of getAccountAsset.
  // Paused, so the oracle price cannot move between the two reads.
  const venue = client.venue as EdgeXClient;
  await sim.control("pause");
  let asset: { collateralAssetModelList: { totalEquity: string }[]; positionAssetList: { unrealizePnl: string }[] };
  let later: Balance;
  try {
    asset = (await venue.rest.get("/api/v2/private/account/getAccountAsset", {
      accountId: sim.accountId,
    })) as typeof asset;
    later = await client.getBalance();
  } finally {
    await sim.control("resume");
  }
  assert.equal(D.canonical(asset.collateralAssetModelList[0]!.totalEquity), later.equity);
  assert.equal(D.sum(asset.positionAssetList.map((p) => p.unrealizePnl)), later.unrealizedPnl);

  await assert.rejects(client.placeLimitOrder("ETHUSDT", "BUY", "-1", far), /size must be a positive decimal string/);
  await assert.rejects(client.placeMarketOrder("ETHUSDT", "HOLD" as "BUY", "0.1"), /side must be BUY or SELL/);
});

test("setLeverage: updateLeverageSetting changes the margin the venue holds for the position", async () => {
  // The ETH position of the test above holds notional ÷ leverage of initial margin: halving the leverage adds
  // exactly notional ÷ 10 when going from 10 to 5. Paused, so the oracle price cannot move between reads.
  const eth = client.symbols.toVenueId("ETHUSDT");
  const venue = client.venue as EdgeXClient;
  await sim.control("pause");
  try {
    await client.setLeverage("ETHUSDT", 10);
    const at10 = await client.getBalance();
    await client.setLeverage("ETHUSDT", "5");
    const at5 = await client.getBalance();
    const asset = (await venue.rest.get("/api/v2/private/account/getAccountAsset", { accountId: sim.accountId })) as {
      positionAssetList: { contractId: string; positionValue: string }[];
    };
    const notional = D.abs(asset.positionAssetList.find((p) => String(p.contractId) === eth)!.positionValue);
    assert.ok(D.sign(notional) > 0, "the ETH position is open");
    assert.equal(D.sub(at5.marginUsed!, at10.marginUsed!), D.div(notional, "10", 8));
  } finally {
    await sim.control("resume");
  }
  await assert.rejects(client.setLeverage("ETHUSDT", 0), /leverage must be a positive number/);
  await assert.rejects(client.setLeverage("ETHUSDT", 500), /INVALID_LEVERAGE/, "the venue's own refusal comes through");
});

function collect(fb: ReturnType<ExchangeClient["bboFallback"]>): { quotes: BboEvent[]; statuses: StatusEvent[] } {
  const quotes: BboEvent[] = [];
  const statuses: StatusEvent[] = [];
  fb.onBbo((q) => quotes.push(q));
  fb.onStatus((s) => statuses.push(s));
  return { quotes, statuses };
}

test("fallback: a silenced depth stream is served from REST (source rest), then handed back to the stream", async () => {
  await client.venue.subscribe("bbo", client.symbols.toVenue("BTCUSDT"));
  const fb = client.bboFallback(["BTCUSDT"], { staleAfterMs: 1200, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.some((q) => q.source !== "rest"), 5000, "a stream quote");
    await sim.control("silence", { channel: "bbo", seconds: 4 });
    await until(() => quotes.filter((q) => q.source === "rest").length >= 3, 8000, "three REST quotes");
    const stale = statuses.find((s) => s.state === "stale");
    assert.equal(stale?.market, "BTCUSDC");
    for (const q of quotes.filter((x) => x.source === "rest"))
      assert.ok(q.bid !== null && q.ask !== null && D.cmp(q.bid, q.ask) < 0);
    // With the market paused, a REST quote must be exactly the best levels of the simulator's getDepth.
    await sim.control("pause");
    try {
      const top = await restTopOfBook(client.symbols.toVenueId("BTCUSDT"));
      const n = quotes.length;
      await until(() => quotes.length > n + 1, 5000, "REST quotes while paused");
      const last = quotes.at(-1)!;
      assert.equal(last.source, "rest");
      assert.deepEqual([last.bid, last.bid_size, last.ask, last.ask_size], top);
    } finally {
      await sim.control("resume");
    }
    await until(() => statuses.some((s) => s.state === "live"), 10_000, "the stream back");
    assert.equal(statuses.at(-1)?.reason, "stream_recovered");
    assert.equal(fb.mode("BTCUSDC"), "ws");
  } finally {
    fb.stop();
  }
});

/** The best levels of the simulator's getDepth, canonical: what a REST fallback quote must carry. */
async function restTopOfBook(contractId: string): Promise<string[]> {
  const [rec] = (await raw(`/api/v2/public/quote/getDepth?contractId=${contractId}&level=15`)) as {
    bids: unknown[];
    asks: unknown[];
  }[];
  const level = (l: unknown): [string, string] =>
    Array.isArray(l) ? [String(l[0]), String(l[1])] : [(l as { price: string }).price, (l as { size: string }).size];
  const bids = rec!.bids.map(level).filter(([, sz]) => !D.isZero(sz));
  const asks = rec!.asks.map(level).filter(([, sz]) => !D.isZero(sz));
  const bestBid = bids.reduce((a, b) => (D.cmp(b[0], a[0]) > 0 ? b : a));
  const bestAsk = asks.reduce((a, b) => (D.cmp(b[0], a[0]) < 0 ? b : a));
  return [...bestBid, ...bestAsk].map((x) => D.canonical(x));
}

test("fallback: a stream outage (down keep_rest) is served from REST equal to getDepth, then by the stream again", async () => {
  const market = client.symbols.toVenue("BTCUSDT");
  await client.venue.subscribe("bbo", market);
  // staleAfterMs far above the test: the switch must come from the client's own disconnect status.
  const fb = client.bboFallback(["BTCUSDT"], { staleAfterMs: 60_000, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.some((q) => q.source !== "rest"), 5000, "a stream quote");
    await sim.control("down", { seconds: 4, keep_rest: true });
    await until(() => statuses.some((s) => s.state === "stale"), 5000, "the switch to REST");
    const stale = statuses.find((s) => s.state === "stale")!;
    assert.equal(stale.market, market);
    assert.match(stale.reason ?? "", /^rest_fallback: (disconnected|reconnecting)/);
    await until(() => quotes.filter((q) => q.source === "rest").length >= 2, 5000, "REST quotes during the outage");
    // Paused, so the book cannot move: the next REST quote must be exactly getDepth's best levels.
    await sim.control("pause");
    try {
      const top = await restTopOfBook(client.symbols.toVenueId("BTCUSDT"));
      const n = quotes.length;
      await until(() => quotes.length > n + 1, 5000, "REST quotes while paused");
      const last = quotes.at(-1)!;
      assert.equal(last.source, "rest");
      assert.equal(last.market, market);
      assert.deepEqual([last.bid, last.bid_size, last.ask, last.ask_size], top);
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
    assert.equal(fb.mode(market), "ws");
    assert.equal(fb.stats().pollErrors, 0, "REST answered throughout the stream outage");
    assert.deepEqual(
      statuses.map((s) => s.state),
      ["stale", "live"],
    );
  } finally {
    fb.stop();
  }
});

test("fallback: with the simulator down, polls fail without inventing quotes; the stream comes back", async () => {
  await client.venue.subscribe("bbo", client.symbols.toVenue("ETHUSDT"));
  const fb = client.bboFallback(["ETHUSDT"], { staleAfterMs: 1200, pollIntervalMs: 100 });
  const { quotes, statuses } = collect(fb);
  fb.start();
  try {
    await until(() => quotes.length > 0, 5000, "a quote");
    await sim.control("down", { seconds: 2 });
    await until(() => statuses.some((s) => s.state === "stale"), 5000, "the switch to REST");
    await until(() => fb.stats().pollErrors > 0, 5000, "a failed poll while the venue is down");
    assert.equal(quotes.filter((q) => q.source === "rest").length, 0, "no quote while REST is down too");
    await until(() => statuses.some((s) => s.state === "live"), 20_000, "the stream back after the outage");
  } finally {
    fb.stop();
  }
});

test("health: per-channel rates, ages, lag and the outage's reconnect", () => {
  const r = health.report().venues.edgex;
  assert.ok(r !== undefined);
  const bbo = r.channels["bbo"]!;
  assert.ok(bbo.messages > 0 && bbo.lagP50Us !== null);
  assert.ok(r.reconnects >= 1, JSON.stringify(r));
});
