/**
 * The simulator's outage faults at the socket level: `down` takes the whole venue away, `down {keep_rest: true}`
 * only its WebSockets (a stream outage a client's REST fallback must ride through).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import type { EdgeXClient } from "../src/client.ts";
import { FAST_SIM, clientFor, control, startEdgexSim, until, type EdgexSim } from "./helpers.ts";

const T = { timeout: 20_000 };

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opens (then closes it). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer to the upgrade of ${url}`));
    }, 5_000);
    ws.once("open", () => {
      clearTimeout(timer);
      ws.close();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function restStatus(sim: EdgexSim): Promise<number> {
  const res = await fetch(`${sim.restUrl}/api/v2/public/quote/getDepth?contractId=30000001&level=15`, {
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("EdgeX simulator outages", T, () => {
  let sim: EdgexSim;
  let client: EdgeXClient;

  before(async () => {
    sim = await startEdgexSim(FAST_SIM);
    client = clientFor(sim);
    await client.connect();
    await client.subscribe("bbo", "BTC-USD-PERP");
  });

  after(async () => {
    await client.close();
    await sim.stop();
  });

  const sessions = async (): Promise<[number, number]> => {
    const res = await fetch(`${sim.controlUrl}/state`, { signal: AbortSignal.timeout(5_000) });
    const s = (await res.json()) as { quote: { sessions: unknown[] }; private: { sessions: unknown[] } };
    return [s.quote.sessions.length, s.private.sessions.length];
  };

  it("down {keep_rest: true}: both sockets cut and refused with 503, REST answering, then back", async () => {
    await until(async () => (await sessions()).every((n) => n > 0), 5_000, "quote and private sessions");
    const r = await control(sim, "down", { seconds: 1.5, keep_rest: true });
    assert.equal(r["ok"], true);
    assert.equal(r["keep_rest"], true);
    assert.ok(Number(r["dropped"]) >= 2, JSON.stringify(r));
    assert.equal(await upgradeStatus(sim.quoteWsUrl), 503);
    assert.equal(await upgradeStatus(`${sim.privateWsUrl}?accountId=1`), 503, "refused before authentication");
    assert.equal(await restStatus(sim), 200);
    const depth = (await client.rest.get("/api/v2/public/quote/getDepth", {
      contractId: "30000001",
      level: 15,
    })) as unknown[];
    assert.equal(depth.length, 1, "the client's own REST calls go through");
    const state = (await (await fetch(`${sim.controlUrl}/state`)).json()) as {
      faults: { down: boolean; stream_down: boolean };
    };
    assert.deepEqual([state.faults.down, state.faults.stream_down], [false, true]);
    await until(async () => (await upgradeStatus(sim.quoteWsUrl)) === 101, 8_000, "the quote socket back");
    // The client reconnects both sockets by itself once upgrades are accepted again.
    await until(async () => (await sessions()).every((n) => n > 0), 8_000, "the client's sessions back");
  });

  it("down (default): REST answers 503 as well, then everything comes back", async () => {
    const r = await control(sim, "down", { seconds: 1 });
    assert.equal(r["keep_rest"], false);
    assert.equal(await restStatus(sim), 503);
    assert.equal(await upgradeStatus(sim.quoteWsUrl), 503);
    await until(async () => (await restStatus(sim)) === 200, 5_000, "REST back");
    assert.equal(await upgradeStatus(sim.quoteWsUrl), 101);
  });

  it("a bad down request is a 400 and changes nothing", async () => {
    assert.equal((await control(sim, "down", { seconds: 1, keep_rest: "yes" }))["ok"], false);
    assert.equal((await control(sim, "down", { seconds: -1 }))["ok"], false);
    assert.equal((await control(sim, "down", { seconds: 7200 }))["ok"], false);
    assert.equal(await restStatus(sim), 200);
    assert.equal(await upgradeStatus(sim.quoteWsUrl), 101);
  });
});
