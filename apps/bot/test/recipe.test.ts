/**
 * The README's "live against the local simulators" recipe, run exactly as written: both simulators on one
 * price path, the bot trading them with --live, nothing implausible, a clean exit.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { REPO_ROOT } from "@paradex-edgex/dev/testing";

/** The first ```bash block after `heading` in the bot's README. */
function recipe(heading: string): string {
  const text = readFileSync(join(REPO_ROOT, "apps/bot/README.md"), "utf8");
  const after = text.slice(text.indexOf(heading));
  const m = /```bash\n([\s\S]*?)```/.exec(after);
  assert.ok(m?.[1], `no bash block under ${heading}`);
  return m[1].trim();
}

it("npm run sims -- … -- npm run bot -- --live: one price path, plausible spreads, clean exit", {
  timeout: 240_000,
}, async () => {
  const command = recipe("### Live against the local simulators");
  assert.match(command, /^npm run sims -- .* -- npm run bot -- --live/);
  const child = spawn("bash", ["-c", command], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BOT_JSON: "true" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  assert.equal(code, 0, `exit ${String(code)}\nstderr:\n${err.slice(-3000)}\nstdout:\n${out.slice(-3000)}`);
  const lines = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines[0]?.["type"], "sims_ready");
  assert.equal(lines.filter((l) => l["event"] === "IMPLAUSIBLE").length, 0, "the two simulators quote the same market");
  const statuses = lines.filter((l) => l["event"] === "status") as unknown as {
    markets: { base: string; quotes: Record<string, { bid: string | null; ask: string | null }> }[];
  }[];
  assert.ok(statuses.length > 0, "the bot ran and reported");
  const last = statuses.at(-1);
  const btc = last?.markets.find((m) => m.base === "BTC");
  const mid = (q?: { bid: string | null; ask: string | null }): number => (Number(q?.bid) + Number(q?.ask)) / 2;
  const gapBps =
    (Math.abs(mid(btc?.quotes["paradex"]) - mid(btc?.quotes["edgex"])) / mid(btc?.quotes["edgex"])) * 10_000;
  assert.ok(gapBps < 100, `BTC mids ${gapBps.toFixed(0)} bps apart`);
});
