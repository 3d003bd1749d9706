/**
 * createOrder checks of the simulator: the body's shape, every figure the signature covers (tick, step, size
 * bounds, price band, l2 value/size/fee, nonce, expiries) and the EIP-712 signature, recovered with viem.
 */
import { z } from "zod";
import * as D from "@paradex-edgex/core/decimal";
import { recoverOrderSigner } from "@paradex-edgex/edgex";
import { L2_EXPIRY_MARGIN_MS, nonceFromClientOrderId, signingFeeRate } from "@paradex-edgex/edgex";
import { GLOBAL, QUOTE_COIN, type SimAccountConfig, type SimContract } from "./fixtures.ts";
import type { ContractMarket } from "./market.ts";
import { fail, type RestReply } from "./reply.ts";

/** The createOrder body fields the simulator checks (reference §4.10). */
export const CreateOrderBody = z.object({
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
export type CreateOrderBody = z.output<typeof CreateOrderBody>;

/** Tick/step/size/price-band/fee/expiry checks: everything the signature covers must be consistent. */
export function checkFigures(c: SimContract, m: ContractMarket, b: CreateOrderBody): RestReply | undefined {
  const steps = m.stepsOf(b.size);
  if (steps === undefined || steps <= 0)
    return fail("ORDER_SIZE_INVALID", `size must be a positive multiple of ${c.stepSize}`);
  if (D.cmp(b.size, c.minOrderSize) < 0) return fail("ORDER_SIZE_TOO_SMALL", `size below ${c.minOrderSize}`);
  if (D.cmp(b.size, c.maxOrderSize) > 0) return fail("ORDER_SIZE_TOO_LARGE", `size above ${c.maxOrderSize}`);
  if (b.l2Size !== b.size) return fail("L2_SIZE_MISMATCH", "l2Size must equal size");
  const oracle = m.oracleText();
  if (b.type === "LIMIT") {
    if (m.tickOf(b.price) === undefined || D.cmp(b.price, "0") <= 0)
      return fail("ORDER_PRICE_INVALID", `price must be a positive multiple of ${c.tickSize}`);
    if (D.cmp(b.l2Value, D.mul(b.price, b.size)) !== 0)
      return fail("L2_VALUE_MISMATCH", "l2Value must be price × size");
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
  if (BigInt(b.l2Nonce) !== nonceFromClientOrderId(b.clientOrderId))
    return fail("L2_NONCE_INVALID", "l2Nonce does not derive from clientOrderId");
  const now = BigInt(Date.now());
  if (BigInt(b.expireTime) <= now) return fail("ORDER_EXPIRE_TIME_INVALID", "expireTime is in the past");
  if (BigInt(b.l2ExpireTime) < BigInt(b.expireTime) + L2_EXPIRY_MARGIN_MS)
    return fail("L2_EXPIRE_TIME_INVALID", "l2ExpireTime must be ≥ expireTime + 8 days");
  return undefined;
}

export async function checkSignature(
  cfg: SimAccountConfig,
  c: SimContract,
  b: CreateOrderBody,
): Promise<RestReply | undefined> {
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
    const who = await recoverOrderSigner(
      domain,
      cfg.signerAddress,
      { accountId: cfg.accountId, amounts },
      b.l2Signature,
    );
    if (who.toLowerCase() === cfg.signerAddress.toLowerCase()) return undefined;
  } catch {
    // fall through: a malformed signature is an invalid signature
  }
  return fail("SIGNATURE_ERROR", "l2Signature does not recover to the account's signer");
}
