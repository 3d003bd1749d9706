/**
 * The exchange-side numbers of an order (reference §4 steps 1–7): l2 price/value/fee, nonce, expiry and the
 * integer amounts a signature covers. Pure and scheme-independent, shared by the client and the simulator.
 */
import { createHash } from "node:crypto";
import { ceilToBigInt, ceilToStep, cmp, mul, parseDec, parseResolution, scaleTrunc } from "@paradex-edgex/core/decimal";

export type Side = "BUY" | "SELL";
export type OrderType = "LIMIT" | "MARKET";

const DAY_MS = 86_400_000n;
/** Server rule: l2ExpireTime ≥ expireTime + 8 days (reference §4.7). */
export const L2_EXPIRY_MARGIN_MS = 8n * DAY_MS;
/** SDK default validity of the L2 part of an order. */
export const DEFAULT_L2_VALIDITY_MS = 30n * DAY_MS;
/** Fee rate used when the contract has none (reference §4.4). */
export const DEFAULT_FEE_RATE = "0.001";

/** Contract figures the amounts depend on (from getMetaData). */
export interface ContractAmountsInput {
  readonly contractId: string;
  readonly tickSize: string;
  readonly takerFeeRate: string;
  readonly makerFeeRate: string;
  /** Contract `resolution` (hex "0x…" or decimal text). */
  readonly resolution: string;
  readonly quoteCoinId: string;
  readonly quoteResolution: string;
}

export interface OrderAmountsRequest {
  readonly side: Side;
  readonly type: OrderType;
  readonly size: string;
  /** Limit price; ignored for MARKET. */
  readonly price?: string;
  /** Needed for a MARKET BUY: the signing price is 10 × oracle rounded up to a tick. */
  readonly oraclePrice?: string;
  readonly clientOrderId: string;
  /** Caller-chosen expireTime (ms); by default l2ExpireTime = now + 30 d and expireTime = that − 8 d. */
  readonly expireTimeMs?: bigint;
  readonly nowMs: bigint;
}

export interface L2OrderAmounts {
  readonly l2Price: string;
  readonly l2Value: string;
  readonly l2Size: string;
  /** Whole quote units (e.g. "1"). */
  readonly l2LimitFee: string;
  readonly nonce: bigint;
  readonly expireTimeMs: bigint;
  readonly l2ExpireTimeMs: bigint;
  readonly amountSynthetic: bigint;
  readonly amountCollateral: bigint;
  readonly amountFee: bigint;
  readonly assetIdSynthetic: string;
  readonly assetIdCollateral: string;
  readonly isBuy: boolean;
}

/** l2Nonce = first 32 bits of sha256(clientOrderId) (reference §4.6; "21163368294502694" → 808219). */
export function nonceFromClientOrderId(clientOrderId: string): bigint {
  const hex = createHash("sha256").update(clientOrderId, "utf8").digest("hex");
  return BigInt(`0x${hex.slice(0, 8)}`);
}

/**
 * The fee rate the signature's `l2LimitFee` covers, as SDK 2.0.1 computes it: max(taker, maker) where an absent
 * (or empty) rate counts as 0.001. So a contract without a taker rate signs max(0.001, maker) (reference §0a.7),
 * and one without a maker rate signs max(taker, 0.001): a missing rate never signs a lower fee than the SDK.
 */
export function signingFeeRate(takerFeeRate: string | undefined, makerFeeRate: string | undefined): string {
  const taker = takerFeeRate === undefined || takerFeeRate === "" ? DEFAULT_FEE_RATE : takerFeeRate;
  const maker = makerFeeRate === undefined || makerFeeRate === "" ? DEFAULT_FEE_RATE : makerFeeRate;
  return cmp(taker, maker) >= 0 ? taker : maker;
}

/** `value` (plain decimal text) printed with exactly `scale` fractional digits (zeros kept or added). */
function fixedText(value: string, scale: number): string {
  const d = parseDec(value);
  const int = scale >= d.scale ? d.int * 10n ** BigInt(scale - d.scale) : d.int / 10n ** BigInt(d.scale - scale);
  const neg = int < 0n;
  const digits = (neg ? -int : int).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${text}` : text;
}

/*
 * Texts as the SDK prints them. The SDK computes l2 price and value with Python's Decimal, which keeps trailing
 * zeros (0.5 × 0.2 = "0.10"), and signs those texts in the request's HMAC. The numbers are the same either way;
 * printing them as the SDK does makes our createOrder byte-identical to the official client's, which the
 * exchange accepts (checked against the SDK itself by packages/edgex/test/oracle.test.ts). Not reproduced: the
 * SDK's 28-digit context (far beyond any real price × size) and its exponent form below 1e-6.
 */

/** price × size with every fractional digit kept (scale = scale(price) + scale(size)), as Decimal multiplies. */
export function l2ValueText(price: string, size: string): string {
  return fixedText(mul(price, size), parseDec(price).scale + parseDec(size).scale);
}

/**
 * MARKET BUY bound ceil(oracle × 10 / tick) × tick, printed as the SDK's `format(price, "f")`: the tick's digits,
 * fewer when the exact quotient is an integer ending in zeros and the oracle has fewer digits than the tick
 * (Decimal division keeps the "ideal" exponent oracle − tick when it can).
 */
export function marketBuyPriceText(oraclePrice: string, tickSize: string): string {
  const value = ceilToStep(mul(oraclePrice, "10"), tickSize);
  const o = parseDec(oraclePrice);
  const t = parseDec(tickSize);
  const num = o.int * 10n * 10n ** BigInt(t.scale);
  const den = t.int * 10n ** BigInt(o.scale);
  const ideal = t.scale - o.scale;
  let kept = 0;
  if (ideal > 0 && num % den === 0n) {
    let q = num / den;
    while (kept < ideal && q !== 0n && q % 10n === 0n) {
      q /= 10n;
      kept += 1;
    }
  }
  return fixedText(value, Math.max(0, t.scale - kept));
}

/** The price the signature covers: the limit price, or the SDK's market-order bound. */
export function signingPrice(c: ContractAmountsInput, r: OrderAmountsRequest): string {
  if (r.type === "LIMIT") {
    if (r.price === undefined) throw new Error("a LIMIT order needs a price");
    return r.price;
  }
  if (r.side === "SELL") return c.tickSize;
  if (r.oraclePrice === undefined) throw new Error("a MARKET BUY needs the oracle price to bound its value");
  return marketBuyPriceText(r.oraclePrice, c.tickSize);
}

/** All numbers of reference §4 steps 2–7 for one order. */
export function computeL2Amounts(c: ContractAmountsInput, r: OrderAmountsRequest): L2OrderAmounts {
  const l2Price = signingPrice(c, r);
  const l2Value = l2ValueText(l2Price, r.size);
  const fee = ceilToBigInt(mul(l2Value, signingFeeRate(c.takerFeeRate, c.makerFeeRate)));
  const l2LimitFee = fee.toString();
  // SDK 2.0.1 refuses to sign without the V2 `resolution` ("resolution is empty"); the legacy StarkEx
  // resolution is a different scale and is never a fallback (reference §0a.7).
  if (c.resolution === "") throw new Error(`resolution is empty for contract ${c.contractId}: cannot sign`);
  if (c.quoteResolution === "") throw new Error(`resolution is empty for quote coin ${c.quoteCoinId}: cannot sign`);
  const contractRes = parseResolution(c.resolution);
  const quoteRes = parseResolution(c.quoteResolution);
  const l2ExpireTimeMs =
    r.expireTimeMs !== undefined ? r.expireTimeMs + L2_EXPIRY_MARGIN_MS : r.nowMs + DEFAULT_L2_VALIDITY_MS;
  const expireTimeMs = r.expireTimeMs ?? l2ExpireTimeMs - L2_EXPIRY_MARGIN_MS;
  return {
    l2Price,
    l2Value,
    l2Size: r.size,
    l2LimitFee,
    nonce: nonceFromClientOrderId(r.clientOrderId),
    expireTimeMs,
    l2ExpireTimeMs,
    amountSynthetic: scaleTrunc(r.size, contractRes),
    amountCollateral: scaleTrunc(l2Value, quoteRes),
    amountFee: fee * quoteRes,
    assetIdSynthetic: c.contractId,
    assetIdCollateral: c.quoteCoinId,
    isBuy: r.side === "BUY",
  };
}
