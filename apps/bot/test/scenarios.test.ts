/**
 * Scenario tests: the bot trading against both real simulators (Paradex through the sidecar bridge, EdgeX
 * native), with scripted prices (`/_sim/price`) and fault injection (`reject_next`, `partial_next`, `down`,
 * `drop_after_order_received`). Positions are checked in the simulators themselves, not only in the bot.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { D } from "@paradex-edgex/core/decimal";
import type { ParadexSimHandle } from "@paradex-edgex/dev/sims";
import {
  type LiveRig,
  type Sims,
  liveRig,
  quoteEvents,
  setMid,
  startParadexSimShared,
  startSims,
} from "./scenario-helpers.ts";

const T = { timeout: 60_000 };

/** A venue's BTC position as its simulator reports it (snapshot through the real client). */
async function simPosition(r: LiveRig, venue: "paradex" | "edgex"): Promise<D> {
  const snap = await (venue === "paradex" ? r.paradex : r.edgex).snapshot();
  const p = snap.positions.find((x) => x.market === r.bot.markets.get("BTC")?.meta[venue].market);
  if (p === undefined || p.side === "FLAT") return D.ZERO;
  return p.side === "SHORT" ? D.from(p.size).abs().neg() : D.from(p.size).abs();
}

describe("scenarios against both simulators", { concurrency: false }, () => {
  let paradex: ParadexSimHandle;
  let sims: Sims;
  let r: LiveRig | null = null;
  before(async () => {
    paradex = await startParadexSimShared();
  });
  after(async () => {
    await paradex.stop();
  });
  beforeEach(async () => {
    sims = await startSims(paradex);
  });
  afterEach(async () => {
    await r?.bot.stop();
    r = null;
    await sims.stop();
  });

  it("an opening spread above threshold yields exactly one pair of orders", T, async () => {
    r = liveRig(sims, ["--max-position", "0.01"]);
    await r.bot.start();
    await setMid(sims, "edgex", "65130"); // EdgeX 20 bps rich: buy Paradex, sell EdgeX
    const done = await r.tap.wait("arb_done", () => true, 15_000);
    assert.equal(done.fields["state"], "done");
    await Promise.all([quoteEvents(r.p, 10), quoteEvents(r.e, 10)]); // the spread stays open for many more quotes
    assert.equal(r.p.placed.length, 1);
    assert.equal(r.e.placed.length, 1);
    assert.equal(r.p.placed[0]?.side, "BUY");
    assert.equal(r.e.placed[0]?.side, "SELL");
    assert.equal(r.e.placed[0]?.tif, "IOC");
    assert.equal((await simPosition(r, "edgex")).toString(), "-0.01");
    assert.equal((await simPosition(r, "paradex")).toString(), "0.01");
    assert.equal(r.bot.status().markets[0]?.net, "0");
  });

  it("a spread below threshold yields no order", T, async () => {
    r = liveRig(sims);
    await r.bot.start();
    await setMid(sims, "edgex", "65050"); // ≈7.7 bps gross: less than both taker fees + buffer + 5 bps
    await Promise.all([quoteEvents(r.p, 10), quoteEvents(r.e, 10)]);
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
    const m = r.bot.status().markets[0];
    assert.ok(m?.edgeBps !== null && Number(m?.edgeBps) < 5, `edge ${m?.edgeBps}`);
    assert.ok(Number(m?.edgeBps) > -10, "the bot did see the raised EdgeX quote");
  });

  it("a rejected leg is unwound to a flat net position within the bound", T, async () => {
    r = liveRig(sims, ["--residual-timeout-ms", "5000", "--cooldown-ms", "60000"]); // one arbitrage only
    await r.bot.start();
    await sims.edgex.control("reject_next", { count: 1, code: "ORDER_REJECTED" });
    const t0 = performance.now();
    await setMid(sims, "edgex", "65130");
    const done = await r.tap.wait("arb_done", () => true, 15_000);
    assert.ok(performance.now() - t0 < 5000 + 2 * 3000, "settled within the residual bound");
    assert.equal(done.fields["state"], "unwound");
    assert.equal(r.e.placed.length, 1, "the refused EdgeX leg is not resent");
    assert.equal(r.p.placed.length, 2);
    assert.equal(r.p.placed[1]?.reduceOnly, true);
    assert.equal((await simPosition(r, "edgex")).toString(), "0");
    assert.equal((await simPosition(r, "paradex")).toString(), "0", "the Paradex simulator holds nothing either");
    const m = r.bot.status().markets[0];
    assert.equal(m?.positions.paradex, "0");
    assert.equal(m?.net, "0");
  });

  it("a partially filled leg is unwound to a flat net position within the bound", T, async () => {
    r = liveRig(sims, ["--residual-timeout-ms", "5000", "--cooldown-ms", "60000"]);
    await r.bot.start();
    await sims.edgex.control("partial_next", { count: 1, ratio: 0.4 });
    const t0 = performance.now();
    await setMid(sims, "edgex", "65130");
    const done = await r.tap.wait("arb_done", () => true, 15_000);
    assert.ok(performance.now() - t0 < 5000 + 2 * 3000, "settled within the residual bound");
    assert.equal(done.fields["state"], "unwound");
    // EdgeX sold 0.004 of 0.01; Paradex sells back the extra 0.006 it bought, reduce-only, on its simulator.
    assert.equal(r.p.placed.length, 2);
    assert.equal(r.p.placed[1]?.side, "SELL");
    assert.equal(r.p.placed[1]?.size, "0.006");
    assert.equal(r.p.placed[1]?.reduceOnly, true);
    assert.equal((await simPosition(r, "paradex")).toString(), "0.004");
    assert.equal((await simPosition(r, "edgex")).toString(), "-0.004");
    assert.equal(r.bot.status().markets[0]?.net, "0");
  });

  it("a partially filled leg is hedged on the simulator to a flat net position", T, async () => {
    r = liveRig(sims, ["--residual-policy", "hedge", "--max-position", "0.01"]);
    await r.bot.start();
    await sims.edgex.control("partial_next", { count: 1, ratio: 0.4 });
    await setMid(sims, "edgex", "65130");
    const done = await r.tap.wait("arb_done", () => true, 15_000);
    assert.equal(done.fields["state"], "hedged");
    // EdgeX sold 0.004 of 0.01; the hedge sells the missing 0.006 on EdgeX (a real order to the simulator).
    assert.equal(r.e.placed.length, 2);
    assert.equal(r.e.placed[1]?.size, "0.006");
    assert.equal((await simPosition(r, "edgex")).toString(), "-0.01");
    assert.equal((await simPosition(r, "paradex")).toString(), "0.01");
    assert.equal(r.bot.status().markets[0]?.net, "0");
  });

  it("an EdgeX fill that fails censoring after it was emitted is retracted, and the pair is unwound", T, async () => {
    r = liveRig(sims, ["--residual-timeout-ms", "5000", "--cooldown-ms", "60000"]);
    await r.bot.start();
    // The EdgeX leg's fill is emitted at INIT and fails censoring 1.5 s later (typically after the pair settled).
    await sims.edgex.control("censor_delay", { ms: 1500 });
    await sims.edgex.control("censor_fail", { count: 1, status: "CENSOR_FAILURE" });
    await setMid(sims, "edgex", "65130");
    const bust = await r.tap.wait("fill_bust", () => true, 20_000);
    assert.equal(bust.fields["venue"], "edgex");
    assert.notEqual(bust.fields["match"], "unknown");
    const done = await r.tap.wait("arb_done", (f) => f["state"] === "unwound", 20_000);
    assert.equal(done.fields["residual"], "0");
    assert.equal(r.e.placed.length, 1, "nothing resent on EdgeX");
    assert.equal(r.p.placed.length, 2);
    assert.equal(r.p.placed[1]?.side, "SELL");
    // The leg may fill in several fills and only the first fails censoring: the simulator undoes that one, the
    // correction unwinds as much on Paradex, and the venues end equal and opposite (flat when it was one fill).
    const edgex = await simPosition(r, "edgex");
    const paradex = await simPosition(r, "paradex");
    assert.equal(edgex.add(paradex).toString(), "0", "flat across the venues");
    assert.ok(edgex.abs().lt(D.from("0.01")), "the simulator undid the failed fill");
    const m = r.bot.status().markets[0];
    assert.equal(m?.positions.edgex, edgex.toString());
    assert.equal(m?.positions.paradex, paradex.toString());
    assert.equal(m?.net, "0");
  });

  it("a Paradex leg whose acknowledgement is lost is looked up, not resent, and the pair completes", T, async () => {
    r = liveRig(sims, ["--max-position", "0.01"]);
    await r.bot.start();
    await sims.paradex.control("drop_after_order_received", { count: 1 }); // accepted, then the connection drops
    await setMid(sims, "edgex", "65130");
    const done = await r.tap.wait("arb_done", () => true, 30_000);
    assert.notEqual(done.fields["state"], "failed");
    assert.equal(r.p.placed.length, 1, "the Paradex leg was sent once");
    assert.equal(r.bot.status().markets[0]?.net, "0");
    assert.equal(
      (await simPosition(r, "paradex")).add(await simPosition(r, "edgex")).toString(),
      "0",
      "flat in the simulators",
    );
  });

  it("a reconnecting venue blocks entries until it is back", T, async () => {
    r = liveRig(sims);
    await r.bot.start();
    await sims.edgex.control("down", { seconds: 2 });
    await r.tap.wait(
      "venue_status",
      (f) => f["venue"] === "edgex" && (f["state"] === "reconnecting" || f["state"] === "disconnected"),
      10_000,
    );
    await setMid(sims, "paradex", "64870"); // Paradex 20 bps cheap while EdgeX is away
    await quoteEvents(r.p, 10);
    assert.equal(r.p.placed.length + r.e.placed.length, 0, "no entry while EdgeX reconnects");
    const back = r.tap.lines.length;
    const done = await r.tap.wait("arb_done", () => true, 20_000, back);
    const sent = r.tap.lines.findIndex((l) => l.event === "arb_sent");
    const reconnected = r.tap.lines.findIndex(
      (l, i) =>
        i >= back - 1 &&
        l.event === "venue_status" &&
        l.fields["venue"] === "edgex" &&
        l.fields["state"] === "connected",
    );
    assert.ok(reconnected >= 0 && sent > reconnected, "the first entry comes after EdgeX is connected again");
    assert.equal(done.fields["state"], "done");
  });

  it("a stale venue blocks entries until its data flows again", T, async () => {
    r = liveRig(sims, [], undefined, ["--stale-after", "1"]);
    await r.bot.start();
    await quoteEvents(r.p, 3); // the bot holds a Paradex book before the feed goes quiet
    await Promise.all([
      sims.paradex.control("silence", { channel: "bbo", seconds: 4 }),
      sims.paradex.control("silence", { channel: "order_book", seconds: 4 }),
    ]);
    await r.tap.wait("venue_status", (f) => f["venue"] === "paradex" && f["state"] === "stale", 10_000);
    await setMid(sims, "edgex", "65130");
    await quoteEvents(r.e, 10);
    assert.equal(r.p.placed.length + r.e.placed.length, 0, "no entry while Paradex is stale");
    const m = r.bot.markets.get("BTC");
    const diag = JSON.stringify({
      block: m?.lastBlock,
      ok: m?.lastEval?.ok,
      lines: r.tap.lines.filter((l) => l.event !== "leg").slice(-12),
    });
    assert.match(m?.lastBlock ?? "", /stale/, diag);
    const done = await r.tap.wait("arb_done", () => true, 20_000);
    assert.equal(done.fields["state"], "done");
  });

  it("the kill switch stops entries (and cancels open orders); the residual is still unwound", T, async () => {
    r = liveRig(sims, ["--max-consecutive-failures", "1"]);
    await r.bot.start();
    await sims.edgex.control("reject_next", { count: 1, code: "ORDER_REJECTED" });
    await setMid(sims, "edgex", "65130");
    await r.tap.wait("KILL_SWITCH", () => true, 15_000);
    const done = await r.tap.wait("arb_done", () => true, 15_000);
    assert.equal(done.fields["state"], "unwound");
    const placed = r.p.placed.length + r.e.placed.length;
    await setMid(sims, "edgex", "65200"); // a bigger opportunity
    await Promise.all([quoteEvents(r.p, 10), quoteEvents(r.e, 10)]);
    assert.equal(r.p.placed.length + r.e.placed.length, placed, "no entry after the kill");
    await r.tap.wait("entry_blocked", (f) => String(f["reason"]).startsWith("kill switch"));
    assert.equal(r.bot.status().markets[0]?.net, "0");
  });
});
