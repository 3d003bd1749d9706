/**
 * Benchmark of the kline builder: trades/s through all four intervals (exact decimal arithmetic included),
 * on a synthetic tape of one trade every 50 ms. Run: `npx tsx toolkit/bench/klines.ts [trades]`.
 */
import { KlineBuilder } from "../src/klines.ts";

const n = Number(process.argv[2] ?? 500_000);
const start = 1_700_000_000_000;
const tape = Array.from({ length: n }, (_, i) => ({
  trade_id: `t${i}`,
  price: (95_000 + ((i * 7919) % 2000) / 10).toFixed(1),
  size: ((1 + ((i * 104729) % 5000)) / 100_000).toFixed(5),
  exchange_ts: start + i * 50,
}));
const builder = new KlineBuilder({ market: "BTC-USD-PERP" });
let closed = 0;
builder.onClose(() => (closed += 1));
const t0 = process.hrtime.bigint();
for (const t of tape) builder.addTrade(t);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(
  JSON.stringify({
    trades: n,
    seconds: Number(seconds.toFixed(3)),
    trades_per_s: Math.round(n / seconds),
    us_per_trade: Number(((seconds * 1e6) / n).toFixed(2)),
    closed_candles: closed,
    node: process.version,
  }),
);
