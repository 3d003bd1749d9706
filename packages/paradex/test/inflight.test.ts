/**
 * kill -9 of the sidecar with orders in flight: every in-flight `place` ends definite (placed, with the
 * order's state, or `OrderNotPlacedError`), none is placed twice, and the answers agree with the venue.
 */
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ParadexVenue } from "../src/paradex-venue.ts";
import { OrderNotPlacedError, PlaceOutcomeUnknownError } from "../src/errors.ts";
import type { PlaceOrderResult } from "@paradex-edgex/core";
import { type ParadexSimHandle as SimHandle, startParadexSim } from "@paradex-edgex/dev/sims";
import { memoryLogger, until, within } from "@paradex-edgex/dev/testing";

let sim: SimHandle;
let venue: ParadexVenue;

before(async () => {
  sim = await startParadexSim({ seed: 7, bboRate: 20 });
  venue = new ParadexVenue({
    network: "sim",
    wsUrl: sim.wsUrl,
    restUrl: sim.restUrl,
    markets: ["BTC-USD-PERP"],
    channels: ["bbo", "orders"],
    extraArgs: ["--log-level", "WARNING"],
    // One account for every child (as real credentials are): without a key each child gets its own paper key.
    env: {
      PARADEX_SIM_L1_ADDRESS: `0x${randomBytes(20).toString("hex")}`,
      PARADEX_SIM_L2_PRIVATE_KEY: `0x0${randomBytes(31).toString("hex")}`,
    },
    helloTimeoutMs: 60_000,
    resolveTimeoutMs: 60_000, // a loaded machine may take that long to bring the next child up
    logger: memoryLogger(),
  });
  await within(venue.connect(), 60_000, "connect");
  await within(venue.markets(), 10_000, "markets");
});

after(async () => {
  await venue?.close();
  await sim?.stop();
});

type Outcome =
  | { cid: string; placed: PlaceOrderResult }
  | { cid: string; notPlaced: true }
  | { cid: string; unknown: unknown };

test("kill -9 with places in flight: each resolves definitely by client id, none is placed twice", {
  timeout: 90_000,
}, async () => {
  const run = `k${Date.now().toString(36)}`;
  const n = 12;
  const cids = Array.from({ length: n }, (_, i) => `${run}-${i}`);
  const oldPid = venue.sidecar.pid;
  assert.ok(oldPid !== undefined);
  await until(() => venue.sidecar.standbyPid !== undefined, 10_000, "a warm standby child");
  const standby = venue.sidecar.standbyPid;
  // Resting BUYs far below the market: each one that reached Paradex stays open, so the venue can be counted.
  const received = async (): Promise<number> =>
    Number(((await sim.query("trading")) as { counters: { orders_received: number } }).counters.orders_received);
  const before = await received();
  const pending = cids.map((cid, i) =>
    venue
      .place({
        market: "BTC-USD-PERP",
        side: "BUY",
        type: "LIMIT",
        size: "0.001",
        price: String(30000 + i),
        tif: "GTC",
        clientId: cid,
      })
      .then(
        (placed): Outcome => ({ cid, placed }),
        (err: unknown): Outcome =>
          err instanceof OrderNotPlacedError ? { cid, notPlaced: true } : { cid, unknown: err },
      ),
  );
  // Kill while they are in flight: after the first answer, so some have reached the venue and some have not.
  await within(venue.sidecar.once("result"), 10_000, "first result");
  process.kill(-oldPid, "SIGKILL");
  const outcomes = await within(Promise.all(pending), 60_000, "every in-flight place resolved");
  const unknown = outcomes.filter((o) => "unknown" in o);
  assert.deepEqual(
    unknown.map((o) => String((o as { unknown: unknown }).unknown)),
    [],
    "no outcome left unknown",
  );
  assert.ok(!unknown.some((o) => (o as { unknown: unknown }).unknown instanceof PlaceOutcomeUnknownError));
  assert.equal(venue.sidecar.pid, standby, "the warm standby became the child");
  // The venue agrees: every order reported placed is known by its client id, every "not placed" is not, and
  // the simulator received exactly as many orders as were reported placed (none twice, none extra). The
  // resting orders themselves may be gone: the dead child's session had cancel-on-disconnect armed.
  const placed = outcomes.filter((o) => "placed" in o).map((o) => o.cid);
  const notPlaced = outcomes.filter((o) => "notPlaced" in o).map((o) => o.cid);
  assert.equal(placed.length + notPlaced.length, n);
  for (const cid of placed) assert.notEqual(await venue.order(cid, "BTC-USD-PERP"), null, `${cid} is on the venue`);
  for (const cid of notPlaced) assert.equal(await venue.order(cid, "BTC-USD-PERP"), null, `${cid} is not on the venue`);
  const after = await received();
  assert.equal(after - before, placed.length, "orders received by the simulator = orders reported placed");
  await venue.cancelAll("BTC-USD-PERP");
});
