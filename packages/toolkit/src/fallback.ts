/**
 * @module fallback — keeps a venue's `bbo` flowing when its stream is down or stale by polling REST, tags those
 * quotes `source: "rest"`, and hands back to the stream as soon as it delivers again.
 *
 * Per market, the mode is `ws` or `rest`:
 * - ws → rest when the venue reports the market's bbo (or the whole connection) `stale`, `disconnected`,
 *   `reconnecting`, `gap` or `closed`, or when no stream bbo arrived for `staleAfterMs` (a silent stream may
 *   not say so);
 * - rest → ws on the first stream bbo of that market: data flowing is the proof, a `live` status alone is not.
 * Each switch is reported as a `status` event (`stale` + reason `rest_fallback`, then `live` + reason
 * `stream_recovered`). Polls share one token bucket per venue, kept well inside the venue's published public
 * limit, and back off exponentially on errors (429 included).
 *
 * Events created here (REST bbo, switch statuses) number their `seq` in this object's own space: the merged
 * output is not gap-checkable against the venue's `seq`, which stays on the forwarded stream events.
 */
import type { BboEvent, StatusEvent } from "@paradex-edgex/core";
import type { Unsubscribe, Venue, VenueName } from "@paradex-edgex/core";
import { bboEventFromRest, type RestTopOfBook } from "./convert.ts";

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Bucket size (requests allowed back to back). */
  burst: number;
}

/**
 * Poll budgets. Paradex publishes 1500 public requests/min per IP (25/s, reference paradex-protocol.md §5.3); we
 * take 10/s so the bot's own REST calls keep headroom. EdgeX publishes no number (§8): 5/s, and 429 backs off.
 */
export const REST_LIMITS: Readonly<Record<VenueName, RateLimit>> = {
  paradex: { perSecond: 10, burst: 10 },
  edgex: { perSecond: 5, burst: 5 },
};

export type BboMode = "ws" | "rest";

export interface BboFallbackOptions {
  venue: VenueName;
  /** The venue's event source (its `on`). */
  source: Pick<Venue, "on">;
  /** REST top of book of a venue market. */
  poll: (market: string) => Promise<RestTopOfBook>;
  markets: readonly string[];
  /** No stream bbo for this long → REST (default 3,000 ms). */
  staleAfterMs?: number;
  /** Poll period per market while on REST (default 500 ms). */
  pollIntervalMs?: number;
  rateLimit?: RateLimit;
  /** Check period of the staleness/poll loop (default 100 ms). */
  tickMs?: number;
  onError?: (market: string, error: unknown) => void;
  now?: () => number;
}

interface MarketState {
  mode: BboMode;
  lastWsAt: number;
  nextPollAt: number;
  inFlight: boolean;
  failures: number;
  latest: BboEvent | null;
}

const DOWN_STATES = new Set(["stale", "disconnected", "reconnecting", "gap", "closed"]);

export interface FallbackCounters {
  polls: number;
  pollErrors: number;
  throttled: number;
  switchesToRest: number;
  switchesToWs: number;
}

export class BboFallback {
  readonly venue: VenueName;
  private readonly opts: Required<Omit<BboFallbackOptions, "onError" | "source" | "poll" | "markets">>;
  private readonly pollFn: (market: string) => Promise<RestTopOfBook>;
  private readonly onError: (market: string, error: unknown) => void;
  private readonly state = new Map<string, MarketState>();
  private readonly bboListeners = new Set<(e: BboEvent) => void>();
  private readonly statusListeners = new Set<(e: StatusEvent) => void>();
  private readonly offs: Unsubscribe[] = [];
  private readonly source: Pick<Venue, "on">;
  private timer: NodeJS.Timeout | null = null;
  private tokens: number;
  private tokensAt: number;
  private seq = 0;
  private readonly counters: FallbackCounters = {
    polls: 0,
    pollErrors: 0,
    throttled: 0,
    switchesToRest: 0,
    switchesToWs: 0,
  };

  constructor(options: BboFallbackOptions) {
    this.venue = options.venue;
    this.source = options.source;
    this.pollFn = options.poll;
    this.onError = options.onError ?? (() => {});
    this.opts = {
      venue: options.venue,
      staleAfterMs: options.staleAfterMs ?? 3000,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      rateLimit: options.rateLimit ?? REST_LIMITS[options.venue],
      tickMs: options.tickMs ?? 100,
      now: options.now ?? Date.now,
    };
    if (this.opts.rateLimit.perSecond <= 0 || this.opts.rateLimit.burst < 1) {
      throw new RangeError(`${this.venue}: rate limit must allow at least one request`);
    }
    this.tokens = this.opts.rateLimit.burst;
    this.tokensAt = this.opts.now();
    const now = this.opts.now();
    for (const m of options.markets) {
      this.state.set(m, { mode: "ws", lastWsAt: now, nextPollAt: now, inFlight: false, failures: 0, latest: null });
    }
  }

  /** Quotes in arrival order: stream ones while live, `source: "rest"` ones while degraded. */
  onBbo(listener: (e: BboEvent) => void): Unsubscribe {
    this.bboListeners.add(listener);
    return () => this.bboListeners.delete(listener);
  }

  /** The mode switches, as `status` events. */
  onStatus(listener: (e: StatusEvent) => void): Unsubscribe {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  start(): void {
    if (this.timer !== null) return;
    this.offs.push(this.source.on("bbo", (e) => this.onStreamBbo(e)));
    this.offs.push(this.source.on("status", (e) => this.onVenueStatus(e)));
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.offs.splice(0)) off();
  }

  mode(market: string): BboMode {
    return this.market(market).mode;
  }

  /** The newest quote emitted for a market (either source), or null. */
  latest(market: string): BboEvent | null {
    return this.market(market).latest;
  }

  stats(): FallbackCounters & { modes: Record<string, BboMode> } {
    const modes: Record<string, BboMode> = {};
    for (const [m, s] of this.state) modes[m] = s.mode;
    return { ...this.counters, modes };
  }

  private market(market: string): MarketState {
    const s = this.state.get(market);
    if (s === undefined) throw new RangeError(`${this.venue}: ${market} is not watched by this fallback`);
    return s;
  }

  private onStreamBbo(e: BboEvent): void {
    const s = this.state.get(e.market);
    if (s === undefined || e.source === "rest") return;
    s.lastWsAt = this.opts.now();
    s.failures = 0;
    if (s.mode === "rest") this.switchTo(e.market, s, "ws", "stream_recovered");
    this.emitBbo(s, e);
  }

  private onVenueStatus(e: StatusEvent): void {
    if (!DOWN_STATES.has(e.state)) return;
    if (e.channel !== undefined && e.channel !== "bbo") return;
    for (const [m, s] of this.state) {
      if ((e.market === undefined || e.market === m) && s.mode === "ws") {
        this.switchTo(m, s, "rest", `rest_fallback: ${e.state}${e.reason ? ` (${e.reason})` : ""}`);
      }
    }
  }

  private tick(): void {
    const now = this.opts.now();
    for (const [m, s] of this.state) {
      if (s.mode === "ws" && now - s.lastWsAt > this.opts.staleAfterMs) {
        this.switchTo(m, s, "rest", `rest_fallback: no stream bbo for ${now - s.lastWsAt} ms`);
      }
      if (s.mode === "rest" && !s.inFlight && now >= s.nextPollAt) this.poll(m, s, now);
    }
  }

  private takeToken(now: number): boolean {
    const { perSecond, burst } = this.opts.rateLimit;
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) * perSecond) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private poll(market: string, s: MarketState, now: number): void {
    if (!this.takeToken(now)) {
      this.counters.throttled += 1;
      return;
    }
    s.inFlight = true;
    this.counters.polls += 1;
    this.pollFn(market).then(
      (top) => {
        s.inFlight = false;
        s.failures = 0;
        s.nextPollAt = this.opts.now() + this.opts.pollIntervalMs;
        // The stream may have come back while the request was out; its quote is newer than ours.
        if (s.mode !== "rest" || this.timer === null) return;
        this.emitBbo(s, bboEventFromRest({ ...top, market }, this.nextSeq(), Math.round(this.opts.now() * 1000)));
      },
      (err: unknown) => {
        s.inFlight = false;
        s.failures += 1;
        this.counters.pollErrors += 1;
        // Exponential backoff, capped at 16 poll periods: a 429 or an outage must not turn into a hammering.
        const backoff = this.opts.pollIntervalMs * 2 ** Math.min(s.failures, 4);
        s.nextPollAt = this.opts.now() + backoff;
        this.onError(market, err);
      },
    );
  }

  private switchTo(market: string, s: MarketState, mode: BboMode, reason: string): void {
    s.mode = mode;
    if (mode === "rest") {
      this.counters.switchesToRest += 1;
      s.nextPollAt = this.opts.now();
    } else {
      this.counters.switchesToWs += 1;
    }
    const status: StatusEvent = {
      type: "status",
      seq: this.nextSeq(),
      state: mode === "rest" ? "stale" : "live",
      ts: Date.now(),
      channel: "bbo",
      market,
      reason,
    };
    for (const l of this.statusListeners) l(status);
    if (mode === "rest" && this.timer !== null) this.poll(market, s, this.opts.now());
  }

  private emitBbo(s: MarketState, e: BboEvent): void {
    s.latest = e;
    for (const l of this.bboListeners) l(e);
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }
}
