/**
 * @module orders — follows our orders by client id through each venue's `order` and `fill` events.
 *
 * An IOC leg is "settled" when the venue reports a terminal status (or fills covering the full size). The
 * tracker keeps what it saw per client id and lets the leg executor await settlement with a deadline; fills
 * are deduplicated by fill id because a reconnect may replay them.
 */
import type { FillBustEvent, FillEvent, OrderEvent } from "@paradex-edgex/core";
import type { VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";

const TERMINAL = new Set(["CLOSED", "FILLED", "CANCELED", "CANCELLED", "REJECTED", "EXPIRED", "FAILED"]);

export interface Tracked {
  orderId: string | null;
  status: string | null;
  /** Filled size as reported by the order's own `size − remaining_size`. */
  orderFilled: D;
  avgFillPrice: D | null;
  fills: Map<string, TrackedFill>;
  size: D | null;
  cancelReason: string | null;
  /** A fill of this order was retracted: its own fills are the truth from then on (an order update may still count it). */
  busted: boolean;
}

export interface Settlement {
  filled: D;
  avgPrice: D | null;
  fee: D;
  orderId: string | null;
  status: string | null;
  terminal: boolean;
}

/** A fill as the tracker kept it. */
export interface TrackedFill {
  size: D;
  price: D;
  fee: D;
}

/** What a retracted fill touched: a leg still settling (it just loses the fill), a settled leg, or nothing of ours. */
export type BustMatch =
  | { kind: "pending"; clientId: string; fill: TrackedFill }
  | { kind: "settled"; clientId: string; fill: TrackedFill }
  | { kind: "unknown" };

/** Fills of settled legs remembered for a later retraction (EdgeX censors within moments; Paradex busts are rare). */
const SETTLED_FILLS_KEPT = 10_000;

export function isTerminal(status: string | null): boolean {
  return status !== null && TERMINAL.has(status.toUpperCase());
}

export class OrderTracker {
  private readonly byClient = new Map<string, Tracked>();
  private readonly clientByOrder = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** `${venue}|${fill_id}` → the settled leg's client id and the fill, for retractions after settlement. */
  private readonly settledFills = new Map<string, { clientId: string; fill: TrackedFill }>();
  /** Fill ids already retracted: a repeated `fill_bust` and a late copy of the fill are ignored. */
  private readonly busted = new Set<string>();

  private key(venue: VenueName, clientId: string): string {
    return `${venue}|${clientId}`;
  }

  private entry(k: string): Tracked {
    let t = this.byClient.get(k);
    if (t === undefined) {
      t = {
        orderId: null,
        status: null,
        orderFilled: D.ZERO,
        avgFillPrice: null,
        fills: new Map(),
        size: null,
        cancelReason: null,
        busted: false,
      };
      this.byClient.set(k, t);
    }
    return t;
  }

  /** Start following a client id (so events that arrive before `place()` resolves are kept). */
  expect(venue: VenueName, clientId: string): void {
    this.entry(this.key(venue, clientId));
  }

  onOrder(venue: VenueName, e: OrderEvent): void {
    const cid = e.client_id ?? this.clientByOrder.get(`${venue}|${e.order_id}`);
    if (cid === undefined || cid === null) return;
    const k = this.key(venue, cid);
    if (!this.byClient.has(k)) return; // not ours
    const t = this.entry(k);
    t.orderId = e.order_id;
    this.clientByOrder.set(`${venue}|${e.order_id}`, cid);
    t.status = e.status;
    t.size = D.from(e.size);
    const filled = D.from(e.size).sub(e.remaining_size);
    if (filled.gt(t.orderFilled)) t.orderFilled = filled;
    if (e.avg_fill_price !== null) t.avgFillPrice = D.from(e.avg_fill_price);
    t.cancelReason = e.cancel_reason;
    this.wake(k);
  }

  onFill(venue: VenueName, e: FillEvent): void {
    const cid = e.client_id ?? this.clientByOrder.get(`${venue}|${e.order_id}`);
    if (cid === undefined || cid === null) return;
    const k = this.key(venue, cid);
    if (!this.byClient.has(k)) return;
    const t = this.entry(k);
    if (t.orderId === null) {
      t.orderId = e.order_id;
      this.clientByOrder.set(`${venue}|${e.order_id}`, cid);
    }
    if (this.busted.has(`${venue}|${e.fill_id}`)) return; // retracted before (a replay): it did not happen
    t.fills.set(e.fill_id, { size: D.from(e.size), price: D.from(e.price), fee: D.from(e.fee) });
    this.wake(k);
  }

  /**
   * A venue retracted a fill. A leg still settling drops it (its order's filled size too, which counted it);
   * a settled leg's fill is handed back so the caller can undo it; anything else is not ours (or forgotten).
   */
  onFillBust(venue: VenueName, e: FillBustEvent): BustMatch {
    const fk = `${venue}|${e.fill_id}`;
    if (this.busted.has(fk)) return { kind: "unknown" };
    for (const [k, t] of this.byClient) {
      if (!k.startsWith(`${venue}|`)) continue;
      const fill = t.fills.get(e.fill_id);
      if (fill === undefined) continue;
      this.markBusted(fk);
      t.fills.delete(e.fill_id);
      t.orderFilled = D.max(D.ZERO, t.orderFilled.sub(fill.size));
      t.busted = true;
      this.wake(k);
      return { kind: "pending", clientId: k.slice(venue.length + 1), fill };
    }
    const settled = this.settledFills.get(fk);
    if (settled === undefined) return { kind: "unknown" };
    this.settledFills.delete(fk);
    this.markBusted(fk);
    return { kind: "settled", clientId: settled.clientId, fill: settled.fill };
  }

  private markBusted(fk: string): void {
    this.busted.add(fk);
    if (this.busted.size > SETTLED_FILLS_KEPT) this.busted.delete(this.busted.values().next().value as string);
  }

  /** Record the order id returned by `place()`. */
  accepted(venue: VenueName, clientId: string, orderId: string | null): void {
    const t = this.entry(this.key(venue, clientId));
    if (orderId !== null) {
      t.orderId = orderId;
      this.clientByOrder.set(`${venue}|${orderId}`, clientId);
    }
  }

  settlement(venue: VenueName, clientId: string): Settlement {
    const t = this.entry(this.key(venue, clientId));
    const fills = [...t.fills.values()];
    const fillQty = D.sum(fills.map((f) => f.size));
    const fee = D.sum(fills.map((f) => f.fee));
    // After a retraction an order update may still count the retracted fill (Paradex does not re-state it).
    const filled = t.busted ? fillQty : D.max(fillQty, t.orderFilled);
    let avgPrice: D | null = t.avgFillPrice;
    if (fillQty.isPos()) avgPrice = D.sum(fills.map((f) => f.size.mul(f.price))).div(fillQty);
    const fullyFilled = t.size !== null && filled.gte(t.size);
    return {
      filled,
      avgPrice,
      fee,
      orderId: t.orderId,
      status: t.status,
      terminal: isTerminal(t.status) || fullyFilled,
    };
  }

  /**
   * Resolve when the order is terminal and its fills account for the order's filled size (fill events may
   * trail the order event), or when `timeoutMs` passes. Returns whether it settled.
   */
  async waitSettled(venue: VenueName, clientId: string, timeoutMs: number, fillGraceMs = 200): Promise<boolean> {
    const k = this.key(venue, clientId);
    const done = (): boolean => {
      const s = this.settlement(venue, clientId);
      return s.terminal;
    };
    const ok = await this.waitFor(k, done, timeoutMs);
    if (!ok) return false;
    // Terminal: give trailing fill events a short grace so fees and prices are exact.
    const t = this.entry(k);
    const fillsCover = (): boolean => D.sum([...t.fills.values()].map((f) => f.size)).gte(t.orderFilled);
    await this.waitFor(k, fillsCover, fillGraceMs);
    return true;
  }

  private waitFor(k: string, pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let set = this.waiters.get(k);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(k, set);
      }
      const s = set;
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        s.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        s.delete(check);
        resolve(false);
      }, timeoutMs);
      s.add(check);
    });
  }

  private wake(k: string): void {
    const set = this.waiters.get(k);
    if (set !== undefined) for (const f of [...set]) f();
  }

  /** Forget a settled order (keeps memory bounded on long runs). */
  forget(venue: VenueName, clientId: string): void {
    const k = this.key(venue, clientId);
    const t = this.byClient.get(k);
    // Its fills stay known by id: a venue may still retract one after the leg settled.
    for (const [fillId, fill] of t?.fills ?? []) {
      this.settledFills.set(`${venue}|${fillId}`, { clientId, fill });
      if (this.settledFills.size > SETTLED_FILLS_KEPT)
        this.settledFills.delete(this.settledFills.keys().next().value as string);
    }
    if (t?.orderId) this.clientByOrder.delete(`${venue}|${t.orderId}`);
    this.byClient.delete(k);
    this.waiters.delete(k);
  }
}
