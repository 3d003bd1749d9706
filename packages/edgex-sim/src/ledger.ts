/**
 * The simulator's account ledger: order, position and account records, position accounting (StarkEx model:
 * a buy pays its value out of collateral into the position's openValue), and their wire shapes (reference
 * §2.5; every decimal and id a string).
 */
import * as D from "@paradex-edgex/core/decimal";
import { CONTRACTS, QUOTE_COIN, type SimAccountConfig } from "./fixtures.ts";

export type Side = "BUY" | "SELL";
export type Status = "PENDING" | "OPEN" | "FILLED" | "CANCELING" | "CANCELED";

export interface SimOrder {
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
  /** Fills that passed censoring (reference §0a.3: `cumFillSize` counts fills only after censoring). */
  cumFillSize: string;
  cumFillValue: string;
  cumFillFee: string;
  /** Everything matched, censored or not. */
  cumMatchSize: string;
  cumMatchValue: string;
  cumMatchFee: string;
  /** Matched size whose fills failed censoring. */
  cumFailSize: string;
  updatedTime: number;
}

export interface SimPosition {
  openSize: string;
  openValue: string;
  openFee: string;
  updatedTime: number;
}

export interface SimAccount {
  readonly cfg: SimAccountConfig;
  amount: string;
  cumFillFee: string;
  readonly positions: Map<string, SimPosition>;
  readonly orders: Map<string, SimOrder>;
  readonly byClientId: Map<string, string>;
  readonly fills: Record<string, unknown>[];
  /** Leverage per contract set with updateLeverageSetting (default: the contract's defaultLeverage). */
  readonly leverage: Map<string, string>;
  version: number;
}

/** Signed fill into the position; returns the realized PnL of the part that reduced it. */
export function applyToPosition(
  a: SimAccount,
  contractId: string,
  qty: string,
  value: string,
  fee: string,
  now: number,
): string {
  const pos = a.positions.get(contractId) ?? { openSize: "0", openValue: "0", openFee: "0", updatedTime: now };
  a.positions.set(contractId, pos);
  pos.updatedTime = now;
  pos.openFee = D.add(pos.openFee, fee);
  const price = D.div(value, D.abs(qty), 18);
  const sameWay = D.isZero(pos.openSize) || D.cmp(pos.openSize, "0") > 0 === D.cmp(qty, "0") > 0;
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

export function orderWire(o: SimOrder): Record<string, unknown> {
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
    cumMatchSize: o.cumMatchSize,
    cumMatchValue: o.cumMatchValue,
    cumMatchFee: o.cumMatchFee,
    cumFailSize: o.cumFailSize,
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

export function positionWire(a: SimAccount, contractId: string): Record<string, unknown> {
  const p = a.positions.get(contractId) ?? { openSize: "0", openValue: "0", openFee: "0", updatedTime: Date.now() };
  const c = CONTRACTS.find((x) => x.contractId === contractId);
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

export function collateralWire(a: SimAccount): Record<string, unknown> {
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

export function accountWire(a: SimAccount): Record<string, unknown> {
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
