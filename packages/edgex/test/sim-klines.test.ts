/**
 * The simulator's `getKline`: LAST_PRICE candles are the aggregate of the public trades it printed (OHLC, count,
 * base and quote volume, the maker-buy part), checked against the trades a client received on `trades.{id}`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TradeEvent } from "@paradex-edgex/core";
import type { EdgeXClient } from "../src/client.ts";
import { add, canonical, cmp, mul } from "@paradex-edgex/core/decimal";
import { FAST_SIM, Recorder, clientFor, startEdgexSim, until, type EdgexSim } from "./helpers.ts";

const T = { timeout: 30_000 };
const BTC = "30000001";

type Row = Record<string, string>;

async function getKline(sim: EdgexSim, query: string): Promise<{ code: string; data: { dataList: Row[] } }> {
  const res = await fetch(`${sim.restUrl}/api/v2/public/quote/getKline?${query}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as { code: string; data: { dataList: Row[] } };
}

/** The candle fields a LAST_PRICE kline must carry for these trades, by hand, newest period first. */
function expectedCandles(trades: readonly TradeEvent[], spanMs: number): Row[] {
  const byStart = new Map<number, TradeEvent[]>();
  for (const t of trades) {
    const start = Math.floor(t.exchange_ts / spanMs) * spanMs;
    byStart.set(start, [...(byStart.get(start) ?? []), t]);
  }
  return [...byStart]
    .sort((a, b) => b[0] - a[0])
    .map(([start, ts]) => {
      const makerBuys = ts.filter((t) => t.side === "SELL"); // a SELL aggressor means the buyer was the maker
      const sum = (xs: readonly TradeEvent[], f: (t: TradeEvent) => string): string =>
        xs.reduce((acc, t) => add(acc, f(t)), "0");
      return {
        klineTime: String(start),
        open: ts[0]!.price,
        high: ts.map((t) => t.price).reduce((a, b) => (cmp(a, b) >= 0 ? a : b)),
        low: ts.map((t) => t.price).reduce((a, b) => (cmp(a, b) <= 0 ? a : b)),
        close: ts.at(-1)!.price,
        trades: String(ts.length),
        size: sum(ts, (t) => t.size),
        value: sum(ts, (t) => mul(t.price, t.size)),
        makerBuySize: sum(makerBuys, (t) => t.size),
        makerBuyValue: sum(makerBuys, (t) => mul(t.price, t.size)),
      };
    });
}

/** The compared fields of wire rows, decimals canonical. */
function pick(rows: readonly Row[]): Row[] {
  return rows.map((r) => ({
    klineTime: r["klineTime"]!,
    ...Object.fromEntries(
      ["open", "high", "low", "close", "trades", "size", "value", "makerBuySize", "makerBuyValue"].map((k) => [
        k,
        canonical(r[k]!),
      ]),
    ),
  }));
}

describe("EdgeX simulator klines", T, () => {
  let sim: EdgexSim;
  let client: EdgeXClient;
  let rec: Recorder;

  before(async () => {
    // No synthetic trades: every print on the tape comes from the orders below, all seen by the recorder.
    sim = await startEdgexSim({ ...FAST_SIM, tradeProbability: 0 });
    client = clientFor(sim);
    rec = new Recorder(client);
    await client.connect();
    await client.subscribe("trades", "BTC-USD-PERP");
    // The simulator publishes trades only to subscribed sessions: wait for its acknowledgement.
    await rec.waitFor("status", (s) => s.state === "subscribed" && s.channel === "trades", {
      label: "trades subscribed",
    });
  });

  after(async () => {
    await client.close();
    await sim.stop();
  });

  it("LAST_PRICE candles aggregate the trade tape: OHLC, count, size, value, maker-buy part", async () => {
    const legs: [string, "BUY" | "SELL", string][] = [
      ["k-1", "BUY", "0.05"],
      ["k-2", "SELL", "0.02"],
      ["k-3", "SELL", "0.04"],
      ["k-4", "BUY", "0.01"],
    ];
    for (const [clientId, side, size] of legs) {
      await client.place({ market: "BTC", side, type: "MARKET", size, clientId });
      await rec.waitFor("order", (o) => o.client_id === clientId && o.status === "CLOSED", {
        label: `${clientId} closed`,
      });
    }
    const tape = (): TradeEvent[] => rec.of("trade").filter((t) => t.market === "BTCUSDC");
    const filled = ["0.05", "0.02", "0.04", "0.01"].reduce(add, "0");
    await until(
      () =>
        cmp(
          tape().reduce((a, t) => add(a, t.size), "0"),
          filled,
        ) === 0,
      5_000,
      "every print on the trades stream",
    );
    assert.ok(tape().length >= legs.length);
    for (const [klineType, span] of [
      ["MINUTE_1", 60_000],
      ["HOUR_1", 3_600_000],
    ] as const) {
      const wire = await getKline(sim, `contractId=${BTC}&klineType=${klineType}&priceType=LAST_PRICE&size=10`);
      assert.equal(wire.code, "SUCCESS");
      assert.deepEqual(pick(wire.data.dataList), expectedCandles(tape(), span), klineType);
      for (const r of wire.data.dataList) assert.equal(r["priceType"], "LAST_PRICE");
    }
  });

  it("size and the time filters select candles; the oracle price types trade nothing", async () => {
    const all = (await getKline(sim, `contractId=${BTC}&klineType=MINUTE_1&size=1000`)).data.dataList;
    assert.ok(all.length >= 1);
    const newest = all[0]!;
    assert.deepEqual((await getKline(sim, `contractId=${BTC}&klineType=MINUTE_1&size=1`)).data.dataList, [newest]);
    const t = Number(newest["klineTime"]);
    const none = await getKline(
      sim,
      `contractId=${BTC}&klineType=MINUTE_1&filterBeginKlineTimeInclusive=${t + 60_000}`,
    );
    assert.deepEqual(none.data.dataList, []);
    const mark = (await getKline(sim, `contractId=${BTC}&klineType=MINUTE_1&priceType=MARK_PRICE&size=5`)).data
      .dataList;
    assert.ok(mark.length >= 1);
    for (const r of mark) assert.deepEqual([r["size"], r["trades"], r["priceType"]], ["0", "0", "MARK_PRICE"]);
  });

  it("bad parameters are INVALID_PARAMETER", async () => {
    for (const q of [
      "klineType=MINUTE_2",
      "priceType=BEST_PRICE",
      "size=0",
      "size=abc",
      "filterBeginKlineTimeInclusive=-5",
    ]) {
      const r = await getKline(sim, `contractId=${BTC}&${q}`);
      assert.equal(r.code, "INVALID_PARAMETER", q);
    }
  });
});
