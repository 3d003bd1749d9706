/**
 * @module types — the one internal format every venue's results are converted into (by convert.ts only).
 *
 * Symbols are internal (`BTCUSDT`); decimals are canonical strings, because these values feed order sizes and
 * PnL checks where a float would drift. Fields a venue does not provide are `null`, never a guessed number.
 */
import type { Candle, Interval, KlineArray } from "./klines.ts";

export type { Candle, Interval, KlineArray };

export type OrderSide = "BUY" | "SELL";

/** Account balance in the settlement currency (USDC on both venues). */
export interface Balance {
  /** Settlement token, e.g. `USDC`. */
  asset: string;
  /** Cash collateral, before unrealized PnL. */
  balance: string;
  /** Sum of the unrealized PnL the venue reports for open positions. */
  unrealizedPnl: string;
  /** Account value including unrealized PnL. */
  equity: string;
  /** Collateral free for new orders. */
  available: string;
  /** Initial margin locked by positions and orders. */
  marginUsed: string | null;
}

export interface Position {
  symbol: string;
  side: "long" | "short";
  /** Absolute size in base units. */
  size: string;
  entryPrice: string;
  /** Current market price: mid of the venue's top of book at the time of the call. */
  currentPrice: string | null;
  unrealizedPnl: string | null;
  /** Initial margin held by the position when the venue reports it (or notional / leverage when known). */
  marginUsed: string | null;
  liquidationPrice: string | null;
}

export interface OrderResult {
  symbol: string;
  orderId: string | null;
  clientId: string;
  status: string;
  dryRun: boolean;
}

export interface Quote {
  symbol: string;
  bid: string | null;
  bidSize: string | null;
  ask: string | null;
  askSize: string | null;
  /** Venue timestamp (ms). */
  ts: number;
  source: "ws" | "rest";
}

export interface OrderOptions {
  clientId?: string;
  reduceOnly?: boolean;
}

export interface LimitOrderOptions extends OrderOptions {
  tif?: "GTC" | "IOC" | "POST_ONLY";
}
