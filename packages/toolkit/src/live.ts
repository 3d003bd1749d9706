/**
 * @module live — wires a KlineBuilder to a venue: REST history first, then the venue's `trade` stream, and a
 * clock that closes idle candles, so candles of every interval are complete from the first call on.
 *
 * Start order matters: trades are subscribed and buffered before the REST history is requested, so nothing
 * printed during the request is lost; the buffer is replayed after seeding and the builder drops what the REST
 * candle already holds (`exchange_ts <= asOf`, asOf = when the request was sent). The only imprecision left is
 * a trade printed during the REST round trip itself, which may be counted twice in the first open candle
 * (closed candles are unaffected); on loopback that window is about a millisecond.
 */
import type { TradeEvent } from "@paradex-edgex/core";
import type { Unsubscribe, Venue } from "@paradex-edgex/core";
import {
  KlineBuilder,
  type Candle,
  type ClosedCandleEvent,
  type Interval,
  type KlineBuilderOptions,
} from "./klines.ts";

export interface LiveKlinesOptions extends Omit<KlineBuilderOptions, "market"> {
  venue: Pick<Venue, "on" | "subscribe">;
  /** Venue market name (`BTC-USD-PERP`, `BTCUSDC`). */
  market: string;
  /** REST history of one interval, oldest first. */
  fetchHistory: (interval: Interval, limit: number) => Promise<Candle[]>;
  /** Candles of history to load per interval (default 500). */
  historyLimit?: number;
  /** Period of the idle-candle clock (default 1,000 ms). */
  clockMs?: number;
  now?: () => number;
}

export class LiveKlines {
  readonly builder: KlineBuilder;
  private readonly opts: LiveKlinesOptions;
  private readonly now: () => number;
  private off: Unsubscribe | null = null;
  private timer: NodeJS.Timeout | null = null;
  private buffer: TradeEvent[] | null = [];

  constructor(options: LiveKlinesOptions) {
    this.opts = options;
    this.now = options.now ?? Date.now;
    this.builder = new KlineBuilder({ ...options, market: options.market });
  }

  onClose(listener: (e: ClosedCandleEvent) => void): Unsubscribe {
    return this.builder.onClose(listener);
  }

  async start(): Promise<void> {
    if (this.off !== null) return;
    this.off = this.opts.venue.on("trade", (t) => {
      if (t.market !== this.opts.market) return;
      if (this.buffer !== null) this.buffer.push(t);
      else this.builder.addTrade(t);
    });
    await this.opts.venue.subscribe("trades", this.opts.market);
    const limit = this.opts.historyLimit ?? 500;
    for (const interval of this.builder.intervals()) {
      const asOf = this.now();
      this.builder.seed(interval, await this.opts.fetchHistory(interval, limit), asOf);
    }
    const pending = this.buffer ?? [];
    this.buffer = null;
    for (const t of pending) this.builder.addTrade(t);
    this.timer = setInterval(() => this.builder.advanceTo(this.now()), this.opts.clockMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    this.off?.();
    this.off = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
