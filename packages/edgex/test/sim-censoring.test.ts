/**
 * Against the simulator: the censoring lifecycle of fills (reference §0a.4) and depth-version skips on the
 * 15-level channel (§0a.5).
 *
 * Censoring: every fill is pushed first at censorStatus INIT, then with its final status. A fill made to fail
 * (the `censor_fail` control: the next fills, or a given fill still at INIT) is emitted by the client at INIT,
 * then retracted with `fill_bust`, and the simulator undoes it on its own account (position and collateral
 * back where they were), as EdgeX would.
 *
 * Depth: the `skip_depth15` fault withholds level-15 pushes (their changes carried into a later push whose
 * versions jump). The client reads the 200-level channel (contiguous versions, documented), so its book stays
 * equal to the simulator's and no gap, resync or fresh snapshot happens.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import * as D from "@paradex-edgex/core/decimal";
import { type EdgexSimHandle, startEdgex } from "@paradex-edgex/dev/sims";
import type { EdgeXClient } from "../src/client.ts";
import { DEV_ACCOUNT, Recorder, clientFor, simState, until } from "./helpers.ts";

const T = { timeout: 60_000 };

describe("EdgeX simulator: censoring lifecycle and 15-level version skips", T, () => {
  let sim: EdgexSimHandle;
  let client: EdgeXClient;
  let rec: Recorder;
  let btcId: string;

  before(async () => {
    sim = await startEdgex({ seed: 21, stepMs: 25 });
    client = clientFor(sim);
    rec = new Recorder(client);
    await client.connect();
    btcId = client.contract("BTC").contractId;
    await client.subscribe("bbo", "BTC-USD-PERP");
    await client.subscribe("book", "BTC-USD-PERP");
    await rec.waitFor("status", (s) => s.state === "live" && s.channel === "private", { label: "account snapshot" });
    await rec.waitFor("bbo");
  });

  after(async () => {
    await client?.close();
    await sim?.stop();
  });

  /** A crossing IOC price: 200 ticks through the touch. */
  function through(side: "BUY" | "SELL"): string {
    const bbo = rec.of("bbo").at(-1);
    assert.ok(bbo?.bid && bbo.ask);
    const tick = D.mul(client.contract("BTC").tickSize, "200");
    return side === "BUY" ? D.add(bbo.ask, tick) : D.sub(bbo.bid, tick);
  }

  async function account(): Promise<{ collateral: string; size: string }> {
    const a = (await simState(sim)).accounts[DEV_ACCOUNT.accountId];
    assert.ok(a !== undefined);
    return { collateral: a.collateral, size: a.positions[btcId]?.openSize ?? "0" };
  }

  /** The censor statuses the private socket carried for one fill, in order (from the simulator's send log). */
  async function censorStatuses(fillId: string): Promise<string[]> {
    const res = await fetch(`${sim.controlUrl}/sent?channel=private&limit=5000`, {
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { records: { frame: string }[] };
    const out: string[] = [];
    for (const r of body.records) {
      const frame = JSON.parse(r.frame) as {
        content?: { data?: { orderFillTransaction?: Record<string, unknown>[] } };
      };
      for (const f of frame.content?.data?.orderFillTransaction ?? [])
        if (f["id"] === fillId) out.push(String(f["censorStatus"]));
    }
    return out;
  }

  it("a fill is pushed at INIT, then CENSOR_SUCCESS; the client emits it once and never retracts it", async () => {
    const from = rec.mark;
    const res = await client.place({
      market: "BTC",
      side: "BUY",
      type: "LIMIT",
      size: "0.01",
      price: through("BUY"),
      tif: "IOC",
      clientId: "cs-ok-1",
    });
    const fill = await rec.waitFor("fill", (f) => f.order_id === res.orderId, { from });
    await until(async () => (await censorStatuses(fill.fill_id)).length >= 2, 5_000, "the final censor status");
    assert.deepEqual(await censorStatuses(fill.fill_id), ["INIT", "CENSOR_SUCCESS"]);
    assert.equal(rec.of("fill", from).filter((f) => f.fill_id === fill.fill_id).length, 1);
    assert.equal(rec.of("fill_bust", from).length, 0);
    assert.deepEqual(rec.schemaErrors, []);
  });

  it("censor_fail: the next fill is emitted at INIT, then retracted by fill_bust; position and collateral come back", async () => {
    const before = await account();
    assert.equal((await sim.control("censor_fail", { count: 1 }))["ok"], true);
    const from = rec.mark;
    const res = await client.place({
      market: "BTC",
      side: "BUY",
      type: "LIMIT",
      size: "0.01",
      price: through("BUY"),
      tif: "IOC",
      clientId: "cs-fail-1",
    });
    const fill = await rec.waitFor("fill", (f) => f.order_id === res.orderId, { from });
    assert.equal(fill.size, "0.01");
    const bust = await rec.waitFor("fill_bust", (b) => b.fill_id === fill.fill_id, { from });
    assert.equal(bust.order_id, res.orderId);
    assert.equal(bust.market, "BTCUSDC");
    assert.equal(bust.reason, "CENSOR_FAILURE");
    assert.deepEqual(await censorStatuses(fill.fill_id), ["INIT", "CENSOR_FAILURE"]);
    // The venue's own records undo it too: position back to where it was, collateral (value and fee) refunded.
    await rec.waitFor("position", (p) => p.market === "BTCUSDC" && p.size === D.canonical(before.size), { from });
    assert.deepEqual(await account(), before);
    assert.equal(rec.of("fill_bust", from).length, 1, "retracted once");
    assert.deepEqual(rec.schemaErrors, []);
  });

  it("censor_fail with a fill id: that fill, still at INIT, ends L2_REJECT and is retracted", async () => {
    // Fills stay at INIT until told otherwise, so the test can pick one while it is pending.
    assert.equal((await sim.control("censor_delay", { ms: 600_000 }))["ok"], true);
    try {
      const before = await account();
      const from = rec.mark;
      const res = await client.place({
        market: "BTC",
        side: "SELL",
        type: "LIMIT",
        size: "0.02",
        price: through("SELL"),
        tif: "IOC",
        clientId: "cs-fail-2",
      });
      const fill = await rec.waitFor("fill", (f) => f.order_id === res.orderId, { from });
      assert.equal((await sim.control("censor_fail", { fill_id: fill.fill_id, status: "L2_REJECT" }))["ok"], true);
      assert.equal(rec.of("fill_bust", from).length, 0, "still at INIT: nothing retracted yet");
      assert.equal((await sim.control("censor_end", { fill_id: fill.fill_id }))["ended"], 1);
      const bust = await rec.waitFor("fill_bust", (b) => b.fill_id === fill.fill_id, { from });
      assert.equal(bust.reason, "L2_REJECT");
      assert.deepEqual(await censorStatuses(fill.fill_id), ["INIT", "L2_REJECT"]);
      await rec.waitFor("position", (p) => p.market === "BTCUSDC" && p.size === D.canonical(before.size), { from });
      assert.deepEqual(await account(), before);
      // A fill already censored cannot be failed any more (EdgeX's final statuses are final).
      const late = await fetch(`${sim.controlUrl}/censor_fail`, {
        method: "POST",
        body: JSON.stringify({ fill_id: fill.fill_id }),
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(late.status, 409);
    } finally {
      await sim.control("censor_delay", { ms: 30 });
    }
  });

  it("skip_depth15: level-15 pushes skip versions; the client's book (level 200) stays equal, with no resync", async () => {
    // A raw level-15 subscriber: it shows the fault is real (its versions jump) while the client reads 200.
    const raw = new WebSocket(sim.quoteWsUrl);
    const ranges: [bigint, bigint][] = [];
    raw.on("message", (data) => {
      const m = JSON.parse(data.toString()) as {
        type?: string;
        content?: { data?: { startVersion?: string; endVersion?: string; depthType?: string }[] };
      };
      const r = m.type === "quote-event" ? m.content?.data?.[0] : undefined;
      if (r?.startVersion !== undefined && r.endVersion !== undefined && r.depthType === "CHANGED")
        ranges.push([BigInt(r.startVersion), BigInt(r.endVersion)]);
    });
    await new Promise<void>((resolve, reject) => {
      raw.once("open", () => resolve());
      raw.once("error", reject);
    });
    raw.send(JSON.stringify({ type: "subscribe", channel: `depth.${btcId}.15` }));
    try {
      await until(() => ranges.length >= 2, 5_000, "level-15 changes");
      const counters = { ...client.market.counters };
      const from = rec.mark;
      assert.equal((await sim.control("skip_depth15", { count: 10 }))["ok"], true);
      await until(async () => (await stateFaults())["skip_depth15_next"] === 0, 10_000, "10 withheld level-15 pushes");
      await until(() => ranges.length >= 2 && jumps(ranges) > 0, 5_000, "a level-15 version jump");
      await sim.control("pause");
      try {
        const held = (await simState(sim)).contracts[btcId];
        assert.ok(held !== undefined);
        await until(
          () => client.market.book(btcId)?.version === BigInt(held.version),
          5_000,
          `client book at version ${held.version}`,
        );
        const book = client.market.book(btcId);
        assert.deepEqual(book?.levels("bids"), held.book15.bids);
        assert.deepEqual(book?.levels("asks"), held.book15.asks);
        const last = rec
          .of("book", from)
          .filter((e) => e.market === "BTCUSDC")
          .at(-1);
        assert.deepEqual(last?.bids, held.book15.bids);
        assert.deepEqual(last?.asks, held.book15.asks);
        assert.equal(client.market.counters.gaps, counters.gaps, "no gap");
        assert.equal(client.market.counters.resyncs, counters.resyncs, "no resync");
        assert.equal(rec.of("status", from).filter((s) => s.state === "gap").length, 0);
      } finally {
        await sim.control("resume");
      }
    } finally {
      raw.terminate();
    }
  });

  /** How many level-15 records started past the version after the previous one's end. */
  function jumps(ranges: readonly [bigint, bigint][]): number {
    let n = 0;
    for (let i = 1; i < ranges.length; i++) {
      const prev = ranges[i - 1];
      const cur = ranges[i];
      if (prev !== undefined && cur !== undefined && cur[0] > prev[1] + 1n) n += 1;
    }
    return n;
  }

  async function stateFaults(): Promise<Record<string, unknown>> {
    const res = await fetch(`${sim.controlUrl}/state`, { signal: AbortSignal.timeout(5_000) });
    return ((await res.json()) as { faults: Record<string, unknown> }).faults;
  }
});
