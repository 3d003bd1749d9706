/** The example CLI prints one BBO line per market update and stops the sidecar cleanly on SIGINT. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { alive, until, within } from "@paradex-edgex/dev/testing";

const FEED = fileURLToPath(new URL("../bin/feed.ts", import.meta.url));

test("feed CLI: live BBO lines for the requested market, clean exit on SIGINT, sidecar gone", async () => {
  const cli = spawn(process.execPath, ["--import", "tsx", FEED, "--env", "sim", "--markets", "BTC-USD-PERP"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
  try {
    let sidecarPid = 0;
    createInterface({ input: cli.stderr! }).on("line", (l) => {
      const m = /sidecar \S+ pid (\d+)/.exec(l);
      if (m !== null) sidecarPid = Number(m[1]);
    });
    const lines = createInterface({ input: cli.stdout! });
    const line = await within(
      new Promise<string>((resolve) => lines.on("line", (l) => l.startsWith("BTC-USD-PERP") && resolve(l))),
      20_000,
      "a BBO line",
    );
    assert.match(line, /^BTC-USD-PERP\s+bid \d+(\.\d+)? × \d+(\.\d+)?\s+ask \d+(\.\d+)? × /);
    await until(() => sidecarPid > 0, 5000, "the sidecar pid on stderr");
    assert.ok(alive(sidecarPid));
    cli.kill("SIGINT");
    assert.equal(await within(exited, 8000, "feed exit"), 0);
    await until(() => !alive(sidecarPid), 3000, "sidecar exit");
  } finally {
    if (cli.exitCode === null) cli.kill("SIGKILL");
  }
});
