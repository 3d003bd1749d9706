/**
 * Market data against the simulator: the client's book equals the simulator's, gaps are detected and healed,
 * the client always pongs, resets and downtime are recovered, malformed frames are reported without a crash.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import type { EdgeXClient } from "../src/client.ts";
import { FAST_SIM, Recorder, clientFor, control, simState, startEdgexSim, until, type EdgexSim } from "./helpers.ts";

const T = { timeout: 20_000 };

describe("EdgeX market data against the simulator", T, () => {
  let sim: EdgexSim;
  let client: EdgeXClient;
  let rec: Recorder;
  let btcId: string;

  before(async () => {
    sim = await startEdgexSim({ ...FAST_SIM, maxMissedPongs: 5 });
    client = clientFor(sim, { staleAfterMs: 400 }, false);
    rec = new Recorder(client);
    await client.connect();
    btcId = client.contract("BTC-USD-PERP").contractId;
    await client.subscribe("book", "BTC-USD-PERP");
    await client.subscribe("bbo", "BTC-USD-PERP");
    await client.subscribe("trades", "BTC-USD-PERP");
    await rec.waitFor("book", (e) => e.market === "BTCUSDC");
  });

  after(async () => {
    await client.close();
    await sim.stop();
  });

  /** Pause the simulator, wait until the client has applied the simulator's last version, compare books. */
  async function assertSameBook(contractId = btcId): Promise<void> {
    await control(sim, "pause");
    try {
      const state = await simState(sim);
      const held = state.contracts[contractId];
      assert.ok(held !== undefined);
      await until(
        () => client.market.book(contractId)?.version === BigInt(held.version),
        5_000,
        `client book at version ${held.version}`,
      );
      const book = client.market.book(contractId);
      assert.deepEqual(book?.levels("bids"), held.book15.bids);
      assert.deepEqual(book?.levels("asks"), held.book15.asks);
      const market = client.contract(contractId).contractName;
      const last = rec
        .of("book")
        .filter((e) => e.market === market)
        .at(-1);
      assert.deepEqual(last?.bids, held.book15.bids);
      assert.equal(last?.exchange_seq, held.version);
    } finally {
      await control(sim, "resume");
    }
  }

  it("snapshot + changes rebuild the book the simulator holds", async () => {
    const from = rec.mark;
    await rec.waitFor("book", () => rec.of("book", from).length >= 20, { from, label: "20 book updates" });
    await assertSameBook();
    const bbo = rec.of("bbo").at(-1);
    assert.ok(bbo !== undefined && bbo.bid !== null && bbo.ask !== null && Number(bbo.bid) < Number(bbo.ask));
    assert.ok(rec.of("trade").length > 0, "trades flow");
  });

  it("a version gap is detected, reported and healed with a fresh snapshot", async () => {
    const from = rec.mark;
    const r = await control(sim, "gap", { contractId: btcId });
    assert.equal(r["ok"], true);
    const gap = await rec.waitFor("status", (s) => s.state === "gap" && s.channel === "book", { from });
    assert.match(gap.reason ?? "", /startVersion/);
    await rec.waitFor("status", (s) => s.state === "live" && s.channel === "book", {
      from,
      label: "live after resync",
    });
    await rec.waitFor("book", () => true, { from: rec.mark });
    await assertSameBook();
  });

  it("a delayed Snapshot: changes that arrive first are held off, the book is whole once it comes", async () => {
    const from = rec.mark;
    await control(sim, "delay_snapshot", { count: 1, ms: 300 });
    await client.subscribe("book", "ETH-USD-PERP");
    await rec.waitFor("book", (e) => e.market === "ETHUSDC", { from });
    assert.equal(rec.of("status", from).filter((s) => s.state === "gap" && s.market === "ETHUSDC").length, 0);
    await assertSameBook(client.contract("ETH").contractId);
  });

  it("a duplicate (old-version) depth frame is ignored, not applied twice", async () => {
    await control(sim, "pause");
    try {
      const ignored = client.market.counters.ignoredStale;
      const r = await control(sim, "duplicate", { contractId: btcId });
      assert.ok((r["channels"] as number) >= 1);
      await until(() => client.market.counters.ignoredStale > ignored, 5_000, "duplicate ignored");
    } finally {
      await control(sim, "resume");
    }
    await assertSameBook();
  });

  it("the client answers every server ping (so the 5-missed-pongs close never happens)", async () => {
    const before = await simState(sim);
    const pongs = before.quote.sessions[0]?.pongs ?? 0;
    // 200 ms ping interval: 8 more pongs is 1.6 s, well past the 5 × 200 ms the server tolerates.
    await until(async () => ((await simState(sim)).quote.sessions[0]?.pongs ?? 0) >= pongs + 8, 8_000, "8 more pongs");
    const st = await simState(sim);
    assert.equal(st.quote.closed_for_missed_pongs, 0);
    assert.equal(st.quote.sessions[0]?.bad_pongs, 0);
    assert.ok((st.quote.sessions[0]?.missed_pongs ?? 9) <= 1);
  });

  it("control: a socket that does not pong is closed by the simulator after 5 missed pings", async () => {
    const ws = new WebSocket(sim.quoteWsUrl);
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    const code = await Promise.race([
      closed,
      new Promise<number>((_, rej) => setTimeout(() => rej(new Error("not closed")), 5_000)),
    ]);
    assert.equal(code, 4001);
  });

  it("a server reset (TCP drop) is recovered: reconnect, resubscribe, fresh snapshot", async () => {
    const from = rec.mark;
    await control(sim, "drop");
    await rec.waitFor("status", (s) => s.state === "disconnected" && s.channel === undefined, { from });
    await rec.waitFor("status", (s) => s.state === "reconnecting" && (s.delay_ms ?? -1) >= 0, { from });
    await rec.waitFor("status", (s) => s.state === "subscribed" && s.channel === "book", { from });
    await rec.waitFor("book", () => true, { from });
    await assertSameBook();
  });

  it("downtime: upgrades refused for a while, the client keeps retrying and comes back", async () => {
    const from = rec.mark;
    await control(sim, "down", { seconds: 0.6 });
    await rec.waitFor("status", (s) => s.state === "disconnected" && /HTTP 503/.test(s.reason ?? ""), {
      from,
      label: "refused handshake",
    });
    await rec.waitFor("status", (s) => s.state === "subscribed" && s.channel === "book", { from, timeoutMs: 8_000 });
    await rec.waitFor("book", () => true, { from: rec.mark });
  });

  it("a silent channel is reported stale, then live when data flows again", async () => {
    const from = rec.mark;
    await control(sim, "silence", { channel: "book", market: "BTC-USD-PERP", seconds: 1 });
    await rec.waitFor("status", (s) => s.state === "stale" && s.channel === "book", { from });
    await rec.waitFor("status", (s) => s.state === "live" && s.channel === "book", { from, timeoutMs: 8_000 });
    await rec.waitFor("book", () => true, { from: rec.mark });
  });

  it("every malformed frame is reported as an error event; the client keeps running", async () => {
    const from = rec.mark;
    const r = await control(sim, "malformed", { count: 9 });
    assert.equal(r["sent"], 9);
    await rec.waitFor("error", () => rec.of("error", from).filter((e) => e.code === "BAD_FRAME").length >= 9, {
      from,
      label: "9 BAD_FRAME errors",
    });
    await rec.waitFor("book", () => true, { from: rec.mark, label: "book after malformed frames" });
    for (const e of rec.of("error", from)) assert.ok(e.message.length > 0 && e.message.length < 400);
    await assertSameBook();
  });

  it("frames for contracts the client did not subscribe to are ignored (no event, no error)", async () => {
    const from = rec.mark;
    const r = await control(sim, "stray", { count: 3 });
    assert.equal(r["sent"], 3);
    await assertSameBook();
    const unrelated = rec.events
      .slice(from)
      .filter((e) => (e.type === "book" || e.type === "bbo") && e.market !== "BTCUSDC" && e.market !== "ETHUSDC");
    assert.deepEqual(unrelated, []);
    assert.equal(rec.of("error", from).length, 0);
  });

  it("every event matched the sidecar's schema", () => {
    assert.deepEqual(rec.schemaErrors, []);
    const seqs = rec.events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      "seq is 1, 2, 3… without gaps",
    );
  });
});
