/**
 * The simulator's exchange: paper accounts, createOrder (HMAC is checked by the REST layer, the signature and
 * figures by validation.ts), matching against the simulated book, cancels and queries, and the order, fill,
 * position and collateral updates a real account feed would push (shapes and accounting in ledger.ts).
 */
import * as D from "@paradex-edgex/core/decimal";
import { CONTRACTS, QUOTE_COIN, type SimAccountConfig, type SimContract } from "./fixtures.ts";
import type { CensorFailure, Faults } from "./faults.ts";
import {
  accountWire,
  applyToPosition,
  collateralWire,
  orderWire,
  positionWire,
  type SimAccount,
  type SimOrder,
  type SimPosition,
} from "./ledger.ts";
import type { ContractMarket, PublicTrade } from "./market.ts";
import { fail, ok, type RestReply } from "./reply.ts";
import { CreateOrderBody, checkFigures, checkSignature } from "./validation.ts";

export { fail, ok, type RestReply } from "./reply.ts";
export type TradeEventData = Record<string, unknown[]>;
export type AccountEventSink = (accountId: string, event: string, data: TradeEventData) => void;
export type BookChangedSink = (contractId: string) => void;
export type TradeSink = (contractId: string, trade: PublicTrade) => void;

/** A fill matched and emitted at censorStatus INIT, waiting for its final status. */
interface PendingCensor {
  readonly a: SimAccount;
  readonly o: SimOrder;
  readonly wire: Record<string, unknown>;
  readonly size: string;
  readonly value: string;
  readonly fee: string;
  /** The position just before and just after the fill: restored exactly when nothing else moved it since. */
  readonly before: SimPosition | undefined;
  readonly after: SimPosition;
  failure: CensorFailure | undefined;
  readonly timer: NodeJS.Timeout;
}

/** Default time a fill stays at censorStatus INIT before its final status. */
export const DEFAULT_CENSOR_DELAY_MS = 30;

export class Exchange {
  readonly #markets: Map<string, ContractMarket>;
  readonly #accounts = new Map<string, SimAccount>();
  readonly #faults: Faults;
  readonly #onAccount: AccountEventSink;
  readonly #onBook: BookChangedSink;
  readonly #onTrade: TradeSink;
  #orderSeq: bigint;
  #fillSeq: bigint;
  /** How long a fill stays at INIT (the `censor_delay` control changes it). */
  censorDelayMs = DEFAULT_CENSOR_DELAY_MS;
  readonly #censoring = new Map<string, PendingCensor>();

  constructor(
    markets: Map<string, ContractMarket>,
    accounts: readonly SimAccountConfig[],
    faults: Faults,
    sinks: { onAccount: AccountEventSink; onBook: BookChangedSink; onTrade: TradeSink },
    idBase: bigint,
  ) {
    this.#markets = markets;
    this.#faults = faults;
    this.#onAccount = sinks.onAccount;
    this.#onBook = sinks.onBook;
    this.#onTrade = sinks.onTrade;
    this.#orderSeq = idBase;
    this.#fillSeq = idBase + 7_000_000n;
    for (const cfg of accounts) {
      this.#accounts.set(cfg.accountId, {
        cfg,
        amount: cfg.initialCollateral,
        cumFillFee: "0",
        positions: new Map(),
        orders: new Map(),
        byClientId: new Map(),
        fills: [],
        leverage: new Map(),
        version: 1000,
      });
    }
  }

  /** The account whose API key this is (REST auth looks the secret up here). */
  accountByApiKey(apiKey: string): SimAccountConfig | undefined {
    for (const a of this.#accounts.values()) if (a.cfg.apiKey === apiKey) return a.cfg;
    return undefined;
  }

  accountById(accountId: string): SimAccountConfig | undefined {
    return this.#accounts.get(accountId)?.cfg;
  }

  #contract(contractId: string): SimContract | undefined {
    return CONTRACTS.find((c) => c.contractId === contractId);
  }

  // ----------------------------------------------------------------------------------------------
  // createOrder
  // ----------------------------------------------------------------------------------------------

  async createOrder(accountId: string, raw: unknown): Promise<RestReply> {
    const parsed = CreateOrderBody.safeParse(raw);
    if (!parsed.success)
      return fail("INVALID_PARAMETER", `bad createOrder body: ${parsed.error.issues[0]?.message}`, 400);
    const body = parsed.data;
    const acct = this.#accounts.get(accountId);
    if (acct === undefined || body.accountId !== accountId)
      return fail("ACCOUNT_ID_MISMATCH", "accountId is not the API key's account");
    const contract = this.#contract(body.contractId);
    const market = this.#markets.get(body.contractId);
    if (contract === undefined || market === undefined)
      return fail("INVALID_CONTRACT_ID", `invalid contractId:${body.contractId}`);
    const problem = checkFigures(contract, market, body) ?? (await checkSignature(acct.cfg, contract, body));
    if (problem !== undefined) return problem;
    if (acct.byClientId.has(body.clientOrderId)) return fail("DUPLICATE_CLIENT_ORDER_ID", "clientOrderId already used");
    const injected = this.#faults.takeReject();
    if (injected !== undefined) return fail(injected, "rejected by fault injection");
    const margin = this.#checkMargin(acct, contract, market, body);
    if (margin !== undefined) return margin;
    const noReply = this.#faults.takeNoReply();
    const order = this.#accept(acct, contract, market, body);
    this.#execute(acct, market, order);
    return { ...ok({ orderId: order.id }), noReply };
  }

  #checkMargin(a: SimAccount, c: SimContract, m: ContractMarket, b: CreateOrderBody): RestReply | undefined {
    if (b.reduceOnly === true) return undefined;
    const price = b.type === "LIMIT" ? b.price : m.oracleText();
    const need = D.add(
      this.#initialMargin(a),
      D.div(D.mul(price, b.size), a.leverage.get(c.contractId) ?? c.defaultLeverage, 8),
    );
    return D.cmp(need, this.#equity(a)) > 0
      ? fail("INSUFFICIENT_MARGIN", "not enough collateral for this order")
      : undefined;
  }

  #accept(a: SimAccount, c: SimContract, m: ContractMarket, b: CreateOrderBody): SimOrder {
    this.#orderSeq += 1n;
    const now = Date.now();
    let limitTick: number | undefined;
    if (b.type === "LIMIT") limitTick = m.tickOf(b.price);
    else if (b.side === "BUY") limitTick = m.tickOf(D.floorToStep(D.div(b.l2Value, b.l2Size, 12), c.tickSize));
    const order: SimOrder = {
      id: this.#orderSeq.toString(),
      accountId: a.cfg.accountId,
      contractId: c.contractId,
      side: b.side,
      type: b.type,
      timeInForce: b.timeInForce,
      price: b.price,
      size: b.size,
      clientOrderId: b.clientOrderId,
      reduceOnly: b.reduceOnly ?? false,
      expireTime: b.expireTime,
      l2: {
        nonce: b.l2Nonce,
        value: b.l2Value,
        size: b.l2Size,
        limitFee: b.l2LimitFee,
        expireTime: b.l2ExpireTime,
        signature: b.l2Signature,
      },
      createdTime: now,
      limitTick,
      status: "PENDING",
      cancelReason: undefined,
      remainingSteps: m.stepsOf(b.size) ?? 0,
      cumFillSize: "0",
      cumFillValue: "0",
      cumFillFee: "0",
      cumMatchSize: "0",
      cumMatchValue: "0",
      cumMatchFee: "0",
      cumFailSize: "0",
      updatedTime: now,
    };
    a.orders.set(order.id, order);
    a.byClientId.set(order.clientOrderId, order.id);
    this.#emit(a, { order: [orderWire(order)] });
    return order;
  }

  /** Take liquidity now, then rest (GTC/POST_ONLY) or cancel the rest (IOC/FOK/MARKET). */
  #execute(a: SimAccount, m: ContractMarket, o: SimOrder): void {
    const takeSide = o.side === "BUY" ? "asks" : "bids";
    const crosses = m.available(takeSide, o.limitTick) > 0;
    if (o.timeInForce === "POST_ONLY" && crosses) return this.#cancel(a, m, o, "COULD_NOT_FILL");
    if (o.timeInForce === "FILL_OR_KILL" && m.available(takeSide, o.limitTick) < o.remainingSteps)
      return this.#cancel(a, m, o, "COULD_NOT_FILL");
    if (o.reduceOnly && !this.#reduces(a, o)) return this.#cancel(a, m, o, "REDUCE_ONLY_CANCELED");
    let target = o.remainingSteps;
    if (o.timeInForce === "IMMEDIATE_OR_CANCEL") {
      const ratio = this.#faults.takePartial();
      if (ratio !== undefined) target = Math.floor(o.remainingSteps * ratio);
    }
    const pieces = target > 0 ? m.consume(takeSide, target, o.limitTick) : [];
    for (const [tick, steps] of pieces) {
      this.#fill(a, m, o, tick, steps, "TAKER");
      this.#onTrade(o.contractId, m.recordTrade(Date.now(), tick, steps, o.side === "SELL"));
    }
    if (pieces.length > 0) this.#onBook(o.contractId);
    if (o.remainingSteps === 0) return;
    if (o.type === "LIMIT" && (o.timeInForce === "GOOD_TIL_CANCEL" || o.timeInForce === "POST_ONLY")) {
      this.#rest(m, o, +1);
      o.status = "OPEN";
      o.updatedTime = Date.now();
      this.#emit(a, { order: [orderWire(o)] });
      this.#onBook(o.contractId);
      return;
    }
    this.#cancel(a, m, o, "COULD_NOT_FILL");
  }

  #reduces(a: SimAccount, o: SimOrder): boolean {
    const pos = a.positions.get(o.contractId);
    if (pos === undefined || D.isZero(pos.openSize)) return false;
    return D.cmp(pos.openSize, "0") > 0 === (o.side === "SELL") && D.cmp(o.size, D.abs(pos.openSize)) <= 0;
  }

  #rest(m: ContractMarket, o: SimOrder, sign: 1 | -1): void {
    if (o.limitTick === undefined) return;
    const side = o.side === "BUY" ? m.userBids : m.userAsks;
    const next = (side.get(o.limitTick) ?? 0) + sign * o.remainingSteps;
    if (next > 0) side.set(o.limitTick, next);
    else side.delete(o.limitTick);
  }

  #cancel(a: SimAccount, m: ContractMarket, o: SimOrder, reason: string): void {
    if (o.status === "OPEN") {
      this.#rest(m, o, -1);
      this.#onBook(o.contractId);
    }
    o.status = "CANCELED";
    o.cancelReason = reason;
    o.updatedTime = Date.now();
    this.#emit(a, { order: [orderWire(o)] });
  }

  /**
   * Book a fill of `steps` at `tick`: order (matched amounts), fill record at censorStatus INIT, position,
   * collateral; one ORDER_UPDATE. Its censoring ends `censorDelayMs` later (`#censor`).
   */
  #fill(
    a: SimAccount,
    m: ContractMarket,
    o: SimOrder,
    tick: number,
    steps: number,
    direction: "MAKER" | "TAKER",
  ): void {
    const c = m.contract;
    const price = m.priceText(tick);
    const size = m.sizeText(steps);
    const value = D.mul(price, size);
    const fee = D.mul(value, direction === "TAKER" ? c.defaultTakerFeeRate : c.defaultMakerFeeRate);
    const now = Date.now();
    o.remainingSteps -= steps;
    o.cumMatchSize = D.add(o.cumMatchSize, size);
    o.cumMatchValue = D.add(o.cumMatchValue, value);
    o.cumMatchFee = D.add(o.cumMatchFee, fee);
    o.status = o.remainingSteps === 0 ? "FILLED" : "OPEN";
    o.updatedTime = now;
    const held = a.positions.get(c.contractId);
    const before = held === undefined ? undefined : { ...held };
    const realized = applyToPosition(a, c.contractId, o.side === "BUY" ? size : D.neg(size), value, fee, now);
    a.amount = D.sub(D.sub(a.amount, o.side === "BUY" ? value : D.neg(value)), fee);
    a.cumFillFee = D.add(a.cumFillFee, fee);
    this.#fillSeq += 1n;
    const fillWire: Record<string, unknown> = {
      id: this.#fillSeq.toString(),
      userId: a.cfg.accountId,
      accountId: a.cfg.accountId,
      coinId: QUOTE_COIN.coinId,
      contractId: c.contractId,
      orderId: o.id,
      orderSide: o.side,
      fillSize: size,
      fillValue: value,
      fillFee: fee,
      fillPrice: price,
      liquidateFee: "0",
      realizePnl: realized,
      direction,
      isPositionTpsl: false,
      isLiquidate: false,
      isDeleverage: false,
      matchFillId: (this.#fillSeq + 1_000_000n).toString(),
      matchTime: String(now),
      matchIndex: 0,
      matchSequenceId: String(now),
      censorStatus: "INIT",
      createdTime: String(now),
      updatedTime: String(now),
    };
    a.fills.unshift(fillWire);
    if (a.fills.length > 1000) a.fills.pop();
    const id = fillWire["id"] as string;
    const timer = setTimeout(() => this.#censor(id), this.censorDelayMs);
    timer.unref();
    this.#censoring.set(id, {
      a,
      o,
      wire: fillWire,
      size,
      value,
      fee,
      before,
      after: { ...(a.positions.get(c.contractId) as SimPosition) },
      failure: this.#faults.takeCensorFailure(),
      timer,
    });
    this.#emit(a, {
      order: [orderWire(o)],
      orderFillTransaction: [{ ...fillWire }],
      position: [positionWire(a, c.contractId)],
      collateral: [collateralWire(a)],
    });
  }

  /** Mark a fill still at INIT to fail censoring; false when it is not (unknown, or already censored). */
  failCensoring(fillId: string, status: CensorFailure): boolean {
    const p = this.#censoring.get(fillId);
    if (p === undefined) return false;
    p.failure = status;
    return true;
  }

  /** End the censoring of the given fill (or of every pending fill) now; returns how many ended. */
  endCensoring(fillId?: string): number {
    const ids = fillId === undefined ? [...this.#censoring.keys()] : this.#censoring.has(fillId) ? [fillId] : [];
    for (const id of ids) {
      const p = this.#censoring.get(id);
      if (p !== undefined) clearTimeout(p.timer);
      this.#censor(id);
    }
    return ids.length;
  }

  /** Fills still at INIT (for the control API's state). */
  pendingCensoring(): string[] {
    return [...this.#censoring.keys()];
  }

  /**
   * The end of a fill's censoring. Success (CENSOR_SUCCESS) adds it to the order's `cumFill*`. Failure
   * (CENSOR_FAILURE / L2_REJECT) undoes it: the fill did not happen, so its position change and cash (value
   * and fee) are reversed and the order counts it in `cumFailSize`; the record, the order, the position and
   * the collateral go out in one ORDER_UPDATE, as the account feed does for every change.
   */
  #censor(fillId: string): void {
    const p = this.#censoring.get(fillId);
    if (p === undefined) return;
    this.#censoring.delete(fillId);
    const { a, o, wire, size, value, fee } = p;
    const now = Date.now();
    wire["updatedTime"] = String(now);
    o.updatedTime = now;
    if (p.failure === undefined) {
      wire["censorStatus"] = "CENSOR_SUCCESS";
      o.cumFillSize = D.add(o.cumFillSize, size);
      o.cumFillValue = D.add(o.cumFillValue, value);
      o.cumFillFee = D.add(o.cumFillFee, fee);
      this.#emit(a, { order: [orderWire(o)], orderFillTransaction: [{ ...wire }] });
      return;
    }
    wire["censorStatus"] = p.failure;
    wire["realizePnl"] = "0";
    const pos = a.positions.get(o.contractId);
    const untouched =
      pos !== undefined &&
      pos.openSize === p.after.openSize &&
      pos.openValue === p.after.openValue &&
      pos.openFee === p.after.openFee;
    if (untouched && p.before === undefined) a.positions.delete(o.contractId);
    else if (untouched && p.before !== undefined) a.positions.set(o.contractId, { ...p.before, updatedTime: now });
    else applyToPosition(a, o.contractId, o.side === "BUY" ? D.neg(size) : size, value, D.neg(fee), now);
    a.amount = D.add(D.add(a.amount, o.side === "BUY" ? value : D.neg(value)), fee);
    a.cumFillFee = D.sub(a.cumFillFee, fee);
    o.cumFailSize = D.add(o.cumFailSize, size);
    this.#emit(a, {
      order: [orderWire(o)],
      orderFillTransaction: [{ ...wire }],
      position: [positionWire(a, o.contractId)],
      collateral: [collateralWire(a)],
    });
  }

  /** Stop the censoring timers (the simulator is stopping; pending fills stay at INIT). */
  stop(): void {
    for (const p of this.#censoring.values()) clearTimeout(p.timer);
    this.#censoring.clear();
  }

  sweepResting(contractId: string): void {
    const m = this.#markets.get(contractId);
    if (m === undefined) return;
    let changed = false;
    for (const a of this.#accounts.values()) {
      for (const o of a.orders.values()) {
        if (o.contractId !== contractId || o.status !== "OPEN" || o.limitTick === undefined) continue;
        const takeSide = o.side === "BUY" ? "asks" : "bids";
        if (m.available(takeSide, o.limitTick) === 0) continue;
        this.#rest(m, o, -1);
        const pieces = m.consume(takeSide, o.remainingSteps, o.limitTick);
        for (const [, steps] of pieces) {
          this.#fill(a, m, o, o.limitTick, steps, "MAKER");
          this.#onTrade(contractId, m.recordTrade(Date.now(), o.limitTick, steps, o.side === "BUY"));
        }
        if (o.status === "OPEN") this.#rest(m, o, +1);
        changed = true;
      }
    }
    if (changed) this.#onBook(contractId);
  }

  // ----------------------------------------------------------------------------------------------
  // cancels and queries
  // ----------------------------------------------------------------------------------------------

  #cancelMany(a: SimAccount, orders: Iterable<[string, SimOrder | undefined]>): RestReply {
    const result: Record<string, string> = {};
    for (const [key, o] of orders) {
      if (o === undefined) result[key] = "FAILED_ORDER_NOT_FOUND";
      else if (o.status === "FILLED") result[key] = "FAILED_ORDER_FILLED";
      else if (o.status === "CANCELED") result[key] = "SUCCESS_ORDER_CANCELED";
      else {
        const m = this.#markets.get(o.contractId);
        if (m !== undefined) this.#cancel(a, m, o, "USER_CANCELED");
        result[key] = "SUCCESS";
      }
    }
    return ok({ cancelResultMap: result });
  }

  cancelById(accountId: string, ids: readonly string[]): RestReply {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return fail("ACCOUNT_ID_MISMATCH", "unknown account");
    return this.#cancelMany(
      a,
      ids.map((id) => [id, a.orders.get(id)] as [string, SimOrder | undefined]),
    );
  }

  cancelByClientId(accountId: string, clientIds: readonly string[]): RestReply {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return fail("ACCOUNT_ID_MISMATCH", "unknown account");
    return this.#cancelMany(
      a,
      clientIds.map((cid) => {
        const id = a.byClientId.get(cid);
        return [cid, id === undefined ? undefined : a.orders.get(id)] as [string, SimOrder | undefined];
      }),
    );
  }

  cancelAll(accountId: string, contractIds: readonly string[]): RestReply {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return fail("ACCOUNT_ID_MISMATCH", "unknown account");
    const active = [...a.orders.values()].filter(
      (o) =>
        (o.status === "OPEN" || o.status === "PENDING") &&
        (contractIds.length === 0 || contractIds.includes(o.contractId)),
    );
    return this.#cancelMany(
      a,
      active.map((o) => [o.id, o] as [string, SimOrder]),
    );
  }

  /** updateLeverageSetting: 1 ≤ leverage ≤ 100 (a whole number, as the web app offers). */
  setLeverage(accountId: string, body: Record<string, unknown> | undefined): RestReply {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return fail("ACCOUNT_ID_MISMATCH", "unknown account");
    const contractId = String(body?.["contractId"] ?? "");
    const leverage = String(body?.["leverage"] ?? "");
    if (this.#contract(contractId) === undefined)
      return fail("INVALID_CONTRACT_ID", `invalid contractId:${contractId}`);
    if (!/^\d+$/.test(leverage) || Number(leverage) < 1 || Number(leverage) > 100)
      return fail("INVALID_LEVERAGE", "leverage must be a whole number in 1..100");
    a.leverage.set(contractId, leverage);
    return ok({ accountId, contractId, leverage });
  }

  activeOrders(accountId: string, contractIds: readonly string[]): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return [...a.orders.values()]
      .filter(
        (o) =>
          (o.status === "OPEN" || o.status === "PENDING") &&
          (contractIds.length === 0 || contractIds.includes(o.contractId)),
      )
      .map((o) => orderWire(o));
  }

  /**
   * Orders by id. EdgeX separates the lookups (reference §0a.6): `getOrderById` answers active orders only,
   * `getHistoryOrderById` ended ones (FILLED/CANCELED); `history` picks which.
   */
  ordersById(accountId: string, ids: readonly string[], history = false): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return ids.flatMap((id) => {
      const o = a.orders.get(id);
      if (o === undefined) return [];
      const ended = o.status === "FILLED" || o.status === "CANCELED";
      return ended === history ? [orderWire(o)] : [];
    });
  }

  ordersByClientId(accountId: string, clientIds: readonly string[], history = false): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return this.ordersById(
      accountId,
      clientIds.flatMap((c) => a.byClientId.get(c) ?? []),
      history,
    );
  }

  /** Every fill of the account, newest first (the REST route pages them). */
  fills(accountId: string): readonly Record<string, unknown>[] {
    return this.#accounts.get(accountId)?.fills ?? [];
  }

  /** The trade-event Snapshot a (re)connecting private socket gets first. */
  snapshot(accountId: string): { version: number; data: TradeEventData } | undefined {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return undefined;
    return {
      version: a.version,
      data: {
        account: [accountWire(a)],
        collateral: [collateralWire(a)],
        position: [...a.positions.keys()].map((id) => positionWire(a, id)),
        order: this.activeOrders(accountId, []),
      },
    };
  }

  accountAsset(accountId: string): Record<string, unknown> | undefined {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return undefined;
    const equity = this.#equity(a);
    const imr = this.#initialMargin(a);
    return {
      account: accountWire(a),
      collateralList: [collateralWire(a)],
      positionList: [...a.positions.keys()].map((id) => positionWire(a, id)),
      version: String(a.version),
      positionAssetList: [...a.positions.entries()].map(([id, p]) => {
        const oracle = this.#markets.get(id)?.oracleText() ?? "0";
        return {
          contractId: id,
          positionValue: D.mul(p.openSize, oracle),
          avgEntryPrice: D.isZero(p.openSize) ? "0" : D.abs(D.div(p.openValue, p.openSize, 8)),
          unrealizePnl: D.sub(D.mul(p.openSize, oracle), p.openValue),
          liquidatePrice: "0",
        };
      }),
      collateralAssetModelList: [
        {
          coinId: QUOTE_COIN.coinId,
          totalEquity: equity,
          availableAmount: D.max("0", D.sub(equity, imr)),
          initialMarginRequirement: imr,
          orderFrozenAmount: "0",
        },
      ],
      oraclePriceList: [...this.#markets.values()].map((m) => ({
        contractId: m.contract.contractId,
        oraclePrice: m.oracleText(),
      })),
    };
  }

  #equity(a: SimAccount): string {
    let e = a.amount;
    for (const [id, p] of a.positions) e = D.add(e, D.mul(p.openSize, this.#markets.get(id)?.oracleText() ?? "0"));
    return e;
  }

  #initialMargin(a: SimAccount): string {
    let imr = "0";
    for (const [id, p] of a.positions) {
      const c = this.#contract(id);
      const m = this.#markets.get(id);
      if (c === undefined || m === undefined) continue;
      imr = D.add(imr, D.div(D.mul(D.abs(p.openSize), m.oracleText()), a.leverage.get(id) ?? c.defaultLeverage, 8));
    }
    return imr;
  }

  /** A short view for GET /_sim/state. */
  state(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.#accounts.values()].map((a) => [
        a.cfg.accountId,
        {
          collateral: a.amount,
          equity: this.#equity(a),
          version: a.version,
          positions: Object.fromEntries([...a.positions].map(([id, p]) => [id, { ...p }])),
          activeOrders: this.activeOrders(a.cfg.accountId, []).length,
          orders: a.orders.size,
          fills: a.fills.length,
        },
      ]),
    );
  }

  #emit(a: SimAccount, data: TradeEventData): void {
    a.version += 1;
    this.#onAccount(a.cfg.accountId, "ORDER_UPDATE", data);
  }

  accountVersion(accountId: string): number {
    return this.#accounts.get(accountId)?.version ?? 0;
  }
}
