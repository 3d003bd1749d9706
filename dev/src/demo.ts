/**
 * @module demo — `make demo`: both simulators on one seeded reference price path, the Paradex sidecar through
 * the bridge, the EdgeX client, and the bot in paper mode, taking the dislocations as they open and close.
 *
 * `npm run demo -- [--seed N] [--keep-files] [bot flags…]`. The price paths (one reference walk, one file per
 * venue with its own dislocations; see pricepath.ts) and a fresh journal go to a temp directory that is removed
 * at exit unless `--keep-files` (then its path is printed at exit). Extra flags go to the bot (e.g.
 * `--run-seconds 60`, `--json`), checked before the simulators start. Ctrl-C stops everything.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, helpText, loadConfig } from "@paradex-edgex/bot/config";
import { run } from "@paradex-edgex/bot/main";
import { writePaths } from "./pricepath.ts";
import { startEdgex, startParadexSim } from "./sims.ts";

/** Placeholder endpoints: lets the bot's own parser check the user's flags before anything is started. */
const PROBE_URLS = [
  "--paradex-ws",
  "ws://127.0.0.1:1/ws/v1",
  "--paradex-rest",
  "http://127.0.0.1:1/v1",
  "--edgex-rest",
  "http://127.0.0.1:1",
  "--edgex-ws",
  "ws://127.0.0.1:1",
  "--edgex-private-ws",
  "ws://127.0.0.1:1",
];

async function demo(argv: string[]): Promise<number> {
  let seed = 7;
  const i = argv.indexOf("--seed");
  if (i >= 0) {
    seed = Number(argv[i + 1]);
    argv.splice(i, 2);
    if (!Number.isInteger(seed)) {
      process.stderr.write("demo: --seed needs an integer\n");
      return 2;
    }
  }
  const k = argv.indexOf("--keep-files");
  const keep = k >= 0;
  if (keep) argv.splice(k, 1);
  if (argv.includes("--live")) {
    process.stderr.write("demo: the demo runs in paper mode only; drop --live\n");
    return 2;
  }
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`Usage: make demo DEMO_ARGS="[--seed N] [--keep-files] [bot flags…]"\n\n${helpText()}\n`);
    return 0;
  }
  // Refuse bad flags before two simulators are started for nothing.
  try {
    loadConfig([...PROBE_URLS, ...argv], { ...process.env, BOT_LIVE: "false" });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`demo: ${err.message}\n(see make demo DEMO_ARGS=--help)\n`);
      return 2;
    }
    throw err;
  }
  process.stderr.write(`demo: starting the Paradex and EdgeX simulators (seed ${seed})…\n`);
  const dir = mkdtempSync(join(tmpdir(), "arb-demo-"));
  const journal = join(dir, "journal.jsonl");
  try {
    const paths = writePaths(dir, { seed, seconds: 3600 });
    const [paradex, edgex] = await Promise.all([
      startParadexSim({ seed, pricePath: paths.paradex, bboRate: 10 }),
      startEdgex({ seed, pricePath: paths.edgex }),
    ]);
    const args = [
      "--paradex-ws",
      paradex.wsUrl,
      "--paradex-rest",
      paradex.restUrl,
      "--edgex-rest",
      edgex.restUrl,
      "--edgex-ws",
      edgex.quoteWsUrl,
      "--edgex-private-ws",
      edgex.privateWsUrl,
      "--journal",
      journal,
      ...argv,
    ];
    try {
      // BOT_* settings from the environment apply, except that the demo never trades for real.
      const env: Record<string, string | undefined> = { ...process.env, BOT_LIVE: "false" };
      return await run({ argv: args, env, ephemeralJournal: !keep });
    } finally {
      await Promise.allSettled([paradex.stop(), edgex.stop()]);
    }
  } finally {
    if (keep) process.stderr.write(`demo: price paths and journal kept in ${dir} (journal: ${journal})\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

demo(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
