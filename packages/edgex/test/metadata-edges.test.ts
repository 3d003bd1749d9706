/**
 * Signing and metadata edge cases as edgex-python-sdk 2.0.1 handles them (reference §0a.7): the fee rate
 * without a taker rate, no signing without the V2 `resolution`, a contract whose base coin is missing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metaData } from "@paradex-edgex/edgex-sim";
import { OrderValidationError } from "../src/errors.ts";
import { MetadataStore } from "../src/metadata.ts";
import { computeL2Amounts, signingFeeRate } from "../src/signing/order.ts";
import { validateOrder } from "../src/trading.ts";

type Meta = { contractList: Record<string, unknown>[]; coinList: Record<string, unknown>[] };

describe("metadata and signing edge cases (SDK 2.0.1)", () => {
  it("no defaultTakerFeeRate: the fee rate is max(0.001, maker rate)", () => {
    assert.equal(signingFeeRate(undefined, "0.0002"), "0.001");
    assert.equal(signingFeeRate("", "0.0025"), "0.0025");
    assert.equal(signingFeeRate(undefined, undefined), "0.001");
    assert.equal(signingFeeRate("0.0005", "0.0002"), "0.0005"); // a taker rate present: max(taker, maker)
  });

  it("a contract without defaultTakerFeeRate signs l2LimitFee at 0.001 of the value, not at its maker rate", () => {
    const meta = metaData() as Meta;
    const btc = meta.contractList[0] as Record<string, unknown>;
    delete btc["defaultTakerFeeRate"];
    btc["defaultMakerFeeRate"] = "0.0002";
    const c = MetadataStore.fromWire(meta).store.resolve("BTC");
    assert.ok(c !== undefined);
    const a = computeL2Amounts(c, {
      side: "BUY",
      type: "LIMIT",
      size: "0.010",
      price: "65000",
      clientOrderId: "fee-1",
      nowMs: 1_700_000_000_000n,
    });
    assert.equal(a.l2LimitFee, "1"); // ceil(650 × 0.001) = 1; at the maker rate it would be ceil(0.13) = 1 too…
    const big = computeL2Amounts(c, {
      side: "BUY",
      type: "LIMIT",
      size: "1.000",
      price: "65000",
      clientOrderId: "fee-2",
      nowMs: 1_700_000_000_000n,
    });
    assert.equal(big.l2LimitFee, "65"); // …but here: 65000 × 0.001 = 65, where the maker rate would give 13
  });

  it("no V2 resolution: the contract stays listed but orders refuse to sign (no starkExResolution fallback)", () => {
    const meta = metaData() as Meta;
    const btc = meta.contractList[0] as Record<string, unknown>;
    delete btc["resolution"];
    btc["starkExResolution"] = "0x2540be400";
    const { store } = MetadataStore.fromWire(meta);
    const c = store.resolve("BTC");
    assert.ok(c !== undefined, "still usable for market data");
    assert.throws(
      () => validateOrder(c, { market: "BTC", side: "BUY", type: "LIMIT", size: "0.001", price: "65000" }),
      (e: unknown) => e instanceof OrderValidationError && /resolution is empty/.test(e.message),
    );
    assert.throws(
      () =>
        computeL2Amounts(c, {
          side: "BUY",
          type: "LIMIT",
          size: "0.001",
          price: "65000",
          clientOrderId: "r-1",
          nowMs: 1n,
        }),
      /resolution is empty/,
    );
  });

  it("a contract whose base coin is missing from coinList stays usable (only the quote coin is needed)", () => {
    const meta = metaData() as Meta;
    const btc = meta.contractList[0] as Record<string, unknown>;
    meta.coinList = meta.coinList.filter((c) => c["coinId"] !== btc["baseCoinId"]);
    const { store, problems } = MetadataStore.fromWire(meta);
    assert.deepEqual(problems, []);
    const c = store.resolve(String(btc["contractName"]));
    assert.ok(c !== undefined);
    assert.equal(c.baseCoin, "BTC");
    assert.equal(c.paradexMarket, "BTC-USD-PERP");
    assert.doesNotThrow(() =>
      computeL2Amounts(c, {
        side: "SELL",
        type: "LIMIT",
        size: "0.001",
        price: "65000",
        clientOrderId: "b-1",
        nowMs: 1n,
      }),
    );
  });
});
