/**
 * @module paper — a `Venue` that reads a real venue's market data but trades against it only on paper.
 *
 * Orders are validated exactly as the venue's metadata requires (tick, step, minimum size, price present for
 * LIMIT), then filled IOC against the live merged book at the moment they arrive, charging the taker fee.
 * The results come back as the same `order`/`fill`/`position` events a real venue emits (asynchronously, as a
 * venue would), so the bot runs one code path in paper and live mode. Nothing is ever sent to the venue.
 */
import {
  type FillEvent,
  type OrderEvent,
  type PositionEvent,
  TypedEmitter,
  VENUE_EVENT_TYPES,
} from "@paradex-edgex/core";
import type {
  CancelRequest,
  MarketChannel,
  MarketMeta,
  PlaceOrderRequest,
  PlaceOrderResult,
  Unsubscribe,
  Venue,
  VenueEvent,
  VenueEventOf,
  VenueEventType,
  VenueName,
  VenueSnapshot,
} from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";
import { Ledger } from "./ledger.ts";
import { VenueQuotes } from "./quotes.ts";

export class PaperReject extends Error {
  override readonly name = "PaperReject";
}

type PaperEvents = { [K in VenueEventType]: VenueEventOf<K> };

/** The paper stream's listener failures: reported, never allowed to break the inner venue's reader. */
const reportListenerError = (error: unknown, type: VenueEventType): void => {
  process.stderr.write(
    `paper venue: a ${type} listener threw: ${error instanceof Error ? error.message : String(error)}\n`,
  );
};

export class PaperVenue implements Venue {
  readonly name: VenueName;
  private readonly quotes: VenueQuotes;
  /** Core's emitter: listener errors isolated, `events()` iterators bounded. */
  private readonly emitter = new TypedEmitter<PaperEvents>(reportListenerError);
  private readonly metas = new Map<string, MarketMeta>();
  /** Paper positions kept by the bot's own ledger arithmetic (keyed by market here), not a second copy. */
  private readonly ledger = new Ledger();
  private readonly held = new Set<string>();
  private readonly outcomes = new Map<string, PlaceOrderResult>();
  private seq = 0;
  private nextOrder = 1;
  private detach: Unsubscribe[] = [];

  constructor(private readonly inner: Venue) {
    this.name = inner.name;
    this.quotes = new VenueQuotes(`paper:${inner.name}`);
    // Listening from construction puts this wrapper ahead of any observer attached to the inner venue later
    // (the health monitor), so the bot's quote listener runs before them on every event.
    this.listen();
  }

  /** The wrapped venue: its events are the real feed (observers such as the health monitor attach there). */
  get underlying(): Venue {
    return this.inner;
  }

  async connect(): Promise<void> {
    if (this.detach.length === 0) this.listen(); // connect after close
    await this.inner.connect();
    for (const m of await this.inner.markets()) this.metas.set(m.market, m);
  }

  private listen(): void {
    // Market data passes through; the inner venue's own private events are dropped (we hold no real orders).
    for (const t of ["bbo", "book", "trade", "status"] as const) {
      this.detach.push(
        this.inner.on(t, (e: VenueEvent) => {
          const now = performance.now();
          if (e.type === "bbo") this.quotes.onBbo(e, now);
          else if (e.type === "book") this.quotes.onBook(e, now);
          else if (e.type === "status") this.quotes.onStatus(e, now);
          this.emit(e);
        }),
      );
    }
  }

  async close(): Promise<void> {
    for (const f of this.detach) f();
    this.detach = [];
    await this.inner.close();
  }

  markets(): Promise<MarketMeta[]> {
    return this.inner.markets();
  }
  subscribe(channel: MarketChannel, market: string): Promise<void> {
    return this.inner.subscribe(channel, market);
  }
  unsubscribe(channel: MarketChannel, market: string): Promise<void> {
    return this.inner.unsubscribe(channel, market);
  }

  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): Unsubscribe {
    return this.emitter.on(type, listener);
  }

  events(): AsyncIterable<VenueEvent> {
    return this.emitter.iterate(VENUE_EVENT_TYPES);
  }

  private emit(e: VenueEvent): void {
    this.emitter.emit(e.type, e as never);
  }

  /** Seed paper positions (e.g. from the journal after a restart). */
  restorePosition(market: string, qty: string, avg: string | null): void {
    this.held.add(market);
    this.ledger.setSize(this.name, market, D.from(qty), avg === null ? null : D.from(avg));
  }

  private validate(o: PlaceOrderRequest, meta: MarketMeta | undefined): asserts meta is MarketMeta {
    if (meta === undefined) throw new PaperReject(`unknown market ${o.market}`);
    if (!D.isValid(o.size)) throw new PaperReject(`size is not a decimal: ${o.size}`);
    const size = D.from(o.size);
    if (!size.isPos()) throw new PaperReject("size must be positive");
    if (!size.isMultipleOf(meta.stepSize))
      throw new PaperReject(`size ${o.size} not a multiple of step ${meta.stepSize}`);
    if (size.lt(meta.minSize) && o.reduceOnly !== true)
      throw new PaperReject(`size ${o.size} below min ${meta.minSize}`);
    if (o.type === "LIMIT") {
      if (o.price === undefined || !D.isValid(o.price)) throw new PaperReject("LIMIT needs a decimal price");
      if (!D.from(o.price).isPos() || !D.from(o.price).isMultipleOf(meta.tickSize)) {
        throw new PaperReject(`price ${o.price} not a positive multiple of tick ${meta.tickSize}`);
      }
    }
    if (o.tif !== undefined && o.tif !== "IOC") throw new PaperReject("paper mode fills IOC orders only");
  }

  async place(o: PlaceOrderRequest): Promise<PlaceOrderResult> {
    const clientId = o.clientId ?? `paper-${this.nextOrder}`;
    const prior = this.outcomes.get(clientId);
    if (prior !== undefined) return prior; // idempotent by client id, as the interface promises
    const meta = this.metas.get(o.market);
    this.validate(o, meta);
    const orderId = `${this.name}-paper-${this.nextOrder++}`;
    const view = this.quotes.view(o.market);
    const levels = view === null ? [] : o.side === "BUY" ? view.asks : view.bids;
    const limit = o.price === undefined ? null : D.from(o.price);
    let left = D.from(o.size);
    const fills: { price: D; size: D }[] = [];
    for (const l of levels) {
      if (!left.isPos()) break;
      if (limit !== null && (o.side === "BUY" ? l.price.gt(limit) : l.price.lt(limit))) break;
      const take = D.min(left, l.size);
      fills.push({ price: l.price, size: take });
      left = left.sub(take);
    }
    let filledTotal = D.sum(fills.map((f) => f.size));
    const held = this.ledger.position(this.name, o.market);
    if (o.reduceOnly === true) {
      // Reduce-only never flips or grows the position: clip the fill to what is held on the other side.
      const reducible = o.side === "BUY" ? D.max(held.neg(), D.ZERO) : D.max(held, D.ZERO);
      while (filledTotal.gt(reducible) && fills.length > 0) {
        const last = fills[fills.length - 1] as { price: D; size: D };
        const excess = filledTotal.sub(reducible);
        if (excess.gte(last.size)) fills.pop();
        else last.size = last.size.sub(excess);
        filledTotal = D.sum(fills.map((f) => f.size));
      }
    }
    const result: PlaceOrderResult = { orderId, clientId, status: "NEW", dryRun: true };
    this.outcomes.set(clientId, result);
    setImmediate(() => this.report(o, meta, orderId, clientId, fills));
    return result;
  }

  private report(
    o: PlaceOrderRequest,
    meta: MarketMeta,
    orderId: string,
    clientId: string,
    fills: { price: D; size: D }[],
  ): void {
    const ts = Date.now();
    let notional = D.ZERO;
    fills.forEach((f, i) => {
      const fee = f.size.mul(f.price).mul(meta.takerFeeRate);
      notional = notional.add(f.size.mul(f.price));
      const fe: FillEvent = {
        type: "fill",
        seq: ++this.seq,
        fill_id: `${orderId}-${i}`,
        order_id: orderId,
        client_id: clientId,
        market: o.market,
        side: o.side,
        liquidity: "TAKER",
        price: f.price.toString(),
        size: f.size.toString(),
        fee: fee.toString(),
        fee_currency: meta.quote,
        exchange_ts: ts,
      };
      this.held.add(o.market);
      this.ledger.apply(this.name, o.market, o.side === "BUY" ? f.size : f.size.neg(), f.price, fee);
      this.emit(fe);
    });
    const filled = D.sum(fills.map((f) => f.size));
    const oe: OrderEvent = {
      type: "order",
      seq: ++this.seq,
      order_id: orderId,
      client_id: clientId,
      market: o.market,
      side: o.side,
      order_type: o.type,
      status: "CLOSED",
      price: o.price ?? null,
      size: o.size,
      remaining_size: D.from(o.size).sub(filled).toString(),
      avg_fill_price: filled.isPos() ? notional.div(filled).toString() : null,
      cancel_reason: filled.lt(o.size) ? "IOC_UNFILLED" : null,
      exchange_ts: ts,
    };
    this.emit(oe);
    if (filled.isPos()) this.emit(this.positionEvent(o.market, ts));
  }

  private positionEvent(market: string, ts: number): PositionEvent {
    const p = this.ledger.get(this.name, market);
    return {
      type: "position",
      seq: ++this.seq,
      market,
      side: p.qty.isZero() ? "FLAT" : p.qty.isPos() ? "LONG" : "SHORT",
      size: p.qty.toString(),
      average_entry_price: p.qty.isZero() ? null : p.avgEntry.toString(),
      unrealized_pnl: null,
      liquidation_price: null,
      exchange_ts: ts,
    };
  }

  async cancel(_request: CancelRequest): Promise<void> {
    // IOC paper orders never rest: there is nothing to cancel.
  }
  async cancelAll(_market?: string): Promise<void> {}

  async snapshot(): Promise<VenueSnapshot> {
    const ts = Date.now();
    return {
      orders: [],
      positions: [...this.held].map((m) => this.positionEvent(m, ts)),
      account: null,
      balances: [],
    };
  }
}
