/**
 * The exchange-side numbers of an order (reference §4 steps 1–7): l2 price/value/fee, nonce, expiry and the
 * integer amounts a signature covers. Pure and scheme-independent, shared by the client and the simulator.
 */
import { createHash } from "node:crypto";
import { ceilToBigInt, ceilToStep, cmp, mul, parseResolution, scaleTrunc } from "@paradex-edgex/core/decimal";

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
 * The fee rate the signature's `l2LimitFee` covers: max(taker, maker); a contract without a taker rate uses
 * max(0.001, maker) as SDK 2.0.1 does (reference §0a.7), so a missing taker rate never signs a lower fee.
 */
export function signingFeeRate(takerFeeRate: string | undefined, makerFeeRate: string | undefined): string {
  const maker = makerFeeRate === undefined || makerFeeRate === "" ? undefined : makerFeeRate;
  if (takerFeeRate === undefined || takerFeeRate === "")
    return maker !== undefined && cmp(maker, DEFAULT_FEE_RATE) > 0 ? maker : DEFAULT_FEE_RATE;
  if (maker === undefined) return takerFeeRate;
  return cmp(takerFeeRate, maker) >= 0 ? takerFeeRate : maker;
}

/** The price the signature covers: the limit price, or the SDK's market-order bound. */
export function signingPrice(c: ContractAmountsInput, r: OrderAmountsRequest): string {
  if (r.type === "LIMIT") {
    if (r.price === undefined) throw new Error("a LIMIT order needs a price");
    return r.price;
  }
  if (r.side === "SELL") return c.tickSize;
  if (r.oraclePrice === undefined) throw new Error("a MARKET BUY needs the oracle price to bound its value");
  return ceilToStep(mul(r.oraclePrice, "10"), c.tickSize);
}

/** All numbers of reference §4 steps 2–7 for one order. */
export function computeL2Amounts(c: ContractAmountsInput, r: OrderAmountsRequest): L2OrderAmounts {
  const l2Price = signingPrice(c, r);
  const l2Value = mul(l2Price, r.size);
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
