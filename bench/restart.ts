/**
 * @module restart — kill -9 of the sidecar → first market event again, through the bridge's supervision.
 *
 *   npm run --silent tsx -- bench/restart.ts [--kills 20] [--cold-kills 5] [--gap-ms 3000] [--out bench/results/restart.json]
 *
 * Method. One standalone simulator, one `ParadexSidecar` subscribed (through the API, so the first event
 * after a restart also proves the resubscription) to ETH-USD-PERP bbo at 200/s. Each round: wait for a bbo,
 * wait `--gap-ms` (the child has "run fine") and, in the warm runs, until the standby says it has done its
 * imports (on a loaded machine that takes tens of seconds), SIGKILL the
 * child's process group, and time until the first ETH bbo from the new child (`performance.now()` in the
 * listener). Done with the warm standby (the default) and, for comparison, cold (`warmStandby: false`).
 * The machine's load average is printed before and after: on a busy machine every figure grows.
 */
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { cpus, loadavg } from "node:os";
import { ParadexSidecar, silentLogger } from "@paradex-edgex/paradex";
import { type ParadexSimHandle as SimHandle, startParadexSim } from "@paradex-edgex/dev/sims";

const { values } = parseArgs({
  options: {
    kills: { type: "string", default: "20" },
    "cold-kills": { type: "string", default: "5" },
    "gap-ms": { type: "string", default: "3000" },
    out: { type: "string", default: "bench/results/restart.json" },
  },
});
const KILLS = Number(values.kills);
const COLD_KILLS = Number(values["cold-kills"]);
const GAP_MS = Number(values["gap-ms"]);

function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

function load(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} on ${cpus().length} CPUs`;
}

async function rounds(sim: SimHandle, warm: boolean, n: number): Promise<number[]> {
  const sc = new ParadexSidecar({
    wsUrl: sim.wsUrl,
    restUrl: sim.restUrl,
    markets: ["SOL-USD-PERP"],
    channels: ["funding"],
    extraArgs: ["--log-level", "WARNING"],
    logger: silentLogger,
    warmStandby: warm,
    helloTimeoutMs: 60_000,
  });
  await sc.start();
  await sc.subscribe("bbo", "ETH-USD-PERP");
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      await sc.once("bbo", (e) => e.market === "ETH-USD-PERP");
      await new Promise((r) => setTimeout(r, GAP_MS));
      // The warm path is what is measured: wait (bounded) for the standby to have done its imports.
      const warmBy = performance.now() + 120_000;
      while (warm && !sc.standbyReady && performance.now() < warmBy) await new Promise((r) => setTimeout(r, 50));
      const pid = sc.pid;
      if (pid === undefined) throw new Error("no child");
      const flowing = sc
        .once("lifecycle", (e) => e.state === "ready")
        .then(() => sc.once("bbo", (e) => e.market === "ETH-USD-PERP"));
      const t0 = performance.now();
      process.kill(-pid, "SIGKILL");
      await flowing;
      const ms = Math.round(performance.now() - t0);
      times.push(ms);
      process.stdout.write(`${warm ? "warm" : "cold"} kill ${i + 1}/${n}: first event after ${ms} ms (${load()})\n`);
    }
  } finally {
    await sc.close();
  }
  return times;
}

function summary(times: number[]): { runs: number[]; p50: number | null; p99: number | null; max: number | null } {
  const sorted = [...times].sort((a, b) => a - b);
  return { runs: times, p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted.at(-1) ?? null };
}

async function main(): Promise<void> {
  const before = load();
  const sim = await startParadexSim({ seed: 3 });
  let warm: number[] = [];
  let cold: number[] = [];
  try {
    await sim.control("rate", { bbo_per_s: 200, market: "ETH-USD-PERP" });
    warm = await rounds(sim, true, KILLS);
    cold = COLD_KILLS > 0 ? await rounds(sim, false, COLD_KILLS) : [];
  } finally {
    await sim.stop();
  }
  const results = {
    kill9_to_first_event_warm_ms: summary(warm),
    kill9_to_first_event_cold_ms: summary(cold),
    target_p50_ms: 300,
    gap_ms: GAP_MS,
    load_before: before,
    load_after: load(),
    generated_at: new Date().toISOString(),
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  const w = results.kill9_to_first_event_warm_ms;
  const c = results.kill9_to_first_event_cold_ms;
  process.stdout.write(
    `\nkill -9 → first event, warm standby: p50 ${w.p50} ms  p99 ${w.p99} ms  (n=${warm.length}, target p50 ≤ 300)\n` +
      `kill -9 → first event, cold start:   p50 ${c.p50} ms  p99 ${c.p99} ms  (n=${cold.length})\n` +
      `machine: before ${before}; after ${results.load_after}\n`,
  );
}

await main();
