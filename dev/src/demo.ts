/**
 * @module demo — `make demo`: both simulators on one seeded reference price path, the Paradex sidecar through
 * the bridge, the EdgeX client, and the bot in paper mode, taking the dislocations as they open and close.
 *
 * `tsx bots/src/demo.ts [--seed N] [bot flags…]`. The price paths (one reference walk, one file per venue
 * with its own dislocations; see pricepath.ts) and a fresh journal go to a temp directory, printed at start.
 * Extra flags go to the bot (e.g. `--run-seconds 60`, `--json`). Ctrl-C stops everything.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "@paradex-edgex/bot/main";
import { writePaths } from "./pricepath.ts";
import { startEdgex, startParadexSim } from "./sims.ts";

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
  if (argv.includes("--live")) {
    process.stderr.write("demo: the demo runs in paper mode only; drop --live\n");
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "arb-demo-"));
  const paths = writePaths(dir, { seed, seconds: 3600 });
  process.stderr.write(`demo: seed ${seed}; price paths and journal in ${dir}\n`);
  const paradex = await startParadexSim({ seed, pricePath: paths.paradex, bboRate: 10 });
  const edgex = await startEdgex({ seed, pricePath: paths.edgex });
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
    join(dir, "journal.jsonl"),
    ...argv,
  ];
  try {
    // BOT_* settings from the environment apply, except that the demo never trades for real.
    const env: Record<string, string | undefined> = { ...process.env, BOT_LIVE: "false" };
    return await run({ argv: args, env });
  } finally {
    await Promise.allSettled([paradex.stop(), edgex.stop()]);
  }
}

demo(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
