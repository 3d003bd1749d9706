/**
 * @module bot — wiring: quotes → signal → guards → legs, with the journal, ledger and reconciliation around them.
 *
 * `ArbBot` is venue-agnostic (it sees two `Venue`s) and clock-injectable, so unit tests drive it with in-process
 * fakes and scenario tests drive it against the real simulators. Opportunity checks run synchronously inside the
 * `bbo`/`book` listener: from the event to both `place()` calls there is no await, only the journal write.
 */
import type { FillBustEvent, StatusEvent } from "@paradex-edgex/core";
import type { MarketMeta, Venue, VenueName, VenueSnapshot } from "@paradex-edgex/core";
import { HealthMonitor } from "@paradex-edgex/toolkit";
import type { BotConfig, MarketConfig } from "./config.ts";
import { D } from "@paradex-edgex/core/decimal";
import { Guards } from "./guards.ts";
import { Journal, type JournalRecord, foldJournal } from "./journal.ts";
import { Ledger } from "./ledger.ts";
import {
  type ArbResult,
  type LegEnv,
  type LegResult,
  classify,
  dispatchArb,
  finishArb,
  settleArb,
  signed,
  signedSize,
} from "./legs.ts";
import { OrderTracker } from "./orders.ts";
import { PaperVenue } from "./paper.ts";
import { VenueQuotes } from "./quotes.ts";
import { realizedToday, recoverArb } from "./recovery.ts";
import { type BotStatus, buildStatus } from "./status.ts";
import { type Evaluation, evaluate, type VenueSide } from "./signal.ts";

export const VENUES: readonly VenueName[] = ["paradex", "edgex"];
const QUOTES_OK = new Set(["USD", "USDC", "USDT"]);

export type LogFn = (event: string, fields: Record<string, unknown>) => void;
export type { BotStatus };

export interface MarketState {
  cfg: MarketConfig;
  meta: Record<VenueName, MarketMeta>;
  inFlight: boolean;
  cooldownUntil: number;
  seen: number;
  taken: number;
  blocked: Map<string, number>;
  lastEval: Evaluation | null;
  /** Both directions of the latest evaluation, for the screen (the hot path only needs the best). */
  dirs: { ab: Evaluation; ba: Evaluation } | null;
  lastBlock: string | null;
  /** Whether the previous evaluation was actionable: `seen` counts openings, not events. */
  open: boolean;
  /** Bumped when an arbitrage starts: a snapshot requested before a bump may predate its fills. */
  generation: number;
  /** Arbitrages whose settled fills a venue retracted: corrected as soon as the market has no trade in flight. */
  busted: Set<string>;
}

/** Settled legs remembered for retractions (a fill bust names a fill of one of them). */
const SETTLED_LEGS_KEPT = 5_000;

export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** Percentiles of a bounded sample (the newest 10,000 values). */
export class Samples {
  private readonly xs: number[] = [];
  push(x: number): void {
    this.xs.push(x);
    if (this.xs.length > 10_000) this.xs.shift();
  }
  pct(p: number): number | null {
    if (this.xs.length === 0) return null;
    const s = [...this.xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? null;
  }
  get n(): number {
    return this.xs.length;
  }
  values(): number[] {
    return [...this.xs];
  }
}

export interface BotOptions {
  cfg: BotConfig;
  venues: Record<VenueName, Venue>;
  log: LogFn;
  /** Monotonic ms clock (quote ages, deadlines). */
  clock?: () => number;
  /** Wall clock ms (journal timestamps, UTC day). */
  wall?: () => number;
  /** Journal fsync; tests on tmpfs may turn it off. Default on. */
  durableJournal?: boolean;
}

export class ArbBot {
  readonly cfg: BotConfig;
  readonly venues: Record<VenueName, Venue>;
  readonly quotes: Record<VenueName, VenueQuotes> = {
    paradex: new VenueQuotes("paradex"),
    edgex: new VenueQuotes("edgex"),
  };
  readonly ledger = new Ledger();
  readonly tracker = new OrderTracker();
  readonly journal: Journal;
  readonly guards: Guards;
  readonly markets = new Map<string, MarketState>();
  /** Listener entry → both `place()` calls issued (ms). */
  readonly latencyMs = new Samples();
  /** Frame receipt by the venue client (`recv_us`, wall clock) → both `place()` calls issued (ms). */
  readonly latencyFromRecvMs = new Samples();
  readonly results: ArbResult[] = [];
  private readonly lastSnapshots: Record<VenueName, VenueSnapshot | null> = { paradex: null, edgex: null };
  /** Feed health per venue and channel (rates, ages, reconnects, receive→emit lag); read by `status()`. */
  readonly health = new HealthMonitor();
  private readonly byMarket = new Map<string, string>(); // `${venue}|${market}` → base
  private readonly down = new Set<VenueName>();
  /** EWMA of each venue's synchronous `place()` time, ms. */
  private readonly placeCost = new Map<VenueName, number>();
  private readonly log: LogFn;
  private readonly clock: () => number;
  private readonly wall: () => number;
  private readonly env: LegEnv;
  private readonly inflight = new Set<Promise<unknown>>();
  /** `${venue}|${clientId}` → the settled leg (the very object its arbitrage's result holds) and its arbitrage. */
  private readonly settledLegs = new Map<string, { arbId: string; leg: LegResult }>();
  private timers: NodeJS.Timeout[] = [];
  private detach: (() => void)[] = [];
  private arbSeq = 0;
  private runTag = "";
  private ready = false;
  private stopping = false;
  private priorRealizedToday = D.ZERO;
  startedAt = 0;

  constructor(o: BotOptions) {
    this.cfg = o.cfg;
    this.venues = o.venues;
    this.log = o.log;
    this.clock = o.clock ?? (() => performance.now());
    this.wall = o.wall ?? (() => Date.now());
    this.journal = new Journal(o.cfg.journalPath, o.durableJournal ?? true);
    this.guards = new Guards(o.cfg, (reason) => this.onKill(reason));
    this.env = {
      venues: this.venues,
      tracker: this.tracker,
      journal: this.journal,
      ledger: this.ledger,
      quotes: this.quotes,
      meta: (venue, base) => this.metaOf(venue, base),
      cfg: o.cfg,
      now: () => this.clock(),
      wall: () => this.wall(),
      log: (e, f) => this.log(e, f),
      placeCost: (venue, ms) => this.placeCost.set(venue, 0.8 * (this.placeCost.get(venue) ?? ms) + 0.2 * ms),
      costOf: (venue) => this.placeCost.get(venue) ?? 0,
      lateOutcome: (plan, outcome) => {
        this.log("leg_late_outcome", { clientId: plan.clientId, venue: plan.venue, outcome });
        void this.reconcile("late leg outcome").catch((e) => this.log("reconcile_failed", { error: String(e) }));
      },
      legRecorded: (arbId, leg) => {
        this.settledLegs.set(`${leg.plan.venue}|${leg.plan.clientId}`, { arbId, leg });
        if (this.settledLegs.size > SETTLED_LEGS_KEPT)
          this.settledLegs.delete(this.settledLegs.keys().next().value as string);
      },
      venuePosition: async (venue, market) => {
        const pos = (await this.venues[venue].snapshot()).positions.find((p) => p.market === market);
        return pos === undefined ? D.ZERO : signedSize(pos);
      },
    };
  }

  private metaOf(venue: VenueName, base: string): MarketMeta {
    const m = this.markets.get(base);
    if (m === undefined) throw new Error(`no market for ${base}`);
    return m.meta[venue];
  }

  // ---------------------------------------------------------------- start-up

  async start(): Promise<void> {
    this.startedAt = this.wall();
    const replay = Journal.replay(this.cfg.journalPath);
    if (replay.bad.length > 0)
      this.log("journal_bad_lines", { count: replay.bad.length, torn_tail: replay.tornTail, first: replay.bad[0] });
    const folded = foldJournal(replay.records, this.wall());
    this.journal.open();
    this.arbSeq = folded.lastArbSeq;
    this.runTag = `a${this.wall().toString(36)}`;
    this.journal.append({ k: "start", ts: this.wall(), runId: this.runTag, live: this.cfg.live, pid: process.pid });
    if (folded.killReason !== null) {
      if (this.cfg.resetKill) {
        this.journal.append({ k: "kill_reset", ts: this.wall() });
        this.log("kill_reset", { previous: folded.killReason });
      } else {
        this.guards.restoreKill(folded.killReason);
        this.log("kill_restored", {
          reason: folded.killReason,
          hint: "entries stay stopped; start with --reset-kill to clear",
        });
      }
    }

    this.attach();
    await Promise.all(VENUES.map((v) => this.venues[v].connect()));
    for (const v of VENUES) this.quotes[v].setConnected();
    await this.loadMarkets();
    for (const [k, size] of folded.positions) {
      const [venue, base] = k.split(":") as [VenueName, string];
      if (this.markets.has(base)) this.ledger.setSize(venue, base, D.from(size), null);
    }
    // Paper venues keep no state of their own across restarts: their positions live in our journal.
    for (const v of VENUES) {
      const venue = this.venues[v];
      if (!(venue instanceof PaperVenue)) continue;
      for (const m of this.markets.values())
        venue.restorePosition(m.meta[v].market, this.ledger.position(v, m.cfg.base).toString(), null);
    }
    this.priorRealizedToday = realizedToday(folded);
    for (const arb of folded.open) {
      const m = this.markets.get(arb.base);
      if (m === undefined) {
        this.log("recovery_skipped", { arbId: arb.arbId, base: arb.base, reason: "market not configured" });
        continue;
      }
      m.inFlight = true;
      const res = await recoverArb(this.env, arb);
      m.inFlight = false;
      this.results.push(res);
      if (res.state === "failed")
        this.guards.trip(`recovery could not flatten ${arb.arbId} (residual ${res.residual.toString()} ${arb.base})`);
    }
    // No entry before positions are verified; a venue restarting at this moment gets a few seconds.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.reconcile("start");
        break;
      } catch (err) {
        if (attempt >= 3) throw new StartupError(`cannot read positions from the venues: ${String(err)}`);
        this.log("reconcile_retry", { attempt, error: String(err) });
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
    for (const m of this.markets.values()) {
      for (const v of VENUES) {
        await this.venues[v].subscribe("book", m.meta[v].market);
        await this.venues[v].subscribe("bbo", m.meta[v].market);
      }
    }
    this.ready = true;
    this.timers.push(
      setInterval(
        () => void this.reconcile("periodic").catch((e) => this.log("reconcile_failed", { error: String(e) })),
        this.cfg.reconcileIntervalMs,
      ),
    );
    this.timers.push(setInterval(() => this.riskCheck(), 500));
    this.log("started", {
      mode: this.cfg.live ? "live" : "paper",
      markets: [...this.markets.keys()],
      journal: this.cfg.journalPath,
      run: this.runTag,
    });
  }

  private attach(): void {
    for (const v of VENUES) {
      const venue = this.venues[v];
      const q = this.quotes[v];
      this.detach.push(
        venue.on("book", (e) => {
          const t0 = this.clock();
          q.onBook(e, t0);
          this.onQuote(v, e.market, t0, e.recv_us);
        }),
        venue.on("bbo", (e) => {
          const t0 = this.clock();
          q.onBbo(e, t0);
          this.onQuote(v, e.market, t0, e.recv_us);
        }),
        venue.on("status", (e) => this.onStatus(v, e)),
        venue.on("order", (e) => this.tracker.onOrder(v, e)),
        venue.on("fill", (e) => this.tracker.onFill(v, e)),
        venue.on("fill_bust", (e) => this.onFillBust(v, e)),
      );
      // Attached after the bot's own listeners (and, in paper mode, to the real venue behind the paper
      // wrapper, which listens from its construction): the monitor's bookkeeping runs after the decision
      // and both place() calls, never before them. Attached before connect() so the first `connected` counts
      // and reconnects are counted right.
      this.detach.push(this.health.attach(v, venue instanceof PaperVenue ? venue.underlying : venue));
    }
  }

  /** Map configured base coins to each venue's market by metadata (never by hard-coded names). */
  private async loadMarkets(): Promise<void> {
    const metas: Record<VenueName, MarketMeta[]> = {
      paradex: await this.venues.paradex.markets(),
      edgex: await this.venues.edgex.markets(),
    };
    for (const mc of this.cfg.markets) {
      const pick = (v: VenueName): MarketMeta | undefined =>
        metas[v].find(
          (m) =>
            m.base.toUpperCase() === mc.base &&
            QUOTES_OK.has(m.quote.toUpperCase()) &&
            (v !== "paradex" || m.market.endsWith("-PERP")),
        ) ?? metas[v].find((m) => m.base.toUpperCase() === mc.base);
      const p = pick("paradex");
      const e = pick("edgex");
      if (p === undefined || e === undefined) {
        this.log("market_skipped", { base: mc.base, paradex: p?.market ?? null, edgex: e?.market ?? null });
        continue;
      }
      this.markets.set(mc.base, {
        cfg: mc,
        meta: { paradex: p, edgex: e },
        inFlight: false,
        cooldownUntil: 0,
        seen: 0,
        taken: 0,
        blocked: new Map(),
        lastEval: null,
        dirs: null,
        lastBlock: null,
        open: false,
        generation: 0,
        busted: new Set(),
      });
      this.byMarket.set(`paradex|${p.market}`, mc.base);
      this.byMarket.set(`edgex|${e.market}`, mc.base);
    }
    if (this.markets.size === 0) throw new StartupError("none of the configured markets exists on both venues");
  }

  // ---------------------------------------------------------------- reconciliation and risk

  /** Compare our positions with both venues' snapshots; adopt the venue's size, flag cross-venue mismatches. */
  async reconcile(why: string): Promise<void> {
    const generations = new Map([...this.markets.values()].map((m) => [m.cfg.base, m.generation]));
    const snaps = await Promise.all(VENUES.map((v) => this.venues[v].snapshot()));
    VENUES.forEach((v, i) => {
      this.lastSnapshots[v] = snaps[i] ?? null;
    });
    for (const m of this.markets.values()) {
      // A trade in progress owns these positions until it settles; one that started (and maybe finished)
      // while the snapshots were on their way makes them stale for this market.
      if (m.inFlight || m.generation !== generations.get(m.cfg.base)) continue;
      const base = m.cfg.base;
      VENUES.forEach((v, i) => {
        const pos = snaps[i]?.positions.find((p) => p.market === m.meta[v].market);
        const venueSize = pos === undefined ? D.ZERO : signedSize(pos);
        const ours = this.ledger.position(v, base);
        if (!venueSize.eq(ours)) {
          this.log("position_drift", { why, venue: v, base, ours: ours.toString(), venue_size: venueSize.toString() });
          this.ledger.setSize(v, base, venueSize, pos?.average_entry_price ? D.from(pos.average_entry_price) : null);
          this.record({
            k: "position",
            ts: this.wall(),
            venue: v,
            base,
            size: venueSize.toString(),
            source: "snapshot",
          });
        }
      });
      this.checkNet(m);
    }
  }

  /** The cross-venue net position must stay within tolerance; otherwise entries stop and it is reported. */
  private checkNet(m: MarketState): boolean {
    const base = m.cfg.base;
    const net = this.ledger.position("paradex", base).add(this.ledger.position("edgex", base));
    const mid = this.quotes.paradex.mid(m.meta.paradex.market) ?? this.quotes.edgex.mid(m.meta.edgex.market);
    const notional = mid === null ? null : net.abs().mul(mid);
    const bad = net.isZero() ? false : notional === null ? true : notional.gt(this.cfg.netToleranceUsd);
    const had = this.guards.mismatches.has(base);
    if (bad && !had) {
      const note = `net ${net.toString()} ${base} (~${notional?.round(2).toString() ?? "?"} USD) across venues`;
      this.guards.mismatches.set(base, note);
      this.record({ k: "mismatch", ts: this.wall(), base, net: net.toString(), note });
      this.log("net_mismatch", {
        base,
        net: net.toString(),
        usd: notional?.round(2).toString() ?? null,
        action: "entries stopped",
      });
    } else if (!bad && had) {
      this.guards.mismatches.delete(base);
      this.log("net_ok", { base });
    }
    return !bad;
  }

  pnl(): { realized: D; unrealized: D; exposure: D } {
    let unrealized = D.ZERO;
    let exposure = D.ZERO;
    for (const m of this.markets.values()) {
      let net = D.ZERO;
      for (const v of VENUES) {
        const mid = this.quotes[v].mid(m.meta[v].market);
        unrealized = unrealized.add(this.ledger.unrealized(v, m.cfg.base, mid));
        net = net.add(this.ledger.position(v, m.cfg.base));
      }
      const mid = this.quotes.paradex.mid(m.meta.paradex.market) ?? this.quotes.edgex.mid(m.meta.edgex.market);
      if (mid !== null) exposure = exposure.add(net.abs().mul(mid));
    }
    return { realized: this.ledger.realizedTotal(), unrealized, exposure };
  }

  private riskCheck(): void {
    const { realized, unrealized, exposure } = this.pnl();
    this.guards.risk(realized.add(unrealized).add(this.priorRealizedToday), exposure);
  }

  /** Journal a record outside the order path; a failing journal stops entries instead of throwing here. */
  private record(rec: JournalRecord): void {
    try {
      this.journal.append(rec);
    } catch (err) {
      this.log("journal_failed", { record: rec.k, error: String(err) });
      this.guards.trip(`journal write failed: ${String(err)}`);
    }
  }

  private onKill(reason: string): void {
    try {
      this.journal.append({ k: "kill", ts: this.wall(), reason });
    } catch (err) {
      this.log("journal_failed", { record: "kill", error: String(err) }); // the kill itself must still happen
    }
    this.log("KILL_SWITCH", { reason, action: "cancelling open orders; no new entries; exits still allowed" });
    for (const v of VENUES) {
      this.venues[v].cancelAll().catch((e) => this.log("cancel_all_failed", { venue: v, error: String(e) }));
    }
  }

  private onStatus(v: VenueName, e: StatusEvent): void {
    this.quotes[v].onStatus(e, this.clock());
    // A storm counts outages, not attempts: one reconnect per healthy → down transition of a venue.
    if (e.market === undefined) {
      if ((e.state === "reconnecting" || e.state === "disconnected") && !this.down.has(v)) {
        this.down.add(v);
        this.guards.reconnect(this.clock());
      } else if (e.state === "connected" || e.state === "live" || e.state === "subscribed") this.down.delete(v);
    }
    if (e.state !== "subscribed")
      this.log("venue_status", { venue: v, state: e.state, market: e.market ?? null, reason: e.reason ?? null });
  }

  // ---------------------------------------------------------------- the hot path

  private onQuote(v: VenueName, market: string, t0: number, recvUs: number): void {
    const base = this.byMarket.get(`${v}|${market}`);
    if (base === undefined || !this.ready || this.stopping) return;
    const m = this.markets.get(base) as MarketState;
    const a = this.side("paradex", m);
    const b = this.side("edgex", m);
    if (a === null || b === null) return;
    const all = evaluate(a, b, {
      size: m.cfg.size,
      maxPosition: m.cfg.maxPosition,
      minEdgeBps: this.cfg.minEdgeBps,
      exitEdgeBps: this.cfg.exitEdgeBps,
      slippageBps: this.cfg.slippageBps,
    });
    const ev = all.best;
    m.lastEval = ev;
    m.dirs = { ab: all.ab, ba: all.ba };
    const opening = ev.ok && !m.open;
    m.open = ev.ok;
    if (!ev.ok) return;
    if (opening) m.seen++;
    const block = this.entryBlock(m, a, b, t0, ev.opp.edgeBps, true);
    if (block !== null) {
      // In-flight and cooldown blocks are the normal rhythm of trading; only guard blocks are news.
      const routine = block === "in-flight arbitrage" || block === "cooldown";
      if (m.lastBlock !== block && block.startsWith("implausible")) this.log("IMPLAUSIBLE", { base, reason: block });
      if (m.lastBlock !== block && !routine)
        this.log("entry_blocked", { base, reason: block, edge_bps: ev.opp.edgeBps.round(2).toString() });
      m.lastBlock = block;
      const key = block.split(" ")[0] ?? block;
      m.blocked.set(key, (m.blocked.get(key) ?? 0) + 1);
      return;
    }
    m.lastBlock = null;
    m.taken++;
    m.inFlight = true;
    m.generation++;
    const arbId = `${this.runTag}-${++this.arbSeq}`;
    let d: ReturnType<typeof dispatchArb>;
    try {
      d = dispatchArb(this.env, arbId, base, ev.opp);
    } catch (err) {
      // The write-ahead record could not be written (disk full, I/O error): nothing was sent, and nothing
      // may be sent until an operator looks.
      m.inFlight = false;
      this.log("journal_failed", { arbId, error: String(err) });
      this.guards.trip(`journal write failed: ${String(err)}`);
      return;
    }
    this.latencyMs.push(d.sentAt - t0);
    this.latencyFromRecvMs.push(performance.timeOrigin + d.sentAt - recvUs / 1000);
    this.log("arb_sent", {
      arbId,
      base,
      edge_bps: ev.opp.edgeBps.round(2).toString(),
      size: ev.opp.size.toString(),
      buy: `${ev.opp.buy.venue}@${ev.opp.buy.limit.toString()}`,
      sell: `${ev.opp.sell.venue}@${ev.opp.sell.limit.toString()}`,
      reducing: ev.opp.reducing,
    });
    const p = settleArb(this.env, d)
      .then((res) => this.onArbDone(m, res))
      .catch((err) => {
        // settleArb never throws by design; if it does, treat the market as unsafe rather than guess.
        this.log("arb_crashed", { arbId, error: String(err) });
        this.guards.trip(`internal error in ${arbId}: ${String(err)}`);
        m.inFlight = false;
      });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private side(v: VenueName, m: MarketState): VenueSide | null {
    const book = this.quotes[v].view(m.meta[v].market);
    if (book === null) return null;
    return { venue: v, meta: m.meta[v], book, position: this.ledger.position(v, m.cfg.base) };
  }

  /**
   * First reason an entry must not happen now, or null. Exits never pass through here. `check` re-checks the
   * cross-venue net (which records a mismatch); the screen asks with `check: false` and only reads it.
   */
  private entryBlock(
    m: MarketState,
    a: VenueSide,
    b: VenueSide,
    now: number,
    edge: D | null,
    check: boolean,
  ): string | null {
    if (this.guards.killed !== null) return `kill switch: ${this.guards.killed}`;
    if (m.inFlight) return "in-flight arbitrage";
    if (now < m.cooldownUntil) return "cooldown";
    for (const v of VENUES) {
      const p = this.quotes[v].feedProblem(m.meta[v].market);
      if (p !== null) return `feed: ${p}`;
    }
    const age = this.guards.quoteAgeProblem(now - a.book.at, now - b.book.at);
    if (age !== null) return `stale quote: ${age}`;
    const odd = this.implausible(a, b, edge);
    if (odd !== null) return odd;
    if (check ? !this.checkNet(m) : this.guards.mismatches.has(m.cfg.base)) {
      return `net mismatch: ${this.guards.mismatches.get(m.cfg.base) ?? ""}`;
    }
    return null;
  }

  /**
   * A spread this wide is almost never money: a bad tick, a wrong symbol mapping or two feeds that are not
   * the same market. Entries stop, loudly, until it is gone.
   */
  private implausible(a: VenueSide, b: VenueSide, edge: D | null): string | null {
    const mid = (s: VenueSide): D | null => {
      const bid = s.book.bids[0]?.price;
      const ask = s.book.asks[0]?.price;
      return bid === undefined || ask === undefined ? null : bid.add(ask).div(D.fromInt(2));
    };
    const ma = mid(a);
    const mb = mid(b);
    if (ma !== null && mb !== null && ma.isPos() && mb.isPos()) {
      const low = D.min(ma, mb);
      const gap = ma.sub(mb).abs().mul(D.fromInt(10_000)).div(low);
      if (gap.gt(this.cfg.maxMidGapBps)) {
        return `implausible: mids ${gap.round(0).toString()} bps apart (max ${this.cfg.maxMidGapBps.toString()}): bad tick, wrong symbol mapping or mismatched feeds?`;
      }
    }
    if (edge?.gt(this.cfg.maxEdgeBps)) {
      return `implausible: edge ${edge.round(1).toString()} bps (max ${this.cfg.maxEdgeBps.toString()})`;
    }
    return null;
  }

  /** What blocks an entry in `m` right now (for the screen): read-only, cleared the moment it stops being true. */
  blockNow(m: MarketState, now: number): string | null {
    const a = this.side("paradex", m);
    const b = this.side("edgex", m);
    if (a === null || b === null)
      return this.guards.killed !== null ? `kill switch: ${this.guards.killed}` : "waiting for both books";
    const ev = m.lastEval;
    const edge = ev === null ? null : ev.ok ? ev.opp.edgeBps : ev.edgeBps;
    const block = this.entryBlock(m, a, b, now, edge, false);
    return block === "cooldown" ? `cooldown (${Math.max(0, Math.ceil(m.cooldownUntil - now))} ms)` : block;
  }

  /** The latest venue snapshots (balances, open orders), refreshed by reconciliation; null before the first. */
  get snapshots(): Readonly<Record<VenueName, VenueSnapshot | null>> {
    return this.lastSnapshots;
  }

  private onArbDone(m: MarketState, res: ArbResult): void {
    // A correction after a retraction finishes an arbitrage again: its newer result replaces the older one.
    let i = this.results.length - 1;
    while (i >= 0 && this.results[i]?.arbId !== res.arbId) i--;
    if (i >= 0) this.results[i] = res;
    else this.results.push(res);
    m.inFlight = false;
    m.open = false; // a spread still open after the trade counts as a new opportunity
    m.cooldownUntil = this.clock() + this.cfg.cooldownMs;
    this.log("arb_done", {
      arbId: res.arbId,
      base: res.base,
      state: res.state,
      clean: res.clean,
      residual: res.residual.toString(),
      legs: res.legs.map((l) => `${l.plan.venue}:${l.plan.side}:${l.filled.toString()}/${l.plan.size}:${l.state}`),
    });
    if (res.state === "failed") {
      this.guards.trip(`could not flatten ${res.arbId}: residual ${res.residual.toString()} ${res.base}`);
    }
    this.guards.arbOutcome(res.clean);
    this.checkNet(m);
    this.riskCheck();
    if (m.busted.size > 0) this.correctBusted(m);
  }

  // ---------------------------------------------------------------- retracted fills

  /**
   * A venue retracted a fill (Paradex trade bust, EdgeX fill that failed censoring). A leg still settling just
   * settles without it. A settled leg's fill is undone in the ledger (position, fee, realized PnL) and journaled;
   * the legs of its arbitrage are then no longer equal, and the residual path every arbitrage uses (hedge or
   * unwind) corrects it, at once or right after the market's trade in flight. A fill the bot does not know
   * (not ours, or forgotten) only makes it re-read the venues' positions.
   */
  private onFillBust(v: VenueName, e: FillBustEvent): void {
    const match = this.tracker.onFillBust(v, e);
    const known = match.kind === "settled" ? this.settledLegs.get(`${v}|${match.clientId}`) : undefined;
    const plan = known?.leg.plan;
    const base = plan?.base ?? (e.market === null ? undefined : this.byMarket.get(`${v}|${e.market}`)) ?? null;
    const fill = match.kind === "unknown" ? null : match.fill;
    this.record({
      k: "fill_bust",
      ts: this.wall(),
      venue: v,
      fillId: e.fill_id,
      orderId: e.order_id,
      reason: e.reason ?? null,
      base,
      arbId: known?.arbId ?? null,
      clientId: match.kind === "unknown" ? null : match.clientId,
      side: plan?.side ?? null,
      size: fill?.size.toString() ?? null,
      price: fill?.price.toString() ?? null,
      fee: fill?.fee.toString() ?? null,
      applied: known === undefined ? (match.kind === "pending" ? "pending" : "unknown") : "settled",
    });
    this.log("fill_bust", {
      venue: v,
      fill_id: e.fill_id,
      order_id: e.order_id,
      reason: e.reason ?? null,
      match: match.kind,
      clientId: match.kind === "unknown" ? null : match.clientId,
      size: fill?.size.toString() ?? null,
    });
    if (known === undefined || plan === undefined || fill === null) {
      if (match.kind !== "pending")
        void this.reconcile("fill bust").catch((err) => this.log("reconcile_failed", { error: String(err) }));
      return;
    }
    const leg = known.leg;
    const share =
      leg.realized === undefined || !leg.filled.isPos() ? D.ZERO : leg.realized.mul(fill.size).div(leg.filled);
    this.ledger.retract(v, plan.base, signed(plan.side, fill.size), fill.price, fill.fee, share);
    // The leg object is the one its arbitrage's result holds: the correction below sees the corrected fill.
    leg.filled = D.max(D.ZERO, leg.filled.sub(fill.size));
    leg.fee = D.max(D.ZERO, leg.fee.sub(fill.fee));
    leg.state = classify(plan, leg.filled);
    if (leg.realized !== undefined) leg.realized = leg.realized.sub(share);
    this.record({
      k: "position",
      ts: this.wall(),
      venue: v,
      base: plan.base,
      size: this.ledger.position(v, plan.base).toString(),
      source: "event",
    });
    // Open again until corrected: a restart recovers it from the journal if the correction never ran.
    this.record({
      k: "arb_state",
      ts: this.wall(),
      arbId: known.arbId,
      state: "correcting",
      note: `fill ${e.fill_id} retracted by ${v}${e.reason ? ` (${e.reason})` : ""}`,
    });
    const m = this.markets.get(plan.base);
    if (m === undefined) return;
    this.checkNet(m);
    m.busted.add(known.arbId);
    this.correctBusted(m);
  }

  /** Correct one arbitrage a retraction unbalanced, when the market has no trade in flight (else after it). */
  private correctBusted(m: MarketState): void {
    if (m.inFlight || this.stopping) return;
    const arbId = m.busted.values().next().value as string | undefined;
    if (arbId === undefined) return;
    m.busted.delete(arbId);
    let res: ArbResult | undefined;
    for (let i = this.results.length - 1; i >= 0 && res === undefined; i--)
      if (this.results[i]?.arbId === arbId) res = this.results[i];
    // Not among the results yet: its own settlement is still running and will see the corrected leg.
    if (res === undefined) return this.correctBusted(m);
    m.inFlight = true;
    m.generation++;
    this.log("bust_correction", { arbId, base: m.cfg.base });
    const p = finishArb(this.env, arbId, m.cfg.base, [...res.legs])
      .then((r) => this.onArbDone(m, r))
      .catch((err) => {
        this.log("arb_crashed", { arbId, error: String(err) });
        this.guards.trip(`internal error correcting ${arbId}: ${String(err)}`);
        m.inFlight = false;
      });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  // ---------------------------------------------------------------- status and shutdown

  status(): BotStatus {
    return buildStatus(this, this.clock());
  }

  /** Stop entering, let in-flight arbitrages finish (bounded), close venues and the journal. */
  async stop(): Promise<BotStatus> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const bound = this.cfg.legTimeoutMs * 2 + this.cfg.residualTimeoutMs + 1000;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, bound).unref())]);
    const summary = this.status();
    for (const f of this.detach) f();
    this.detach = [];
    await Promise.allSettled(VENUES.map((v) => this.venues[v].close()));
    this.journal.close();
    return summary;
  }
}
