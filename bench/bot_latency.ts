/**
 * Bench: time from a triggering quote event reaching the bot to both IOC orders being handed to the venues.
 *
 * `npx tsx bench/bot_latency.ts [--n 2000] [--journal-sync after|strict] [--no-fsync]`. In-process fake venues
 * (no sockets) so the figure is the bot's own cost: quote merge, two-direction book walk, guards, the
 * write-ahead journal (one write; fdatasync after the dispatch by default, before it with `strict`, never
 * with --no-fsync), clientIds and both `place()` calls. The spread is opened by
 * the triggering event and closed again after each arbitrage, alternating direction so positions stay flat.
 * Writes bench/results/bot_latency.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ArbBot } from "../bots/src/bot.ts";
import { loadConfig } from "../bots/src/config.ts";
import { FakeVenue, meta } from "../bots/test/fake-venue.ts";

const { values } = parseArgs({ options: { n: { type: "string" }, "no-fsync": { type: "boolean" }, "journal-sync": { type: "string" }, dir: { type: "string" } } });
const N = Number(values.n ?? 2000);
const durable = values["no-fsync"] !== true;
const mode = values["journal-sync"] ?? "after";

async function main(): Promise<void> {
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bot-bench-"));
  const p = new FakeVenue("paradex", [meta("BTC-USD-PERP", "BTC", { stepSize: "0.0001", minSize: "0.0001" })]);
  const e = new FakeVenue("edgex", [meta("BTCUSDC", "BTC", { takerFeeRate: "0.00038", quote: "USDC" })]);
  const cfg = loadConfig(["--markets", "BTC", "--size", "0.01", "--max-position", "1", "--journal", join(dir, "journal.jsonl"), "--cooldown-ms", "0", "--max-consecutive-failures", "1000000", "--reconcile-interval-ms", "3600000", "--journal-sync", mode], {});
  let done: (() => void) | null = null;
  const bot = new ArbBot({
    cfg,
    venues: { paradex: p, edgex: e },
    log: (ev) => {
      if (ev === "arb_done") done?.();
    },
    durableJournal: durable,
  });
  await bot.start();
  const lv = (px: number): [string, string] => [px.toFixed(1), "5"];
  const flat = (): void => {
    p.setBook("BTC-USD-PERP", [lv(64999.9), lv(64990)], [lv(65000.1), lv(65010)]);
    e.setBook("BTCUSDC", [lv(64999.9), lv(64990)], [lv(65000.1), lv(65010)]);
  };
  flat();
  for (let i = 0; i < N; i++) {
    const settled = new Promise<void>((r) => (done = r));
    // The triggering event: EdgeX moves 20 bps away (alternating sides), Paradex stays.
    const m = i % 2 === 0 ? 65130 : 64870;
    e.setBook("BTCUSDC", [lv(m - 0.1), lv(m - 10)], [lv(m + 0.1), lv(m + 10)]);
    await settled;
    flat();
  }
  const s = bot.status();
  await bot.stop();
  const xs = bot.latencyMs.values().sort((a, b) => a - b);
  const pct = (q: number): number => Math.round((xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0) * 1000);
  const result = { n: xs.length, fsync: durable, journal_sync: mode, p50_us: pct(0.5), p90_us: pct(0.9), p99_us: pct(0.99), max_us: pct(1), arbs: s.arbs, node: process.version };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`bench/results/bot_latency_${durable ? mode : "nofsync"}.json`, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
