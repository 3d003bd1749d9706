/** Depth book rules, wire quirks and normalization, without sockets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NormalizedEvent } from "@paradex-edgex/core";
import { DepthBook } from "../src/book.ts";
import * as D from "@paradex-edgex/core/decimal";
import { MetadataStore } from "../src/metadata.ts";
import { orderEvent, positionEvent, tradeEvent, accountEvent } from "../src/normalize.ts";
import { validateOrder } from "../src/trading.ts";
import { DepthRecord, QuoteFrame, TickerRecord, TradeRecord, isSnapshot, OrderEntity } from "../src/wire.ts";
import { metaData } from "@paradex-edgex/edgex-sim";

function rec(start: number, end: number, bids: unknown[], asks: unknown[], depthType = "CHANGED") {
  return DepthRecord.parse({
    startVersion: String(start),
    endVersion: String(end),
    level: 15,
    contractId: "1",
    asks,
    bids,
    depthType,
  });
}

describe("DepthBook", () => {
  it("snapshot then absolute changes; '0' deletes; versions contiguous", () => {
    const b = new DepthBook(15);
    assert.equal(
      b.applySnapshot(rec(10, 10, [{ price: "100", size: "1" }], [{ price: "101", size: "2" }], "SNAPSHOT")).kind,
      "applied",
    );
    assert.equal(
      b.applyChanged(
        rec(
          11,
          12,
          [
            { price: "100", size: "3" },
            { price: "99.5", size: "1.50" },
          ],
          [{ price: "101", size: "0" }],
        ),
      ).kind,
      "applied",
    );
    assert.deepEqual(b.levels("bids"), [
      ["100", "3"],
      ["99.5", "1.5"],
    ]);
    assert.deepEqual(b.levels("asks"), []);
    assert.equal(b.version, 12n);
  });

  it("a version jump is a gap; an old or duplicate frame is ignored", () => {
    const b = new DepthBook(15);
    b.applySnapshot(rec(10, 10, [], [], "Snapshot"));
    assert.equal(b.applyChanged(rec(11, 11, [], [])).kind, "applied");
    assert.equal(b.applyChanged(rec(11, 11, [], [])).kind, "stale");
    assert.equal(b.applyChanged(rec(14, 15, [], [])).kind, "gap");
    assert.equal(new DepthBook(15).applyChanged(rec(1, 1, [], [])).kind, "gap");
  });

  it("trims to its level and detects a crossed book", () => {
    const b = new DepthBook(2);
    b.applySnapshot(
      rec(
        1,
        1,
        [
          ["3", "1"],
          ["2", "1"],
          ["1", "1"],
        ],
        [["5", "1"]],
        "SNAPSHOT",
      ),
    );
    assert.deepEqual(b.levels("bids"), [
      ["3", "1"],
      ["2", "1"],
    ]);
    assert.equal(b.applyChanged(rec(2, 2, [["6", "1"]], [])).kind, "gap");
  });
});

describe("wire quirks the reference documents", () => {
  it("tuple or object levels, numeric or string ids, any dataType casing", () => {
    const r = DepthRecord.parse({
      startVersion: 5,
      endVersion: "6",
      level: 15,
      contractId: 30000001,
      asks: [["1.0", "2"]],
      bids: [{ price: "0.9", size: "1" }],
      depthType: "CHANGED",
    });
    assert.equal(r.contractId, "30000001");
    assert.deepEqual(r.asks[0], { price: "1.0", size: "2" });
    assert.ok(isSnapshot("Snapshot") && isSnapshot("changed", "SNAPSHOT") && !isSnapshot("Changed"));
  });

  it("ticker without best bid/ask or with empty strings parses; a float price does not", () => {
    const t = TickerRecord.parse({ contractId: "1", lastPrice: "10", oraclePrice: "", markPrice: "10" });
    assert.equal(t.bestBidPrice, undefined);
    assert.equal(t.oraclePrice, undefined);
    assert.equal(TickerRecord.safeParse({ contractId: "1", lastPrice: 10 }).success, false);
  });

  it("strict elsewhere: unknown frame types and non-decimal sizes are refused", () => {
    assert.equal(QuoteFrame.safeParse({ type: "mystery" }).success, false);
    assert.equal(
      DepthRecord.safeParse({
        startVersion: "1",
        endVersion: "1",
        contractId: "1",
        asks: [{ price: "1", size: "1e3" }],
        bids: [],
      }).success,
      false,
    );
  });
});

describe("normalization to the sidecar's event shapes", () => {
  const check = (e: object): void => {
    const r = NormalizedEvent.safeParse({ ...e, seq: 1 });
    assert.ok(r.success, r.success ? "" : JSON.stringify(r.error.issues));
  };

  it("trade side is the aggressor: isBuyerMaker → SELL", () => {
    const t = tradeEvent(
      "BTCUSDC",
      TradeRecord.parse({
        ticketId: "9",
        time: "1700000000000",
        price: "65000.50",
        size: "0.010",
        contractId: "1",
        isBuyerMaker: true,
      }),
      1,
    );
    assert.equal(t.side, "SELL");
    assert.equal(t.price, "65000.5");
    check(t);
  });

  it("order, position and account drafts validate against core's normalized event schema", () => {
    const o = OrderEntity.parse({
      id: "1",
      contractId: "30000001",
      side: "BUY",
      price: "100.0",
      size: "2",
      type: "LIMIT",
      status: "CANCELED",
      cancelReason: "USER_CANCELED",
      cumFillSize: "0.5",
      cumFillValue: "50.25",
      updatedTime: "5",
    });
    const ev = orderEvent("BTCUSDC", o, 0);
    assert.equal(ev.status, "CLOSED");
    assert.equal(ev.remaining_size, "1.5");
    assert.equal(ev.avg_fill_price, "100.5");
    check(ev);
    const p = positionEvent(
      "BTCUSDC",
      { contractId: "1", openSize: "-0.5", openValue: "-50", openFee: undefined, fundingFee: undefined },
      "90",
      0,
    );
    assert.equal(p.side, "SHORT");
    assert.equal(p.average_entry_price, "100");
    assert.equal(p.unrealized_pnl, "5");
    check(p);
    const a = accountEvent({
      collateral: "1000",
      positions: [{ openSize: "1", openValue: "100", mark: "110", leverage: "10" }],
      status: "NORMAL",
      exchangeTs: 1,
    });
    assert.equal(a.account_value, "1110");
    assert.equal(a.initial_margin_requirement, "11");
    check(a);
  });
});

describe("metadata and validation", () => {
  const { store, problems } = MetadataStore.fromWire(metaData());

  it("maps contracts by base coin to Paradex and legacy names; never needs a hard-coded id", () => {
    assert.deepEqual(problems, []);
    const btc = store.resolve("BTC-USD-PERP");
    assert.equal(btc?.contractName, "BTCUSDC");
    assert.equal(store.resolve("BTCUSDT"), btc);
    assert.equal(store.resolve("btc"), btc);
    assert.equal(store.resolve(btc?.contractId ?? ""), btc);
    assert.equal(store.resolve("ETH-USD-PERP")?.baseCoin, "ETH");
    assert.equal(MetadataStore.marketMeta(btc!).tickSize, "0.1");
  });

  it("null or empty optional metadata fields mean absent (nativeChainId falls back to chainId)", () => {
    const meta = metaData() as { global: Record<string, unknown>; coinList: Record<string, unknown>[] };
    meta.global["nativeChainId"] = "";
    meta.global["maintenanceReason"] = null;
    for (const c of meta.coinList) c["starkExAssetId"] = null;
    const r = MetadataStore.fromWire(meta);
    assert.deepEqual(r.problems, []);
    assert.equal(r.store.domain?.chainId, "33431");
  });

  it("legacy StarkEx fields (reference §3.4 V1 example) are kept for a V1 signer", () => {
    const meta = metaData() as { contractList: Record<string, unknown>[]; coinList: Record<string, unknown>[] };
    const btc = meta.contractList[0] as Record<string, unknown>;
    btc["starkExSyntheticAssetId"] = "0x425443322d31300000000000000000";
    btc["starkExResolution"] = "0x2540be400";
    const usdc = meta.coinList[0] as Record<string, unknown>;
    usdc["starkExAssetId"] = "0x33bda5c923bae4e84825b74762d5482889b9512465fbffc50d1ae4b82e345c3";
    usdc["starkExResolution"] = "0xf4240";
    const c = MetadataStore.fromWire(meta).store.resolve("BTC");
    assert.equal(c?.starkEx?.syntheticResolution, "0x2540be400");
    assert.equal(c?.starkEx?.collateralResolution, "0xf4240");
    assert.equal(MetadataStore.fromWire(metaData()).store.resolve("BTC")?.starkEx, undefined);
  });

  it("a bad contract entry is skipped and reported, the rest loads", () => {
    const meta = metaData() as { contractList: unknown[] };
    meta.contractList.push({ contractId: "9", contractName: "BAD" });
    const r = MetadataStore.fromWire(meta);
    assert.equal(r.problems.length, 1);
    assert.equal(r.store.all().length, 3);
  });

  it("size/price checked against step, tick and minimum before signing", () => {
    const btc = store.resolve("BTC")!;
    assert.throws(
      () => validateOrder(btc, { market: "BTC", side: "BUY", type: "LIMIT", size: "0.0015", price: "65000" }),
      /stepSize/,
    );
    assert.throws(
      () => validateOrder(btc, { market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: "65000.05" }),
      /tickSize/,
    );
    assert.throws(
      () => validateOrder(btc, { market: "BTC", side: "BUY", type: "LIMIT", size: "0", price: "1" }),
      /positive/,
    );
    assert.throws(
      () => validateOrder(btc, { market: "BTC", side: "BUY", type: "MARKET", size: "0.001", tif: "POST_ONLY" }),
      /MARKET/,
    );
    assert.equal(
      validateOrder(btc, { market: "BTC", side: "SELL", type: "MARKET", size: "0.0010" }).timeInForce,
      "IMMEDIATE_OR_CANCEL",
    );
  });
});

describe("decimal helper", () => {
  it("exact arithmetic and canonical output", () => {
    assert.equal(D.mul("97393.8", "0.001"), "97.3938");
    assert.equal(D.canonical("-0.000"), "0");
    assert.equal(D.add("0.1", "0.2"), "0.3");
    assert.equal(D.ceilToBigInt("0.0536"), 1n);
    assert.equal(D.floorToStep("-1.25", "0.5"), "-1.5");
    assert.equal(D.div("1", "3", 4), "0.3333");
    assert.throws(() => D.parseDec("1e5"));
    assert.equal(D.parseResolution("0x186a0"), 100000n);
  });
});

describe("configuration from EDGEX_* variables", () => {
  it("requires explicit endpoints (or EDGEX_ENV=prod) and complete credentials, never echoing secrets", async () => {
    const { endpointsFromEnv, credentialsFromEnv } = await import("../src/config.ts");
    assert.throws(() => endpointsFromEnv({}), /EDGEX_REST_URL/);
    const e = endpointsFromEnv({
      EDGEX_REST_URL: "http://127.0.0.1:1",
      EDGEX_QUOTE_WS_URL: "ws://127.0.0.1:1/api/v1/public/ws",
    });
    assert.equal(e.privateWsUrl, "ws://127.0.0.1:1/api/v1/private/ws");
    assert.equal(credentialsFromEnv({}), undefined);
    assert.throws(
      () => credentialsFromEnv({ EDGEX_API_SECRET: "topsecret" }),
      (err: Error) => /EDGEX_API_KEY/.test(err.message) && !err.message.includes("topsecret"),
    );
    const c = credentialsFromEnv({
      EDGEX_ACCOUNT_ID: "1",
      EDGEX_API_KEY: "k",
      EDGEX_API_SECRET: "topsecret",
      EDGEX_API_PASSPHRASE: "p",
      EDGEX_SIGNER_KEY: "0x01",
    });
    assert.ok(!JSON.stringify(c).includes("topsecret"));
    const { inspect } = await import("node:util");
    assert.ok(!inspect(c).includes("topsecret"));
  });
});

describe("reconnect backoff", () => {
  it("full jitter within [base/2, min(max, base·2^(n−1))], growing then capped", async () => {
    const { backoffDelay } = await import("@paradex-edgex/core");
    const p = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.5 };
    assert.equal(
      backoffDelay(1, p, () => 1),
      50,
    );
    assert.equal(
      backoffDelay(1, p, () => 0),
      100,
    );
    assert.equal(
      backoffDelay(4, p, () => 0),
      800,
    );
    assert.equal(
      backoffDelay(40, p, () => 0),
      5_000,
    );
    assert.ok(backoffDelay(400, p, () => 1) >= 2_500);
  });
});
