/**
 * The toolkit against the real EdgeX simulator (a child process) through the native EdgeX client, configured
 * the way a deployment is: `EXCHANGE=edgex` and `EDGEX_*` variables.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { BboEvent, OrderEvent, PositionEvent, StatusEvent } from "../../bridge-ts/src/schema.ts";
import { until, within } from "../../bridge-ts/test/helpers/util.ts";
import type { ExchangeClient } from "../src/client.ts";
import * as D from "../src/decimal.ts";
import { exchangeFromEnv } from "../src/factory.ts";
import { HealthMonitor } from "../src/health.ts";
import { KlineBuilder, type Candle, type KlineArray, type TradeInput } from "../src/klines.ts";
import { LiveKlines } from "../src/live.ts";
import type { Balance } from "../src/types.ts";
import { SymbolMapper } from "../src/symbols.ts";
import type { EdgeXClient } from "../../edgex/src/client.ts";
import { TEST_EDGEX_ENV, startEdgexSim, type EdgexSimHandle } from "./helpers/edgex-sim.ts";

let sim: EdgexSimHandle;
let client: ExchangeClient;
const health = new HealthMonitor();
const orders: OrderEvent[] = [];
const positions: PositionEvent[] = [];

before(async () => {
  sim = await startEdgexSim(["--seed", "5", "--step-ms", "50"]);
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
  await assert.rejects(within(bad.connect(), 10_000, "connect"), /EDGEX_CONTRACTS: edgex does not list "DOGE" \(USD-quoted markets listed: BTCUSDC, ETHUSDC, SOLUSDC\)/);
  assert.throws(() => bad.symbols, /connect\(\) first/);
});

test("getKlines: the simulator's getKline, oldest first, Binance-shaped", async () => {
  const id = client.symbols.toVenueId("BTCUSDT");
  // Paused, so the open candle cannot move between the two reads.
  await sim.control("pause");
  let candles: Candle[];
  let arrays: KlineArray[];
  let wire: { dataList: Record<string, string>[] };
  try {
    candles = await client.getCandles("BTCUSDT", "1m", 5);
    arrays = await client.getKlines("BTCUSDT", "1m", 5);
    wire = (await raw(`/api/v2/public/quote/getKline?contractId=${id}&klineType=MINUTE_1&priceType=LAST_PRICE&size=5`)) as {
      dataList: Record<string, string>[];
    };
  } finally {
    await sim.control("resume");
  }
  assert.ok(wire.dataList.length > 0);
  for (const k of wire.dataList) {
    const c = candles.find((x) => x.openTime === Number(k["klineTime"]));
    assert.ok(c !== undefined, `candle ${k["klineTime"]} missing`);
    assert.deepEqual([c.open, c.high, c.low, c.close, c.volume], [k["open"], k["high"], k["low"], k["close"], k["size"]].map((v) => D.canonical(v!)));
    assert.equal(c.closeTime, c.openTime + 59_999);
  }
  const times = candles.map((c) => c.openTime);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.deepEqual(arrays, candles.map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime]));
});

test("klines from the EdgeX trade stream equal the candles of the trades the simulator sent", async () => {
  // The simulator's getKline aggregates its mid history, not trades (size "0"), so stream-built candles are
  // checked against the simulator's own record of the trade frames it sent instead.
  const market = client.symbols.toVenue("BTCUSDT");
  const id = client.symbols.toVenueId("BTCUSDT");
  const feed = new LiveKlines({ venue: client.venue, market, intervals: ["1m", "5m"], fetchHistory: async () => [], clockMs: 200 });
  const seen = new Set<string>();
  const off = client.venue.on("trade", (t) => {
    if (t.market === market) seen.add(t.trade_id);
  });
  await within(feed.start(), 10_000, "edgex kline feed");
  try {
    await until(() => seen.size >= 15, 20_000, "15 EdgeX trades");
    await sim.control("pause");
    const sentTrades = async (): Promise<TradeInput[]> => {
      const res = await fetch(`${sim.controlUrl}/sent?channel=trades.${id}&limit=5000`, { signal: AbortSignal.timeout(5000) });
      const records = ((await res.json()) as { records: { frame: string }[] }).records;
      return records.flatMap((r) => {
        const f = JSON.parse(r.frame) as { content?: { data?: Record<string, string>[] } };
        return (f.content?.data ?? []).map((d) => ({ trade_id: String(d["ticketId"]), price: d["price"]!, size: d["size"]!, exchange_ts: Number(d["time"]) }));
      });
    };
    const sent = await sentTrades();
    const last = sent.at(-1)!;
    await until(() => seen.has(last.trade_id), 5000, "the last sent trade on the stream");
    const reference = new KlineBuilder({ market, intervals: ["1m", "5m"] });
    for (const t of sent) reference.addTrade(t);
    for (const iv of ["1m", "5m"] as const) assert.deepEqual(feed.builder.candles(iv), reference.candles(iv), iv);
    assert.equal(feed.builder.counters().applied, sent.length);
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
  await until(() => positions.some((p) => p.market === "ETHUSDC" && D.cmp(p.size, "0.1") === 0), 10_000, "the ETH position");
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
    asset = (await venue.rest.get("/api/v2/private/account/getAccountAsset", { accountId: sim.accountId })) as typeof asset;
    later = await client.getBalance();
  } finally {
    await sim.control("resume");
  }
  assert.equal(D.canonical(asset.collateralAssetModelList[0]!.totalEquity), later.equity);
  assert.equal(D.sum(asset.positionAssetList.map((p) => p.unrealizePnl)), later.unrealizedPnl);

  await assert.rejects(client.placeLimitOrder("ETHUSDT", "BUY", "-1", far), /size must be a positive decimal string/);
  await assert.rejects(client.placeMarketOrder("ETHUSDT", "HOLD" as "BUY", "0.1"), /side must be BUY or SELL/);
});

test("setLeverage: updateLeverageSetting", { todo: "the EdgeX simulator has no updateLeverageSetting route yet" }, async () => {
  await client.setLeverage("ETHUSDT", 10);
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
    for (const q of quotes.filter((x) => x.source === "rest")) assert.ok(q.bid !== null && q.ask !== null && D.cmp(q.bid, q.ask) < 0);
    // With the market paused, a REST quote must be exactly the best levels of the simulator's getDepth.
    await sim.control("pause");
    try {
      const [rec] = (await raw(`/api/v2/public/quote/getDepth?contractId=${client.symbols.toVenueId("BTCUSDT")}&level=15`)) as {
        bids: unknown[];
        asks: unknown[];
      }[];
      const level = (l: unknown): [string, string] => (Array.isArray(l) ? [l[0], l[1]] : [(l as { price: string }).price, (l as { size: string }).size]);
      const bids = rec!.bids.map(level).filter(([, sz]) => !D.isZero(sz));
      const asks = rec!.asks.map(level).filter(([, sz]) => !D.isZero(sz));
      const bestBid = bids.reduce((a, b) => (D.cmp(b[0], a[0]) > 0 ? b : a));
      const bestAsk = asks.reduce((a, b) => (D.cmp(b[0], a[0]) < 0 ? b : a));
      const n = quotes.length;
      await until(() => quotes.length > n + 1, 5000, "REST quotes while paused");
      const last = quotes.at(-1)!;
      assert.equal(last.source, "rest");
      assert.deepEqual([last.bid, last.bid_size, last.ask, last.ask_size], [...bestBid, ...bestAsk].map((x) => D.canonical(x)));
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
