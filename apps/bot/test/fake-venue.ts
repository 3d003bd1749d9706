/**
 * @module fake-venue — an in-process `Venue` for unit tests: a settable book, a tiny IOC matcher, positions,
 * and scripted faults (refusals, partial fills, lost replies, silent orders). Not a simulator: it exists so
 * the bot's logic can be tested without processes; the scenario tests use the real simulators.
 */
import type { FillEvent, OrderEvent, PositionEvent, StatusEvent } from "@paradex-edgex/core";
import type {
  CancelRequest,
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

type Fault =
  | { kind: "reject"; message: string }
  | { kind: "partial"; ratio: string }
  | { kind: "lost_reply_filled" } // place() rejects with a timeout, but the order filled at the venue
  | { kind: "silent" } // place() resolves, then no order/fill event ever arrives (but the fill happened)
  | { kind: "snapshot_fails" };

export function meta(market: string, base: string, over: Partial<MarketMeta> = {}): MarketMeta {
  return {
    market,
    base,
    quote: "USD",
    tickSize: "0.1",
    stepSize: "0.001",
    minSize: "0.001",
    maxSize: null,
    minNotional: null,
    takerFeeRate: "0.0002",
    makerFeeRate: "0",
    ...over,
  };
}

export class FakeVenue implements Venue {
  readonly placed: PlaceOrderRequest[] = [];
  readonly cancels: CancelRequest[] = [];
  cancelAllCalls = 0;
  snapshotCalls = 0;
  private readonly listeners = new Map<string, Set<(e: VenueEvent) => void>>();
  private readonly books = new Map<string, { bids: [string, string][]; asks: [string, string][] }>();
  readonly positions = new Map<string, D>();
  private readonly faults: Fault[] = [];
  private readonly outcomes = new Map<string, PlaceOrderResult>();
  private seq = 0;
  private n = 0;
  connected = false;

  constructor(
    readonly name: VenueName,
    private readonly metas: MarketMeta[],
  ) {}

  async connect(): Promise<void> {
    this.connected = true;
  }
  async close(): Promise<void> {
    this.connected = false;
  }
  async markets(): Promise<MarketMeta[]> {
    return this.metas;
  }
  async subscribe(): Promise<void> {}
  async unsubscribe(): Promise<void> {}

  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): Unsubscribe {
    let s = this.listeners.get(type);
    if (s === undefined) {
      s = new Set();
      this.listeners.set(type, s);
    }
    const l = listener as (e: VenueEvent) => void;
    s.add(l);
    return () => s.delete(l);
  }
  async *events(): AsyncIterable<VenueEvent> {}

  emit(e: VenueEvent): void {
    for (const l of this.listeners.get(e.type) ?? []) l(e);
  }

  /** Set the book (best first) and emit it as a `book` event. */
  setBook(market: string, bids: [string, string][], asks: [string, string][]): void {
    this.books.set(market, { bids, asks });
    this.emit({
      type: "book",
      seq: ++this.seq,
      market,
      bids,
      asks,
      exchange_seq: this.seq,
      exchange_ts: Date.now(),
      recv_us: Date.now() * 1000,
    });
  }

  status(state: StatusEvent["state"], market?: string): void {
    this.emit({ type: "status", seq: ++this.seq, state, ts: Date.now(), ...(market ? { market } : {}) });
  }

  inject(f: Fault): void {
    this.faults.push(f);
  }

  async place(o: PlaceOrderRequest): Promise<PlaceOrderResult> {
    this.placed.push(o);
    const cid = o.clientId ?? `x${this.n}`;
    const prior = this.outcomes.get(cid);
    if (prior !== undefined) return prior;
    const fault = this.faults.length > 0 && this.faults[0]?.kind !== "snapshot_fails" ? this.faults.shift() : undefined;
    if (fault?.kind === "reject") throw new Error(fault.message);
    const orderId = `${this.name}-${++this.n}`;
    const book = this.books.get(o.market) ?? { bids: [], asks: [] };
    const levels = o.side === "BUY" ? book.asks : book.bids;
    let want = D.from(o.size);
    const step = this.metas.find((m) => m.market === o.market)?.stepSize ?? "0.001";
    if (fault?.kind === "partial") want = want.mul(fault.ratio).quantize(step, "floor");
    if (o.reduceOnly) {
      const pos = this.positions.get(o.market) ?? D.ZERO;
      const reducible = o.side === "BUY" ? D.max(pos.neg(), D.ZERO) : D.max(pos, D.ZERO);
      want = D.min(want, reducible);
    }
    const fills: { price: D; size: D }[] = [];
    let left = want;
    for (const [p, s] of levels) {
      if (!left.isPos()) break;
      const price = D.from(p);
      if (o.price !== undefined && (o.side === "BUY" ? price.gt(o.price) : price.lt(o.price))) break;
      const take = D.min(left, D.from(s));
      fills.push({ price, size: take });
      left = left.sub(take);
    }
    const filled = D.sum(fills.map((f) => f.size));
    const pos = (this.positions.get(o.market) ?? D.ZERO).add(o.side === "BUY" ? filled : filled.neg());
    this.positions.set(o.market, pos);
    const res: PlaceOrderResult = { orderId, clientId: cid, status: "NEW" };
    this.outcomes.set(cid, res);
    if (fault?.kind === "lost_reply_filled") throw new Error("TIMEOUT: place did not answer within 10000 ms");
    if (fault?.kind === "silent") return res;
    setImmediate(() => {
      const ts = Date.now();
      fills.forEach((f, i) => {
        const fe: FillEvent = {
          type: "fill",
          seq: ++this.seq,
          fill_id: `${orderId}-${i}`,
          order_id: orderId,
          client_id: cid,
          market: o.market,
          side: o.side,
          liquidity: "TAKER",
          price: f.price.toString(),
          size: f.size.toString(),
          fee: f.size.mul(f.price).mul("0.0002").toString(),
          fee_currency: "USD",
          exchange_ts: ts,
        };
        this.emit(fe);
      });
      const oe: OrderEvent = {
        type: "order",
        seq: ++this.seq,
        order_id: orderId,
        client_id: cid,
        market: o.market,
        side: o.side,
        order_type: o.type,
        status: "CLOSED",
        price: o.price ?? null,
        size: o.size,
        remaining_size: D.from(o.size).sub(filled).toString(),
        avg_fill_price: null,
        cancel_reason: null,
        exchange_ts: ts,
      };
      this.emit(oe);
      this.emit(this.positionEvent(o.market));
    });
    return res;
  }

  positionEvent(market: string): PositionEvent {
    const q = this.positions.get(market) ?? D.ZERO;
    return {
      type: "position",
      seq: ++this.seq,
      market,
      side: q.isZero() ? "FLAT" : q.isPos() ? "LONG" : "SHORT",
      size: q.toString(),
      average_entry_price: null,
      unrealized_pnl: null,
      liquidation_price: null,
      exchange_ts: Date.now(),
    };
  }

  async cancel(r: CancelRequest): Promise<void> {
    this.cancels.push(r);
  }
  async cancelAll(): Promise<void> {
    this.cancelAllCalls++;
  }
  async snapshot(): Promise<VenueSnapshot> {
    this.snapshotCalls++;
    if (this.faults[0]?.kind === "snapshot_fails") {
      this.faults.shift();
      throw new Error("TIMEOUT: snapshot");
    }
    return {
      orders: [],
      positions: [...this.positions.keys()].map((m) => this.positionEvent(m)),
      account: null,
      balances: [],
    };
  }
}
