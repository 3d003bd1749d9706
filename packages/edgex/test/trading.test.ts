/**
 * Orders end to end against the simulator: signed with HMAC + EIP-712, verified by the simulator, matched,
 * and reported back as order/fill/position/account events; rejections, lost replies, partial fills,
 * idempotent client ids, cancels, and refused credentials.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EdgeXClient } from "../src/client.ts";
import { OrderRejectedError, OrderValidationError } from "../src/errors.ts";
import { RestError } from "../src/transport/rest.ts";
import * as D from "@paradex-edgex/core/decimal";
import {
  DEV_ACCOUNT,
  FAST_SIM,
  Recorder,
  clientFor,
  control,
  simState,
  startEdgexSim,
  until,
  type EdgexSim,
} from "./helpers.ts";

const T = { timeout: 30_000 };

describe("EdgeX trading against the simulator", T, () => {
  let sim: EdgexSim;
  let client: EdgeXClient;
  let rec: Recorder;
  let btcId: string;

  before(async () => {
    sim = await startEdgexSim({ ...FAST_SIM, seed: 11 });
    client = clientFor(sim);
    rec = new Recorder(client);
    await client.connect();
    btcId = client.contract("BTC").contractId;
    await client.subscribe("bbo", "BTC-USD-PERP");
    await rec.waitFor("status", (s) => s.state === "live" && s.channel === "private", { label: "account snapshot" });
    await rec.waitFor("bbo");
  });

  after(async () => {
    await client.close();
    await sim.stop();
  });

  async function ordersInSim(): Promise<number> {
    return (await simState(sim)).accounts[DEV_ACCOUNT.accountId]?.orders ?? -1;
  }

  /** A price `ticks` ticks through the touch on the taking side (200 ticks = 20 USD: far beyond a few steps of drift). */
  function through(side: "BUY" | "SELL", ticks: number): string {
    const bbo = rec.of("bbo").at(-1);
    assert.ok(bbo?.bid && bbo.ask);
    const tick = client.contract("BTC").tickSize;
    return side === "BUY" ? D.add(bbo.ask, D.mul(tick, String(ticks))) : D.sub(bbo.bid, D.mul(tick, String(ticks)));
  }

  it("an IOC buy is verified and filled by the simulator and comes back as order, fill, position, account", async () => {
    const from = rec.mark;
    const res = await client.place({
      market: "BTC-USD-PERP",
      side: "BUY",
      type: "LIMIT",
      size: "0.01",
      price: through("BUY", 200),
      tif: "IOC",
      clientId: "t-ioc-1",
    });
    assert.ok(res.orderId !== null && res.clientId === "t-ioc-1");
    const closed = await rec.waitFor("order", (o) => o.client_id === "t-ioc-1" && o.status === "CLOSED", { from });
    assert.equal(closed.remaining_size, "0");
    assert.equal(closed.order_id, res.orderId);
    assert.ok(closed.avg_fill_price !== null);
    const fills = rec.of("fill", from).filter((f) => f.order_id === res.orderId);
    assert.ok(fills.length >= 1);
    assert.equal(
      fills.reduce((s, f) => D.add(s, f.size), "0"),
      "0.01",
    );
    assert.ok(
      fills.every(
        (f) =>
          f.liquidity === "TAKER" && f.client_id === "t-ioc-1" && f.fee_currency === "USDC" && D.cmp(f.fee, "0") > 0,
      ),
    );
    const pos = await rec.waitFor("position", (p) => p.market === "BTCUSDC" && p.size === "0.01", { from });
    assert.equal(pos.side, "LONG");
    const acct = await rec.waitFor("account", () => true, { from });
    assert.ok(D.cmp(acct.account_value, "0") > 0);
    assert.ok(
      rec.of("order", from).some((o) => o.client_id === "t-ioc-1" && o.status === "NEW"),
      "NEW before CLOSED",
    );
    const st = await simState(sim);
    assert.equal(st.accounts[DEV_ACCOUNT.accountId]?.positions[btcId]?.openSize, "0.01");
  });

  it("a MARKET buy is bounded by 10 × oracle (from getTicker), verified and filled", async () => {
    const from = rec.mark;
    await client.place({ market: "BTC", side: "BUY", type: "MARKET", size: "0.01", clientId: "t-mkt-0" });
    const o = await rec.waitFor("order", (e) => e.client_id === "t-mkt-0" && e.status === "CLOSED", { from });
    assert.equal(o.remaining_size, "0");
    assert.equal(o.price, null);
    await rec.waitFor("position", (p) => p.market === "BTCUSDC" && p.size === "0.02", { from });
  });

  it("a MARKET sell closes the position (FLAT) and realizes through collateral", async () => {
    const from = rec.mark;
    await client.place({ market: "BTCUSDT", side: "SELL", type: "MARKET", size: "0.02", clientId: "t-mkt-1" });
    await rec.waitFor("order", (o) => o.client_id === "t-mkt-1" && o.status === "CLOSED" && o.remaining_size === "0", {
      from,
    });
    const pos = await rec.waitFor("position", (p) => p.market === "BTCUSDC" && p.side === "FLAT", { from });
    assert.equal(pos.size, "0");
  });

  it("a resting GTC order shows OPEN and is cancelled by client id; cancelAll clears the rest", async () => {
    const from = rec.mark;
    const far = D.floorToStep(D.mul(rec.of("bbo").at(-1)?.bid ?? "0", "0.97"), client.contract("BTC").tickSize);
    await client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.002", price: far, clientId: "t-gtc-1" });
    await rec.waitFor("order", (o) => o.client_id === "t-gtc-1" && o.status === "OPEN", { from });
    await client.cancel({ clientId: "t-gtc-1" });
    const c = await rec.waitFor("order", (o) => o.client_id === "t-gtc-1" && o.status === "CLOSED", { from });
    assert.equal(c.cancel_reason, "USER_CANCELED");
    await client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.002", price: far, clientId: "t-gtc-2" });
    const open = await rec.waitFor("order", (o) => o.client_id === "t-gtc-2" && o.status === "OPEN", { from });
    await client.cancelAll("BTC-USD-PERP");
    await rec.waitFor("order", (o) => o.order_id === open.order_id && o.status === "CLOSED", { from });
    await client.cancel({ orderId: open.order_id }); // already cancelled: idempotent, no error
    await assert.rejects(
      client.cancel({ orderId: "1" }),
      (e: unknown) => e instanceof Error && "code" in e && e.code === "FAILED_ORDER_NOT_FOUND",
    );
  });

  it("invalid size/price is refused before signing: nothing reaches the simulator", async () => {
    const n = await ordersInSim();
    await assert.rejects(
      client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.0001", price: "65000" }),
      OrderValidationError,
    );
    await assert.rejects(
      client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: "65000.01" }),
      OrderValidationError,
    );
    await assert.rejects(
      client.place({ market: "DOGE", side: "BUY", type: "LIMIT", size: "1", price: "1" }),
      OrderValidationError,
    );
    assert.equal(await ordersInSim(), n);
  });

  it("a venue rejection surfaces its code (reject_next)", async () => {
    await control(sim, "reject_next", { count: 1, code: "INSUFFICIENT_MARGIN" });
    const err = await client
      .place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: through("BUY", 200), tif: "IOC" })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OrderRejectedError);
    assert.equal(err.code, "INSUFFICIENT_MARGIN");
  });

  it("HTTP 429 on createOrder is a definite refusal: reported, nothing created", async () => {
    const n = await ordersInSim();
    await control(sim, "rate_limit_next", { count: 1 });
    const err = await client
      .place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: through("BUY", 200), tif: "IOC" })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OrderRejectedError);
    assert.equal(err.code, "RATE_LIMIT_EXCEEDED");
    assert.equal(await ordersInSim(), n);
  });

  it("RATE_LIMIT_EXCEEDED is paced: the client pauses before its next request and retries a read", async () => {
    const before = { ...client.rest.counters };
    await control(sim, "rate_limit_next", { count: 2 });
    const page = (await client.rest.get("/api/v2/private/order/getActiveOrderPage", {
      accountId: DEV_ACCOUNT.accountId,
      size: 10,
    })) as { dataList: unknown[] };
    assert.ok(Array.isArray(page.dataList), "the read succeeded after two refusals");
    assert.equal(client.rest.counters.rateLimited - before.rateLimited, 2);
    assert.ok(client.rest.counters.paced - before.paced >= 2, "each retry waited out the pause first");
  });

  it("a lost createOrder reply is resolved by client-id lookup and never resent", async () => {
    const n = await ordersInSim();
    await control(sim, "no_reply_next", { count: 1 });
    const res = await client.place({
      market: "BTC",
      side: "SELL",
      type: "LIMIT",
      size: "0.001",
      price: through("SELL", 200),
      tif: "IOC",
      clientId: "t-lost-1",
    });
    assert.ok(res.orderId !== null);
    assert.equal(res.clientId, "t-lost-1");
    assert.equal(await ordersInSim(), n + 1, "exactly one order reached the simulator");
  });

  it("a lost reply for an IOC that already ended is found through the history lookup (stream silent)", async () => {
    const n = await ordersInSim();
    await control(sim, "silence", { channel: "private", seconds: 30 }); // only REST can answer
    await control(sim, "no_reply_next", { count: 1 });
    try {
      const res = await client.place({
        market: "BTC",
        side: "SELL",
        type: "LIMIT",
        size: "0.001",
        price: through("SELL", 200),
        tif: "IOC",
        clientId: "t-lost-hist",
      });
      assert.ok(res.orderId !== null);
      assert.equal(res.status, "CLOSED");
      assert.equal(await ordersInSim(), n + 1, "exactly one order reached the simulator");
      // The simulator keeps the lookups apart as EdgeX documents: the ended order is history only.
      const acct = { accountId: DEV_ACCOUNT.accountId };
      const p = "/api/v2/private/order";
      assert.deepEqual(
        await client.rest.get(`${p}/getOrderByClientOrderId`, { ...acct, clientOrderIdList: "t-lost-hist" }),
        [],
      );
      assert.deepEqual(await client.rest.get(`${p}/getOrderById`, { ...acct, orderIdList: res.orderId }), []);
      const hist = (await client.rest.get(`${p}/getHistoryOrderById`, { ...acct, orderIdList: res.orderId })) as {
        id: string;
      }[];
      assert.deepEqual(
        hist.map((o) => o.id),
        [res.orderId],
      );
    } finally {
      await control(sim, "silence", { channel: "private", seconds: 0 });
    }
  });

  it("a repeated client id is answered from the first outcome, not sent twice", async () => {
    const n = await ordersInSim();
    const req = {
      market: "BTC",
      side: "BUY" as const,
      type: "LIMIT" as const,
      size: "0.001",
      price: through("BUY", 200),
      tif: "IOC" as const,
      clientId: "t-dup-1",
    };
    const [a, b] = await Promise.all([client.place(req), client.place(req)]);
    assert.deepEqual(a, b);
    assert.equal(await ordersInSim(), n + 1);
  });

  it("partial_next: an IOC fills only part and the rest is cancelled", async () => {
    const from = rec.mark;
    await control(sim, "partial_next", { count: 1, ratio: 0.5 });
    await client.place({
      market: "BTC",
      side: "SELL",
      type: "LIMIT",
      size: "0.004",
      price: through("SELL", 200),
      tif: "IOC",
      clientId: "t-part-1",
    });
    const o = await rec.waitFor("order", (e) => e.client_id === "t-part-1" && e.status === "CLOSED", { from });
    assert.equal(o.remaining_size, "0.002");
    assert.equal(o.cancel_reason, "COULD_NOT_FILL");
  });

  it("updateLeverageSetting: signed, validated, and used for margin by the simulator", async () => {
    const ok = (await client.rest.post("/api/v2/private/account/updateLeverageSetting", {
      accountId: DEV_ACCOUNT.accountId,
      contractId: btcId,
      leverage: "10",
    })) as Record<string, unknown>;
    assert.equal(ok["leverage"], "10");
    await assert.rejects(
      client.rest.post("/api/v2/private/account/updateLeverageSetting", {
        accountId: DEV_ACCOUNT.accountId,
        contractId: btcId,
        leverage: "0",
      }),
      (e: unknown) => e instanceof Error && "code" in e && e.code === "INVALID_LEVERAGE",
    );
  });

  it("snapshot() reconciles orders, positions, account and balances over REST", async () => {
    const snap = await client.snapshot();
    const st = await simState(sim);
    const simPos = st.accounts[DEV_ACCOUNT.accountId]?.positions[btcId]?.openSize;
    assert.equal(
      snap.positions.find((p) => p.market === "BTCUSDC")?.size,
      simPos === undefined ? undefined : D.canonical(simPos),
    );
    assert.ok(snap.account !== null);
    assert.equal(snap.balances[0]?.token, "USDC");
    assert.equal(snap.balances[0]?.size, D.canonical(st.accounts[DEV_ACCOUNT.accountId]?.collateral ?? "x"));
  });

  it("the private stream survives a drop: reconnect and a fresh account snapshot", async () => {
    const from = rec.mark;
    await control(sim, "drop");
    await rec.waitFor("status", (s) => s.state === "disconnected" && s.channel === "private", { from });
    await rec.waitFor("status", (s) => s.state === "live" && s.channel === "private", { from });
  });

  it("malformed private frames are reported; the account stream keeps working", async () => {
    const from = rec.mark;
    const r = await control(sim, "malformed", { count: 4, target: "private" });
    assert.equal(r["sent"], 4);
    await rec.waitFor("error", () => rec.of("error", from).length >= 4, { from, label: "4 errors" });
    await client.place({
      market: "BTC",
      side: "BUY",
      type: "LIMIT",
      size: "0.001",
      price: through("BUY", 200),
      tif: "IOC",
      clientId: "t-after-bad",
    });
    await rec.waitFor("order", (o) => o.client_id === "t-after-bad" && o.status === "CLOSED", { from });
  });

  it("the private socket answers the server's pings too", async () => {
    await until(async () => ((await simState(sim)).private.sessions[0]?.pongs ?? 0) >= 2, 5_000, "private pongs");
  });

  it("an order that ends while the private socket is down is reconciled after the reconnect", async () => {
    const from = rec.mark;
    const far = D.floorToStep(D.mul(rec.of("bbo").at(-1)?.bid ?? "0", "0.97"), client.contract("BTC").tickSize);
    await client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: far, clientId: "t-away-1" });
    const open = await rec.waitFor("order", (o) => o.client_id === "t-away-1" && o.status === "OPEN", { from });
    await control(sim, "silence", { channel: "private", seconds: 30 });
    await client.cancel({ orderId: open.order_id }); // its ORDER_UPDATE is swallowed by the silence
    await control(sim, "silence", { channel: "private", seconds: 0 });
    const mid = rec.mark;
    assert.equal(rec.of("order", mid).length, 0);
    await control(sim, "drop");
    const closed = await rec.waitFor("order", (o) => o.order_id === open.order_id && o.status === "CLOSED", {
      from: mid,
    });
    assert.equal(closed.cancel_reason, "USER_CANCELED");
  });

  it("an order placed and filled while the private stream is silent is recovered with its fills after a reconnect", async () => {
    await control(sim, "silence", { channel: "private", seconds: 30 });
    const res = await client.place({
      market: "BTC",
      side: "BUY",
      type: "LIMIT",
      size: "0.003",
      price: through("BUY", 200),
      tif: "IOC",
      clientId: "t-away-2",
    });
    await control(sim, "silence", { channel: "private", seconds: 0 });
    const mid = rec.mark;
    assert.equal(rec.of("fill", mid).length, 0);
    await control(sim, "drop");
    const closed = await rec.waitFor("order", (o) => o.order_id === res.orderId && o.status === "CLOSED", {
      from: mid,
    });
    assert.equal(closed.client_id, "t-away-2");
    await rec.waitFor(
      "fill",
      () =>
        rec
          .of("fill", mid)
          .filter((f) => f.order_id === res.orderId)
          .reduce((a, f) => D.add(a, f.size), "0") === "0.003",
      {
        from: mid,
        label: "fills of the missed order",
      },
    );
    await until(() => client.counters.reconciliations > 0, 5_000, "reconciliation done");
    const before = rec.of("fill", mid).length;
    const done = client.counters.reconciliations;
    await control(sim, "drop"); // a second reconnect must not emit the same fills again
    await until(() => client.counters.reconciliations > done, 5_000, "second reconciliation done");
    assert.equal(rec.of("fill", mid).length, before);
  });

  it("pages as EdgeX does: fills size ≤ 100 and active orders ≤ 200 (else INVALID_PARAMETER), next-page tokens", async () => {
    const acct = { accountId: DEV_ACCOUNT.accountId };
    const refused = async (path: string, size: number): Promise<void> => {
      await assert.rejects(client.rest.get(path, { ...acct, size }), (e: unknown) => {
        assert.ok(e instanceof RestError);
        assert.equal(e.code, "INVALID_PARAMETER");
        return true;
      });
    };
    await refused("/api/v2/private/order/getHistoryOrderFillTransactionPage", 101);
    await refused("/api/v2/private/order/getHistoryOrderFillTransactionPage", 0);
    await refused("/api/v2/private/order/getActiveOrderPage", 201);
    await client.rest.get("/api/v2/private/order/getActiveOrderPage", { ...acct, size: 200 });
    // Earlier tests left several fills: walk them one per page through the tokens, each seen once.
    const path = "/api/v2/private/order/getHistoryOrderFillTransactionPage";
    const all = (await client.rest.get(path, { ...acct, size: 100 })) as { dataList: { id: string }[] };
    assert.ok(all.dataList.length >= 2, "earlier tests made fills");
    const walked: string[] = [];
    let offsetData = "";
    for (let i = 0; i < 1000; i++) {
      const pg = (await client.rest.get(path, { ...acct, size: 1, offsetData })) as {
        dataList: { id: string }[];
        nextPageOffsetData: string;
      };
      walked.push(...pg.dataList.map((f) => f.id));
      offsetData = pg.nextPageOffsetData;
      if (offsetData === "") break;
    }
    assert.deepEqual(
      walked,
      all.dataList.map((f) => f.id),
    );
  });

  it("fill catch-up failing does not stop the order lookup after a reconnect (each reconciled on its own)", async () => {
    const from = rec.mark;
    const far = D.floorToStep(D.mul(rec.of("bbo").at(-1)?.bid ?? "0", "0.97"), client.contract("BTC").tickSize);
    await client.place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: far, clientId: "t-indep-1" });
    const open = await rec.waitFor("order", (o) => o.client_id === "t-indep-1" && o.status === "OPEN", { from });
    await control(sim, "silence", { channel: "private", seconds: 30 });
    await client.cancel({ orderId: open.order_id });
    await control(sim, "silence", { channel: "private", seconds: 0 });
    const mid = rec.mark;
    // The first REST call after the reconnect is the fills page: refuse it (HTTP 429).
    await control(sim, "rate_limit_next", { count: 1 });
    await control(sim, "drop");
    const closed = await rec.waitFor("order", (o) => o.order_id === open.order_id && o.status === "CLOSED", {
      from: mid,
      timeoutMs: 15_000,
    });
    assert.equal(closed.cancel_reason, "USER_CANCELED");
  });

  it("every event matched the sidecar's schema", () => {
    assert.deepEqual(rec.schemaErrors, []);
  });
});

describe("the simulator refuses what a real venue would", T, () => {
  let sim: EdgexSim;
  before(async () => {
    sim = await startEdgexSim({ ...FAST_SIM, seed: 12 });
  });
  after(async () => {
    await sim.stop();
  });

  it("a wrong API secret: private socket refused with 401, the client keeps retrying", async () => {
    const bad = clientFor(sim, {
      credentials: {
        accountId: DEV_ACCOUNT.accountId,
        api: { apiKey: DEV_ACCOUNT.apiKey, apiSecret: "wrong-secret", passphrase: DEV_ACCOUNT.passphrase },
        signerKey: `0x${"11".repeat(32)}`,
      },
    });
    const rec = new Recorder(bad);
    try {
      await bad.connect();
      await rec.waitFor(
        "status",
        (s) =>
          s.channel === "private" && s.state === "reconnecting" && (s.attempt ?? 0) >= 3 && /401/.test(s.reason ?? ""),
        {
          label: "3 refused attempts",
        },
      );
      const err = await bad
        .place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: "1000", tif: "POST_ONLY" })
        .catch((e: unknown) => e);
      assert.ok(err instanceof OrderRejectedError);
      assert.equal(err.code, "SIGNATURE_ERROR");
      assert.ok(!JSON.stringify(rec.events).includes("wrong-secret"), "the secret never appears in events");
    } finally {
      await bad.close();
    }
  });

  it("a valid HMAC but the wrong signer key: createOrder refused with SIGNATURE_ERROR", async () => {
    const other = clientFor(sim, {
      credentials: {
        accountId: DEV_ACCOUNT.accountId,
        api: { apiKey: DEV_ACCOUNT.apiKey, apiSecret: DEV_ACCOUNT.apiSecret, passphrase: DEV_ACCOUNT.passphrase },
        signerKey: `0x${"22".repeat(32)}`,
      },
    });
    try {
      await other.connect();
      const err = await other
        .place({ market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: "60000", tif: "POST_ONLY" })
        .catch((e: unknown) => e);
      assert.ok(err instanceof OrderRejectedError);
      assert.equal(err.code, "SIGNATURE_ERROR");
      await until(
        async () => ((await simState(sim)).accounts[DEV_ACCOUNT.accountId]?.orders ?? -1) === 0,
        2_000,
        "no order created",
      );
    } finally {
      await other.close();
    }
  });
});
