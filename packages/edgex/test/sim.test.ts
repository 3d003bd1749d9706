/**
 * The simulator on its own: the CLI ready line, determinism by seed, the reference price path, price jumps,
 * REST authentication, control-API validation and the sent-frame log.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { control, simState, startEdgexSim } from "./helpers.ts";

const T = { timeout: 30_000 };

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("EdgeX simulator", T, () => {
  it("runs alone: `npm run edgex-sim` prints one sim_ready JSON line and serves REST", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "packages/edgex-sim/src/main.ts", "--port", "0", "--seed", "5"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env["PATH"] ?? "" },
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no ready line")), 15_000);
        createInterface({ input: child.stdout }).once("line", (l) => {
          clearTimeout(timer);
          resolve(l);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const ready = JSON.parse(line) as Record<string, string>;
      assert.equal(ready["type"], "sim_ready");
      for (const k of ["quote_ws_url", "private_ws_url", "rest_url", "control_url"])
        assert.match(ready[k] ?? "", /^(ws|http):\/\/127\.0\.0\.1:\d+/);
      const t = await getJson(`${ready["rest_url"]}/api/v2/public/meta/getServerTime`);
      assert.equal(t.body["code"], "SUCCESS");
      assert.ok(!line.includes("sim-api-secret"), "no secret on stdout");
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("is deterministic: the same seed gives the same books, another seed does not", async () => {
    const books = async (seed: number): Promise<string> => {
      const sim = await startEdgexSim({ seed, stepMs: 60_000, quirks: false });
      try {
        return JSON.stringify(Object.values((await simState(sim)).contracts).map((c) => c.book15));
      } finally {
        await sim.stop();
      }
    };
    const [a, b, c] = [await books(3), await books(3), await books(4)];
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it("follows a reference price path stepwise, and `price` jumps the mid", async () => {
    const path = ['{"t": 0, "BTC": "70000", "ETH": "3500.5"}', '{"t": 0.3, "BTC": "70100"}'].join("\n");
    const sim = await startEdgexSim({ seed: 1, stepMs: 20, pricePathText: path });
    try {
      const btc = (): Promise<string | undefined> => simState(sim).then((s) => Object.values(s.contracts)[0]?.mid);
      const waitMid = async (want: string): Promise<void> => {
        const deadline = Date.now() + 5_000;
        while ((await btc()) !== want) {
          if (Date.now() > deadline) throw new Error(`BTC mid never reached ${want}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await waitMid("70000");
      await waitMid("70100");
      assert.equal(Object.values((await simState(sim)).contracts)[1]?.mid, "3500.5");
      const r = await control(sim, "price", { coin: "BTC", mid: 69000 });
      assert.equal(r["mid"], "69000");
      const st = await simState(sim);
      const bestBid = Number(Object.values(st.contracts)[0]?.book15.bids[0]?.[0]);
      assert.ok(bestBid < 69000 && bestBid > 68990, `book follows the jump (best bid ${bestBid})`);
    } finally {
      await sim.stop();
    }
  });

  it("private REST needs valid HMAC headers; bad control input is a 400, not a crash", async () => {
    const sim = await startEdgexSim({ seed: 2, stepMs: 1_000 });
    try {
      const unsigned = await getJson(`${sim.restUrl}/api/v2/private/account/getAccountAsset?accountId=1`);
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.body["code"], "UNAUTHORIZED");
      const forged = await getJson(`${sim.restUrl}/api/v2/private/account/getAccountAsset?accountId=1`, {
        "X-edgeX-Api-Key": "sim-api-key",
        "X-edgeX-Passphrase": "sim-passphrase",
        "X-edgeX-Timestamp": String(Date.now()),
        "X-edgeX-Signature": "00",
      });
      assert.equal(forged.body["code"], "SIGNATURE_ERROR");
      const badContract = await getJson(`${sim.restUrl}/api/v2/public/quote/getDepth?contractId=1&level=15`);
      assert.equal(badContract.body["code"], "INVALID_CONTRACT_ID");
      assert.equal((await control(sim, "gap", { contractId: "nope" }))["ok"], false);
      assert.equal((await control(sim, "explode"))["ok"], false);
      const res = await fetch(`${sim.controlUrl}/price`, { method: "POST", body: "{not json" });
      assert.equal(res.status, 400);
      assert.equal((await getJson(`${sim.restUrl}/api/v2/public/meta/getMetaData`)).body["code"], "SUCCESS");
    } finally {
      await sim.stop();
    }
  });
});
