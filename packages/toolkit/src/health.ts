/**
 * @module health — per venue and channel: message rates, last-message age, reconnects and receive→emit lag,
 * gathered from the normalized event stream and read with one call (`report()`), e.g. by the bot's status view.
 *
 * Lag is `now − recv_us` at the moment the event reaches this monitor: for Paradex that spans the sidecar's
 * queue, the stdio pipe and the bridge; for EdgeX the native client's parsing and normalization. Percentiles
 * come from the last `lagSamples` events per channel (a fixed ring: memory stays bounded on a busy feed).
 */
import type { Unsubscribe, Venue, VenueEvent, VenueName } from "@paradex-edgex/core";

/** The channel an event is counted under (the subscription vocabulary of docs/PROTOCOL.md). */
export function channelOf(e: VenueEvent): string {
  switch (e.type) {
    case "bbo":
      return e.source === "rest" ? "bbo.rest" : "bbo";
    case "trade":
      return "trades";
    case "book":
      return "book";
    case "order":
      return "orders";
    case "fill":
    case "fill_bust":
      return "fills";
    case "position":
      return "positions";
    case "account":
      return "account";
    case "status":
      return "status";
  }
}

export interface ChannelHealth {
  messages: number;
  /** Messages per second over the last `rateWindowMs`. */
  ratePerSec: number;
  /** ms since the newest message of the channel (any market); null before the first. */
  lastMessageAgeMs: number | null;
  /** Per market: ms since its newest message (staleness is per market). */
  marketAgeMs: Record<string, number>;
  lagP50Us: number | null;
  lagP99Us: number | null;
  lagMaxUs: number | null;
}

export interface VenueHealth {
  /** Latest connection-level status state (`connected`, `reconnecting`, …), null before any. */
  state: string | null;
  /** Completed reconnections: `connected` statuses after the first one. */
  reconnects: number;
  /** `reconnecting` statuses (attempts, including failed ones). */
  reconnectAttempts: number;
  /** Channel/market pairs whose latest status is `stale`/`disconnected` (e.g. `bbo:BTC-USD-PERP`). */
  degraded: string[];
  channels: Record<string, ChannelHealth>;
}

export interface HealthReport {
  at: number;
  venues: Partial<Record<VenueName, VenueHealth>>;
}

export interface HealthOptions {
  rateWindowMs?: number;
  lagSamples?: number;
  /** Wall clock in ms (tests inject one). */
  now?: () => number;
  /** Wall clock in µs for lag; sub-millisecond, since loopback lags are tens of µs (tests inject one). */
  nowUs?: () => number;
}

/** Wall clock in µs with sub-ms resolution, comparable with the `recv_us` both venues stamp. */
export function wallMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const DEGRADED = new Set(["stale", "disconnected", "reconnecting", "gap", "closed"]);
const RECOVERED = new Set(["live", "subscribed", "connected"]);

class ChannelStats {
  messages = 0;
  lastAt: number | null = null;
  readonly marketLast = new Map<string, number>();
  /** Arrival times within the rate window (ms), oldest first. */
  private readonly arrivals: number[] = [];
  private arrivalsHead = 0;
  private readonly lags: number[];
  private lagNext = 0;
  private lagCount = 0;

  constructor(
    private readonly rateWindowMs: number,
    lagSamples: number,
  ) {
    this.lags = new Array<number>(lagSamples).fill(0);
  }

  record(now: number, market: string | undefined, lagUs: number | null): void {
    this.messages += 1;
    this.lastAt = now;
    if (market !== undefined) this.marketLast.set(market, now);
    this.arrivals.push(now);
    this.trim(now);
    if (lagUs !== null) {
      this.lags[this.lagNext] = lagUs;
      this.lagNext = (this.lagNext + 1) % this.lags.length;
      this.lagCount = Math.min(this.lagCount + 1, this.lags.length);
    }
  }

  private trim(now: number): void {
    while (this.arrivalsHead < this.arrivals.length && this.arrivals[this.arrivalsHead]! <= now - this.rateWindowMs) {
      this.arrivalsHead += 1;
    }
    if (this.arrivalsHead > 4096) {
      this.arrivals.splice(0, this.arrivalsHead);
      this.arrivalsHead = 0;
    }
  }

  view(now: number): ChannelHealth {
    this.trim(now);
    const sorted = this.lags.slice(0, this.lagCount).sort((a, b) => a - b);
    const pct = (q: number): number | null =>
      sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const marketAgeMs: Record<string, number> = {};
    for (const [m, t] of [...this.marketLast].sort((a, b) => a[0].localeCompare(b[0]))) marketAgeMs[m] = now - t;
    return {
      messages: this.messages,
      ratePerSec: ((this.arrivals.length - this.arrivalsHead) * 1000) / this.rateWindowMs,
      lastMessageAgeMs: this.lastAt === null ? null : now - this.lastAt,
      marketAgeMs,
      lagP50Us: pct(0.5),
      lagP99Us: pct(0.99),
      lagMaxUs: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    };
  }
}

class VenueStats {
  state: string | null = null;
  connectedSeen = 0;
  reconnectAttempts = 0;
  readonly degraded = new Set<string>();
  readonly channels = new Map<string, ChannelStats>();
}

export class HealthMonitor {
  private readonly venues = new Map<VenueName, VenueStats>();
  private readonly rateWindowMs: number;
  private readonly lagSamples: number;
  private readonly now: () => number;
  private readonly nowUs: () => number;

  constructor(options: HealthOptions = {}) {
    this.rateWindowMs = options.rateWindowMs ?? 10_000;
    this.lagSamples = options.lagSamples ?? 2048;
    this.now = options.now ?? Date.now;
    this.nowUs = options.nowUs ?? wallMicros;
  }

  /** Count every event of `venue` from now on; returns the detach function. */
  attach(name: VenueName, venue: Pick<Venue, "on">): Unsubscribe {
    const offs = (["bbo", "trade", "book", "status", "order", "fill", "fill_bust", "position", "account"] as const).map(
      (t) => venue.on(t, (e: VenueEvent) => this.record(name, e)),
    );
    return () => {
      for (const off of offs) off();
    };
  }

  /** Record one event (also for events that do not come from a Venue, such as the REST fallback's). */
  record(name: VenueName, e: VenueEvent): void {
    const now = this.now();
    const v = this.venueStats(name);
    if (e.type === "status") this.onStatus(v, e.state, e.channel, e.market);
    const channel = channelOf(e);
    let c = v.channels.get(channel);
    if (c === undefined) {
      c = new ChannelStats(this.rateWindowMs, this.lagSamples);
      v.channels.set(channel, c);
    }
    const recvUs = "recv_us" in e ? e.recv_us : null;
    // Clamped at 0: two processes' clocks can disagree by a few µs, and a negative lag means "none measurable".
    const lag = recvUs === null ? null : Math.max(0, this.nowUs() - recvUs);
    c.record(now, "market" in e ? (e.market ?? undefined) : undefined, lag);
  }

  /** The whole picture, one call. */
  report(): HealthReport {
    const now = this.now();
    const venues: HealthReport["venues"] = {};
    for (const [name, v] of this.venues) {
      const channels: Record<string, ChannelHealth> = {};
      for (const [ch, c] of [...v.channels].sort((a, b) => a[0].localeCompare(b[0]))) channels[ch] = c.view(now);
      venues[name] = {
        state: v.state,
        reconnects: Math.max(0, v.connectedSeen - 1),
        reconnectAttempts: v.reconnectAttempts,
        degraded: [...v.degraded].sort(),
        channels,
      };
    }
    return { at: now, venues };
  }

  private venueStats(name: VenueName): VenueStats {
    let v = this.venues.get(name);
    if (v === undefined) {
      v = new VenueStats();
      this.venues.set(name, v);
    }
    return v;
  }

  private onStatus(v: VenueStats, state: string, channel?: string, market?: string): void {
    if (channel === undefined && market === undefined) {
      v.state = state;
      if (state === "connected") v.connectedSeen += 1;
      if (state === "reconnecting") v.reconnectAttempts += 1;
      return;
    }
    const key = `${channel ?? "*"}:${market ?? "*"}`;
    if (DEGRADED.has(state)) v.degraded.add(key);
    else if (RECOVERED.has(state)) v.degraded.delete(key);
  }
}

/** One line per venue/channel, for a terminal status view. */
export function formatHealth(r: HealthReport): string[] {
  const lines: string[] = [];
  const fmt = (x: number | null, unit: string): string => (x === null ? "-" : `${x}${unit}`);
  for (const [name, v] of Object.entries(r.venues)) {
    if (v === undefined) continue;
    const degraded = v.degraded.length > 0 ? ` degraded=${v.degraded.join(",")}` : "";
    lines.push(`${name}: state=${v.state ?? "-"} reconnects=${v.reconnects}${degraded}`);
    for (const [ch, c] of Object.entries(v.channels)) {
      lines.push(
        `  ${ch.padEnd(9)} ${c.ratePerSec.toFixed(1).padStart(7)}/s age=${fmt(c.lastMessageAgeMs, "ms")} ` +
          `lag p50=${fmt(c.lagP50Us, "µs")} p99=${fmt(c.lagP99Us, "µs")} n=${c.messages}`,
      );
    }
  }
  return lines;
}
