/**
 * Scenario: the bot is killed (SIGKILL) with an arbitrage in flight, then restarted on the same journal; it
 * must finish that arbitrage from the journal and the venues' snapshots — never resend a leg, end flat.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { JournalRecord } from "../src/journal.ts";
import { REPO_ROOT as REPO } from "@paradex-edgex/dev/testing";
import { LogTap } from "./helpers.ts";
import type { ParadexSimHandle } from "@paradex-edgex/dev/sims";
import { type Sims, edgexLive, paradexKey, paradexLive, startParadexSimShared, startSims } from "./scenario-helpers.ts";

const CHILD = fileURLToPath(new URL("./fixtures/bot-child.ts", import.meta.url));

function startBot(
  s: Sims,
  journal: string,
  key: Record<string, string>,
): { child: ChildProcess; tap: LogTap; exited: Promise<number | null> } {
  const args = [s.paradex.wsUrl, s.paradex.restUrl, s.edgex.restUrl, s.edgex.quoteWsUrl, s.edgex.privateWsUrl];
  const flags = [
    "--live",
    "--markets",
    "BTC",
    "--size",
    "0.01",
    "--max-position",
    "0.05",
    "--journal",
    journal,
    "--leg-timeout-ms",
    "3000",
    "--reconcile-interval-ms",
    "60000",
    "--status-interval-ms",
    "60000",
    "--max-quote-age-ms",
    "3000",
  ];
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args, ...flags], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, ...key },
  });
  const tap = new LogTap();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      const { event, ...fields } = JSON.parse(line) as { event: string };
      tap.fn(event, fields);
    } catch {
      tap.fn("non_json", { line });
    }
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, tap, exited };
}

describe("crash mid-trade and restart", () => {
  let paradex: ParadexSimHandle;
  let sims: Sims;
  before(async () => {
    paradex = await startParadexSimShared(13);
    sims = await startSims(paradex, 13);
  });
  after(async () => {
    await sims.stop();
    await paradex.stop();
  });

  it("reconciles the interrupted arbitrage from the journal and both venues' snapshots", {
    timeout: 120_000,
  }, async () => {
    const journal = join(sims.dir, "journal.jsonl");
    const key = paradexKey(); // the same Paradex account for both runs
    const first = startBot(sims, journal, key);
    await first.tap.wait("started", () => true, 20_000);
    // EdgeX will execute the next order but lose its reply: the leg stays unresolved while we kill the bot.
    await sims.edgex.control("no_reply_next", { count: 1 });
    await sims.edgex.control("silence", { channel: "private", seconds: 8 }); // and no order events either
    await sims.edgex.control("price", { coin: "BTC", mid: 65130 });
    const sent = await first.tap.wait("arb_sent", () => true, 15_000);
    // Kill only once the EdgeX simulator has executed the order whose reply it dropped: the bot is then
    // holding a filled leg it has not been told about, the case that left our predecessor with a naked short.
    const probe = edgexLive(sims);
    await probe.connect();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const snap = await probe.snapshot();
      if (snap.positions.some((p) => p.market.startsWith("BTC") && p.side !== "FLAT")) break;
      if (Date.now() > deadline) throw new Error("the EdgeX simulator never executed the order");
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill("SIGKILL");
    await first.exited;
    const arbId = String(sent.fields["arbId"]);
    const before = readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JournalRecord);
    assert.ok(
      before.some((r) => r.k === "leg_sent" && r.arbId === arbId),
      "both legs were journaled before they left",
    );
    assert.ok(
      !before.some((r) => r.k === "arb_state" && r.arbId === arbId && ["done", "hedged", "unwound"].includes(r.state)),
      "the arbitrage was cut short",
    );

    await sims.edgex.control("price", { coin: "BTC", mid: 65000 }); // no new opportunity during the restart
    const second = startBot(sims, journal, key);
    const rec = await second.tap.wait("recovery", (f) => f["arbId"] === arbId, 20_000);
    assert.equal(rec.fields["base"], "BTC");
    const done = await second.tap.wait("recovered", (f) => f["arbId"] === arbId, 20_000);
    assert.notEqual(done.fields["state"], "failed");
    const lookedUp = second.tap.lines.find(
      (l) => l.event === "leg_lookup" && String(l.fields["clientId"]).endsWith("-s"),
    );
    assert.equal(lookedUp?.fields["filled"], "0.01", "the EdgeX fill was found in the snapshot");
    await second.tap.wait("started", () => true, 20_000);
    assert.equal(second.tap.count("arb_sent"), 0, "nothing new was traded");
    const sLegs = second.tap.lines.filter((l) => l.event === "leg" && String(l.fields["clientId"]).endsWith("-s"));
    assert.deepEqual(
      sLegs.map((l) => l.fields["via"]),
      ["recovery"],
      "the interrupted EdgeX leg was looked up, not resent",
    );
    second.child.kill("SIGTERM");
    const summary = await second.tap.wait("summary", () => true, 20_000);
    assert.equal(await second.exited, 0);
    const markets = summary.fields["markets"] as {
      base: string;
      net: string;
      positions: { edgex: string; paradex: string };
    }[];
    assert.equal(markets[0]?.net, "0", "flat across venues after recovery");
    // The bot's positions are what the simulators hold.
    const size = (snap: Awaited<ReturnType<typeof probe.snapshot>>): string => {
      const pos = snap.positions.find((p) => p.market.startsWith("BTC"));
      return pos === undefined || pos.side === "FLAT"
        ? "0"
        : pos.side === "SHORT"
          ? `-${pos.size.replace(/^-/, "")}`
          : pos.size.replace(/^-/, "");
    };
    assert.equal(size(await probe.snapshot()), markets[0]?.positions.edgex);
    await probe.close();
    const pProbe = paradexLive(sims, key);
    await pProbe.connect();
    assert.equal(size(await pProbe.snapshot()), markets[0]?.positions.paradex);
    await pProbe.close();
  });
});
