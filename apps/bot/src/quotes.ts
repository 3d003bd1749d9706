/**
 * @module quotes — the latest executable book per venue and market, with its age and the feed's health.
 *
 * `book` events carry depth (top-N after deltas); `bbo` events are often fresher but carry one level. We keep
 * both and merge on read: the bbo is level 0 and the book contributes only levels strictly behind it, so a
 * fresher top never sits beside a stale one. Times are the bot's own monotonic clock at arrival, because what
 * matters for "is this quote still tradable" is how long ago *we* learned it.
 */
import type { BboEvent, BookEvent, StatusEvent } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";

export interface Level {
  price: D;
  size: D;
}

export interface BookView {
  bids: Level[];
  asks: Level[];
  /** Arrival time (bot clock, ms) of the newest contributing event. */
  at: number;
}

interface Side {
  bids: Level[];
  asks: Level[];
  at: number;
}

const BLOCKING = new Set(["connecting", "reconnecting", "disconnected", "stale", "gap", "closed"]);
const HEALTHY = new Set(["connected", "subscribed", "live"]);

function parseLevels(levels: [string, string][]): Level[] {
  const out: Level[] = [];
  for (const [p, s] of levels) {
    const size = D.from(s);
    if (size.isPos()) out.push({ price: D.from(p), size });
  }
  return out;
}

/** Per-market quotes of one venue plus its feed health (venue-wide and per market). */
export class VenueQuotes {
  private readonly books = new Map<string, Side>();
  private readonly bbos = new Map<string, Side>();
  private venueState = "connecting";
  private readonly marketState = new Map<string, { state: string; at: number }>();
  lastReason = "";

  constructor(readonly venue: string) {}

  onBook(e: BookEvent, now: number): void {
    this.books.set(e.market, { bids: parseLevels(e.bids), asks: parseLevels(e.asks), at: now });
    this.markFlowing(e.market, now);
  }

  onBbo(e: BboEvent, now: number): void {
    const bids = e.bid !== null && e.bid_size !== null ? parseLevels([[e.bid, e.bid_size]]) : [];
    const asks = e.ask !== null && e.ask_size !== null ? parseLevels([[e.ask, e.ask_size]]) : [];
    this.bbos.set(e.market, { bids, asks, at: now });
    this.markFlowing(e.market, now);
  }

  /** Data arriving after a per-market `stale` proves the market flows again (the `live` status may lag). */
  private markFlowing(market: string, now: number): void {
    const m = this.marketState.get(market);
    if (m !== undefined && m.state === "stale" && now > m.at) this.marketState.delete(market);
  }

  onStatus(e: StatusEvent, now: number): void {
    // A channel without a market (private streams, summaries) going quiet or live says nothing about quotes;
    // only its connection dropping does (fills would stop arriving).
    if (
      e.market === undefined &&
      e.channel !== undefined &&
      !["reconnecting", "disconnected", "closed"].includes(e.state)
    )
      return;
    if (e.market === undefined) {
      this.venueState = e.state;
      this.lastReason = e.reason ?? e.state;
      // A venue-wide drop invalidates every quote: after a reconnect only fresh data may open a trade.
      if (BLOCKING.has(e.state) && e.state !== "stale") {
        this.books.clear();
        this.bbos.clear();
      }
      if (HEALTHY.has(e.state)) this.marketState.clear();
      return;
    }
    if (BLOCKING.has(e.state)) {
      this.marketState.set(e.market, { state: e.state, at: now });
      if (e.state !== "stale") {
        this.books.delete(e.market);
        this.bbos.delete(e.market);
      }
    } else if (HEALTHY.has(e.state)) this.marketState.delete(e.market);
  }

  /** Mark the whole venue healthy (after connect(), before the first status event). */
  setConnected(): void {
    if (this.venueState === "connecting") this.venueState = "connected";
  }

  /** Why this venue cannot be traded in `market` right now, or null if its feed is healthy. */
  feedProblem(market: string): string | null {
    if (BLOCKING.has(this.venueState)) return `${this.venue} ${this.venueState}`;
    const m = this.marketState.get(market);
    return m !== undefined ? `${this.venue} ${market} ${m.state}` : null;
  }

  health(): string {
    return this.venueState;
  }

  /** The merged book for `market`, or null if nothing was received since the last reset. */
  view(market: string): BookView | null {
    const book = this.books.get(market);
    const bbo = this.bbos.get(market);
    if (book === undefined && bbo === undefined) return null;
    if (bbo === undefined) return book as Side;
    if (book === undefined || bbo.at >= book.at) {
      const bids =
        bbo.bids.length > 0
          ? [...bbo.bids, ...(book?.bids ?? []).filter((l) => l.price.lt(bbo.bids[0]!.price))]
          : (book?.bids ?? []);
      const asks =
        bbo.asks.length > 0
          ? [...bbo.asks, ...(book?.asks ?? []).filter((l) => l.price.gt(bbo.asks[0]!.price))]
          : (book?.asks ?? []);
      return { bids, asks, at: bbo.at };
    }
    return book;
  }

  /** Mid price, for marking positions (display and risk only). */
  mid(market: string): D | null {
    const v = this.view(market);
    const bid = v?.bids[0];
    const ask = v?.asks[0];
    if (bid === undefined || ask === undefined) return bid?.price ?? ask?.price ?? null;
    return bid.price.add(ask.price).div("2");
  }
}
