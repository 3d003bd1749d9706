/**
 * Partial private records (reference §0a.2/§0a.3): an UNTRIGGERED STOP_MARKET order without size/price, a fill
 * without contractId/orderSide, a FILLED order carrying only cumMatch*, unknown status values. None is dropped.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NormalizedEvent } from "@paradex-edgex/core";
import { AccountFeed } from "../src/account.ts";
import type { Draft } from "../src/normalize.ts";

/**
 * Shapes of the live V2 private-socket excerpts (edgex-org/edgex-gitbook, api-v2/websocket-api/private-websocket.md,
 * as summarized in the project's EdgeX reference §0a.2–0a.3): which fields are absent is from the source; the ids
 * and amounts are illustrative.
 */
const SOURCE =
  "edgex-org/edgex-gitbook api-v2/websocket-api/private-websocket.md (field presence); values illustrative";

const untriggeredStop = {
  source: SOURCE,
  id: "564814927928230999",
  accountId: "543429922991899150",
  contractId: "10000001",
  side: "SELL",
  clientOrderId: "stop-1",
  type: "STOP_MARKET",
  status: "UNTRIGGERED",
  triggerPrice: "90000",
};

const fillWithoutContractOrSide = {
  source: SOURCE,
  id: "564815001234567891",
  orderId: "564814927928230158",
  fillSize: "0.001",
  fillValue: "97.3938",
  fillFee: "0.048697",
  fillPrice: "97393.8",
  direction: "MAKER",
  censorStatus: "CENSOR_SUCCESS",
  matchTime: "1734662380120",
};

const filledWithMatchOnly = {
  source: SOURCE,
  id: "564814927928230158",
  accountId: "543429922991899150",
  contractId: "10000001",
  side: "BUY",
  price: "97393.8",
  size: "0.002",
  clientOrderId: "lim-1",
  type: "LIMIT",
  status: "FILLED",
  cumMatchSize: "0.002",
  cumMatchValue: "194.7876",
  cumMatchFee: "0.097394",
  updatedTime: "1734662380125",
};

function feed(): { f: AccountFeed; out: Draft[]; bad: string[] } {
  const out: Draft[] = [];
  const bad: string[] = [];
  const f = new AccountFeed(
    { emit: (d) => out.push(d), bad: (c, m) => bad.push(`${c}: ${m}`) },
    () => undefined,
    () => undefined,
  );
  return { f, out, bad };
}

function frame(version: number, data: Record<string, unknown[]>): unknown {
  return { type: "trade-event", content: { event: "ORDER_UPDATE", version: String(version), data } };
}

describe("partial private records are completed, never dropped", () => {
  it("an UNTRIGGERED STOP_MARKET without size/price is an order event (size unknown = 0, no price)", () => {
    const { f, out, bad } = feed();
    f.onFrame(frame(1, { order: [untriggeredStop] }));
    assert.deepEqual(bad, []);
    const ev = out.find((d) => d.type === "order");
    assert.ok(ev !== undefined && ev.type === "order");
    assert.equal(ev.status, "UNTRIGGERED");
    assert.equal(ev.price, null);
    assert.equal(ev.size, "0");
    assert.equal(ev.client_id, "stop-1");
  });

  it("a later record without size keeps the size an earlier record gave", () => {
    const { f, out } = feed();
    f.onFrame(frame(1, { order: [{ ...untriggeredStop, size: "0.003" }] }));
    f.onFrame(frame(2, { order: [untriggeredStop] }));
    const orders = out.filter((d) => d.type === "order");
    assert.equal(orders.at(-1)?.type === "order" && orders.at(-1)?.size, "0.003");
  });

  it("a FILLED order with only cumMatch* reports its fill progress from them", () => {
    const { f, out } = feed();
    f.onFrame(frame(1, { order: [filledWithMatchOnly] }));
    const ev = out.find((d) => d.type === "order");
    assert.ok(ev !== undefined && ev.type === "order");
    assert.equal(ev.status, "CLOSED");
    assert.equal(ev.remaining_size, "0");
    assert.equal(ev.avg_fill_price, "97393.8");
  });

  it("a fill without contractId/orderSide takes them from its known order", () => {
    const { f, out, bad } = feed();
    f.onFrame(frame(1, { order: [filledWithMatchOnly], orderFillTransaction: [fillWithoutContractOrSide] }));
    assert.deepEqual(bad, []);
    const fill = out.find((d) => d.type === "fill");
    assert.ok(fill !== undefined && fill.type === "fill");
    assert.equal(fill.side, "BUY");
    assert.equal(fill.market, "10000001");
    assert.equal(fill.client_id, "lim-1");
    assert.equal(fill.size, "0.001");
  });

  it("a fill whose order is not known yet waits for the order, then is emitted once", () => {
    const { f, out } = feed();
    f.onFrame(frame(1, { orderFillTransaction: [fillWithoutContractOrSide] }));
    f.applyFill(fillWithoutContractOrSide); // the same fill again (a reconcile page) is not queued twice
    assert.equal(out.filter((d) => d.type === "fill").length, 0);
    f.applyOrder(filledWithMatchOnly);
    const fills = out.filter((d) => d.type === "fill");
    assert.equal(fills.length, 1);
    assert.equal(fills[0]?.type === "fill" && fills[0].side, "BUY");
  });

  it("unknown order status values are tolerated and passed through", () => {
    for (const status of ["UNKNOWN_ORDER_STATUS", "UNRECOGNIZED"]) {
      const { f, out, bad } = feed();
      f.onFrame(frame(1, { order: [{ ...filledWithMatchOnly, status }] }));
      assert.deepEqual(bad, []);
      const ev = out.find((d) => d.type === "order");
      assert.equal(ev?.type === "order" && ev.status, status);
    }
  });

  it("censoring: a fill emitted at INIT that ends CENSOR_FAILURE/L2_REJECT is retracted once (fill_bust); one never emitted stays out", () => {
    for (const final of ["CENSOR_FAILURE", "L2_REJECT"]) {
      const { f, out, bad } = feed();
      f.onFrame(frame(1, { order: [filledWithMatchOnly] }));
      f.onFrame(frame(2, { orderFillTransaction: [{ ...fillWithoutContractOrSide, censorStatus: "INIT" }] }));
      assert.equal(out.filter((d) => d.type === "fill").length, 1);
      f.onFrame(frame(3, { orderFillTransaction: [{ ...fillWithoutContractOrSide, censorStatus: final }] }));
      f.onFrame(frame(4, { orderFillTransaction: [{ ...fillWithoutContractOrSide, censorStatus: final }] }));
      const busts = out.filter((d) => d.type === "fill_bust");
      assert.equal(busts.length, 1, final);
      const bust = busts[0];
      assert.ok(bust?.type === "fill_bust");
      assert.equal(bust.fill_id, fillWithoutContractOrSide.id);
      assert.equal(bust.order_id, fillWithoutContractOrSide.orderId);
      assert.equal(bust.market, "10000001", "the market the fill was emitted under");
      assert.equal(bust.reason, final);
      assert.equal(NormalizedEvent.safeParse({ ...bust, seq: 1 }).success, true);
      assert.deepEqual(bad, []);
      assert.equal(out.filter((d) => d.type === "fill").length, 1, "no second fill event");
    }
    const { f, out, bad } = feed();
    f.onFrame(frame(1, { order: [filledWithMatchOnly] }));
    f.onFrame(
      frame(2, { orderFillTransaction: [{ ...fillWithoutContractOrSide, id: "x-1", censorStatus: "CENSOR_FAILURE" }] }),
    );
    f.onFrame(frame(3, { orderFillTransaction: [{ ...fillWithoutContractOrSide, id: "x-1", censorStatus: "INIT" }] }));
    assert.equal(out.filter((d) => d.type === "fill").length, 0);
    assert.equal(out.filter((d) => d.type === "fill_bust").length, 0);
    assert.deepEqual(bad, []);
  });

  it("censoring: a fill that goes INIT → CENSOR_SUCCESS is emitted once", () => {
    const { f, out, bad } = feed();
    f.onFrame(frame(1, { order: [filledWithMatchOnly] }));
    f.onFrame(frame(2, { orderFillTransaction: [{ ...fillWithoutContractOrSide, censorStatus: "INIT" }] }));
    f.onFrame(frame(3, { orderFillTransaction: [{ ...fillWithoutContractOrSide, censorStatus: "CENSOR_SUCCESS" }] }));
    assert.equal(out.filter((d) => d.type === "fill").length, 1);
    assert.equal(out.filter((d) => d.type === "fill_bust").length, 0);
    assert.deepEqual(bad, []);
  });
});
