/**
 * @module orders — follows our orders by client id through each venue's `order` and `fill` events.
 *
 * An IOC leg is "settled" when the venue reports a terminal status (or fills covering the full size). The
 * tracker keeps what it saw per client id and lets the leg executor await settlement with a deadline; fills
 * are deduplicated by fill id because a reconnect may replay them.
 */
import type { FillEvent, OrderEvent } from "@paradex-edgex/core";
import type { VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";

const TERMINAL = new Set(["CLOSED", "FILLED", "CANCELED", "CANCELLED", "REJECTED", "EXPIRED", "FAILED"]);

export interface Tracked {
  orderId: string | null;
  status: string | null;
  /** Filled size as reported by the order's own `size − remaining_size`. */
  orderFilled: D;
  avgFillPrice: D | null;
  fills: Map<string, { size: D; price: D; fee: D }>;
  size: D | null;
  cancelReason: string | null;
}

export interface Settlement {
  filled: D;
  avgPrice: D | null;
  fee: D;
  orderId: string | null;
  status: string | null;
  terminal: boolean;
}

export function isTerminal(status: string | null): boolean {
  return status !== null && TERMINAL.has(status.toUpperCase());
}

export class OrderTracker {
  private readonly byClient = new Map<string, Tracked>();
  private readonly clientByOrder = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();

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
    t.fills.set(e.fill_id, { size: D.from(e.size), price: D.from(e.price), fee: D.from(e.fee) });
    this.wake(k);
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
    const filled = D.max(fillQty, t.orderFilled);
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
    if (t?.orderId) this.clientByOrder.delete(`${venue}|${t.orderId}`);
    this.byClient.delete(k);
    this.waiters.delete(k);
  }
}
