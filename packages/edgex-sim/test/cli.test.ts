/**
 * The EdgeX simulator's CLI as a user runs it: `npm run edgex-sim -- --help` prints its usage (the ready line,
 * every option) and exits 0; an unknown option exits 2 with the usage on stderr.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function npm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const done = spawnSync("npm", ["run", "--silent", "edgex-sim", "--", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

test("npm run edgex-sim -- --help prints the usage and exits 0", () => {
  const r = npm("--help");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run edgex-sim -- /);
  for (const option of ["--port", "--seed", "--price-path", "--step-ms", "--ping-interval-ms", "--no-quirks"]) {
    assert.ok(r.stdout.includes(option), option);
  }
  assert.match(r.stdout, /"type":"sim_ready"/);
});

test("an unknown option exits 2 with the reason and the usage", () => {
  const r = npm("--bogus");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Unknown option '--bogus'/);
  assert.match(r.stderr, /usage: npm run edgex-sim/);
});
