/**
 * The simulator's exchange: paper accounts, order validation (HMAC is checked by the REST layer; this checks
 * the EIP-712 signature and every figure it covers), matching against the simulated book, and the order, fill,
 * position and collateral updates a real account feed would push.
 *
 * Accounting follows the StarkEx perpetual model EdgeX inherits: a buy pays its value out of collateral and
 * adds it to the position's openValue; equity = collateral + Σ openSize × oracle.
 */
import { z } from "zod";
import * as D from "../src/decimal.ts";
import { recoverOrderSigner } from "../src/signing/eip712.ts";
import { nonceFromClientOrderId, L2_EXPIRY_MARGIN_MS, signingFeeRate } from "../src/signing/order.ts";
import { CONTRACTS, GLOBAL, QUOTE_COIN, type SimAccountConfig, type SimContract } from "./fixtures.ts";
import type { Faults } from "./faults.ts";
import type { ContractMarket, PublicTrade } from "./market.ts";

export interface RestReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Process the request but never answer it (the `no_reply_next` fault). */
  readonly noReply?: boolean;
}

export type TradeEventData = Record<string, unknown[]>;
export type AccountEventSink = (accountId: string, event: string, data: TradeEventData) => void;
export type BookChangedSink = (contractId: string) => void;
export type TradeSink = (contractId: string, trade: PublicTrade) => void;

type Side = "BUY" | "SELL";
type Status = "PENDING" | "OPEN" | "FILLED" | "CANCELING" | "CANCELED";

interface SimOrder {
  readonly id: string;
  readonly accountId: string;
  readonly contractId: string;
  readonly side: Side;
  readonly type: "LIMIT" | "MARKET";
  readonly timeInForce: string;
  readonly price: string;
  readonly size: string;
  readonly clientOrderId: string;
  readonly reduceOnly: boolean;
  readonly expireTime: string;
  readonly l2: { nonce: string; value: string; size: string; limitFee: string; expireTime: string; signature: string };
  readonly createdTime: number;
  /** Tick of the limit (LIMIT) or of the signed worst price (MARKET BUY); undefined = any price. */
  readonly limitTick: number | undefined;
  status: Status;
  cancelReason: string | undefined;
  remainingSteps: number;
  cumFillSize: string;
  cumFillValue: string;
  cumFillFee: string;
  updatedTime: number;
}

interface SimPosition {
  openSize: string;
  openValue: string;
  openFee: string;
  updatedTime: number;
}

interface SimAccount {
  readonly cfg: SimAccountConfig;
  amount: string;
  cumFillFee: string;
  readonly positions: Map<string, SimPosition>;
  readonly orders: Map<string, SimOrder>;
  readonly byClientId: Map<string, string>;
  readonly fills: Record<string, unknown>[];
  version: number;
}

/** The createOrder body fields the simulator checks (reference §4.10). */
const CreateOrderBody = z.object({
  accountId: z.string().regex(/^\d+$/),
  contractId: z.string().regex(/^\d+$/),
  price: z.string().refine(D.isDecimal),
  size: z.string().refine(D.isDecimal),
  type: z.enum(["LIMIT", "MARKET"]),
  side: z.enum(["BUY", "SELL"]),
  timeInForce: z.enum(["GOOD_TIL_CANCEL", "FILL_OR_KILL", "IMMEDIATE_OR_CANCEL", "POST_ONLY"]),
  clientOrderId: z.string().min(1).max(64),
  expireTime: z.string().regex(/^\d+$/),
  l2Nonce: z.string().regex(/^\d+$/),
  l2Signature: z.string(),
  l2ExpireTime: z.string().regex(/^\d+$/),
  l2Value: z.string().refine(D.isDecimal),
  l2Size: z.string().refine(D.isDecimal),
  l2LimitFee: z.string().refine(D.isDecimal),
  reduceOnly: z.boolean().optional(),
});
type CreateOrderBody = z.output<typeof CreateOrderBody>;

export function ok(data: unknown): RestReply {
  const now = String(Date.now());
  return { status: 200, body: { code: "SUCCESS", data, msg: null, errorParam: null, requestTime: now, responseTime: now } };
}

export function fail(code: string, msg: string, status = 200): RestReply {
  const now = String(Date.now());
  return { status, body: { code, data: null, msg, errorParam: null, requestTime: now, responseTime: now } };
}

export class Exchange {
  readonly #markets: Map<string, ContractMarket>;
  readonly #accounts = new Map<string, SimAccount>();
  readonly #faults: Faults;
  readonly #onAccount: AccountEventSink;
  readonly #onBook: BookChangedSink;
  readonly #onTrade: TradeSink;
  #orderSeq: bigint;
  #fillSeq: bigint;

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
    if (!parsed.success) return fail("INVALID_PARAMETER", `bad createOrder body: ${parsed.error.issues[0]?.message}`, 400);
    const body = parsed.data;
    const acct = this.#accounts.get(accountId);
    if (acct === undefined || body.accountId !== accountId) return fail("ACCOUNT_ID_MISMATCH", "accountId is not the API key's account");
    const contract = this.#contract(body.contractId);
    const market = this.#markets.get(body.contractId);
    if (contract === undefined || market === undefined) return fail("INVALID_CONTRACT_ID", `invalid contractId:${body.contractId}`);
    const problem = this.#checkFigures(contract, market, body) ?? (await this.#checkSignature(acct, contract, body));
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

  /** Tick/step/size/price-band/fee/expiry checks: everything the signature covers must be consistent. */
  #checkFigures(c: SimContract, m: ContractMarket, b: CreateOrderBody): RestReply | undefined {
    const steps = m.stepsOf(b.size);
    if (steps === undefined || steps <= 0) return fail("ORDER_SIZE_INVALID", `size must be a positive multiple of ${c.stepSize}`);
    if (D.cmp(b.size, c.minOrderSize) < 0) return fail("ORDER_SIZE_TOO_SMALL", `size below ${c.minOrderSize}`);
    if (D.cmp(b.size, c.maxOrderSize) > 0) return fail("ORDER_SIZE_TOO_LARGE", `size above ${c.maxOrderSize}`);
    if (b.l2Size !== b.size) return fail("L2_SIZE_MISMATCH", "l2Size must equal size");
    const oracle = m.oracleText();
    if (b.type === "LIMIT") {
      if (m.tickOf(b.price) === undefined || D.cmp(b.price, "0") <= 0) return fail("ORDER_PRICE_INVALID", `price must be a positive multiple of ${c.tickSize}`);
      if (D.cmp(b.l2Value, D.mul(b.price, b.size)) !== 0) return fail("L2_VALUE_MISMATCH", "l2Value must be price × size");
      if (b.side === "BUY" && D.cmp(b.price, D.mul(oracle, D.add("1", c.maxOrderBuyPriceRatio))) > 0)
        return fail("ORDER_PRICE_OUT_OF_RANGE", "buy price too far above the oracle price");
      if (b.side === "SELL" && D.cmp(b.price, D.mul(oracle, D.sub("1", c.minOrderSellPriceRatio))) < 0)
        return fail("ORDER_PRICE_OUT_OF_RANGE", "sell price too far below the oracle price");
    } else {
      if (!D.isZero(b.price)) return fail("ORDER_PRICE_INVALID", "a MARKET order's price must be 0");
      if (b.timeInForce !== "IMMEDIATE_OR_CANCEL" && b.timeInForce !== "FILL_OR_KILL")
        return fail("ORDER_TIME_IN_FORCE_INVALID", "a MARKET order must be IOC or FOK");
    }
    const fee = D.ceilToBigInt(D.mul(b.l2Value, signingFeeRate(c.defaultTakerFeeRate, c.defaultMakerFeeRate)));
    if (D.cmp(b.l2LimitFee, fee.toString()) < 0) return fail("L2_LIMIT_FEE_TOO_LOW", `l2LimitFee below ${fee}`);
    if (BigInt(b.l2Nonce) !== nonceFromClientOrderId(b.clientOrderId)) return fail("L2_NONCE_INVALID", "l2Nonce does not derive from clientOrderId");
    const now = BigInt(Date.now());
    if (BigInt(b.expireTime) <= now) return fail("ORDER_EXPIRE_TIME_INVALID", "expireTime is in the past");
    if (BigInt(b.l2ExpireTime) < BigInt(b.expireTime) + L2_EXPIRY_MARGIN_MS)
      return fail("L2_EXPIRE_TIME_INVALID", "l2ExpireTime must be ≥ expireTime + 8 days");
    return undefined;
  }

  async #checkSignature(a: SimAccount, c: SimContract, b: CreateOrderBody): Promise<RestReply | undefined> {
    const amounts = {
      l2Price: "",
      l2Value: b.l2Value,
      l2Size: b.l2Size,
      l2LimitFee: b.l2LimitFee,
      nonce: BigInt(b.l2Nonce),
      expireTimeMs: BigInt(b.expireTime),
      l2ExpireTimeMs: BigInt(b.l2ExpireTime),
      amountSynthetic: D.scaleTrunc(b.l2Size, D.parseResolution(c.resolution)),
      amountCollateral: D.scaleTrunc(b.l2Value, D.parseResolution(QUOTE_COIN.resolution)),
      amountFee: D.scaleTrunc(b.l2LimitFee, D.parseResolution(QUOTE_COIN.resolution)),
      assetIdSynthetic: c.contractId,
      assetIdCollateral: QUOTE_COIN.coinId,
      isBuy: b.side === "BUY",
    };
    const domain = { chainId: GLOBAL.nativeChainId, verifyingContract: GLOBAL.contractAddress };
    try {
      const who = await recoverOrderSigner(domain, a.cfg.signerAddress, { accountId: a.cfg.accountId, amounts }, b.l2Signature);
      if (who.toLowerCase() === a.cfg.signerAddress.toLowerCase()) return undefined;
    } catch {
      // fall through: a malformed signature is an invalid signature
    }
    return fail("L2_SIGNATURE_INVALID", "l2Signature does not recover to the account's signer");
  }

  #checkMargin(a: SimAccount, c: SimContract, m: ContractMarket, b: CreateOrderBody): RestReply | undefined {
    if (b.reduceOnly === true) return undefined;
    const price = b.type === "LIMIT" ? b.price : m.oracleText();
    const need = D.add(this.#initialMargin(a), D.div(D.mul(price, b.size), c.defaultLeverage, 8));
    return D.cmp(need, this.#equity(a)) > 0 ? fail("INSUFFICIENT_MARGIN", "not enough collateral for this order") : undefined;
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
      l2: { nonce: b.l2Nonce, value: b.l2Value, size: b.l2Size, limitFee: b.l2LimitFee, expireTime: b.l2ExpireTime, signature: b.l2Signature },
      createdTime: now,
      limitTick,
      status: "PENDING",
      cancelReason: undefined,
      remainingSteps: m.stepsOf(b.size) ?? 0,
      cumFillSize: "0",
      cumFillValue: "0",
      cumFillFee: "0",
      updatedTime: now,
    };
    a.orders.set(order.id, order);
    a.byClientId.set(order.clientOrderId, order.id);
    this.#emit(a, { order: [this.#orderWire(order)] });
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
      this.#emit(a, { order: [this.#orderWire(o)] });
      this.#onBook(o.contractId);
      return;
    }
    this.#cancel(a, m, o, "COULD_NOT_FILL");
  }

  #reduces(a: SimAccount, o: SimOrder): boolean {
    const pos = a.positions.get(o.contractId);
    if (pos === undefined || D.isZero(pos.openSize)) return false;
    return (D.cmp(pos.openSize, "0") > 0) === (o.side === "SELL") && D.cmp(o.size, D.abs(pos.openSize)) <= 0;
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
    this.#emit(a, { order: [this.#orderWire(o)] });
  }

  /** Book a fill of `steps` at `tick`: order, fill record, position, collateral; one ORDER_UPDATE. */
  #fill(a: SimAccount, m: ContractMarket, o: SimOrder, tick: number, steps: number, direction: "MAKER" | "TAKER"): void {
    const c = m.contract;
    const price = m.priceText(tick);
    const size = m.sizeText(steps);
    const value = D.mul(price, size);
    const fee = D.mul(value, direction === "TAKER" ? c.defaultTakerFeeRate : c.defaultMakerFeeRate);
    const now = Date.now();
    o.remainingSteps -= steps;
    o.cumFillSize = D.add(o.cumFillSize, size);
    o.cumFillValue = D.add(o.cumFillValue, value);
    o.cumFillFee = D.add(o.cumFillFee, fee);
    o.status = o.remainingSteps === 0 ? "FILLED" : "OPEN";
    o.updatedTime = now;
    const realized = this.#applyToPosition(a, c.contractId, o.side === "BUY" ? size : D.neg(size), value, fee, now);
    a.amount = D.sub(D.sub(a.amount, o.side === "BUY" ? value : D.neg(value)), fee);
    a.cumFillFee = D.add(a.cumFillFee, fee);
    this.#fillSeq += 1n;
    const fillWire = {
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
      censorStatus: "CENSOR_SUCCESS",
      createdTime: String(now),
      updatedTime: String(now),
    };
    a.fills.unshift(fillWire);
    if (a.fills.length > 1000) a.fills.pop();
    this.#emit(a, {
      order: [this.#orderWire(o)],
      orderFillTransaction: [fillWire],
      position: [this.#positionWire(a, c.contractId)],
      collateral: [this.#collateralWire(a)],
    });
  }

  /** Signed fill into the position; returns the realized PnL of the part that reduced it. */
  #applyToPosition(a: SimAccount, contractId: string, qty: string, value: string, fee: string, now: number): string {
    const pos = a.positions.get(contractId) ?? { openSize: "0", openValue: "0", openFee: "0", updatedTime: now };
    a.positions.set(contractId, pos);
    pos.updatedTime = now;
    pos.openFee = D.add(pos.openFee, fee);
    const price = D.div(value, D.abs(qty), 18);
    const sameWay = D.isZero(pos.openSize) || (D.cmp(pos.openSize, "0") > 0) === (D.cmp(qty, "0") > 0);
    if (sameWay) {
      pos.openSize = D.add(pos.openSize, qty);
      pos.openValue = D.add(pos.openValue, D.cmp(qty, "0") > 0 ? value : D.neg(value));
      return "0";
    }
    const closing = D.min(D.abs(qty), D.abs(pos.openSize));
    const closedValue = D.div(D.mul(pos.openValue, closing), D.abs(pos.openSize), 18);
    const buying = D.cmp(qty, "0") > 0;
    const proceeds = D.mul(closing, price);
    const realized = buying ? D.sub(D.neg(proceeds), closedValue) : D.sub(proceeds, closedValue);
    pos.openSize = D.add(pos.openSize, buying ? closing : D.neg(closing));
    pos.openValue = D.sub(pos.openValue, closedValue);
    const rest = D.sub(D.abs(qty), closing);
    if (!D.isZero(rest)) {
      pos.openSize = D.add(pos.openSize, buying ? rest : D.neg(rest));
      const restValue = D.mul(rest, price);
      pos.openValue = D.add(pos.openValue, buying ? restValue : D.neg(restValue));
    }
    if (D.isZero(pos.openSize)) pos.openValue = "0";
    return realized;
  }

  /** After the market moved: resting orders the synthetic book now crosses fill as makers at their price. */
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
    return this.#cancelMany(a, ids.map((id) => [id, a.orders.get(id)] as [string, SimOrder | undefined]));
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
      (o) => (o.status === "OPEN" || o.status === "PENDING") && (contractIds.length === 0 || contractIds.includes(o.contractId)),
    );
    return this.#cancelMany(a, active.map((o) => [o.id, o] as [string, SimOrder]));
  }

  activeOrders(accountId: string, contractIds: readonly string[]): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return [...a.orders.values()]
      .filter((o) => (o.status === "OPEN" || o.status === "PENDING") && (contractIds.length === 0 || contractIds.includes(o.contractId)))
      .map((o) => this.#orderWire(o));
  }

  ordersById(accountId: string, ids: readonly string[]): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return ids.flatMap((id) => {
      const o = a.orders.get(id);
      return o === undefined ? [] : [this.#orderWire(o)];
    });
  }

  ordersByClientId(accountId: string, clientIds: readonly string[]): Record<string, unknown>[] {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return [];
    return this.ordersById(accountId, clientIds.flatMap((c) => a.byClientId.get(c) ?? []));
  }

  fills(accountId: string, size: number): Record<string, unknown>[] {
    return this.#accounts.get(accountId)?.fills.slice(0, size) ?? [];
  }

  /** The trade-event Snapshot a (re)connecting private socket gets first. */
  snapshot(accountId: string): { version: number; data: TradeEventData } | undefined {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return undefined;
    return {
      version: a.version,
      data: {
        account: [this.#accountWire(a)],
        collateral: [this.#collateralWire(a)],
        position: [...a.positions.keys()].map((id) => this.#positionWire(a, id)),
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
      account: this.#accountWire(a),
      collateralList: [this.#collateralWire(a)],
      positionList: [...a.positions.keys()].map((id) => this.#positionWire(a, id)),
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
      oraclePriceList: [...this.#markets.values()].map((m) => ({ contractId: m.contract.contractId, oraclePrice: m.oracleText() })),
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
      imr = D.add(imr, D.div(D.mul(D.abs(p.openSize), m.oracleText()), c.defaultLeverage, 8));
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

  // ----------------------------------------------------------------------------------------------
  // wire shapes (reference §2.5; all decimals and ids are strings)
  // ----------------------------------------------------------------------------------------------

  #emit(a: SimAccount, data: TradeEventData): void {
    a.version += 1;
    this.#onAccount(a.cfg.accountId, "ORDER_UPDATE", data);
  }

  accountVersion(accountId: string): number {
    return this.#accounts.get(accountId)?.version ?? 0;
  }

  #orderWire(o: SimOrder): Record<string, unknown> {
    const wire: Record<string, unknown> = {
      id: o.id,
      userId: o.accountId,
      accountId: o.accountId,
      coinId: QUOTE_COIN.coinId,
      contractId: o.contractId,
      side: o.side,
      price: o.price,
      size: o.size,
      clientOrderId: o.clientOrderId,
      type: o.type,
      timeInForce: o.timeInForce,
      reduceOnly: o.reduceOnly,
      triggerPrice: "0",
      expireTime: o.expireTime,
      status: o.status,
      cumFillSize: o.cumFillSize,
      cumFillValue: o.cumFillValue,
      cumFillFee: o.cumFillFee,
      l2Nonce: o.l2.nonce,
      l2Value: o.l2.value,
      l2Size: o.l2.size,
      l2LimitFee: o.l2.limitFee,
      l2ExpireTime: o.l2.expireTime,
      l2Signature: o.l2.signature,
      createdTime: String(o.createdTime),
      updatedTime: String(o.updatedTime),
    };
    if (o.cancelReason !== undefined) wire["cancelReason"] = o.cancelReason;
    return wire;
  }

  #positionWire(a: SimAccount, contractId: string): Record<string, unknown> {
    const p = a.positions.get(contractId) ?? { openSize: "0", openValue: "0", openFee: "0", updatedTime: Date.now() };
    const c = this.#contract(contractId);
    return {
      userId: a.cfg.accountId,
      accountId: a.cfg.accountId,
      coinId: c?.baseCoinId ?? "",
      contractId,
      openSize: p.openSize,
      openValue: p.openValue,
      openFee: p.openFee,
      fundingFee: "0",
      createdTime: String(p.updatedTime),
      updatedTime: String(p.updatedTime),
    };
  }

  #collateralWire(a: SimAccount): Record<string, unknown> {
    return {
      userId: a.cfg.accountId,
      accountId: a.cfg.accountId,
      coinId: QUOTE_COIN.coinId,
      amount: a.amount,
      legacyAmount: a.amount,
      cumDepositAmount: a.cfg.initialCollateral,
      cumWithdrawAmount: "0",
      cumFillFeeAmount: a.cumFillFee,
      cumFundingFeeAmount: "0",
      updatedTime: String(Date.now()),
    };
  }

  #accountWire(a: SimAccount): Record<string, unknown> {
    return {
      id: a.cfg.accountId,
      userId: a.cfg.accountId,
      ethAddress: a.cfg.signerAddress,
      clientAccountId: "main",
      status: "NORMAL",
      isLiquidating: false,
      createOrderPerMinuteLimit: 0,
      createOrderDelayMillis: 0,
    };
  }
}
