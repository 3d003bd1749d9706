/**
 * Unit tests of the pure parts: decimal arithmetic, the signal (book walk, fees, lots, limits), journal fold,
 * config parsing, and the paper venue's validation and fills.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadConfig, ConfigError } from "../src/config.ts";
import { D, DecimalError } from "@paradex-edgex/core/decimal";
import { Journal, foldJournal, type JournalRecord } from "../src/journal.ts";
import { Ledger } from "../src/ledger.ts";
import { OrderTracker } from "../src/orders.ts";
import { PaperVenue, PaperReject } from "../src/paper.ts";
import { generatePaths } from "@paradex-edgex/dev/pricepath";
import type { BookView } from "../src/quotes.ts";
import { commonLot, edgeBps, evaluate, evaluateDirection, walk, type VenueSide } from "../src/signal.ts";
import { FakeVenue, meta } from "./fake-venue.ts";
import { tmpJournal } from "./helpers.ts";

const book = (bids: [string, string][], asks: [string, string][]): BookView => ({
  bids: bids.map(([p, s]) => ({ price: D.from(p), size: D.from(s) })),
  asks: asks.map(([p, s]) => ({ price: D.from(p), size: D.from(s) })),
  at: 0,
});

describe("decimal", () => {
  it("parses and prints canonical strings exactly", () => {
    assert.equal(D.from("0.1").add("0.2").toString(), "0.3");
    assert.equal(D.from("65000.50").toString(), "65000.5");
    assert.equal(D.from("-0.000").toString(), "0");
    assert.equal(D.from("1").div("3").round(4).toString(), "0.3333");
    assert.equal(D.from("-1.5").round(0).toString(), "-2"); // half-even
    assert.equal(D.from("2.5").round(0).toString(), "2");
    assert.equal(D.from(".5").toString(), "0.5"); // the one rule of core's decimal: ".5" and "1." are plain text
    assert.equal(D.from("1.").toString(), "1");
  });
  it("refuses exponents, garbage and too many decimals", () => {
    for (const bad of ["1e5", "abc", "", "1.2.3", "0.0000000000000000001"])
      assert.throws(() => D.from(bad), DecimalError);
    assert.throws(() => D.from("1").div("0"), DecimalError);
  });
  it("quantizes to ticks and lots with the requested rounding", () => {
    assert.equal(D.from("65000.07").quantize("0.1", "floor").toString(), "65000");
    assert.equal(D.from("65000.01").quantize("0.1", "ceil").toString(), "65000.1");
    assert.equal(D.from("-0.0015").quantize("0.001", "floor").toString(), "-0.002");
    assert.ok(D.from("0.03").isMultipleOf("0.01"));
    assert.ok(!D.from("0.035").isMultipleOf("0.01"));
  });
  it("finds the common lot of two step sizes", () => {
    assert.equal(D.lcm("0.001", "0.00001").toString(), "0.001");
    assert.equal(D.lcm("0.1", "0.25").toString(), "0.5");
  });
});

describe("signal", () => {
  const pm = meta("BTC-USD-PERP", "BTC", { stepSize: "0.00001", minSize: "0.00001", takerFeeRate: "0.0002" });
  const em = meta("BTCUSDC", "BTC", { stepSize: "0.001", minSize: "0.001", takerFeeRate: "0.00038" });
  const params = {
    size: D.from("0.0105"),
    maxPosition: D.from("1"),
    minEdgeBps: D.from("5"),
    exitEdgeBps: D.from("0"),
    slippageBps: D.from("1"),
  };
  const side = (venue: "paradex" | "edgex", m: typeof pm, b: BookView, position = "0"): VenueSide => ({
    venue,
    meta: m,
    book: b,
    position: D.from(position),
  });

  it("walks the book for the whole size, not just the top", () => {
    const asks = book(
      [],
      [
        ["100", "1"],
        ["101", "1"],
        ["103", "5"],
      ],
    ).asks;
    const w = walk(asks, D.from("2.5"));
    assert.equal(w?.worst.toString(), "103");
    assert.equal(w?.vwap.toString(), "101"); // (100 + 101 + 0.5 × 103) / 2.5
    assert.equal(walk(asks, D.from("8")), null);
  });

  it("charges both taker fees and the slippage buffer", () => {
    // 0.1 % gross, minus 2 + 3.8 bps fees (on each side's notional), minus 1 bp buffer.
    const e = edgeBps(D.from("100"), D.from("100.1"), D.from("0.0002"), D.from("0.00038"), D.from("1"));
    assert.equal(e.round(4).toString(), "3.1962");
  });

  it("sizes to the common lot and prices the IOC limits on each venue's tick", () => {
    const p = side(
      "paradex",
      pm,
      book(
        [["64999.9", "1"]],
        [
          ["65000.1", "0.004"],
          ["65000.5", "1"],
        ],
      ),
    );
    const e = side(
      "edgex",
      em,
      book(
        [
          ["65130", "0.005"],
          ["65129", "1"],
        ],
        [["65130.2", "1"]],
      ),
    );
    const ev = evaluateDirection(p, e, params);
    assert.ok(ev.ok);
    if (!ev.ok) return;
    assert.equal(ev.opp.size.toString(), "0.01"); // 0.0105 floored to EdgeX's 0.001 lot
    assert.equal(ev.opp.buy.limit.toString(), "65007.1"); // worst ask 65000.5 + 1 bp, ceil to 0.1
    assert.equal(ev.opp.sell.limit.toString(), "65122.4"); // worst bid 65129 − 1 bp (65122.4871), floor to 0.1
    assert.ok(ev.opp.buy.vwap.gt("65000.1") && ev.opp.buy.vwap.lt("65000.5"));
    assert.equal(commonLot(pm, em).toString(), "0.001");
  });

  it("is silent below threshold and picks the profitable direction", () => {
    const p = side("paradex", pm, book([["64999.9", "1"]], [["65000.1", "1"]]));
    const e = side("edgex", em, book([["65040", "1"]], [["65040.2", "1"]]));
    const { best, ab, ba } = evaluate(p, e, params);
    assert.equal(best.ok, false);
    assert.equal(ab.ok, false);
    assert.ok(!ab.ok && ab.reason === "edge below threshold" && ab.edgeBps?.lt("5") === true);
    assert.ok(!ba.ok && ba.edgeBps !== null && ba.edgeBps.lt(ab.edgeBps ?? "0"));
    assert.equal(best, ab); // the closer direction is what the view shows
  });

  it("respects position limits (shrinking the size to what is left) and minimum sizes", () => {
    const pb = book([["64999.9", "1"]], [["65000.1", "1"]]);
    const eb = book([["65130", "1"]], [["65130.2", "1"]]);
    const limited = evaluateDirection(side("paradex", pm, pb, "0.995"), side("edgex", em, eb, "-0.995"), params);
    assert.ok(limited.ok && limited.opp.size.toString() === "0.005");
    const full = evaluateDirection(side("paradex", pm, pb, "1"), side("edgex", em, eb, "-1"), params);
    assert.ok(!full.ok && full.reason === "position limit");
    const tiny = evaluateDirection(side("paradex", pm, pb), side("edgex", em, eb), {
      ...params,
      size: D.from("0.0009"),
    });
    assert.ok(!tiny.ok && tiny.reason === "position limit"); // floors to zero lots
    const minNotional = evaluateDirection(
      side("paradex", { ...pm, minNotional: "1000" }, pb),
      side("edgex", em, eb),
      params,
    );
    assert.ok(!minNotional.ok && /min notional/.test(minNotional.reason));
  });

  it("uses the exit threshold for a trade that reduces both positions", () => {
    const pb = book([["64999.9", "1"]], [["65000.1", "1"]]);
    const eb = book([["65045", "1"]], [["65045.2", "1"]]); // ≈ +0.2 bps net: below entry, above exit
    const opening = evaluateDirection(side("paradex", pm, pb), side("edgex", em, eb), params);
    assert.equal(opening.ok, false);
    const closing = evaluateDirection(side("paradex", pm, pb, "-0.01"), side("edgex", em, eb, "0.01"), params);
    assert.ok(closing.ok && closing.opp.reducing && closing.opp.thresholdBps.eq("0"));
  });
});

describe("journal", () => {
  it("replays what was appended, skips a torn tail and folds open arbitrages", () => {
    const path = tmpJournal();
    const j = new Journal(path);
    j.open();
    const now = Date.now();
    const leg = {
      role: "buy" as const,
      venue: "paradex" as const,
      market: "BTC-USD-PERP",
      base: "BTC",
      side: "BUY" as const,
      size: "0.01",
      price: "65001",
      clientId: "a-1-b",
      reduceOnly: false,
      positionBefore: "0",
    };
    const recs: JournalRecord[] = [
      { k: "start", ts: now, runId: "a", live: false, pid: 1 },
      { k: "arb", ts: now, arbId: "a-1", base: "BTC", edgeBps: "8", size: "0.01", reducing: false },
      { k: "leg_sent", ts: now, arbId: "a-1", leg },
      {
        k: "leg_done",
        ts: now,
        arbId: "a-1",
        clientId: "a-1-b",
        venue: "paradex",
        state: "filled",
        orderId: "1",
        filled: "0.01",
        avgPrice: "65000",
        fee: "0.13",
        via: "events",
      },
      { k: "position", ts: now, venue: "paradex", base: "BTC", size: "0.01", source: "leg" },
      { k: "arb", ts: now, arbId: "a-2", base: "ETH", edgeBps: "9", size: "0.2", reducing: false },
      { k: "arb_state", ts: now, arbId: "a-2", state: "done" },
      { k: "kill", ts: now, reason: "test" },
    ];
    for (const r of recs) j.append(r);
    j.close();
    writeFileSync(path, '{"k":"arb_st', { flag: "a" });
    const rep = Journal.replay(path);
    assert.equal(rep.records.length, recs.length);
    assert.equal(rep.bad.length, 1);
    assert.equal(rep.tornTail, true);
    const f = foldJournal(rep.records, now);
    assert.deepEqual(
      f.open.map((a) => a.arbId),
      ["a-1"],
    );
    assert.equal(f.open[0]?.legs[0]?.done?.filled, "0.01");
    assert.equal(f.positions.get("paradex:BTC"), "0.01");
    assert.equal(f.killReason, "test");
    assert.equal(f.lastArbSeq, 2);
    assert.equal(f.todaysLegs.length, 1);
  });
});

describe("ledger", () => {
  it("tracks average entry, realized PnL net of fees, and flips", () => {
    const l = new Ledger();
    l.apply("paradex", "BTC", D.from("0.02"), D.from("100"), D.from("0.1"));
    l.apply("paradex", "BTC", D.from("-0.01"), D.from("110"), D.from("0.1"));
    assert.equal(l.get("paradex", "BTC").realized.toString(), "-0.1"); // +0.1 profit − 0.2 fees
    l.apply("paradex", "BTC", D.from("-0.02"), D.from("120"), D.ZERO);
    const h = l.get("paradex", "BTC");
    assert.equal(h.qty.toString(), "-0.01");
    assert.equal(h.avgEntry.toString(), "120");
    assert.equal(l.unrealized("paradex", "BTC", D.from("110")).toString(), "0.1");
  });

  it("a retracted fill is taken back exactly: position, entry, fees, volume and realized PnL", () => {
    const view = (l: Ledger) => {
      const h = l.get("edgex", "BTC");
      return [h.qty, h.avgEntry, h.realized, h.fees, h.volume].map((x) => x.toString());
    };
    const fills: [string, string, string][] = [
      ["0.02", "100", "0.1"], // opens long
      ["0.01", "104", "0.05"], // adds
      ["-0.01", "110", "0.1"], // reduces (realizes)
      ["-0.02", "120", "0.1"], // closes to flat
    ];
    // Retracting any one fill, the last one applied, leaves what the others alone make.
    for (let k = 0; k < fills.length; k++) {
      const upTo = fills.slice(0, k + 1);
      const withIt = new Ledger();
      let realized = D.ZERO;
      for (const [q, p, f] of upTo) realized = withIt.apply("edgex", "BTC", D.from(q), D.from(p), D.from(f));
      const [q, p, f] = upTo[k] as [string, string, string];
      withIt.retract("edgex", "BTC", D.from(q), D.from(p), D.from(f), realized);
      const without = new Ledger();
      for (const [q2, p2, f2] of upTo.slice(0, k)) without.apply("edgex", "BTC", D.from(q2), D.from(p2), D.from(f2));
      assert.deepEqual(
        view(withIt).map((x) => D.from(x).round(12).toString()),
        view(without).map((x) => D.from(x).round(12).toString()),
        `fill ${k}`,
      );
    }
  });
});

describe("order tracker", () => {
  it("a fill retracted before its leg settles leaves the settlement, even if a later order update still counts it", () => {
    const t = new OrderTracker();
    t.expect("paradex", "a-1-b");
    const order = {
      type: "order" as const,
      seq: 1,
      order_id: "o1",
      client_id: "a-1-b",
      market: "BTC-USD-PERP",
      side: "BUY" as const,
      order_type: "LIMIT",
      status: "CLOSED",
      price: "65000",
      size: "0.01",
      remaining_size: "0",
      avg_fill_price: "65000",
      cancel_reason: null,
      exchange_ts: 1,
    };
    const fill = {
      type: "fill" as const,
      seq: 2,
      fill_id: "f1",
      order_id: "o1",
      client_id: "a-1-b",
      market: "BTC-USD-PERP",
      side: "BUY" as const,
      liquidity: "TAKER" as const,
      price: "65000",
      size: "0.01",
      fee: "0.13",
      fee_currency: "USDC",
      exchange_ts: 1,
    };
    t.onOrder("paradex", order);
    t.onFill("paradex", fill);
    assert.equal(t.settlement("paradex", "a-1-b").filled.toString(), "0.01");
    const bust = { type: "fill_bust" as const, seq: 3, fill_id: "f1", order_id: "o1", market: null, exchange_ts: 2 };
    const m = t.onFillBust("paradex", bust);
    assert.equal(m.kind, "pending");
    t.onOrder("paradex", { ...order, seq: 4 }); // not re-stated by the venue: still says filled
    t.onFill("paradex", { ...fill, seq: 5 }); // a replay of the retracted fill
    const s = t.settlement("paradex", "a-1-b");
    assert.equal(s.filled.toString(), "0");
    assert.equal(s.fee.toString(), "0");
    assert.equal(t.onFillBust("paradex", bust).kind, "unknown", "a repeated bust is ignored");
  });

  it("a fill retracted after its leg settled is handed back with the leg's client id", () => {
    const t = new OrderTracker();
    t.expect("edgex", "a-2-s");
    t.onFill("edgex", {
      type: "fill",
      seq: 1,
      fill_id: "f9",
      order_id: "o9",
      client_id: "a-2-s",
      market: "BTCUSDC",
      side: "SELL",
      liquidity: "TAKER",
      price: "65100",
      size: "0.01",
      fee: "0.25",
      fee_currency: "USDC",
      exchange_ts: 1,
    });
    t.forget("edgex", "a-2-s");
    const m = t.onFillBust("edgex", {
      type: "fill_bust",
      seq: 2,
      fill_id: "f9",
      order_id: "o9",
      market: "BTCUSDC",
      exchange_ts: 2,
    });
    assert.equal(m.kind, "settled");
    assert.ok(m.kind === "settled" && m.clientId === "a-2-s" && m.fill.size.toString() === "0.01");
    assert.equal(
      t.onFillBust("paradex", {
        type: "fill_bust",
        seq: 3,
        fill_id: "f9",
        order_id: null,
        market: null,
        exchange_ts: 3,
      }).kind,
      "unknown",
      "another venue's fill of the same id is not ours",
    );
  });
});

describe("config", () => {
  it("has safe defaults: paper mode, all three markets", () => {
    const c = loadConfig([], {});
    assert.equal(c.live, false);
    assert.deepEqual(
      c.markets.map((m) => m.base),
      ["BTC", "ETH", "SOL"],
    );
  });
  it("takes flags over environment over defaults", () => {
    const c = loadConfig(["--min-edge-bps", "7.5"], { BOT_MIN_EDGE_BPS: "9", BOT_SIZE: "0.5", BOT_MARKETS: "eth" });
    assert.equal(c.minEdgeBps.toString(), "7.5");
    assert.equal(c.markets[0]?.base, "ETH");
    assert.equal(c.markets[0]?.size.toString(), "0.5");
  });
  it("names the offending flag on bad input", () => {
    assert.throws(() => loadConfig(["--min-edge-bps", "1e3"], {}), /--min-edge-bps/);
    assert.throws(() => loadConfig(["--size", "BTC=-1"], {}), /--size/);
    assert.throws(() => loadConfig(["--markets", "BTC", "--size", "ETH=1"], {}), /no value for BTC/);
    assert.throws(() => loadConfig(["--residual-policy", "pray"], {}), ConfigError);
    assert.throws(() => loadConfig(["--bogus"], {}), ConfigError);
  });
});

describe("paper venue", () => {
  it("validates against metadata and fills IOC against the live book, sending nothing", async () => {
    const inner = new FakeVenue("edgex", [meta("BTCUSDC", "BTC", { takerFeeRate: "0.0004" })]);
    const paper = new PaperVenue(inner);
    await paper.connect();
    inner.setBook(
      "BTCUSDC",
      [
        ["64999.9", "0.005"],
        ["64999", "1"],
      ],
      [["65000.1", "1"]],
    );
    const fills: string[] = [];
    const orders: string[] = [];
    paper.on("fill", (f) => fills.push(`${f.price}x${f.size}`));
    const closed = new Promise<void>((r) =>
      paper.on("order", (o) => {
        orders.push(`${o.status}:${o.remaining_size}`);
        r();
      }),
    );
    await assert.rejects(
      paper.place({ market: "BTCUSDC", side: "SELL", type: "LIMIT", size: "0.0005", price: "64999", tif: "IOC" }),
      PaperReject,
    );
    await assert.rejects(
      paper.place({ market: "BTCUSDC", side: "SELL", type: "LIMIT", size: "0.01", price: "64999.05", tif: "IOC" }),
      /tick/,
    );
    const res = await paper.place({
      market: "BTCUSDC",
      side: "SELL",
      type: "LIMIT",
      size: "0.01",
      price: "64999.5",
      tif: "IOC",
      clientId: "c1",
    });
    assert.equal(res.dryRun, true);
    await closed;
    assert.deepEqual(fills, ["64999.9x0.005"]); // the 64999 level is beyond the limit
    assert.deepEqual(orders, ["CLOSED:0.005"]);
    assert.equal(inner.placed.length, 0);
    assert.deepEqual(
      await paper.place({
        market: "BTCUSDC",
        side: "SELL",
        type: "LIMIT",
        size: "0.01",
        price: "64999.5",
        tif: "IOC",
        clientId: "c1",
      }),
      res,
    );
    const snap = await paper.snapshot();
    assert.equal(snap.positions[0]?.size, "-0.005");
    await paper.close();
  });
});

describe("price paths", () => {
  it("are deterministic, and open spreads between the venues that later close", () => {
    const a = generatePaths({ seed: 3, seconds: 60 });
    const b = generatePaths({ seed: 3, seconds: 60 });
    assert.equal(a.paradex, b.paradex);
    assert.ok(a.events.length >= 3);
    const p = a.paradex
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    const e = a.edgex
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    const gaps = p.map((x, i) => Math.abs(Number(x["BTC"]) / Number(e[i]?.["BTC"]) - 1) * 1e4);
    assert.ok(Math.max(...gaps) > 15);
    assert.ok(gaps.filter((g) => g < 1).length > gaps.length / 3);
  });
});

describe("guards", () => {
  it("trip once on daily loss, net exposure, failures in a row or a reconnect storm, and say why", async () => {
    const { Guards } = await import("../src/guards.ts");
    const limits = {
      maxQuoteAgeMs: 100,
      maxDailyLossUsd: D.from("50"),
      maxNetExposureUsd: D.from("200"),
      maxConsecutiveFailures: 2,
      stormCount: 3,
      stormWindowMs: 1000,
    };
    const trips: string[] = [];
    const mk = () => new Guards(limits, (r) => trips.push(r));
    let g = mk();
    g.risk(D.from("-49.99"), D.from("199"));
    assert.equal(g.killed, null);
    g.risk(D.from("-50.01"), D.ZERO);
    assert.match(g.killed ?? "", /daily loss -50.01/);
    g.risk(D.from("-500"), D.from("9999"));
    assert.equal(trips.length, 1, "sticky: a second breach does not re-run the kill");
    g = mk();
    g.risk(D.ZERO, D.from("200.5"));
    assert.match(g.killed ?? "", /net exposure/);
    g = mk();
    g.arbOutcome(false);
    g.arbOutcome(true); // a clean arbitrage resets the count
    g.arbOutcome(false);
    assert.equal(g.killed, null);
    g.arbOutcome(false);
    assert.match(g.killed ?? "", /2 consecutive/);
    g = mk();
    g.reconnect(0);
    g.reconnect(600);
    g.reconnect(1700); // the first two have left the window
    g.reconnect(1750);
    assert.equal(g.killed, null);
    g.reconnect(1800);
    assert.match(g.killed ?? "", /storm/);
    assert.equal(g.quoteAgeProblem(10, 99), null);
    assert.match(g.quoteAgeProblem(10, 101) ?? "", /quote age 101/);
  });
});

describe("quotes", () => {
  it("track feed health per venue and market; quiet private channels do not block", async () => {
    const { VenueQuotes } = await import("../src/quotes.ts");
    const q = new VenueQuotes("paradex");
    const st = (state: string, extra: Record<string, string> = {}) => ({
      type: "status" as const,
      seq: 1,
      state: state as "live",
      ts: 0,
      ...extra,
    });
    q.setConnected();
    q.onBbo(
      {
        type: "bbo",
        seq: 1,
        market: "M",
        bid: "1",
        bid_size: "1",
        ask: "2",
        ask_size: "1",
        exchange_ts: 0,
        exchange_seq: 1,
        recv_us: 0,
      },
      10,
    );
    assert.equal(q.feedProblem("M"), null);
    q.onStatus(st("stale", { channel: "positions" }), 11);
    assert.equal(q.feedProblem("M"), null);
    q.onStatus(st("stale", { channel: "bbo", market: "M" }), 12);
    assert.match(q.feedProblem("M") ?? "", /M stale/);
    q.onBbo(
      {
        type: "bbo",
        seq: 2,
        market: "M",
        bid: "1",
        bid_size: "1",
        ask: "2",
        ask_size: "1",
        exchange_ts: 0,
        exchange_seq: 2,
        recv_us: 0,
      },
      13,
    );
    assert.equal(q.feedProblem("M"), null, "fresh data clears stale");
    q.onStatus(st("reconnecting"), 14);
    assert.match(q.feedProblem("M") ?? "", /reconnecting/);
    assert.equal(q.view("M"), null, "a venue-wide drop discards its quotes");
    q.onStatus(st("connected"), 15);
    assert.equal(q.feedProblem("M"), null);
  });

  it("merge a fresher bbo over the book's depth", async () => {
    const { VenueQuotes } = await import("../src/quotes.ts");
    const q = new VenueQuotes("edgex");
    q.onBook(
      {
        type: "book",
        seq: 1,
        market: "M",
        bids: [
          ["99", "1"],
          ["98", "2"],
        ],
        asks: [
          ["101", "1"],
          ["102", "2"],
        ],
        exchange_seq: 1,
        exchange_ts: 0,
        recv_us: 0,
      },
      1,
    );
    q.onBbo(
      {
        type: "bbo",
        seq: 2,
        market: "M",
        bid: "99.5",
        bid_size: "0.5",
        ask: "101.5",
        ask_size: "0.5",
        exchange_ts: 0,
        exchange_seq: 2,
        recv_us: 0,
      },
      2,
    );
    const v = q.view("M");
    assert.deepEqual(
      v?.bids.map((l) => l.price.toString()),
      ["99.5", "99", "98"],
    );
    assert.deepEqual(
      v?.asks.map((l) => l.price.toString()),
      ["101.5", "102"],
    );
    assert.equal(q.mid("M")?.toString(), "100.5");
  });
});
