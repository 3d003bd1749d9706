/**
 * The private account stream: a trade-event `Snapshot` (re)builds the account state, later events update it,
 * and every order, fill, position and collateral change becomes a normalized `order`/`fill`/`position`/
 * `account` draft. Order updates may carry only some fields, so raw orders are merged before parsing.
 */
import type { AccountEvent, OrderEvent, PositionEvent } from "@paradex-edgex/core";
import type { MetadataStore } from "./metadata.ts";
import {
  accountEvent,
  fillBustEvent,
  fillEvent,
  orderEvent,
  positionEvent,
  statusEvent,
  type Draft,
} from "./normalize.ts";
import {
  AccountEntity,
  CollateralEntity,
  FillEntity,
  OrderEntity,
  PositionEntity,
  PrivateFrame,
  describeIssues,
  type OrderEntity as Order,
  type PositionEntity as Position,
} from "./wire.ts";

export interface AccountSink {
  emit(draft: Draft): void;
  bad(code: string, message: string): void;
}

const MAX_REMEMBERED_FILLS = 10_000;

/** What a reconnect Snapshot could not tell: orders that ended while away, and every order id known before. */
export interface MissedWhileAway {
  readonly missing: string[];
  readonly known: string[];
}

export class AccountFeed {
  readonly #sink: AccountSink;
  readonly #meta: () => MetadataStore | undefined;
  readonly #mark: (contractId: string) => string | undefined;
  readonly #rawOrders = new Map<string, Record<string, unknown>>();
  readonly #orders = new Map<string, Order>();
  readonly #byClientId = new Map<string, string>();
  readonly #positions = new Map<string, Position>();
  readonly #fillsSeen = new Set<string>();
  /** Market of each emitted fill (same bound as `#fillsSeen`): named again on its retraction. */
  readonly #fillMarkets = new Map<string, string>();
  readonly #fillsAwaitingOrder = new Map<string, unknown[]>();
  readonly #fillsRetracted = new Set<string>();
  #collateral: string | undefined;
  #status = "NORMAL";
  #version = -1;
  /** True once the current connection's Snapshot has been applied. */
  synced = false;
  readonly counters = { snapshots: 0, events: 0, duplicates: 0 };
  readonly #waiters = new Set<() => void>();

  readonly #onMissing: (gap: MissedWhileAway) => void;
  /** Orders placed through this client whose first stream event has not arrived yet. */
  readonly #placed = new Set<string>();

  /**
   * `onMissing` receives, after a reconnect Snapshot, the orders that were active (or just placed) before and
   * are absent from it — they ended while we were away — plus every order id we knew: the caller fetches their
   * final state and recent fills and feeds them back through `applyOrder`/`applyFill`.
   */
  constructor(
    sink: AccountSink,
    meta: () => MetadataStore | undefined,
    mark: (contractId: string) => string | undefined,
    onMissing: (gap: MissedWhileAway) => void = () => undefined,
  ) {
    this.#sink = sink;
    this.#meta = meta;
    this.#mark = mark;
    this.#onMissing = onMissing;
  }

  /** Apply an order record obtained elsewhere (a REST lookup), exactly like a streamed one. */
  applyOrder(raw: unknown): void {
    this.#onOrder(raw);
  }

  /** Apply a fill record obtained elsewhere; fills already emitted are skipped by id. */
  applyFill(raw: unknown): void {
    this.#onFill(raw);
  }

  /** An order id returned by createOrder: if the stream never shows it, a reconnect will look it up. */
  notePlaced(orderId: string): void {
    if (!this.#orders.has(orderId)) this.#placed.add(orderId);
  }

  /** New connection: the next Snapshot replaces everything. */
  onOpen(): void {
    this.synced = false;
  }

  orderByClientId(clientId: string): Order | undefined {
    const id = this.#byClientId.get(clientId);
    return id === undefined ? undefined : this.#orders.get(id);
  }

  /** Resolves at the next applied event (tests and order lookups wait on this rather than sleeping). */
  nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      const w = (): void => {
        this.#waiters.delete(w);
        resolve();
      };
      this.#waiters.add(w);
    });
  }

  onFrame(raw: unknown): void {
    const parsed = PrivateFrame.safeParse(raw);
    if (!parsed.success) {
      this.#sink.bad("BAD_FRAME", `unrecognized private frame: ${describeIssues(parsed.error)}`);
      return;
    }
    const f = parsed.data;
    if (f.type === "error") {
      this.#sink.bad("VENUE_ERROR", `private socket error ${f.content.code}`);
      return;
    }
    if (f.type !== "trade-event") return;
    const { event, version, data } = f.content;
    const snapshot = event.toLowerCase() === "snapshot";
    if (!snapshot && version <= this.#version) {
      this.counters.duplicates += 1;
      return;
    }
    this.#version = version;
    let missing: string[] = [];
    let known: string[] = [];
    if (snapshot) {
      this.counters.snapshots += 1;
      const inSnapshot = new Set((data.order ?? []).map((o) => String((o as { id?: unknown } | null)?.id)));
      known = [...this.#orders.keys(), ...this.#placed];
      missing = [...this.#orders.values()].filter((o) => isActive(o) && !inSnapshot.has(o.id)).map((o) => o.id);
      missing.push(...[...this.#placed].filter((id) => !inSnapshot.has(id)));
      this.#placed.clear();
      for (const id of [...this.#orders.keys()]) {
        if (!missing.includes(id)) {
          this.#orders.delete(id);
          this.#rawOrders.delete(id);
        }
      }
      this.#positions.clear();
      this.synced = true;
      this.#sink.emit(statusEvent("live", { channel: "private", reason: "account snapshot" }));
    } else {
      this.counters.events += 1;
    }
    for (const a of data.account ?? []) {
      const p = AccountEntity.safeParse(a);
      if (p.success) this.#status = p.data.isLiquidating === true ? "LIQUIDATING" : (p.data.status ?? this.#status);
    }
    for (const o of data.order ?? []) this.#onOrder(o);
    for (const fl of data.orderFillTransaction ?? []) this.#onFill(fl);
    for (const p of data.position ?? []) this.#onPosition(p);
    let collateralChanged = false;
    const quoteId = this.#quoteCoinId();
    for (const c of data.collateral ?? []) {
      const p = CollateralEntity.safeParse(c);
      if (!p.success) {
        this.#sink.bad("BAD_FRAME", `bad collateral record: ${describeIssues(p.error)}`);
        continue;
      }
      if (quoteId !== undefined && p.data.coinId !== quoteId) continue;
      this.#collateral = p.data.amount;
      collateralChanged = true;
    }
    if (collateralChanged || (snapshot && this.#collateral !== undefined) || (data.position?.length ?? 0) > 0) {
      const acct = this.accountDraft(f.content.time ?? Date.now());
      if (acct !== undefined) this.#sink.emit(acct);
    }
    for (const w of [...this.#waiters]) w();
    if (known.length > 0) this.#onMissing({ missing, known });
  }

  #quoteCoinId(): string | undefined {
    return this.#meta()?.all()[0]?.quoteCoinId;
  }

  #market(contractId: string): string {
    return this.#meta()?.byId(contractId)?.contractName ?? contractId;
  }

  #onOrder(raw: unknown): void {
    const id = (raw as { id?: unknown } | null)?.id;
    const key = typeof id === "string" || typeof id === "number" ? String(id) : undefined;
    const merged = { ...(key === undefined ? {} : this.#rawOrders.get(key)), ...(raw as Record<string, unknown>) };
    const p = OrderEntity.safeParse(merged);
    if (!p.success) {
      this.#sink.bad("BAD_FRAME", `bad order record: ${describeIssues(p.error)}`);
      return;
    }
    this.#rawOrders.set(p.data.id, merged);
    this.#placed.delete(p.data.id);
    this.#orders.set(p.data.id, p.data);
    if (p.data.clientOrderId) this.#byClientId.set(p.data.clientOrderId, p.data.id);
    this.#sink.emit(orderEvent(this.#market(p.data.contractId), p.data, Date.now()));
    this.#releaseFills(p.data.id);
  }

  #onFill(raw: unknown): void {
    const p = FillEntity.safeParse(raw);
    if (!p.success) {
      this.#sink.bad("BAD_FRAME", `bad fill record: ${describeIssues(p.error)}`);
      return;
    }
    const f = p.data;
    // A fill rejected by censoring never happened (reference §0a.4: INIT → CENSOR_SUCCESS/CENSOR_FAILURE or
    // L2_APPROVED/L2_REJECT). One never emitted is dropped; one already emitted (at INIT) is retracted with a
    // `fill_bust` event (once), the same event Paradex trade busts produce: consumers undo the fill. The
    // venue's own position/collateral records that follow carry the correction too.
    if (f.censorStatus === "CENSOR_FAILURE" || f.censorStatus === "L2_REJECT") {
      if (this.#fillsSeen.has(f.id) && !this.#fillsRetracted.has(f.id)) {
        this.#fillsRetracted.add(f.id);
        const market = this.#fillMarkets.get(f.id) ?? null;
        this.#sink.emit(fillBustEvent(market, f, f.censorStatus, Date.now()));
      }
      this.#fillsSeen.add(f.id); // never emitted later either
      return;
    }
    if (this.#fillsSeen.has(f.id)) return;
    // A record without contractId/orderSide (live V2 excerpt, reference §0a.2) takes them from its order; if
    // that order is not known yet, the fill waits for it (its record or a lookup) instead of being dropped.
    const order = this.#orders.get(f.orderId);
    const contractId = f.contractId ?? order?.contractId;
    const side = f.orderSide ?? order?.side;
    if (contractId === undefined || side === undefined) {
      const waiting = this.#fillsAwaitingOrder.get(f.orderId) ?? [];
      if (!waiting.some((w) => String((w as { id?: unknown } | null)?.id) === f.id)) waiting.push(raw);
      this.#fillsAwaitingOrder.set(f.orderId, waiting);
      return;
    }
    this.#fillsSeen.add(f.id);
    if (this.#fillsSeen.size > MAX_REMEMBERED_FILLS)
      this.#fillsSeen.delete(this.#fillsSeen.values().next().value as string);
    const market = this.#market(contractId);
    this.#fillMarkets.set(f.id, market);
    if (this.#fillMarkets.size > MAX_REMEMBERED_FILLS)
      this.#fillMarkets.delete(this.#fillMarkets.keys().next().value as string);
    const clientId = order?.clientOrderId || null;
    const quote = this.#meta()?.byId(contractId)?.quoteCoin ?? "USDC";
    this.#sink.emit(fillEvent(market, { ...f, contractId, orderSide: side }, clientId, quote, Date.now()));
  }

  /** Fills that arrived before their order (and lack contract/side): applied once the order is known. */
  #releaseFills(orderId: string): void {
    const waiting = this.#fillsAwaitingOrder.get(orderId);
    if (waiting === undefined) return;
    this.#fillsAwaitingOrder.delete(orderId);
    for (const raw of waiting) this.#onFill(raw);
  }

  #onPosition(raw: unknown): void {
    const p = PositionEntity.safeParse(raw);
    if (!p.success) {
      this.#sink.bad("BAD_FRAME", `bad position record: ${describeIssues(p.error)}`);
      return;
    }
    this.#positions.set(p.data.contractId, p.data);
    this.#sink.emit(positionEvent(this.#market(p.data.contractId), p.data, this.#mark(p.data.contractId), Date.now()));
  }

  accountDraft(ts: number): Omit<AccountEvent, "seq"> | undefined {
    if (this.#collateral === undefined) return undefined;
    const meta = this.#meta();
    return accountEvent({
      collateral: this.#collateral,
      positions: [...this.#positions.values()].map((p) => ({
        openSize: p.openSize,
        openValue: p.openValue,
        mark: this.#mark(p.contractId),
        leverage: meta?.byId(p.contractId)?.defaultLeverage,
      })),
      status: this.#status,
      exchangeTs: ts,
    });
  }

  activeOrderDrafts(): Omit<OrderEvent, "seq">[] {
    return [...this.#orders.values()]
      .filter(isActive)
      .map((o) => orderEvent(this.#market(o.contractId), o, Date.now()));
  }

  positionDrafts(): Omit<PositionEvent, "seq">[] {
    return [...this.#positions.values()].map((p) =>
      positionEvent(this.#market(p.contractId), p, this.#mark(p.contractId), Date.now()),
    );
  }

  collateral(): string | undefined {
    return this.#collateral;
  }
}

function isActive(o: Order): boolean {
  // An unknown status (UNKNOWN_ORDER_STATUS, UNRECOGNIZED) is not known to be over: keep it active.
  return o.status !== "FILLED" && o.status !== "CANCELED";
}
