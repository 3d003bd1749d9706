/**
 * @module status — the read-only snapshot of the bot that the view renders and the summary prints.
 */
import type { VenueName, VenueSnapshot } from "@paradex-edgex/core";
import type { HealthReport } from "@paradex-edgex/toolkit";
import type { ArbBot } from "./bot.ts";
import { D } from "@paradex-edgex/core/decimal";
import type { Evaluation } from "./signal.ts";

export interface BotStatus {
  mode: "paper" | "live";
  killed: string | null;
  startedAt: number;
  markets: {
    base: string;
    quotes: Record<VenueName, { bid: string | null; ask: string | null; ageMs: number | null; health: string }>;
    edgeBps: string | null;
    direction: string | null;
    /** Both directions with their edge against the threshold and, when not actionable, why. */
    directions: DirectionStatus[];
    positions: Record<VenueName, string>;
    net: string;
    realized: string;
    unrealized: string;
    seen: number;
    taken: number;
    inFlight: boolean;
    /** What blocks an entry right now (null when nothing does); recomputed at every snapshot, never sticky. */
    block: string | null;
  }[];
  /** Per venue: balances, account figures and open orders from the latest reconciliation snapshot. */
  venues: Record<VenueName, VenueStatus>;
  thresholds: { minEdgeBps: string; exitEdgeBps: string; maxEdgeBps: string; maxMidGapBps: string };
  realized: string;
  unrealized: string;
  fees: string;
  arbs: { total: number; clean: number; corrected: number; failed: number };
  latencyUs: {
    p50: number | null;
    p99: number | null;
    n: number;
    fromRecvP50: number | null;
    fromRecvP99: number | null;
  };
  mismatches: string[];
  /** The toolkit's feed health report: per venue and channel message counts, rates, ages, lag, reconnects. */
  health: HealthReport;
}

export interface DirectionStatus {
  direction: string;
  edgeBps: string | null;
  thresholdBps: string;
  ok: boolean;
  reason: string | null;
}

export interface VenueStatus {
  balances: { token: string; size: string }[];
  accountValue: string | null;
  freeCollateral: string | null;
  openOrders: { market: string; side: string; size: string; price: string | null; status: string }[];
}

const VENUES: readonly VenueName[] = ["paradex", "edgex"];

function directionStatus(e: Evaluation): DirectionStatus {
  if (e.ok) {
    const o = e.opp;
    return {
      direction: `buy ${o.buy.venue} / sell ${o.sell.venue}`,
      edgeBps: o.edgeBps.round(2).toString(),
      thresholdBps: o.thresholdBps.toString(),
      ok: true,
      reason: null,
    };
  }
  return {
    direction: e.direction,
    edgeBps: e.edgeBps?.round(2).toString() ?? null,
    thresholdBps: e.thresholdBps.toString(),
    ok: false,
    reason: e.reason,
  };
}

function venueStatus(snap: VenueSnapshot | null): VenueStatus {
  if (snap === null) return { balances: [], accountValue: null, freeCollateral: null, openOrders: [] };
  return {
    balances: snap.balances.map((b) => ({ token: b.token, size: b.size })),
    accountValue: snap.account?.account_value ?? null,
    freeCollateral: snap.account?.free_collateral ?? null,
    openOrders: snap.orders
      .filter((o) => o.status !== "CLOSED" && o.status !== "FILLED" && o.status !== "CANCELED")
      .map((o) => ({ market: o.market, side: o.side, size: o.remaining_size, price: o.price, status: o.status })),
  };
}

function toUs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000);
}

export function buildStatus(bot: ArbBot, now: number): BotStatus {
  const { realized, unrealized } = bot.pnl();
  const arbs = { total: bot.results.length, clean: 0, corrected: 0, failed: 0 };
  for (const r of bot.results) {
    if (r.state === "failed") arbs.failed++;
    else if (r.clean) arbs.clean++;
    else if (r.state === "unwound" || r.state === "hedged") arbs.corrected++;
  }
  return {
    mode: bot.cfg.live ? "live" : "paper",
    killed: bot.guards.killed,
    startedAt: bot.startedAt,
    markets: [...bot.markets.values()].map((m) => {
      const base = m.cfg.base;
      const q = (v: VenueName): BotStatus["markets"][number]["quotes"][VenueName] => {
        const view = bot.quotes[v].view(m.meta[v].market);
        return {
          bid: view?.bids[0]?.price.toString() ?? null,
          ask: view?.asks[0]?.price.toString() ?? null,
          ageMs: view ? Math.round(now - view.at) : null,
          health: bot.quotes[v].health(),
        };
      };
      const ev = m.lastEval;
      const edge = ev === null ? null : ev.ok ? ev.opp.edgeBps : ev.edgeBps;
      let un = D.ZERO;
      let re = D.ZERO;
      for (const v of VENUES) {
        un = un.add(bot.ledger.unrealized(v, base, bot.quotes[v].mid(m.meta[v].market)));
        re = re.add(bot.ledger.get(v, base).realized);
      }
      const pos = (v: VenueName): D => bot.ledger.position(v, base);
      return {
        base,
        quotes: { paradex: q("paradex"), edgex: q("edgex") },
        edgeBps: edge?.round(2).toString() ?? null,
        direction: ev === null ? null : ev.ok ? `buy ${ev.opp.buy.venue} / sell ${ev.opp.sell.venue}` : ev.direction,
        directions: m.dirs === null ? [] : [directionStatus(m.dirs.ab), directionStatus(m.dirs.ba)],
        positions: { paradex: pos("paradex").toString(), edgex: pos("edgex").toString() },
        net: pos("paradex").add(pos("edgex")).toString(),
        realized: re.round(4).toString(),
        unrealized: un.round(4).toString(),
        seen: m.seen,
        taken: m.taken,
        inFlight: m.inFlight,
        block: bot.blockNow(m, now),
      };
    }),
    realized: realized.round(4).toString(),
    unrealized: unrealized.round(4).toString(),
    fees: bot.ledger.feesTotal().round(4).toString(),
    arbs,
    latencyUs: {
      p50: toUs(bot.latencyMs.pct(50)),
      p99: toUs(bot.latencyMs.pct(99)),
      n: bot.latencyMs.n,
      fromRecvP50: toUs(bot.latencyFromRecvMs.pct(50)),
      fromRecvP99: toUs(bot.latencyFromRecvMs.pct(99)),
    },
    mismatches: [...bot.guards.mismatches.values()],
    venues: { paradex: venueStatus(bot.snapshots.paradex), edgex: venueStatus(bot.snapshots.edgex) },
    thresholds: {
      minEdgeBps: bot.cfg.minEdgeBps.toString(),
      exitEdgeBps: bot.cfg.exitEdgeBps.toString(),
      maxEdgeBps: bot.cfg.maxEdgeBps.toString(),
      maxMidGapBps: bot.cfg.maxMidGapBps.toString(),
    },
    health: bot.health.report(),
  };
}
