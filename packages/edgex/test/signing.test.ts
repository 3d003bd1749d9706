/** The reference's HMAC and EIP-712 test vectors (edgex-protocol.md §2.2, §3.2, §4), and the §4 order amounts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Eip712OrderSigner, recoverOrderSigner } from "../src/signing/eip712.ts";
import { canonicalBody, canonicalQuery, hmacSignature, authHeaders, redact } from "../src/signing/hmac.ts";
import {
  computeL2Amounts,
  l2ValueText,
  marketBuyPriceText,
  nonceFromClientOrderId,
  signingFeeRate,
} from "../src/signing/order.ts";
import { inspect } from "node:util";

describe("HMAC request auth (V2)", () => {
  it("private WS handshake vector (Go SDK inputs)", () => {
    const text = canonicalQuery({ accountId: "12345", timestamp: "1700000000123" });
    assert.equal(text, "accountId=12345&timestamp=1700000000123");
    assert.equal(
      hmacSignature("secret", "1700000000123", "GET", "/api/v1/private/ws", text),
      "bd4bc2c51e659752fd4d4888e85d322e135b597d1e40a42b86ad9c4168560c9b",
    );
  });

  it("GET getAccountAsset vector", () => {
    assert.equal(
      hmacSignature(
        "secret",
        "1700000000123",
        "GET",
        "/api/v2/private/account/getAccountAsset",
        canonicalQuery({ accountId: "12345" }),
      ),
      "664275d3f0d440a5baf95971d739dc064286284b836193161cee2cc1b9573c26",
    );
  });

  it("POST cancelOrderById vector and its canonical body", () => {
    const body = canonicalBody({ accountId: "12345", orderIdList: ["1", "2"] });
    assert.equal(body, "accountId=12345&orderIdList=1&2");
    assert.equal(
      hmacSignature("secret", "1700000000123", "POST", "/api/v2/private/order/cancelOrderById", body),
      "393ed4a1c851d006afa6f93e23b7e980a9fee6cb292fee24467c81b53499f5c0",
    );
  });

  it("canonical forms: sorted keys, nested objects, booleans, null, empty values omitted from queries", () => {
    assert.equal(canonicalBody({ b: true, a: null, c: [], d: { y: 1, x: "2" } }), "a=&b=true&c=&d=x=2&y=1");
    assert.equal(canonicalQuery({ z: "1", a: "", m: undefined, b: 2 }), "b=2&z=1");
  });

  it("headers carry the four X-edgeX names and never the secret", () => {
    const h = authHeaders({ apiKey: "k", apiSecret: "very-secret", passphrase: "p" }, "1", "GET", "/x", "");
    assert.deepEqual(Object.keys(h).sort(), [
      "X-edgeX-Api-Key",
      "X-edgeX-Passphrase",
      "X-edgeX-Signature",
      "X-edgeX-Timestamp",
    ]);
    assert.ok(!JSON.stringify(h).includes("very-secret"));
    assert.equal(redact("very-secret"), "<redacted:11>");
  });
});

describe("EIP-712 order signature (V2)", () => {
  const key = `0x${"0123456789abcdef".repeat(4)}`;
  const domain = { chainId: "33431", verifyingContract: "0x1ae109ea449cfe0bed08bfe8911e968a49a919b1" };
  const amounts = {
    l2Price: "97393.8",
    l2Value: "97.3938",
    l2Size: "0.001",
    l2LimitFee: "1",
    nonce: 808219n,
    expireTimeMs: 1736476772000n,
    l2ExpireTimeMs: 1736476772000n + 8n * 86_400_000n,
    amountSynthetic: 100n,
    amountCollateral: 97393800n,
    amountFee: 1000000n,
    assetIdSynthetic: "10000001",
    assetIdCollateral: "1000",
    isBuy: true,
  };

  it("reference vector: signer address and signature match", async () => {
    const signer = new Eip712OrderSigner(key, domain);
    assert.equal(signer.publicId, "0xFCAd0B19bB29D4674531d6f115237E16AfCE377c");
    const sig = await signer.sign({ accountId: "12345", amounts });
    assert.equal(
      sig,
      "df85f7bddb914966872e09899ab62e482da6a4362b717f4d30b9c11ad111c875631ff214323dc591e18a6463cbd740857c23c085f7132938fe6f8d72c03860dc1c",
    );
    assert.equal(sig.length, 130);
  });

  it("hex chainId gives the same signature; recovery finds the signer; a changed amount does not", async () => {
    const signer = new Eip712OrderSigner(key, { ...domain, chainId: "0x8297" });
    const sig = await signer.sign({ accountId: "12345", amounts });
    assert.equal(
      await recoverOrderSigner(domain, signer.publicId, { accountId: "12345", amounts }, sig),
      signer.publicId,
    );
    const other = await recoverOrderSigner(
      domain,
      signer.publicId,
      { accountId: "12345", amounts: { ...amounts, amountFee: 2000000n } },
      sig,
    );
    assert.notEqual(other, signer.publicId);
  });

  it("the signer key never shows in logs", () => {
    const signer = new Eip712OrderSigner(key, domain);
    assert.ok(!inspect(signer).includes("0123456789abcdef"));
    assert.ok(!JSON.stringify(signer).includes("0123456789abcdef"));
  });
});

describe("order amounts (reference §4 steps 2–7)", () => {
  const btc = {
    contractId: "10000001",
    tickSize: "0.1",
    takerFeeRate: "0.00055",
    makerFeeRate: "0.0002",
    resolution: "0x186a0",
    quoteCoinId: "1000",
    quoteResolution: "0xf4240",
  };

  it("nonce from client order id: '21163368294502694' → 808219", () => {
    assert.equal(nonceFromClientOrderId("21163368294502694"), 808219n);
  });

  it("BUY 0.001 @ 97393.8 → the vector's amounts, fee ceiled to whole quote units", () => {
    const a = computeL2Amounts(btc, {
      side: "BUY",
      type: "LIMIT",
      size: "0.001",
      price: "97393.8",
      clientOrderId: "21163368294502694",
      expireTimeMs: 1736476772000n,
      nowMs: 1700000000000n,
    });
    assert.equal(a.l2Value, "97.3938");
    assert.equal(a.l2LimitFee, "1");
    assert.equal(a.amountSynthetic, 100n);
    assert.equal(a.amountCollateral, 97393800n);
    assert.equal(a.amountFee, 1000000n);
    assert.equal(a.nonce, 808219n);
    assert.equal(a.l2ExpireTimeMs, 1736476772000n + 8n * 86_400_000n);
  });

  it("default expiry: l2ExpireTime = now + 30 d, expireTime = that − 8 d", () => {
    const a = computeL2Amounts(btc, {
      side: "SELL",
      type: "LIMIT",
      size: "0.002",
      price: "1",
      clientOrderId: "x",
      nowMs: 1_000n,
    });
    assert.equal(a.l2ExpireTimeMs, 1_000n + 30n * 86_400_000n);
    assert.equal(a.expireTimeMs, 1_000n + 22n * 86_400_000n);
  });

  it("MARKET: BUY signs at 10 × oracle rounded up to a tick, SELL at one tick", () => {
    const buy = computeL2Amounts(btc, {
      side: "BUY",
      type: "MARKET",
      size: "0.001",
      oraclePrice: "65000.03",
      clientOrderId: "1",
      nowMs: 0n,
    });
    assert.equal(buy.l2Price, "650000.3");
    const sell = computeL2Amounts(btc, { side: "SELL", type: "MARKET", size: "0.001", clientOrderId: "1", nowMs: 0n });
    assert.equal(sell.l2Price, "0.1");
    assert.throws(() =>
      computeL2Amounts(btc, { side: "BUY", type: "MARKET", size: "1", clientOrderId: "1", nowMs: 0n }),
    );
  });

  it("fee rate: max(taker, maker), SDK default when both are empty", () => {
    assert.equal(signingFeeRate("0.0005", "0.0002"), "0.0005");
    assert.equal(signingFeeRate("", ""), "0.001");
    // SDK 2.0.1 defaults each absent rate to 0.001 before taking the max (found by the oracle test).
    assert.equal(signingFeeRate("0.0005", undefined), "0.001");
    assert.equal(signingFeeRate("0.0015", ""), "0.0015");
  });

  it("l2Value and the MARKET BUY bound are printed as the SDK's Decimal prints them (trailing zeros kept)", () => {
    assert.equal(l2ValueText("65000.2", "1.235"), "80275.2470");
    assert.equal(l2ValueText("0.5", "0.2"), "0.10");
    assert.equal(l2ValueText("97393.8", "0.001"), "97.3938");
    // 10 × 3187.4 / 0.01 = 3187400 exactly: Decimal keeps the exponent oracle − tick, then × tick → "31874.0".
    assert.equal(marketBuyPriceText("3187.4", "0.01"), "31874.0");
    assert.equal(marketBuyPriceText("65012.345678", "0.1"), "650123.5");
    assert.equal(marketBuyPriceText("151.23456", "0.001"), "1512.346");
    assert.equal(marketBuyPriceText("3000", "0.01"), "30000");
  });
});
