/** Factory: exchange selection by name and by `EXCHANGE`, configuration errors that name variables, never values. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ParadexVenue } from "@paradex-edgex/paradex";
import { EdgeXClient } from "@paradex-edgex/edgex";
import {
  EXCHANGES,
  ExchangeConfigError,
  createExchange,
  exchangeFromEnv,
  exchangeName,
  paradexCredentialsFromEnv,
} from "../src/factory.ts";
import { edgexCredentialsFromEnv } from "../src/drivers/edgex.ts";

const EDGEX_ENV = {
  EDGEX_REST_URL: "http://127.0.0.1:9/",
  EDGEX_QUOTE_WS_URL: "ws://127.0.0.1:9/api/v1/public/ws",
};

test("names: paradex and edgex, case-insensitive; anything else is a clear error", () => {
  assert.deepEqual(EXCHANGES, ["paradex", "edgex"]);
  assert.equal(exchangeName(" EdgeX "), "edgex");
  for (const bad of ["aster", "", undefined, 3]) {
    assert.throws(
      () => exchangeName(bad),
      (e: unknown) =>
        e instanceof ExchangeConfigError && /unknown exchange .* \(known: paradex, edgex\)/.test(e.message),
    );
  }
  assert.throws(() => createExchange("binance", {} as never), /unknown exchange "binance"/);
});

test("createExchange builds the venue-specific client without connecting", () => {
  const p = createExchange("paradex", { network: "sim", restUrl: "http://127.0.0.1:9/v1", markets: ["BTC-USD-PERP"] });
  assert.equal(p.exchange, "paradex");
  assert.ok(p.venue instanceof ParadexVenue);
  const e = createExchange("edgex", {
    restUrl: "http://127.0.0.1:9",
    quoteWsUrl: "ws://127.0.0.1:9/q",
    privateWsUrl: "ws://127.0.0.1:9/p",
  });
  assert.equal(e.exchange, "edgex");
  assert.ok(e.venue instanceof EdgeXClient);
  assert.throws(() => e.symbols, /connect\(\) first/);
  assert.throws(() => createExchange("paradex", { network: "sim" }), /restUrl \(PARADEX_REST_URL\) is required/);
});

test("EXCHANGE selects the venue and its variables configure it", () => {
  assert.equal(exchangeFromEnv({ EXCHANGE: "paradex", PARADEX_ENV: "testnet" }).exchange, "paradex");
  assert.equal(exchangeFromEnv({ EXCHANGE: "edgex", ...EDGEX_ENV }).exchange, "edgex");
  assert.throws(() => exchangeFromEnv({}), /EXCHANGE is not set \(known: paradex, edgex\)/);
  assert.throws(() => exchangeFromEnv({ EXCHANGE: "kraken" }), /unknown exchange "kraken"/);
  assert.throws(() => exchangeFromEnv({ EXCHANGE: "edgex" }), /EDGEX_REST_URL/);
});

test("paradex variables: network, URLs, keys and PARADEX_MARKETS", () => {
  const c = paradexCredentialsFromEnv({
    PARADEX_ENV: "sim",
    PARADEX_REST_URL: "http://127.0.0.1:1/v1",
    PARADEX_L1_ADDRESS: "0xexchange", // an exchange's credentials: never used for the simulator
    PARADEX_SIM_L1_ADDRESS: "0xabc",
    PARADEX_SIM_L2_PRIVATE_KEY: "0xsecret",
    PARADEX_MARKETS: "ETH-USD-PERP, BTC-USD-PERP",
  });
  assert.equal(c.network, "sim");
  assert.deepEqual(c.markets, ["ETH-USD-PERP", "BTC-USD-PERP"]);
  assert.equal(c.l2PrivateKey, "0xsecret");
  assert.equal(c.l1Address, "0xabc");
  const testnet = paradexCredentialsFromEnv({
    PARADEX_ENV: "testnet",
    PARADEX_L1_ADDRESS: "0xexchange",
    PARADEX_SIM_L1_ADDRESS: "0xabc",
  });
  assert.equal(testnet.l1Address, "0xexchange");
  assert.throws(
    () => paradexCredentialsFromEnv({ PARADEX_ENV: "mainnet" }),
    /PARADEX_ENV must be prod, testnet, nightly or sim/,
  );
});

test("edgex variables: endpoints, EDGEX_CONTRACTS, and partial credentials named without their values", () => {
  const c = edgexCredentialsFromEnv({ ...EDGEX_ENV, EDGEX_CONTRACTS: "BTC,30000002" });
  assert.deepEqual(c.markets, ["BTC", "30000002"]);
  assert.equal(c.credentials, undefined);
  assert.throws(
    () => edgexCredentialsFromEnv({ ...EDGEX_ENV, EDGEX_API_KEY: "k-123", EDGEX_API_SECRET: "s3cr3t-value" }),
    (e: unknown) =>
      e instanceof Error &&
      /missing EDGEX_ACCOUNT_ID, EDGEX_API_PASSPHRASE, EDGEX_SIGNER_KEY/.test(e.message) &&
      !e.message.includes("s3cr3t-value") &&
      !e.message.includes("k-123"),
  );
});
