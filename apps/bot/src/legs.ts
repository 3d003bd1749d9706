/**
 * @module legs — the two-leg state machine: intent → sent → filled/partial/failed per leg → hedged/unwound → done.
 *
 * Both legs leave concurrently as IOC limit orders with deterministic client ids (`<arbId>-b`, `<arbId>-s`,
 * corrections `<arbId>-c<n>`). Each leg settles from the venue's own `order`/`fill` events; a leg whose outcome
 * is unknown (an error that is not a clear refusal, or no final state within the deadline) is looked up in the
 * venue's snapshot — its open orders and the position change since the leg left — and is never resent blindly.
 * Whatever net position the legs leave (the residual) is hedged or unwound with bounded retries and time;
 * if it cannot be flattened the caller trips the kill switch. Every step is journaled before and after.
 */
import type { PositionEvent } from "@paradex-edgex/core";
import type { MarketMeta, PlaceOrderResult, Venue, VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";
import type { ArbState, Journal, LegPlanRecord, LegRole, LegState } from "./journal.ts";
import type { Ledger } from "./ledger.ts";
import type { OrderTracker } from "./orders.ts";
import type { VenueQuotes } from "./quotes.ts";
import type { Opportunity } from "./signal.ts";

const BPS = D.fromInt(10_000);

export interface LegEnv {
  venues: Record<VenueName, Venue>;
  tracker: OrderTracker;
  journal: Journal;
  ledger: Ledger;
  quotes: Record<VenueName, VenueQuotes>;
  meta(venue: VenueName, base: string): MarketMeta;
  cfg: {
    legTimeoutMs: number;
    residualTimeoutMs: number;
    residualRetries: number;
    residualPolicy: "unwind" | "hedge";
    unwindSlippageBps: D;
    /** "strict": fdatasync before the orders leave; "after": write() before, fdatasync right after dispatch. */
    journalSync: "strict" | "after";
  };
  /** Monotonic ms, for deadlines. */
  now(): number;
  /** Wall-clock ms, for journal timestamps. */
  wall(): number;
  log(event: string, fields: Record<string, unknown>): void;
  /** Synchronous time a venue's `place()` took (ms): lets the dispatcher hand the cheaper venue its order first. */
  placeCost?(venue: VenueName, ms: number): void;
  /** Typical synchronous `place()` cost of a venue so far (ms), if known. */
  costOf?(venue: VenueName): number;
  /** A leg declared unknown at its deadline got its venue's answer after all (the caller re-reads positions). */
  lateOutcome?(plan: LegPlanRecord, outcome: string): void;
  /** The venue's actual signed position in a market, for sizing corrections (the ledger's when absent). */
  venuePosition?(venue: VenueName, market: string): Promise<D>;
  /** A leg's outcome was journaled and applied to the ledger (the bot keeps settled legs for retractions). */
  legRecorded?(arbId: string, result: LegResult): void;
}

export interface LegResult {
  plan: LegPlanRecord;
  state: LegState;
  filled: D;
  avgPrice: D | null;
  fee: D;
  orderId: string | null;
  error?: string;
  via: "events" | "snapshot" | "recovery";
  /** Realized PnL (price part) the ledger booked for this leg: a retraction of its fills takes a share back. */
  realized?: D;
}

export interface ArbResult {
  arbId: string;
  base: string;
  state: ArbState;
  /** True when both legs filled equally and nothing needed correcting. */
  clean: boolean;
  residual: D;
  legs: LegResult[];
}

/** Errors that prove the order was not accepted (nothing can have filled). Anything else is "unknown". */
const UNKNOWN_OUTCOME =
  /unknown|timeout|timed out|deadline|sidecar_gone|went away|closed|disconnect|not connected|not_ready|econn|socket|network|abort|restart|\b5\d\d\b|internal/i;

export function signedSize(p: PositionEvent): D {
  const size = D.from(p.size).abs();
  return p.side === "SHORT" ? size.neg() : p.side === "FLAT" ? D.ZERO : D.from(p.size).isNeg() ? size.neg() : size;
}

export const signed = (side: "BUY" | "SELL", q: D): D => (side === "BUY" ? q : q.neg());

/** Journal a leg's plan (write-ahead) and start following its client id. Synchronous. */
export function journalLeg(env: LegEnv, arbId: string, plan: LegPlanRecord): void {
  env.tracker.expect(plan.venue, plan.clientId);
  env.journal.append({ k: "leg_sent", ts: env.wall(), arbId, leg: plan });
}

/**
 * Send a journaled leg and settle it (events, else snapshot lookup). Never throws. The venue's `place()` is
 * called synchronously, before this function first yields, so the caller knows the order has been handed over
 * when it returns; the time that took (signing, framing) is reported to `env.placeCost`.
 */
export function sendLeg(env: LegEnv, arbId: string, plan: LegPlanRecord, dispatchedAt?: number): Promise<LegResult> {
  const venue = env.venues[plan.venue];
  const t = env.now();
  // The leg's deadline counts from dispatch, whatever place() goes on to do (sign, retry, look up).
  const deadline = (dispatchedAt ?? t) + env.cfg.legTimeoutMs;
  let placing: Promise<PlaceOrderResult>;
  try {
    placing = venue.place({
      market: plan.market,
      side: plan.side,
      type: "LIMIT",
      size: plan.size,
      price: plan.price,
      tif: "IOC",
      reduceOnly: plan.reduceOnly,
      clientId: plan.clientId,
    });
  } catch (err) {
    placing = Promise.reject(err);
  }
  env.placeCost?.(plan.venue, env.now() - t);
  return settleLeg(env, arbId, plan, placing, deadline);
}

type PlaceOutcome = { kind: "accepted"; res: PlaceOrderResult } | { kind: "error"; error: string } | { kind: "late" };

function describeError(err: unknown): string {
  const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : null;
  const message = err instanceof Error ? err.message : String(err);
  return code !== null && !message.includes(code) ? `${code}: ${message}` : message;
}

/** What place() said by the deadline, or "late" when it is still out then. */
function placeByDeadline(env: LegEnv, placing: Promise<PlaceOrderResult>, deadline: number): Promise<PlaceOutcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: "late" }), Math.max(0, deadline - env.now()));
    placing.then(
      (res) => {
        clearTimeout(timer);
        resolve({ kind: "accepted", res });
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve({ kind: "error", error: describeError(err) });
      },
    );
  });
}

/** Budget of the one lookup of a leg whose place() is still out at its deadline (the venue may be down). */
const LATE_LOOKUP_MS = 300;

async function settleLeg(
  env: LegEnv,
  arbId: string,
  plan: LegPlanRecord,
  placing: Promise<PlaceOrderResult>,
  deadline: number,
): Promise<LegResult> {
  const outcome = await placeByDeadline(env, placing, deadline);
  const left = (): number => Math.max(0, deadline - env.now());
  let error: string | undefined;
  let result: LegResult;
  if (outcome.kind === "accepted") {
    env.tracker.accepted(plan.venue, plan.clientId, outcome.res.orderId);
    const settled = await env.tracker.waitSettled(plan.venue, plan.clientId, left());
    result = settled ? fromEvents(env, plan) : await lookup(env, plan, "no final state by the leg deadline");
  } else if (outcome.kind === "late") {
    // place() is still out at the deadline (a venue that is down, a slow lookup loop inside the client):
    // one short lookup; if the venue cannot answer, the leg is unknown now and the other leg is corrected.
    error = "no answer from place() by the leg deadline";
    result = await lookup(env, plan, error, "snapshot", LATE_LOOKUP_MS);
    // The order may still land after this: the venue's answer is logged and the positions are re-read.
    if (result.filled.isZero()) {
      if (result.state === "failed") result.state = "unknown";
      placing.then(
        (res) => env.lateOutcome?.(plan, `accepted ${res.status}`),
        (err: unknown) => env.lateOutcome?.(plan, describeError(err)),
      );
    }
  } else if (!UNKNOWN_OUTCOME.test(outcome.error)) {
    // A clear refusal: confirm with the venue anyway (cheap, and the only proof nothing filled).
    error = outcome.error;
    result = await lookup(env, plan, error);
    if (result.state !== "unknown" && result.filled.isZero()) result.state = "failed";
  } else {
    // Unknown outcome: the order may have landed. Its events may still come until the deadline; then look it up.
    error = outcome.error;
    const settled = await env.tracker.waitSettled(plan.venue, plan.clientId, left());
    result = settled ? fromEvents(env, plan) : await lookup(env, plan, error);
  }
  if (error !== undefined) result.error = error;
  recordLeg(env, arbId, result);
  return result;
}

export function classify(plan: LegPlanRecord, filled: D): LegState {
  if (filled.isZero()) return "failed";
  return filled.gte(plan.size) ? "filled" : "partial";
}

function fromEvents(env: LegEnv, plan: LegPlanRecord): LegResult {
  const s = env.tracker.settlement(plan.venue, plan.clientId);
  const filled = D.min(s.filled, D.from(plan.size));
  return {
    plan,
    state: classify(plan, filled),
    filled,
    avgPrice: s.avgPrice,
    fee: s.fee,
    orderId: s.orderId,
    via: "events",
  };
}

/**
 * Ask the venue what happened: cancel the order if it is somehow still open, then infer the filled size from
 * the position change since the leg left (we run one leg per venue and market at a time, so the change is ours).
 */
export async function lookup(
  env: LegEnv,
  plan: LegPlanRecord,
  why: string,
  via: "snapshot" | "recovery" = "snapshot",
  budgetMs = env.cfg.legTimeoutMs,
): Promise<LegResult> {
  const venue = env.venues[plan.venue];
  const deadline = env.now() + budgetMs;
  const bounded = <T>(p: Promise<T>): Promise<T> => withDeadline(p, deadline - env.now(), `lookup of ${plan.clientId}`);
  for (let attempt = 1; ; attempt++) {
    try {
      let snap = await bounded(venue.snapshot());
      if (snap.orders.some((o) => o.client_id === plan.clientId)) {
        await bounded(venue.cancel({ clientId: plan.clientId, market: plan.market }));
        snap = await bounded(venue.snapshot());
      }
      const pos = snap.positions.find((p) => p.market === plan.market);
      const now = pos === undefined ? D.ZERO : signedSize(pos);
      const delta = now.sub(plan.positionBefore);
      const ours = plan.side === "BUY" ? delta : delta.neg();
      const tracked = env.tracker.settlement(plan.venue, plan.clientId);
      const filled = D.min(D.max(ours, D.ZERO), D.from(plan.size));
      env.log("leg_lookup", {
        clientId: plan.clientId,
        venue: plan.venue,
        why,
        filled: filled.toString(),
        tracked: tracked.filled.toString(),
      });
      const fee = tracked.fee.isPos()
        ? tracked.fee
        : filled.mul(plan.price).mul(env.meta(plan.venue, plan.base).takerFeeRate);
      return {
        plan,
        state: classify(plan, filled),
        filled,
        avgPrice: tracked.avgPrice ?? D.from(plan.price),
        fee,
        orderId: tracked.orderId,
        via,
      };
    } catch (err) {
      env.log("leg_lookup_failed", { clientId: plan.clientId, venue: plan.venue, attempt, error: String(err) });
      if (env.now() >= deadline) {
        return {
          plan,
          state: "unknown",
          filled: D.ZERO,
          avgPrice: null,
          fee: D.ZERO,
          orderId: null,
          via,
          error: String(err),
        };
      }
      await sleep(Math.min(100 * attempt, 500, Math.max(0, deadline - env.now())));
    }
  }
}

/** `p`, or a rejection once `ms` have passed (the call itself is not cancelled; its answer is ignored). */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: timed out`)), Math.max(0, ms));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Journal a leg's outcome, apply it to the ledger, and journal the venue position it leaves. */
export function recordLeg(env: LegEnv, arbId: string, r: LegResult): void {
  const p = r.plan;
  env.journal.append({
    k: "leg_done",
    ts: env.wall(),
    arbId,
    clientId: p.clientId,
    venue: p.venue,
    state: r.state,
    orderId: r.orderId,
    filled: r.filled.toString(),
    avgPrice: r.avgPrice?.toString() ?? null,
    fee: r.fee.toString(),
    ...(r.error !== undefined ? { error: r.error } : {}),
    via: r.via,
  });
  if (r.filled.isPos()) {
    r.realized = env.ledger.apply(p.venue, p.base, signed(p.side, r.filled), r.avgPrice ?? D.from(p.price), r.fee);
    if (r.via !== "events") {
      // A snapshot told us the position; adopt it exactly (PnL uses our best price estimate).
      const before = D.from(p.positionBefore);
      env.ledger.setSize(p.venue, p.base, before.add(signed(p.side, r.filled)), null);
    }
    env.journal.append({
      k: "position",
      ts: env.wall(),
      venue: p.venue,
      base: p.base,
      size: env.ledger.position(p.venue, p.base).toString(),
      source: "leg",
    });
  }
  env.tracker.forget(p.venue, p.clientId);
  env.legRecorded?.(arbId, r);
  env.log("leg", {
    arbId,
    clientId: p.clientId,
    venue: p.venue,
    role: p.role,
    side: p.side,
    state: r.state,
    filled: r.filled.toString(),
    size: p.size,
    via: r.via,
    ...(r.error ? { error: r.error } : {}),
  });
}

export function plan(
  env: LegEnv,
  role: LegRole,
  venue: VenueName,
  base: string,
  side: "BUY" | "SELL",
  size: D,
  price: D,
  clientId: string,
  reduceOnly: boolean,
): LegPlanRecord {
  return {
    role,
    venue,
    market: env.meta(venue, base).market,
    base,
    side,
    size: size.toString(),
    price: price.toString(),
    clientId,
    reduceOnly,
    positionBefore: env.ledger.position(venue, base).toString(),
  };
}

export interface Dispatch {
  arbId: string;
  base: string;
  legs: [LegPlanRecord, LegPlanRecord];
  /** Both `place()` calls have been issued (resolves after journaling and dispatch, before any reply). */
  pending: [Promise<LegResult>, Promise<LegResult>];
  /** Monotonic time when both `place()` calls had been issued. */
  sentAt: number;
}

/** Journal the intent and both legs, then issue both orders concurrently. Synchronous up to the sends. */
export function dispatchArb(env: LegEnv, arbId: string, base: string, opp: Opportunity): Dispatch {
  const buy = plan(env, "buy", opp.buy.venue, base, "BUY", opp.size, opp.buy.limit, `${arbId}-b`, false);
  const sell = plan(env, "sell", opp.sell.venue, base, "SELL", opp.size, opp.sell.limit, `${arbId}-s`, false);
  const ts = env.wall();
  const after = env.cfg.journalSync === "after";
  // One write for the intent and both legs, in the kernel before either order leaves (a crash of this
  // process cannot lose it); with "after" the fdatasync follows the dispatch instead of delaying it.
  env.journal.appendMany(
    [
      {
        k: "arb",
        ts,
        arbId,
        base,
        edgeBps: opp.edgeBps.round(2).toString(),
        size: opp.size.toString(),
        reducing: opp.reducing,
      },
      { k: "leg_sent", ts, arbId, leg: buy },
      { k: "leg_sent", ts, arbId, leg: sell },
    ],
    after,
  );
  env.tracker.expect(buy.venue, buy.clientId);
  env.tracker.expect(sell.venue, sell.clientId);
  // Hand the order first to the venue whose client returns faster (EdgeX signs inside place(), ≈ms): the
  // slower one leaves when it leaves either way, the faster one no longer waits behind it.
  const sellFirst = (env.costOf?.(sell.venue) ?? 0) < (env.costOf?.(buy.venue) ?? 0);
  const at = env.now();
  let pending: [Promise<LegResult>, Promise<LegResult>];
  if (sellFirst) {
    const s = sendLeg(env, arbId, sell, at);
    pending = [sendLeg(env, arbId, buy, at), s];
  } else pending = [sendLeg(env, arbId, buy, at), sendLeg(env, arbId, sell, at)];
  const sentAt = env.now();
  // Next turn of the loop: clients that write asynchronously (fetch) get their requests out first.
  if (after) setImmediate(() => env.journal.sync());
  return { arbId, base, legs: [buy, sell], pending, sentAt };
}

/** Await both legs, then flatten whatever residual they left. */
export async function settleArb(env: LegEnv, d: Dispatch): Promise<ArbResult> {
  const legs = await Promise.all(d.pending);
  return finishArb(env, d.arbId, d.base, [...legs]);
}

/** Net base change this arbitrage caused on each venue. */
function deltas(legs: LegResult[]): Map<VenueName, D> {
  const m = new Map<VenueName, D>();
  for (const l of legs) m.set(l.plan.venue, (m.get(l.plan.venue) ?? D.ZERO).add(signed(l.plan.side, l.filled)));
  return m;
}

/**
 * Given settled legs, correct the residual and write the final state. Also used by crash recovery.
 *
 * A leg whose outcome is unknown (its venue could not say by the deadline) counts as not filled, and its venue
 * takes no correction: the surviving legs are unwound on their own venues at once, rather than left exposed
 * while the broken venue is waited for. If the unknown order lands after all, its late answer and the next
 * reconciliation show it (and the net check stops entries).
 */
export async function finishArb(env: LegEnv, arbId: string, base: string, legs: LegResult[]): Promise<ArbResult> {
  const unknown = legs.filter((l) => l.state === "unknown");
  const broken = new Set(unknown.map((l) => l.plan.venue));
  const note = unknown.length > 0 ? `unknown leg outcome: ${unknown.map((l) => l.plan.clientId).join(",")}` : null;
  const firstTwo = legs.filter((l) => l.plan.role !== "correction");
  const clean =
    unknown.length === 0 && firstTwo.length === 2 && firstTwo.every((l) => l.state === "filled") && legs.length === 2;
  let residual = D.sum([...deltas(legs).values()]);
  if (residual.isZero()) {
    const state: ArbState = clean ? "done" : firstTwo.every((l) => l.filled.isZero()) ? "done" : "hedged";
    env.journal.append({
      k: "arb_state",
      ts: env.wall(),
      arbId,
      state,
      note: note ?? (clean ? "both legs filled" : "flat"),
    });
    return { arbId, base, state, clean: clean && legs.every((l) => l.filled.isPos()), residual, legs };
  }
  env.journal.append({
    k: "arb_state",
    ts: env.wall(),
    arbId,
    state: "correcting",
    residual: residual.toString(),
    ...(note === null ? {} : { note }),
  });
  env.log("residual", {
    arbId,
    base,
    residual: residual.toString(),
    policy: env.cfg.residualPolicy,
    ...(note === null ? {} : { note }),
  });
  const deadline = env.now() + env.cfg.residualTimeoutMs;
  let finalState: ArbState = "failed";
  let n = legs.filter((l) => l.plan.role === "correction").length;
  for (let attempt = 1; attempt <= env.cfg.residualRetries && env.now() < deadline; attempt++) {
    n++;
    const next = correctionPlan(env, arbId, base, legs, residual, attempt, n, broken);
    if (next === null) break;
    const leg = await sizedAgainstVenue(env, next.plan);
    journalLeg(env, arbId, leg);
    const r = await sendLeg(env, arbId, leg);
    legs.push(r);
    if (r.state === "unknown") break;
    residual = D.sum([...deltas(legs).values()]);
    if (residual.isZero()) {
      finalState = next.hedge ? "hedged" : "unwound";
      break;
    }
    if (r.filled.isZero()) await sleep(Math.min(100 * attempt, Math.max(0, deadline - env.now())));
  }
  env.journal.append({
    k: "arb_state",
    ts: env.wall(),
    arbId,
    state: finalState,
    residual: residual.toString(),
    ...(note === null ? {} : { note }),
  });
  if (finalState === "failed") env.log("residual_failed", { arbId, base, residual: residual.toString() });
  return { arbId, base, state: finalState, clean: false, residual, legs };
}

/**
 * Size a correction against the venue's actual position: reduce-only only when the whole order reduces it;
 * otherwise a normal order (the part beyond zero opens the other way, which is what the residual needs). A
 * reduce-only order that would cross zero is refused by the venue and would leave the residual in place.
 */
async function sizedAgainstVenue(env: LegEnv, leg: LegPlanRecord): Promise<LegPlanRecord> {
  let pos = D.from(leg.positionBefore);
  if (env.venuePosition !== undefined) {
    try {
      pos = await withDeadline(
        env.venuePosition(leg.venue, leg.market),
        Math.max(200, env.cfg.legTimeoutMs / 4),
        "position",
      );
    } catch (err) {
      env.log("position_read_failed", { venue: leg.venue, market: leg.market, error: String(err) });
    }
  }
  const size = D.from(leg.size);
  const reducible = leg.side === "SELL" ? pos : pos.neg();
  const reduceOnly = leg.reduceOnly && reducible.gte(size);
  if (leg.reduceOnly && !reduceOnly)
    env.log("correction_not_reduce_only", {
      clientId: leg.clientId,
      venue: leg.venue,
      side: leg.side,
      size: leg.size,
      position: pos.toString(),
    });
  return { ...leg, reduceOnly, positionBefore: pos.toString() };
}

/**
 * The next corrective IOC order. Unwind: trade against the venue where this arbitrage left the excess.
 * Hedge (first half of the attempts, when configured): complete the missing side on the other venue.
 * When the residual is finer than the chosen venue's lot, the other way is taken (it always fits there).
 * A venue in `broken` (a leg there has an unknown outcome) is never traded on.
 */
function correctionPlan(
  env: LegEnv,
  arbId: string,
  base: string,
  legs: LegResult[],
  residual: D,
  attempt: number,
  n: number,
  broken: ReadonlySet<VenueName>,
): { plan: LegPlanRecord; hedge: boolean } | null {
  const byVenue = deltas(legs);
  const venuesInvolved = [...new Set(legs.map((l) => l.plan.venue))].filter((v) => !broken.has(v));
  if (venuesInvolved.length === 0) return null;
  const side: "BUY" | "SELL" = residual.isPos() ? "SELL" : "BUY";
  // The excess venue: the one whose change has the residual's sign and the largest magnitude.
  const excess = venuesInvolved.reduce((a, b) => {
    const da = (byVenue.get(a) ?? D.ZERO).mul(residual.sign() > 0 ? "1" : "-1");
    const db = (byVenue.get(b) ?? D.ZERO).mul(residual.sign() > 0 ? "1" : "-1");
    return db.gt(da) ? b : a;
  });
  const other: VenueName = excess === "paradex" ? "edgex" : "paradex";
  let hedge = env.cfg.residualPolicy === "hedge" && attempt <= Math.ceil(env.cfg.residualRetries / 2);
  // A residual finer than one venue's lot (a partial fill on the finer venue) can only be traded on the other.
  const fits = (v: VenueName): boolean => residual.abs().quantize(env.meta(v, base).stepSize, "floor").isPos();
  if (!fits(hedge ? other : excess)) hedge = !hedge;
  if (hedge && broken.has(other)) hedge = false;
  const venue = hedge ? other : excess;
  const meta = env.meta(venue, base);
  const size = residual.abs().quantize(meta.stepSize, "floor");
  if (!size.isPos()) {
    env.log("residual_dust", { arbId, base, residual: residual.toString(), step: meta.stepSize });
    return null;
  }
  const price = correctionPrice(env, venue, base, side, legs);
  return { plan: plan(env, "correction", venue, base, side, size, price, `${arbId}-c${n}`, !hedge), hedge };
}

/** Aggressive but bounded IOC price: current best ± unwind buffer, or the original leg price if no quote. */
function correctionPrice(env: LegEnv, venue: VenueName, base: string, side: "BUY" | "SELL", legs: LegResult[]): D {
  const meta = env.meta(venue, base);
  const view = env.quotes[venue].view(meta.market);
  const slip = env.cfg.unwindSlippageBps.div(BPS);
  const top = side === "BUY" ? view?.asks[0]?.price : view?.bids[0]?.price;
  const ref = top ?? D.from(legs[0]?.plan.price ?? "0");
  return side === "BUY"
    ? ref.mul(D.ONE.add(slip)).quantize(meta.tickSize, "ceil")
    : ref.mul(D.ONE.sub(slip)).quantize(meta.tickSize, "floor");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
