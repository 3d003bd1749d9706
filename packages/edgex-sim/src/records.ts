/**
 * Record builders of the simulator's periodic quote channels (ticker, bookTicker, fundingRate, kline), with the
 * field names of the live wire (reference §1.6), all numbers as strings.
 */
import { currentKline, isPriceType } from "./klines.ts";
import type { ContractMarket } from "./market.ts";

export function tickerRecord(
  m: ContractMarket,
  contractId: string | number,
  withBest: boolean,
): Record<string, unknown> {
  const hist = m.midHistory;
  const first = hist[0]?.mid ?? m.mid;
  const mids = hist.map((h) => h.mid);
  const tick = (x: number): string => m.priceText(Math.round(x / Number(m.contract.tickSize)));
  const bid = m.bestBidTick();
  const ask = m.bestAskTick();
  const rec: Record<string, unknown> = {
    contractId,
    contractName: m.contract.contractName,
    priceChange: tick(m.mid - first),
    priceChangePercent: ((m.mid - first) / first).toFixed(6),
    trades: String(Math.floor(m.volumeSteps / 3)),
    size: m.sizeText(m.volumeSteps),
    value: tick(m.volumeSteps * Number(m.contract.stepSize) * m.mid),
    high: tick(Math.max(m.mid, ...mids.slice(-2000))),
    low: tick(Math.min(m.mid, ...mids.slice(-2000))),
    open: tick(first),
    close: m.oracleText(),
    highTime: String(Date.now()),
    lowTime: String(Date.now()),
    startTime: String(hist[0]?.time ?? Date.now()),
    endTime: String(Date.now()),
    lastPrice: m.lastTradeTick === undefined ? m.oracleText() : m.priceText(m.lastTradeTick),
    indexPrice: m.oracleText(),
    oraclePrice: m.oracleText(),
    markPrice: m.oracleText(),
    openInterest: m.sizeText(1000),
    fundingRate: "0.0001",
    fundingTime: String(Math.floor(Date.now() / 14_400_000) * 14_400_000),
    nextFundingTime: String((Math.floor(Date.now() / 14_400_000) + 1) * 14_400_000),
    marketOpen: true,
  };
  // Production omits best bid/ask on illiquid contracts (the caller decides when to imitate that).
  if (withBest) {
    if (bid !== undefined) rec["bestBidPrice"] = m.priceText(bid);
    if (ask !== undefined) rec["bestAskPrice"] = m.priceText(ask);
  }
  return rec;
}

export function bookTickerRecord(m: ContractMarket): Record<string, unknown> {
  const v = m.view(1);
  const [bt, bs] = [...v.bids][0] ?? [undefined, undefined];
  const [at, as] = [...v.asks][0] ?? [undefined, undefined];
  return {
    contractId: m.contract.contractId,
    contractName: m.contract.contractName,
    bestBidPrice: bt === undefined ? "" : m.priceText(bt),
    bestBidSize: bs === undefined ? "" : m.sizeText(bs),
    bestAskPrice: at === undefined ? "" : m.priceText(at),
    bestAskSize: as === undefined ? "" : m.sizeText(as),
  };
}

export function fundingRecord(m: ContractMarket): Record<string, unknown> {
  const now = Date.now();
  return {
    contractId: m.contract.contractId,
    fundingTime: String(Math.floor(now / 14_400_000) * 14_400_000),
    fundingTimestamp: String(now),
    oraclePrice: m.oracleText(),
    markPrice: m.oracleText(),
    indexPrice: m.oracleText(),
    fundingRate: "0.0001",
    isSettlement: false,
    previousFundingRate: "0.0001",
    fundingRateIntervalMin: "240",
  };
}

/** The current candle of a `kline.{priceType}.{contractId}.{interval}` channel (see klines.ts). */
export function klineRecord(m: ContractMarket, channel: string): Record<string, unknown> {
  const [, priceType = "LAST_PRICE", , klineType = "MINUTE_1"] = channel.split(".");
  return currentKline(m, klineType, isPriceType(priceType) ? priceType : "LAST_PRICE", m.contract.contractId);
}
