/** Symbol mapper: every listed market both ways, selections from the environment, unknown and ambiguous symbols. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MarketMeta } from "@paradex-edgex/core";
import {
  SymbolBook,
  SymbolConfigError,
  SymbolMapper,
  UnknownSymbolError,
  marketsFromEnv,
  parseMarketList,
} from "../src/symbols.ts";

const meta = (market: string, base: string, quote: string, venueId?: string): MarketMeta => ({
  market,
  ...(venueId === undefined ? {} : { venueId }),
  base,
  quote,
  tickSize: "0.1",
  stepSize: "0.001",
  minSize: "0.001",
  maxSize: null,
  minNotional: null,
  takerFeeRate: "0.0002",
  makerFeeRate: "0",
});

const PARADEX: MarketMeta[] = [
  meta("BTC-USD-PERP", "BTC", "USD"),
  meta("ETH-USD-PERP", "ETH", "USD"),
  meta("SOL-USD-PERP", "SOL", "USD"),
  meta("kBONK-USD-PERP", "kBONK", "USD"),
];
const EDGEX: MarketMeta[] = [
  meta("BTCUSDC", "BTC", "USDC", "30000001"),
  meta("ETHUSDC", "ETH", "USDC", "30000002"),
  meta("SOLUSDC", "SOL", "USDC", "30000003"),
  meta("BTCEUR", "BTC", "EUR", "30000099"), // not USD-quoted: never mapped
];

test("paradex: every listed market maps to an internal symbol and back", () => {
  const m = new SymbolMapper("paradex", PARADEX);
  assert.deepEqual(m.symbols(), ["BTCUSDT", "ETHUSDT", "KBONKUSDT", "SOLUSDT"]);
  for (const x of PARADEX) {
    const sym = m.fromVenue(x.market);
    assert.equal(m.toVenue(sym), x.market);
    assert.equal(m.toVenueId(sym), x.market, "no separate id: the name is the id");
    assert.equal(m.meta(sym), x);
  }
  assert.equal(m.toVenue("ethusdt"), "ETH-USD-PERP", "internal symbols are case-insensitive");
});

test("edgex: every USD-quoted contract maps by name and by id, both ways", () => {
  const m = new SymbolMapper("edgex", EDGEX);
  assert.deepEqual(m.symbols(), ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
  for (const x of EDGEX.slice(0, 3)) {
    const sym = m.fromVenue(x.market);
    assert.equal(m.fromVenue(x.venueId!), sym);
    assert.equal(m.toVenue(sym), x.market);
    assert.equal(m.toVenueId(sym), x.venueId);
  }
  assert.throws(() => m.fromVenue("BTCEUR"), UnknownSymbolError);
});

test("unknown symbols and markets are clear errors", () => {
  const m = new SymbolMapper("paradex", PARADEX);
  assert.throws(
    () => m.toVenue("DOGEUSDT"),
    (e: unknown) =>
      e instanceof UnknownSymbolError &&
      e.message === 'paradex does not list "DOGEUSDT" (mapped: BTCUSDT, ETHUSDT, KBONKUSDT, SOLUSDT)',
  );
  assert.throws(() => m.fromVenue("DOGE-USD-PERP"), /paradex market "DOGE-USD-PERP" is not mapped/);
  assert.equal(m.has("DOGEUSDT"), false);
});

test("a base listed twice is ambiguous until the selection names one market", () => {
  const listing = [...PARADEX, meta("BTC-USD-27MAR26", "BTC", "USD")];
  const all = new SymbolMapper("paradex", listing);
  assert.throws(
    () => all.toVenue("BTCUSDT"),
    /BTCUSDT is ambiguous \(BTC-USD-PERP, BTC-USD-27MAR26\).*PARADEX_MARKETS/,
  );
  assert.equal(all.toVenue("ETHUSDT"), "ETH-USD-PERP");
  const chosen = new SymbolMapper("paradex", listing, { select: ["BTC-USD-PERP"] });
  assert.equal(chosen.toVenue("BTCUSDT"), "BTC-USD-PERP");
  assert.throws(
    () => new SymbolMapper("paradex", listing, { select: ["BTC"] }),
    /"BTC" matches BTC-USD-PERP, BTC-USD-27MAR26/,
  );
});

test("selection from the environment: PARADEX_MARKETS and EDGEX_CONTRACTS (coin, name, id or internal symbol)", () => {
  const env = {
    PARADEX_MARKETS: " ETH-USD-PERP, BTC-USD-PERP ,SOL-USD-PERP,",
    EDGEX_CONTRACTS: "BTC,ETHUSDC,30000003",
  };
  const p = new SymbolMapper("paradex", PARADEX, { select: marketsFromEnv("paradex", env) });
  assert.deepEqual(p.symbols(), ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
  const e = new SymbolMapper("edgex", EDGEX, { select: marketsFromEnv("edgex", env) });
  assert.deepEqual(e.symbols(), ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
  assert.deepEqual(new SymbolMapper("edgex", EDGEX, { select: ["SOLUSDT"] }).symbols(), ["SOLUSDT"]);
  assert.equal(marketsFromEnv("edgex", {}), undefined);
  assert.equal(parseMarketList(" , "), undefined);
});

test("a selected market the venue does not list fails at construction, naming what is listed", () => {
  assert.throws(
    () => new SymbolMapper("edgex", EDGEX, { select: ["BTC", "DOGE"] }),
    (e: unknown) =>
      e instanceof SymbolConfigError &&
      e.message ===
        'EDGEX_CONTRACTS: edgex does not list "DOGE" (USD-quoted markets listed: BTCUSDC, ETHUSDC, SOLUSDC)',
  );
});

test("symbol book: cross-venue translation by base coin and the common symbol set", () => {
  const book = new SymbolBook([new SymbolMapper("paradex", PARADEX), new SymbolMapper("edgex", EDGEX)]);
  assert.deepEqual(book.common(), ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
  assert.equal(book.translate("paradex", "BTC-USD-PERP", "edgex"), "BTCUSDC");
  assert.equal(book.translate("edgex", "30000002", "paradex"), "ETH-USD-PERP");
  assert.throws(() => book.translate("paradex", "kBONK-USD-PERP", "edgex"), /edgex does not list "KBONKUSDT"/);
});
