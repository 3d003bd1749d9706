/**
 * Unit tests of the bot's decision and leg-risk logic over in-process fake venues (no processes, no sockets).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { D } from "@paradex-edgex/core/decimal";
import { Journal, foldJournal } from "../src/journal.ts";
import { JsonView, TtyView, summaryLines } from "../src/view.ts";
import { quote, rig } from "./helpers.ts";

const T = { timeout: 10_000 };

describe("ArbBot over fake venues", () => {
  it("an opening spread above threshold yields exactly one pair of IOC orders", T, async () => {
    const r = rig(["--max-position", "BTC=0.01"]);
    await r.bot.start();
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "done");
    for (let i = 0; i < 5; i++) quote(r, 65000, 65100 + i); // the spread stays open; the position limit is reached
    assert.equal(r.p.placed.length, 1);
    assert.equal(r.e.placed.length, 1);
    const [buy] = r.p.placed;
    const [sell] = r.e.placed;
    assert.equal(buy?.side, "BUY");
    assert.equal(sell?.side, "SELL");
    assert.equal(buy?.tif, "IOC");
    assert.equal(buy?.size, "0.01");
    assert.equal(sell?.size, "0.01");
    assert.match(buy?.clientId ?? "", /-b$/);
    assert.match(sell?.clientId ?? "", /-s$/);
    // Protection prices sit on each venue's tick, on the far side of the touched level.
    assert.ok(D.from(buy?.price ?? "0").gte("65000.1") && D.from(buy?.price ?? "0").isMultipleOf("0.1"));
    assert.ok(D.from(sell?.price ?? "0").lte("65099.9"));
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.positions.paradex, "0.01");
    assert.equal(s.markets[0]?.positions.edgex, "-0.01");
    assert.equal(s.markets[0]?.net, "0");
    assert.ok((s.latencyUs.n ?? 0) === 1);
  });

  it("a spread below threshold yields no order", T, async () => {
    const r = rig();
    await r.bot.start();
    for (let i = 0; i < 20; i++) quote(r, 65000, 65030 + i); // ≤ 7.5 bps gross: below fees + buffer + 5 bps
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.taken, 0);
    assert.ok(s.markets[0]?.edgeBps !== null && Number(s.markets[0]?.edgeBps) < 5);
  });

  it("a rejected leg is unwound to a flat net position (reduce-only, on the filled venue)", T, async () => {
    const r = rig();
    await r.bot.start();
    r.e.inject({ kind: "reject", message: "ORDER_REJECTED: insufficient margin" });
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "unwound");
    assert.equal(r.e.placed.length, 1); // the refused leg is not resent
    assert.equal(r.p.placed.length, 2);
    const unwind = r.p.placed[1];
    assert.equal(unwind?.side, "SELL");
    assert.equal(unwind?.reduceOnly, true);
    assert.match(unwind?.clientId ?? "", /-c1$/);
    assert.equal(r.p.positions.get("BTC-USD-PERP")?.toString(), "0");
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
    assert.equal(s.arbs.corrected, 1);
  });

  it("a partially filled leg is unwound to flat within the bound", T, async () => {
    const r = rig(["--residual-timeout-ms", "2000"]);
    await r.bot.start();
    r.p.inject({ kind: "partial", ratio: "0.4" });
    const t0 = performance.now();
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.ok(performance.now() - t0 < 2000 + 300 * 2 + 500);
    assert.equal(done.fields["state"], "unwound");
    // Paradex bought 0.004, EdgeX sold 0.01: buy back 0.006 on EdgeX, reduce-only.
    const c = r.e.placed[1];
    assert.equal(c?.side, "BUY");
    assert.equal(c?.size, "0.006");
    assert.equal(c?.reduceOnly, true);
    const net = D.from(r.p.positions.get("BTC-USD-PERP")?.toString() ?? "0").add(
      r.e.positions.get("BTCUSDC")?.toString() ?? "0",
    );
    assert.equal(net.toString(), "0");
    await r.bot.stop();
  });

  it("with --residual-policy hedge the missing side is completed on the other venue", T, async () => {
    const r = rig(["--residual-policy", "hedge"]);
    await r.bot.start();
    r.e.inject({ kind: "reject", message: "ORDER_REJECTED: price band" });
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "hedged");
    assert.equal(r.e.placed.length, 2);
    assert.equal(r.e.placed[1]?.side, "SELL");
    assert.equal(r.e.placed[1]?.reduceOnly, false);
    await r.bot.stop();
  });

  it("a leg whose reply is lost is looked up in the snapshot, never resent", T, async () => {
    const r = rig();
    await r.bot.start();
    r.p.inject({ kind: "lost_reply_filled" });
    quote(r, 65000, 65100);
    const lookup = await r.tap.wait("leg_lookup");
    assert.equal(lookup.fields["filled"], "0.01");
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "done");
    assert.equal(r.p.placed.length, 1);
    assert.ok(r.p.snapshotCalls >= 1);
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
  });

  it("a silent leg (no events) settles from the snapshot after the leg timeout", T, async () => {
    const r = rig();
    await r.bot.start();
    r.e.inject({ kind: "silent" });
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "done");
    assert.equal(r.e.placed.length, 1);
    await r.bot.stop();
  });

  it("a stale or reconnecting venue blocks entries until it is live again", T, async () => {
    const r = rig();
    await r.bot.start();
    r.e.status("stale", "BTCUSDC");
    r.p.setBook("BTC-USD-PERP", [["64999.9", "1"]], [["65000.1", "1"]]); // only Paradex updates; EdgeX stays silent
    quote(r, 65000, 65100); // stale status arrived before: this EdgeX book proves flow and clears it
    await r.tap.wait("arb_done");
    const placedAfterFirst = r.p.placed.length;
    r.p.status("reconnecting");
    quote(r, 65000, 65100);
    await r.tap.wait("entry_blocked", (f) => String(f["reason"]).includes("paradex reconnecting"));
    assert.equal(r.p.placed.length, placedAfterFirst);
    r.p.status("connected");
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done", () => true, 5000, r.tap.lines.findIndex((l) => l.event === "entry_blocked") + 1);
    assert.equal(r.p.placed.length, placedAfterFirst + 1);
    await r.bot.stop();
  });

  it("a quote older than --max-quote-age-ms blocks entries", T, async () => {
    let now = 1000;
    const r = rig(["--max-quote-age-ms", "500"]);
    // Drive the bot's clock by hand: the EdgeX quote is 600 ms old when Paradex moves.
    (r.bot as unknown as { clock: () => number }).clock = () => now;
    await r.bot.start();
    r.e.setBook("BTCUSDC", [["65099.9", "1"]], [["65100.1", "1"]]);
    now += 600;
    r.p.setBook("BTC-USD-PERP", [["64999.9", "1"]], [["65000.1", "1"]]);
    const b = await r.tap.wait("entry_blocked");
    assert.match(String(b.fields["reason"]), /stale quote/);
    assert.equal(r.p.placed.length, 0);
    await r.bot.stop();
  });

  it(
    "the kill switch trips after consecutive failures, cancels open orders and stops entries; exits still run",
    T,
    async () => {
      const r = rig(["--max-consecutive-failures", "2"]);
      await r.bot.start();
      r.e.inject({ kind: "reject", message: "REJECTED" });
      quote(r, 65000, 65100);
      await r.tap.wait("arb_done");
      r.e.inject({ kind: "reject", message: "REJECTED" });
      quote(r, 65000, 65100);
      await r.tap.wait("KILL_SWITCH");
      assert.ok(r.p.cancelAllCalls >= 1 && r.e.cancelAllCalls >= 1);
      const before = r.p.placed.length + r.e.placed.length;
      quote(r, 65000, 65100);
      quote(r, 65000, 65200);
      assert.equal(r.p.placed.length + r.e.placed.length, before);
      await r.tap.wait("entry_blocked", (f) => String(f["reason"]).startsWith("kill switch"));
      const s = await r.bot.stop();
      assert.equal(s.markets[0]?.net, "0"); // the unwinds still ran after the kill
      assert.match(s.killed ?? "", /consecutive/);
    },
  );

  it("a kill tripped while a leg is being corrected still lets the unwind run", T, async () => {
    const r = rig(["--storm-count", "1"]);
    await r.bot.start();
    r.e.inject({ kind: "reject", message: "REJECTED" });
    quote(r, 65000, 65100);
    r.e.status("reconnecting"); // storm of one: kill while the arbitrage is in flight
    await r.tap.wait("KILL_SWITCH");
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "unwound");
    assert.equal(r.p.positions.get("BTC-USD-PERP")?.toString(), "0");
    await r.bot.stop();
  });

  it("a journal that cannot be written stops trading before anything is sent", T, async () => {
    const r = rig();
    await r.bot.start();
    r.bot.journal.close(); // every append now fails, as on a full disk
    quote(r, 65000, 65100);
    const k = await r.tap.wait("KILL_SWITCH");
    assert.match(String(k.fields["reason"]), /journal write failed/);
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
    quote(r, 65000, 65200);
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
    await r.bot.stop();
  });

  it("waits for a venue whose snapshot fails at start-up, and refuses to start if it never answers", T, async () => {
    const r = rig();
    r.e.inject({ kind: "snapshot_fails" });
    await r.bot.start();
    assert.equal(r.tap.count("reconcile_retry"), 1);
    await r.bot.stop();
    const r2 = rig();
    for (let i = 0; i < 3; i++) r2.p.inject({ kind: "snapshot_fails" });
    await assert.rejects(r2.bot.start(), /cannot read positions/);
    await r2.bot.stop();
  });

  it("a daily loss beyond the limit trips the kill switch from the marked positions", T, async () => {
    const r = rig(["--max-daily-loss-usd", "3", "--max-position", "BTC=0.01"]);
    await r.bot.start();
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done");
    // Long 0.01 on Paradex at ~65000, short 0.01 on EdgeX at ~65100: EdgeX rallies 600 → about −5 USD.
    quote(r, 65000, 65700);
    const k = await r.tap.wait("KILL_SWITCH", () => true, 3000);
    assert.match(String(k.fields["reason"]), /daily loss/);
    await r.bot.stop();
  });

  it("a reconnect storm trips the kill switch", T, async () => {
    const r = rig(["--storm-count", "3", "--storm-window-ms", "60000"]);
    await r.bot.start();
    for (let i = 0; i < 3; i++) {
      r.e.status("reconnecting");
      r.e.status("connected");
    }
    const k = await r.tap.wait("KILL_SWITCH");
    assert.match(String(k.fields["reason"]), /reconnect storm/);
    await r.bot.stop();
  });

  it("the kill switch survives a restart until --reset-kill", T, async () => {
    const r = rig(["--storm-count", "1"]);
    await r.bot.start();
    r.e.status("reconnecting");
    await r.tap.wait("KILL_SWITCH");
    await r.bot.stop();
    const r2 = rig([], r.journal, { p: r.p, e: r.e });
    await r2.bot.start();
    assert.match(r2.bot.guards.killed ?? "", /storm/);
    quote(r2, 65000, 65100);
    assert.equal(r.p.placed.length, 0);
    await r2.bot.stop();
    const r3 = rig(["--reset-kill"], r.journal, { p: r.p, e: r.e });
    await r3.bot.start();
    assert.equal(r3.bot.guards.killed, null);
    await r3.bot.stop();
  });

  it("a cross-venue net mismatch found in the snapshots stops entries and is reported", T, async () => {
    const r = rig();
    r.p.positions.set("BTC-USD-PERP", D.from("0.02")); // a naked long someone (or a crash) left behind
    await r.bot.start();
    const m = await r.tap.wait("net_mismatch");
    assert.equal(m.fields["net"], "0.02");
    quote(r, 65000, 65100);
    assert.equal(r.p.placed.length, 0);
    await r.bot.stop();
  });

  it("a crash mid-trade is recovered at restart from the journal and the venues' snapshots", T, async () => {
    const journal = (await import("./helpers.ts")).tmpJournal();
    // The previous process journaled the intent and both legs, then died: Paradex's leg filled, EdgeX's never left.
    const j = new Journal(journal, false);
    j.open();
    const leg = (
      role: "buy" | "sell",
      venue: "paradex" | "edgex",
      market: string,
      side: "BUY" | "SELL",
      price: string,
    ) =>
      ({
        role,
        venue,
        market,
        base: "BTC",
        side,
        size: "0.01",
        price,
        clientId: `aold-7-${role[0]}`,
        reduceOnly: false,
        positionBefore: "0",
      }) as const;
    j.append({ k: "start", ts: Date.now(), runId: "aold", live: true, pid: 1 });
    j.append({ k: "arb", ts: Date.now(), arbId: "aold-7", base: "BTC", edgeBps: "8", size: "0.01", reducing: false });
    j.append({
      k: "leg_sent",
      ts: Date.now(),
      arbId: "aold-7",
      leg: leg("buy", "paradex", "BTC-USD-PERP", "BUY", "65001"),
    });
    j.append({ k: "leg_sent", ts: Date.now(), arbId: "aold-7", leg: leg("sell", "edgex", "BTCUSDC", "SELL", "65090") });
    j.close();
    writeFileSync(journal, '{"k":"arb_state","ts":1,"arbId":"aold-7","st', { flag: "a" }); // torn last line
    const r = rig([], journal);
    r.p.positions.set("BTC-USD-PERP", D.from("0.01"));
    r.p.setBook("BTC-USD-PERP", [["64999.9", "1"]], [["65000.1", "1"]]);
    await r.bot.start();
    const rec = await r.tap.wait("recovered");
    assert.equal(rec.fields["state"], "unwound");
    assert.equal(r.p.positions.get("BTC-USD-PERP")?.toString(), "0");
    assert.equal(r.e.placed.length, 0); // the interrupted EdgeX leg is not resent
    assert.equal(r.p.placed[0]?.clientId, "aold-7-c1");
    assert.ok(r.tap.count("journal_bad_lines") === 1);
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
    // A second restart finds nothing left to recover.
    const r2 = rig([], journal, { p: r.p, e: r.e });
    await r2.bot.start();
    assert.equal(r2.tap.count("recovery"), 0);
    await r2.bot.stop();
  });
});

describe("retracted fills (fill_bust)", () => {
  /** The EdgeX leg's fill retracted after the arbitrage settled (the fake venue's first EdgeX order is edgex-1). */
  function bustEdgexLeg(r: ReturnType<typeof rig>): void {
    r.e.positions.set("BTCUSDC", D.ZERO); // the venue undid it on its side too
    r.e.emit({
      type: "fill_bust",
      seq: 999,
      fill_id: "edgex-1-0",
      order_id: "edgex-1",
      market: "BTCUSDC",
      exchange_ts: Date.now(),
      reason: "CENSOR_FAILURE",
    });
  }

  it("a settled leg's retracted fill is undone in the ledger, journaled, and the arbitrage is unwound", T, async () => {
    const r = rig();
    await r.bot.start();
    quote(r, 65000, 65100);
    assert.equal((await r.tap.wait("arb_done")).fields["state"], "done");
    const realizedBefore = r.bot.ledger.realizedTotal();
    const feesBefore = r.bot.ledger.feesTotal();
    bustEdgexLeg(r);
    const bust = await r.tap.wait("fill_bust");
    assert.equal(bust.fields["match"], "settled");
    // The ledger no longer holds the EdgeX sale: its position and its fee are gone.
    assert.equal(r.bot.ledger.position("edgex", "BTC").toString(), "0");
    assert.ok(r.bot.ledger.feesTotal().lt(feesBefore));
    assert.ok(r.bot.ledger.realizedTotal().gt(realizedBefore), "the retracted fee is no longer a cost");
    // The legs are no longer equal: the residual path unwinds the Paradex side (reduce-only SELL there).
    const corrected = await r.tap.wait("arb_done", (f) => f["state"] !== "done");
    assert.equal(corrected.fields["state"], "unwound");
    assert.equal(r.p.placed.length, 2);
    assert.equal(r.p.placed[1]?.side, "SELL");
    assert.equal(r.p.placed[1]?.reduceOnly, true);
    assert.match(r.p.placed[1]?.clientId ?? "", /-c1$/);
    assert.equal(r.e.placed.length, 1, "nothing resent on EdgeX");
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.positions.paradex, "0");
    assert.equal(s.markets[0]?.positions.edgex, "0");
    assert.equal(s.markets[0]?.net, "0");
    const records = Journal.replay(r.journal).records;
    const b = records.find((x) => x.k === "fill_bust");
    assert.ok(b?.k === "fill_bust");
    assert.equal(b.applied, "settled");
    assert.equal(b.fillId, "edgex-1-0");
    assert.equal(b.size, "0.01");
    assert.equal(b.reason, "CENSOR_FAILURE");
    const states = records.filter((x) => x.k === "arb_state").map((x) => (x.k === "arb_state" ? x.state : ""));
    assert.deepEqual(states.slice(-3), ["correcting", "correcting", "unwound"]);
    // A replay of this journal holds the corrected positions and nothing left to recover.
    const folded = foldJournal(records, Date.now());
    assert.equal(folded.open.length, 0);
    assert.equal(folded.positions.get("edgex:BTC"), "0");
  });

  it("with --residual-policy hedge the retracted side is completed again on the other venue", T, async () => {
    const r = rig(["--residual-policy", "hedge"]);
    await r.bot.start();
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done");
    bustEdgexLeg(r);
    const corrected = await r.tap.wait("arb_done", (f) => f["state"] !== "done");
    assert.equal(corrected.fields["state"], "hedged");
    assert.equal(r.e.placed.length, 2);
    assert.equal(r.e.placed[1]?.side, "SELL");
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
  });

  it("a retraction journaled but not corrected before a crash is corrected at restart", T, async () => {
    const r = rig();
    await r.bot.start();
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done");
    await r.bot.stop();
    // The process dies right after journaling the retraction (its correction never ran).
    const j = new Journal(r.journal, false);
    j.open();
    const arbId = (Journal.replay(r.journal).records.find((x) => x.k === "arb") as { arbId: string }).arbId;
    j.append({
      k: "fill_bust",
      ts: Date.now(),
      venue: "edgex",
      fillId: "edgex-1-0",
      orderId: "edgex-1",
      reason: "L2_REJECT",
      base: "BTC",
      arbId,
      clientId: `${arbId}-s`,
      side: "SELL",
      size: "0.01",
      price: "65099.9",
      fee: "0.2474",
      applied: "settled",
    });
    j.append({ k: "position", ts: Date.now(), venue: "edgex", base: "BTC", size: "0", source: "event" });
    j.append({ k: "arb_state", ts: Date.now(), arbId, state: "correcting", note: "fill retracted" });
    j.close();
    r.e.positions.set("BTCUSDC", D.ZERO);
    const r2 = rig([], r.journal, { p: r.p, e: r.e });
    await r2.bot.start();
    const rec = await r2.tap.wait("recovered");
    assert.equal(rec.fields["state"], "unwound");
    const s = await r2.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
    assert.equal(s.markets[0]?.positions.paradex, "0");
  });

  it("a retraction of a fill that is not ours makes the bot re-read the venues' positions", T, async () => {
    const r = rig();
    await r.bot.start();
    const before = r.e.snapshotCalls;
    r.e.emit({
      type: "fill_bust",
      seq: 5,
      fill_id: "someone-else",
      order_id: null,
      market: null,
      exchange_ts: Date.now(),
    });
    assert.equal((await r.tap.wait("fill_bust")).fields["match"], "unknown");
    for (const deadline = Date.now() + 5_000; r.e.snapshotCalls <= before; ) {
      assert.ok(Date.now() < deadline, "no snapshot re-read after an unknown fill_bust");
      await new Promise((res) => setTimeout(res, 10));
    }
    await r.bot.stop();
  });
});

describe("residual finer than one venue's lot", () => {
  it("is hedged on the other venue when the over-filled venue cannot trade it back", T, async () => {
    const r = rig(); // Paradex step 0.0001, EdgeX step 0.001; policy unwind
    await r.bot.start();
    r.p.inject({ kind: "partial", ratio: "0.95" }); // Paradex buys 0.0095, EdgeX sells 0.01: −0.0005 net
    quote(r, 65000, 65100);
    const done = await r.tap.wait("arb_done");
    assert.equal(done.fields["state"], "hedged"); // 0.0005 is below EdgeX's lot: bought on Paradex instead
    assert.equal(r.p.placed[1]?.side, "BUY");
    assert.equal(r.p.placed[1]?.size, "0.0005");
    assert.equal(r.e.placed.length, 1);
    const s = await r.bot.stop();
    assert.equal(s.markets[0]?.net, "0");
  });
});

describe("feed health in the status view", () => {
  /** What a view wrote, as one string (the views take any writable). */
  const capture = (): { text: () => string; stream: NodeJS.WriteStream } => {
    const chunks: string[] = [];
    const stream = { write: (c: string) => chunks.push(c) > 0 } as unknown as NodeJS.WriteStream;
    return { text: () => chunks.join(""), stream };
  };

  for (const paper of [false, true]) {
    const where = paper ? "paper mode: counted on the real venues behind the wrappers" : "live wiring";
    it(`the status and summary lines and the TTY view carry per-venue, per-channel counts (${where})`, T, async (t) => {
      const r = rig(["--max-position", "BTC=0.01"], undefined, undefined, paper);
      let stopped = false;
      t.after(async () => {
        if (!stopped) await r.bot.stop(); // a failed assertion must not leave the bot's timers running
      });
      await r.bot.start();
      for (const v of [r.p, r.e]) {
        v.status("connected");
        v.status("reconnecting");
        v.status("connected");
      }
      quote(r, 65000, 65100); // opens one arbitrage: fills flow on both venues
      await r.tap.wait("arb_done");
      for (let i = 0; i < 4; i++) quote(r, 65000, 65000 + i); // 5 book events per venue in all

      const json = capture();
      new JsonView(json.stream).status(r.bot.status());
      const line = JSON.parse(json.text().trim()) as {
        event: string;
        health: import("@paradex-edgex/toolkit").HealthReport;
      };
      assert.equal(line.event, "status");
      for (const venue of ["paradex", "edgex"] as const) {
        const h = line.health.venues[venue];
        assert.ok(h !== undefined, `${venue} missing from the health report`);
        assert.equal(h.channels["book"]?.messages, 5, `${venue} book count`);
        assert.ok((h.channels["book"]?.ratePerSec ?? 0) > 0);
        assert.ok(h.channels["book"]?.lagP50Us !== null);
        assert.equal(h.state, "connected");
        assert.equal(h.reconnects, 1);
        // The paper wrapper's own fills are not feed traffic: only the real venue's events are counted.
        if (paper) assert.equal(h.channels["fills"], undefined);
        else assert.ok((h.channels["fills"]?.messages ?? 0) > 0);
      }

      const tty = capture();
      const view = new TtyView(tty.stream);
      view.status(r.bot.status());
      view.close();
      // The screen keeps feed health compact (a line per venue); the exit summary has every channel.
      for (const venue of ["paradex", "edgex"])
        assert.match(tty.text(), new RegExp(`feed ${venue}: state=connected reconnects=1`));

      const summary = await r.bot.stop();
      stopped = true;
      assert.equal(summary.health.venues.paradex?.channels["book"]?.messages, 5);
      assert.equal(summary.health.venues.edgex?.channels["book"]?.messages, 5);
      assert.equal(summaryLines(summary).filter((l) => /^ {4}book .* n=5$/.test(l)).length, 2);
    });
  }
});
