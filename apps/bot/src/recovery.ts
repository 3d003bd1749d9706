/**
 * @module recovery — finishing, at start-up, the arbitrages a crash interrupted.
 *
 * The journal says which legs were sent and which outcomes are known. A leg without an outcome is looked up
 * in its venue's snapshot (still-open order cancelled, fill inferred from the position change since the leg
 * left); then the same residual logic as a live arbitrage hedges or unwinds whatever is left.
 */
import { D } from "@paradex-edgex/core/decimal";
import type { ReplayState, ReplayedArb } from "./journal.ts";
import { Ledger } from "./ledger.ts";
import { type ArbResult, type LegEnv, type LegResult, finishArb, lookup, recordLeg } from "./legs.ts";

/** Look up the legs without an outcome, then flatten the residual. Never throws. */
export async function recoverArb(env: LegEnv, arb: ReplayedArb): Promise<ArbResult> {
  env.log("recovery", { arbId: arb.arbId, base: arb.base, state: arb.state, legs: arb.legs.length });
  const results: LegResult[] = [];
  for (const leg of arb.legs) {
    if (leg.done !== null) {
      results.push({
        plan: leg.plan,
        state: leg.done.state,
        filled: D.from(leg.done.filled),
        avgPrice: leg.done.avgPrice === null ? null : D.from(leg.done.avgPrice),
        fee: D.from(leg.done.fee),
        orderId: leg.done.orderId,
        via: leg.done.via,
      });
      continue;
    }
    const r = await lookup(env, leg.plan, "interrupted by restart", "recovery");
    recordLeg(env, arb.arbId, r);
    results.push(r);
  }
  const res = await finishArb(env, arb.arbId, arb.base, results);
  env.log("recovered", { arbId: arb.arbId, state: res.state, residual: res.residual.toString() });
  return res;
}

/** Realized PnL of today's journaled legs (earlier runs count toward the daily loss limit). */
export function realizedToday(folded: ReplayState): D {
  const l = new Ledger();
  const plans = new Map<string, { venue: "paradex" | "edgex"; base: string; side: "BUY" | "SELL" }>();
  for (const a of folded.arbs.values()) for (const leg of a.legs) plans.set(leg.plan.clientId, leg.plan);
  for (const r of folded.todaysLegs) {
    const p = plans.get(r.clientId);
    if (p === undefined || r.avgPrice === null) continue;
    const q = D.from(r.filled);
    l.apply(p.venue, p.base, p.side === "BUY" ? q : q.neg(), D.from(r.avgPrice), D.from(r.fee));
  }
  return l.realizedTotal();
}
