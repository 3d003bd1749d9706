/**
 * Orders and cancels over signed REST: validate against metadata, compute the §4 amounts, sign (EIP-712 on
 * V2), send once. A lost reply is resolved by looking the client order id up, never by resending; a repeated
 * client id is answered from its first outcome.
 */
import type { CancelRequest, PlaceOrderRequest, PlaceOrderResult } from "@paradex-edgex/core";
import type { AccountFeed } from "./account.ts";
import * as D from "@paradex-edgex/core/decimal";
import { EdgeXError, OrderOutcomeUnknownError, OrderRejectedError, OrderValidationError } from "./errors.ts";
import type { EdgexContract, MetadataStore } from "./metadata.ts";
import { lookupOrders } from "./lookup.ts";
import { orderStatus } from "./normalize.ts";
import type { OrderSigner } from "./signing/eip712.ts";
import { computeL2Amounts, type OrderType, type Side } from "./signing/order.ts";
import { RestError, type RestClient } from "./transport/rest.ts";
import { CancelData, CreateOrderData, OrderEntity, TickerRecord } from "./wire.ts";

const P = "/api/v2/private/order";
const MAX_REMEMBERED_OUTCOMES = 10_000;

export interface OrderGatewayOptions {
  /** Lookups by client id after a lost createOrder reply, and the first delay between them (doubling). */
  readonly lookupAttempts?: number;
  readonly lookupDelayMs?: number;
  /**
   * Time budget of those lookups, from the failed create (default 3,000 ms, one bot leg): past it the
   * outcome is reported unknown instead of holding the caller for the whole attempt schedule.
   */
  readonly lookupBudgetMs?: number;
  /** Timeout of each REST call on the order path, create and lookups (default 3,000 ms, one bot leg). */
  readonly orderCallTimeoutMs?: number;
}

/** Order-path defaults sized for one arbitrage leg (the bot's default leg deadline is 3 s). */
export const DEFAULT_ORDER_CALL_TIMEOUT_MS = 3_000;
export const DEFAULT_LOOKUP_BUDGET_MS = 3_000;

export interface ValidatedOrder {
  readonly side: Side;
  readonly type: OrderType;
  readonly size: string;
  readonly price: string | undefined;
  readonly timeInForce: "GOOD_TIL_CANCEL" | "IMMEDIATE_OR_CANCEL" | "POST_ONLY";
  readonly reduceOnly: boolean;
}

/** Check an order against the contract's rules before anything is signed; throws OrderValidationError. */
export function validateOrder(c: EdgexContract, req: PlaceOrderRequest): ValidatedOrder {
  if (!c.enableTrade) throw new OrderValidationError(`${c.contractName} is not open for trading`);
  if (req.side !== "BUY" && req.side !== "SELL") throw new OrderValidationError(`side must be BUY or SELL`);
  if (req.type !== "LIMIT" && req.type !== "MARKET") throw new OrderValidationError(`type must be LIMIT or MARKET`);
  if (typeof req.size !== "string" || !D.isDecimal(req.size))
    throw new OrderValidationError(`size must be a decimal string`);
  if (c.resolution === "" || c.quoteResolution === "")
    throw new OrderValidationError(`${c.contractName}: resolution is empty in the metadata; orders cannot be signed`);
  const size = D.canonical(req.size);
  if (D.cmp(size, "0") <= 0 || !D.isMultipleOf(size, c.stepSize))
    throw new OrderValidationError(`size ${size} is not a positive multiple of stepSize ${c.stepSize}`);
  if (D.cmp(size, c.minOrderSize) < 0)
    throw new OrderValidationError(`size ${size} is below minOrderSize ${c.minOrderSize}`);
  if (c.maxOrderSize !== undefined && D.cmp(size, c.maxOrderSize) > 0)
    throw new OrderValidationError(`size ${size} is above maxOrderSize ${c.maxOrderSize}`);
  let price: string | undefined;
  if (req.type === "LIMIT") {
    if (typeof req.price !== "string" || !D.isDecimal(req.price))
      throw new OrderValidationError("a LIMIT order needs a decimal price");
    price = D.canonical(req.price);
    if (D.cmp(price, "0") <= 0 || !D.isMultipleOf(price, c.tickSize))
      throw new OrderValidationError(`price ${price} is not a positive multiple of tickSize ${c.tickSize}`);
  } else if (req.tif === "POST_ONLY" || req.tif === "GTC") {
    throw new OrderValidationError(`a MARKET order cannot be ${req.tif}`);
  }
  const tif = req.tif ?? (req.type === "MARKET" ? "IOC" : "GTC");
  const timeInForce = tif === "IOC" ? "IMMEDIATE_OR_CANCEL" : tif === "POST_ONLY" ? "POST_ONLY" : "GOOD_TIL_CANCEL";
  return { side: req.side, type: req.type, size, price, timeInForce, reduceOnly: req.reduceOnly === true };
}

export class OrderGateway {
  readonly #rest: RestClient;
  readonly #accountId: string;
  readonly #signer: OrderSigner;
  readonly #meta: () => MetadataStore;
  readonly #account: AccountFeed;
  readonly #outcomes = new Map<string, Promise<PlaceOrderResult>>();
  readonly #lookupAttempts: number;
  readonly #lookupDelayMs: number;
  readonly #lookupBudgetMs: number;
  readonly #callTimeoutMs: number;
  #idCounter = 0;

  constructor(
    rest: RestClient,
    accountId: string,
    signer: OrderSigner,
    meta: () => MetadataStore,
    account: AccountFeed,
    options: OrderGatewayOptions = {},
  ) {
    this.#rest = rest;
    this.#accountId = accountId;
    this.#signer = signer;
    this.#meta = meta;
    this.#account = account;
    this.#lookupAttempts = options.lookupAttempts ?? 6;
    this.#lookupDelayMs = options.lookupDelayMs ?? 250;
    this.#lookupBudgetMs = options.lookupBudgetMs ?? DEFAULT_LOOKUP_BUDGET_MS;
    this.#callTimeoutMs = options.orderCallTimeoutMs ?? DEFAULT_ORDER_CALL_TIMEOUT_MS;
  }

  /** A fresh numeric client order id (the SDK default is time in ns; this is ms·10⁶ + a counter). */
  newClientId(): string {
    this.#idCounter = (this.#idCounter + 1) % 1_000_000;
    return (BigInt(Date.now()) * 1_000_000n + BigInt(this.#idCounter)).toString();
  }

  place(req: PlaceOrderRequest): Promise<PlaceOrderResult> {
    const clientId = req.clientId ?? this.newClientId();
    const first = this.#outcomes.get(clientId);
    if (first !== undefined) return first;
    const outcome = this.#place(req, clientId);
    this.#outcomes.set(clientId, outcome);
    if (this.#outcomes.size > MAX_REMEMBERED_OUTCOMES)
      this.#outcomes.delete(this.#outcomes.keys().next().value as string);
    return outcome;
  }

  async #place(req: PlaceOrderRequest, clientId: string): Promise<PlaceOrderResult> {
    const contract = this.#meta().resolve(req.market);
    if (contract === undefined) throw new OrderValidationError(`unknown market ${req.market}`);
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(clientId))
      throw new OrderValidationError("clientId must be 1–64 of [0-9A-Za-z_-]");
    const v = validateOrder(contract, req);
    const oraclePrice = v.type === "MARKET" && v.side === "BUY" ? await this.#oraclePrice(contract) : undefined;
    const amounts = computeL2Amounts(
      {
        contractId: contract.contractId,
        tickSize: contract.tickSize,
        takerFeeRate: contract.takerFeeRate,
        makerFeeRate: contract.makerFeeRate,
        resolution: contract.resolution,
        quoteCoinId: contract.quoteCoinId,
        quoteResolution: contract.quoteResolution,
      },
      {
        side: v.side,
        type: v.type,
        size: v.size,
        price: v.price,
        oraclePrice,
        clientOrderId: clientId,
        nowMs: BigInt(this.#rest.now()),
      },
    );
    const l2Signature = await this.#signer.sign({
      accountId: this.#accountId,
      amounts,
      ...(contract.starkEx !== undefined ? { starkEx: contract.starkEx } : {}),
    });
    // Every field the official SDK sends, nulls included (signed as "k="): the same JSON, byte-identical
    // HMAC text, whether the exchange canonicalizes the raw JSON or a typed copy of it (oracle.test.ts).
    const body = {
      accountId: this.#accountId,
      contractId: contract.contractId,
      price: v.type === "LIMIT" ? (v.price ?? "0") : "0",
      size: v.size,
      type: v.type,
      side: v.side,
      timeInForce: v.timeInForce,
      clientOrderId: clientId,
      expireTime: amounts.expireTimeMs.toString(),
      l2Nonce: amounts.nonce.toString(),
      l2Signature,
      l2ExpireTime: amounts.l2ExpireTimeMs.toString(),
      l2Value: amounts.l2Value,
      l2Size: amounts.l2Size,
      l2LimitFee: amounts.l2LimitFee,
      reduceOnly: v.reduceOnly,
      triggerPrice: "",
      triggerPriceType: "",
      sourceKey: "",
      isPositionTpsl: false,
      openTpslParentOrderId: "",
      isSetOpenTp: false,
      openTp: null,
      isSetOpenSl: false,
      openSl: null,
      extraType: "",
      extraDataJson: "",
    };
    let data: unknown;
    try {
      data = await this.#rest.post(`${P}/createOrder`, body, this.#callTimeoutMs);
    } catch (err) {
      if (err instanceof RestError && err.kind === "refused")
        throw new OrderRejectedError(err.code, clientId, err.message);
      if (err instanceof RestError) return this.#resolveUnknown(clientId, err.message);
      throw err;
    }
    const created = CreateOrderData.safeParse(data);
    if (!created.success) return this.#resolveUnknown(clientId, "createOrder reply without orderId");
    const known = this.#account.orderByClientId(clientId);
    if (known === undefined) this.#account.notePlaced(created.data.orderId);
    return { orderId: created.data.orderId, clientId, status: known === undefined ? "NEW" : orderStatus(known.status) };
  }

  async #oraclePrice(c: EdgexContract): Promise<string> {
    const data = await this.#rest.get("/api/v2/public/quote/getTicker", { contractId: c.contractId });
    const rec = TickerRecord.safeParse(Array.isArray(data) ? data[0] : undefined);
    const oracle = rec.success ? rec.data.oraclePrice : undefined;
    if (oracle === undefined || D.isZero(oracle))
      throw new EdgeXError("NO_ORACLE_PRICE", `no oracle price for ${c.contractName}; MARKET BUY cannot be bounded`);
    return oracle;
  }

  /**
   * The reply was lost: find the order by client id (stream first, then REST), with growing pauses, within
   * the lookup budget. Two answered lookups that do not know the order (the venue is back and has never
   * seen it) are a definite "not placed"; lookups that fail leave the outcome unknown.
   */
  async #resolveUnknown(clientId: string, reason: string): Promise<PlaceOrderResult> {
    let delay = this.#lookupDelayMs;
    const until = Date.now() + this.#lookupBudgetMs;
    let notFound = 0;
    for (let attempt = 1; attempt <= this.#lookupAttempts; attempt++) {
      const seen = this.#account.orderByClientId(clientId);
      if (seen !== undefined) return { orderId: seen.id, clientId, status: orderStatus(seen.status) };
      const left = until - Date.now();
      if (left <= 0) break;
      try {
        // Active and history lookups: an IOC behind a lost reply has already ended (reference §0a.6).
        const data = await lookupOrders(
          this.#rest,
          this.#accountId,
          "clientOrderId",
          [clientId],
          Math.min(this.#callTimeoutMs, left),
        );
        const found = data
          .map((o) => OrderEntity.safeParse(o))
          .find((p) => p.success && p.data.clientOrderId === clientId);
        if (found?.success === true) {
          this.#account.notePlaced(found.data.id);
          return { orderId: found.data.id, clientId, status: orderStatus(found.data.status) };
        }
        if (++notFound >= 2) {
          throw new OrderRejectedError(
            "NOT_FOUND_AFTER_RECOVERY",
            clientId,
            `the venue answered twice without the order (${reason}); not placed`,
          );
        }
      } catch (err) {
        if (err instanceof OrderRejectedError) throw err;
        // the lookup itself failed: keep trying, the order question is still open
      }
      if (attempt < this.#lookupAttempts)
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(delay, until - Date.now()))));
      delay = Math.min(delay * 2, 5_000);
    }
    throw new OrderOutcomeUnknownError(clientId, reason);
  }

  async cancel(req: CancelRequest): Promise<void> {
    let data: unknown;
    let key: string;
    if (req.orderId !== undefined) {
      key = req.orderId;
      data = await this.#refusalAsError(
        this.#rest.post(`${P}/cancelOrderById`, { accountId: this.#accountId, orderIdList: [req.orderId] }),
      );
    } else if (req.clientId !== undefined) {
      key = req.clientId;
      data = await this.#refusalAsError(
        this.#rest.post(`${P}/cancelOrderByClientOrderId`, {
          accountId: this.#accountId,
          clientOrderIdList: [req.clientId],
        }),
      );
    } else {
      throw new OrderValidationError("cancel needs an orderId or a clientId");
    }
    const parsed = CancelData.safeParse(data);
    if (!parsed.success) throw new EdgeXError("BAD_REPLY", "cancel reply without cancelResultMap");
    const result = parsed.data.cancelResultMap[key] ?? Object.values(parsed.data.cancelResultMap)[0];
    if (result === undefined || !result.startsWith("SUCCESS"))
      throw new EdgeXError(result ?? "CANCEL_FAILED", `cancel ${key}: ${result ?? "no result"}`);
  }

  async cancelAll(contract?: EdgexContract): Promise<void> {
    const body: Record<string, unknown> = { accountId: this.#accountId };
    if (contract !== undefined) body["filterContractIdList"] = [contract.contractId];
    await this.#refusalAsError(this.#rest.post(`${P}/cancelAllOrder`, body));
  }

  async #refusalAsError(p: Promise<unknown>): Promise<unknown> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof RestError) throw new EdgeXError(err.code, err.message, { cause: err });
      throw err;
    }
  }
}
