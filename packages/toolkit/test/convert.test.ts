/** Format converters: each venue's reply shapes (as the references and simulators give them) → internal format. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PositionEvent } from "@paradex-edgex/core";
import {
  ConvertError,
  balanceFromEdgex,
  balanceFromParadex,
  bboEventFromRest,
  candlesFromEdgex,
  candlesFromParadex,
  edgexKlineType,
  leverageText,
  midPrice,
  positionFromEvent,
  quoteFromBbo,
  topOfBookFromEdgex,
  topOfBookFromParadex,
} from "../src/convert.ts";
import * as D from "@paradex-edgex/core/decimal";

const T = 1_700_000_040_000; // a minute boundary

test("decimal helper: exact, canonical, refuses garbage", () => {
  assert.equal(D.add("0.1", "0.2"), "0.3");
  assert.equal(D.sub("1", "1.000"), "0");
  assert.equal(D.mul("-1.5", "2"), "-3");
  assert.equal(D.div("1", "3", 4), "0.3333");
  assert.equal(D.canonical("-0.000"), "0");
  assert.equal(D.fromWire(95000.1), "95000.1");
  assert.equal(D.fromWire(1e-7), "0.0000001");
  assert.equal(D.fromWire(1.5e21), "1500000000000000000000");
  assert.throws(() => D.fromWire(Number.NaN), D.DecimalError);
  assert.throws(() => D.canonical("1e5"), D.DecimalError);
  assert.throws(() => D.div("1", "0"), /division by zero/);
});

test("paradex klines: REST rows with JSON numbers and sidecar rows with closeTime, oldest first", () => {
  const rest = {
    results: [
      [T + 60_000, 95001.5, 95010, 95000, 95002.3, 0.01234],
      [T, 95000, 95001, 94999.9, 95001, 1e-5],
    ],
  };
  assert.deepEqual(candlesFromParadex(rest, "1m"), [
    {
      openTime: T,
      open: "95000",
      high: "95001",
      low: "94999.9",
      close: "95001",
      volume: "0.00001",
      closeTime: T + 59_999,
      trades: null,
    },
    {
      openTime: T + 60_000,
      open: "95001.5",
      high: "95010",
      low: "95000",
      close: "95002.3",
      volume: "0.01234",
      closeTime: T + 119_999,
      trades: null,
    },
  ]);
  const sidecar = { klines: [[T, "1", "2", "0.5", "1.50", "10", T + 59_999]] };
  assert.deepEqual(candlesFromParadex(sidecar, "1m")[0], {
    openTime: T,
    open: "1",
    high: "2",
    low: "0.5",
    close: "1.5",
    volume: "10",
    closeTime: T + 59_999,
    trades: null,
  });
  assert.throws(() => candlesFromParadex({ results: [[T, "x", 1, 1, 1, 1]] }, "1m"), ConvertError);
  assert.throws(() => candlesFromParadex({ nope: [] }, "1m"), /paradex klines: unexpected shape/);
});

test("edgex klines: newest-first dataList → oldest-first candles; interval names", () => {
  const data = {
    dataList: [
      {
        klineTime: String(T + 300_000),
        open: "2",
        high: "3",
        low: "1",
        close: "2.5",
        size: "4",
        trades: "7",
        extra: 1,
      },
      { klineTime: String(T), open: "1", high: "2", low: "1", close: "2", size: "0.5", trades: "1" },
    ],
    nextPageOffsetData: "",
  };
  const candles = candlesFromEdgex(data, "5m");
  assert.deepEqual(
    candles.map((c) => [c.openTime, c.open, c.close, c.volume, c.closeTime, c.trades]),
    [
      [T, "1", "2", "0.5", T + 299_999, 1],
      [T + 300_000, "2", "2.5", "4", T + 599_999, 7],
    ],
  );
  assert.deepEqual((["1m", "5m", "15m", "1h"] as const).map(edgexKlineType), [
    "MINUTE_1",
    "MINUTE_5",
    "MINUTE_15",
    "HOUR_1",
  ]);
});

test("top of book: paradex GET /bbo and edgex getDepth (objects or tuples, zero sizes ignored)", () => {
  assert.deepEqual(
    topOfBookFromParadex({
      market: "BTC-USD-PERP",
      seq_no: 12,
      bid: "95000",
      bid_size: "0.5",
      ask: "95000.1",
      ask_size: "1",
      last_updated_at: T,
    }),
    {
      market: "BTC-USD-PERP",
      bid: "95000",
      bidSize: "0.5",
      ask: "95000.1",
      askSize: "1",
      exchangeTs: T,
      exchangeSeq: 12,
    },
  );
  const depth = [
    {
      startVersion: "5",
      endVersion: "9",
      level: 15,
      contractId: "30000001",
      asks: [
        ["65000.5", "2"],
        ["65000.2", "0"],
        ["65000.3", "1"],
      ],
      bids: [{ price: "64999.9", size: "3" }],
      depthType: "SNAPSHOT",
    },
  ];
  const top = topOfBookFromEdgex(depth, "BTCUSDC", T);
  assert.deepEqual(top, {
    market: "BTCUSDC",
    bid: "64999.9",
    bidSize: "3",
    ask: "65000.3",
    askSize: "1",
    exchangeTs: T,
    exchangeSeq: 9,
  });
  const ev = bboEventFromRest(top, 4, 123);
  assert.equal(ev.source, "rest");
  assert.equal(ev.type, "bbo");
  assert.deepEqual(quoteFromBbo(ev, "BTCUSDT"), {
    symbol: "BTCUSDT",
    bid: "64999.9",
    bidSize: "3",
    ask: "65000.3",
    askSize: "1",
    ts: T,
    source: "rest",
  });
  assert.equal(quoteFromBbo({ ...ev, source: undefined }, "BTCUSDT").source, "ws");
  assert.equal(midPrice("1", "2"), "1.5");
  assert.equal(midPrice(null, "2"), null);
  assert.throws(() => topOfBookFromEdgex([], "X", T), /edgex getDepth/);
});

const pos = (over: Partial<PositionEvent>): PositionEvent => ({
  type: "position",
  seq: 1,
  market: "ETH-USD-PERP",
  side: "LONG",
  size: "1.5",
  average_entry_price: "2500",
  unrealized_pnl: "15",
  liquidation_price: null,
  exchange_ts: T,
  ...over,
});

test("balances: paradex {balances, account} and edgex getAccountAsset", () => {
  const positions = [pos({}), pos({ market: "BTC-USD-PERP", size: "-0.1", side: "SHORT", unrealized_pnl: "-2.5" })];
  assert.deepEqual(
    balanceFromParadex(
      {
        balances: [{ token: "USDC", size: "10000", last_updated_at: T }],
        account: {
          account_value: "10012.5",
          free_collateral: "9000",
          total_collateral: "10012.5",
          initial_margin_requirement: "1012.5",
        },
      },
      positions,
    ),
    {
      asset: "USDC",
      balance: "10000",
      unrealizedPnl: "12.5",
      equity: "10012.5",
      available: "9000",
      marginUsed: "1012.5",
    },
  );
  assert.deepEqual(
    balanceFromEdgex(
      {
        account: {},
        collateralList: [{ coinId: "1000", amount: "4350" }],
        positionList: [{ contractId: "30000001", openSize: "0.01", openValue: "650" }],
        positionAssetList: [{ contractId: "30000001", unrealizePnl: "-1.25", positionValue: "650" }],
        collateralAssetModelList: [
          { coinId: "1000", totalEquity: "4998.75", availableAmount: "4985.75", initialMarginRequirement: "13" },
        ],
      },
      "1000",
      "USDC",
    ),
    {
      asset: "USDC",
      balance: "5000",
      unrealizedPnl: "-1.25",
      equity: "4998.75",
      available: "4985.75",
      marginUsed: "13",
    },
  );
  // Without the asset model: cash = amount + Σ openValue (EdgeX books open value against collateral).
  assert.equal(
    balanceFromEdgex(
      { collateralList: [{ coinId: "1000", amount: "4350" }], positionList: [{ openValue: "650" }] },
      "1000",
      "USDC",
    ).balance,
    "5000",
  );
  assert.throws(() => balanceFromEdgex({ collateralList: "x" }, "1000", "USDC"), /edgex getAccountAsset/);
});

test("positions: side, absolute size, margin from leverage; flat positions vanish", () => {
  assert.deepEqual(
    positionFromEvent(pos({ side: "SHORT", size: "-1.5" }), "ETHUSDT", { currentPrice: "2510", leverage: "10" }),
    {
      symbol: "ETHUSDT",
      side: "short",
      size: "1.5",
      entryPrice: "2500",
      currentPrice: "2510",
      unrealizedPnl: "15",
      marginUsed: "376.5",
      liquidationPrice: null,
    },
  );
  assert.equal(positionFromEvent(pos({ side: "FLAT", size: "0" }), "ETHUSDT", { currentPrice: null }), null);
  assert.equal(positionFromEvent(pos({}), "ETHUSDT", { currentPrice: null })?.marginUsed, null);
  assert.throws(
    () => positionFromEvent(pos({ average_entry_price: null }), "ETHUSDT", { currentPrice: null }),
    ConvertError,
  );
});

test("leverage: positive decimals only, canonical", () => {
  assert.equal(leverageText("paradex", 10), "10");
  assert.equal(leverageText("edgex", "5.50"), "5.5");
  for (const bad of [0, -1, Number.NaN, "abc", ""])
    assert.throws(() => leverageText("edgex", bad), /leverage must be a positive number/);
});
