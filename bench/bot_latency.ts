/**
 * Bench: time from a triggering quote event reaching the bot to both IOC orders being handed to the venues.
 *
 * `npm run --silent tsx -- bench/bot_latency.ts [--n 2000] [--journal-sync after|strict] [--no-fsync]`. In-process fake venues
 * (no sockets) so the figure is the bot's own cost: quote merge, two-direction book walk, guards, the
 * write-ahead journal (one write; fdatasync after the dispatch by default, before it with `strict`, never
 * with --no-fsync), clientIds and both `place()` calls. The spread is opened by
 * the triggering event and closed again after each arbitrage, alternating direction so positions stay flat.
 * Writes bench/results/bot_latency_<mode>.json.
 *
 * `--sims SECONDS` instead runs the bot LIVE against both simulators (generated dislocating price paths,
 * Paradex through the sidecar with a throwaway simulator account, EdgeX native with the simulator's test
 * account) and reports the bot's own measurements: listener entry → both `place()` issued, and the venue
 * client's frame receipt (`recv_us`) → both `place()` issued. Writes bench/results/bot_latency_sims.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ArbBot } from "@paradex-edgex/bot/bot";
import { loadConfig } from "@paradex-edgex/bot/config";
import { FakeVenue, meta } from "@paradex-edgex/bot/test/fake-venue";
import { writePaths } from "@paradex-edgex/dev/pricepath";
import { startEdgex, startParadexSim } from "@paradex-edgex/dev/sims";
import { ParadexVenue } from "@paradex-edgex/paradex";
import { silentLogger } from "@paradex-edgex/paradex";
import { EdgeXClient } from "@paradex-edgex/edgex";
import { DEV_ACCOUNT, DEV_SIGNER_KEY } from "@paradex-edgex/edgex-sim";

const { values } = parseArgs({
  options: {
    n: { type: "string" },
    "no-fsync": { type: "boolean" },
    "journal-sync": { type: "string" },
    dir: { type: "string" },
    sims: { type: "string" },
  },
});
const N = Number(values.n ?? 2000);
const durable = values["no-fsync"] !== true;
const mode = values["journal-sync"] ?? "after";

async function main(): Promise<void> {
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bot-bench-"));
  const p = new FakeVenue("paradex", [meta("BTC-USD-PERP", "BTC", { stepSize: "0.0001", minSize: "0.0001" })]);
  const e = new FakeVenue("edgex", [meta("BTCUSDC", "BTC", { takerFeeRate: "0.00038", quote: "USDC" })]);
  const cfg = loadConfig(
    [
      "--markets",
      "BTC",
      "--size",
      "0.01",
      "--max-position",
      "1",
      "--journal",
      join(dir, "journal.jsonl"),
      "--cooldown-ms",
      "0",
      "--max-consecutive-failures",
      "1000000",
      "--reconcile-interval-ms",
      "3600000",
      "--journal-sync",
      mode,
    ],
    {},
  );
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
  const result = {
    n: xs.length,
    fsync: durable,
    journal_sync: mode,
    p50_us: pct(0.5),
    p90_us: pct(0.9),
    p99_us: pct(0.99),
    max_us: pct(1),
    arbs: s.arbs,
    node: process.version,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`bench/results/bot_latency_${durable ? mode : "nofsync"}.json`, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function sims(seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bot-bench-sims-"));
  const paths = writePaths(dir, { seed: 5, seconds: seconds + 60 });
  const psim = await startParadexSim({ seed: 5, pricePath: paths.paradex, bboRate: 10 });
  const esim = await startEdgex({ seed: 5, pricePath: paths.edgex });
  const cfg = loadConfig(
    [
      "--live",
      "--journal",
      join(dir, "journal.jsonl"),
      "--journal-sync",
      mode,
      "--max-consecutive-failures",
      "1000",
      "--reconcile-interval-ms",
      "3600000",
    ],
    {},
  );
  const paradex = new ParadexVenue({
    network: "sim",
    wsUrl: psim.wsUrl,
    restUrl: psim.restUrl,
    channels: ["bbo", "book", "orders", "fills", "positions", "account"],
    extraArgs: ["--log-level", "WARNING"],
    logger: silentLogger,
  });
  const edgex = new EdgeXClient({
    restUrl: esim.restUrl,
    quoteWsUrl: esim.quoteWsUrl,
    privateWsUrl: esim.privateWsUrl,
    credentials: {
      accountId: DEV_ACCOUNT.accountId,
      api: { apiKey: DEV_ACCOUNT.apiKey, apiSecret: DEV_ACCOUNT.apiSecret, passphrase: DEV_ACCOUNT.passphrase },
      signerKey: DEV_SIGNER_KEY,
    },
  });
  // How much of the path is the venue clients' own synchronous work inside place() (signing, framing)?
  const syncUs: Record<string, number[]> = { paradex: [], edgex: [] };
  for (const v of [paradex, edgex] as const) {
    const place = v.place.bind(v);
    v.place = (o) => {
      const t = performance.now();
      const p = place(o);
      syncUs[v.name]?.push(Math.round((performance.now() - t) * 1000));
      return p;
    };
  }
  const bot = new ArbBot({ cfg, venues: { paradex, edgex }, log: () => {} });
  await bot.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = await bot.stop();
  await Promise.allSettled([psim.stop(), esim.stop()]);
  const med = (xs: number[]): number | null =>
    xs.length === 0 ? null : ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null);
  const result = {
    mode: "sims-live",
    seconds,
    journal_sync: mode,
    ...s.latencyUs,
    place_sync_p50_us: { paradex: med(syncUs["paradex"] ?? []), edgex: med(syncUs["edgex"] ?? []) },
    arbs: s.arbs,
    node: process.version,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/bot_latency_sims.json", `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

(values.sims !== undefined ? sims(Number(values.sims)) : main()).catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
