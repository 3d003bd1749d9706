/**
 * @module client — the common exchange API of the integration plan (balance, positions, klines, orders,
 * leverage) over any `Venue`, speaking internal symbols (`BTCUSDT`) and the internal formats of types.ts.
 *
 * What differs per venue (where klines, balances and leverage live; how REST top of book is read) is a small
 * `ExchangeDriver`; drivers only move data, and every format conversion they need is a function of convert.ts.
 * Orders go through `Venue.place`/`cancel`, so idempotency by client id and dry-run are the venue's.
 */
import { randomUUID } from "node:crypto";
import type { Venue, VenueName } from "@paradex-edgex/core";
import { BboFallback, type BboFallbackOptions } from "./fallback.ts";
import {
  leverageText,
  midPrice,
  orderResultFrom,
  positionFromEvent,
  quoteFromTopOfBook,
  type RestTopOfBook,
} from "./convert.ts";
import * as D from "@paradex-edgex/core/decimal";
import { fillGaps, intervalMs, toArray, type Candle, type Interval, type KlineArray } from "./klines.ts";
import { LiveKlines, type LiveKlinesOptions } from "./live.ts";
import { SymbolMapper, marketsFromEnv, type SymbolEntry } from "./symbols.ts";
import type { Balance, LimitOrderOptions, OrderOptions, OrderResult, OrderSide, Position, Quote } from "./types.ts";

/** The venue-specific reads the common API needs beyond `Venue`. */
export interface ExchangeDriver {
  readonly name: VenueName;
  readonly venue: Venue;
  /** The newest `limit` candles of a market, oldest first (the open one included when the venue has it). */
  klines(entry: SymbolEntry, interval: Interval, limit: number): Promise<Candle[]>;
  balance(): Promise<Balance>;
  setLeverage(entry: SymbolEntry, leverage: string): Promise<void>;
  /** REST top of book (public): the fallback's source and positions' current price. */
  topOfBook(entry: SymbolEntry): Promise<RestTopOfBook>;
}

export class ExchangeError extends Error {
  override readonly name = "ExchangeError";
}

export interface ExchangeClientOptions {
  /** Markets to map (see SymbolMapper `select`); default: the venue's list from the environment. */
  markets?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The smaller of the venues' per-request kline caps (EdgeX `getKline` and the sidecar serve at most 1000). */
const MAX_KLINES = 1000;

export class ExchangeClient {
  readonly exchange: VenueName;
  readonly driver: ExchangeDriver;
  private readonly options: ExchangeClientOptions;
  private mapper: SymbolMapper | null = null;
  /** Every USD market of the venue, for positions held outside the selection. */
  private allMarkets: SymbolMapper | null = null;
  private readonly leverage = new Map<string, string>();

  constructor(driver: ExchangeDriver, options: ExchangeClientOptions = {}) {
    this.exchange = driver.name;
    this.driver = driver;
    this.options = options;
  }

  get venue(): Venue {
    return this.driver.venue;
  }

  /** Connect the venue and build the symbol map from its metadata. */
  async connect(): Promise<void> {
    await this.driver.venue.connect();
    try {
      const markets = await this.driver.venue.markets();
      const select = this.options.markets ?? marketsFromEnv(this.exchange, this.options.env ?? process.env);
      this.mapper = new SymbolMapper(this.exchange, markets, { select });
      this.allMarkets = new SymbolMapper(this.exchange, markets);
    } catch (err) {
      // A bad market selection must not leave a sidecar or sockets running behind the error.
      await this.driver.venue.close().catch(() => undefined);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.driver.venue.close();
  }

  get symbols(): SymbolMapper {
    if (this.mapper === null) throw new ExchangeError(`${this.exchange}: connect() first`);
    return this.mapper;
  }

  async getBalance(): Promise<Balance> {
    return this.driver.balance();
  }

  /** Open positions; `currentPrice` is the REST mid at call time. */
  async getPositions(): Promise<Position[]> {
    const snap = await this.driver.venue.snapshot();
    const out: Position[] = [];
    for (const p of snap.positions) {
      if (p.side === "FLAT" || D.isZero(p.size)) continue;
      const entry = this.entryForMarket(p.market);
      const top = await this.driver.topOfBook(entry);
      const pos = positionFromEvent(p, entry.symbol, {
        currentPrice: midPrice(top.bid, top.ask),
        leverage: this.leverage.get(entry.symbol) ?? null,
      });
      if (pos !== null) out.push(pos);
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  /** Binance-shaped klines `[openTime, open, high, low, close, volume, closeTime]`, oldest first. */
  async getKlines(symbol: string, interval: Interval, limit = 500): Promise<KlineArray[]> {
    return (await this.getCandles(symbol, interval, limit)).map(toArray);
  }

  /** The object form of `getKlines`. */
  async getCandles(symbol: string, interval: Interval, limit = 500): Promise<Candle[]> {
    intervalMs(interval); // validates the interval with a clear error
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KLINES) {
      throw new ExchangeError(`${this.exchange}: limit must be an integer in 1..${MAX_KLINES}, got ${limit}`);
    }
    const candles = fillGaps(await this.driver.klines(this.symbols.entry(symbol), interval, limit), interval);
    return candles.slice(Math.max(0, candles.length - limit));
  }

  placeMarketOrder(symbol: string, side: OrderSide, size: string, options: OrderOptions = {}): Promise<OrderResult> {
    return this.place(symbol, side, "MARKET", size, undefined, options);
  }

  placeLimitOrder(
    symbol: string,
    side: OrderSide,
    size: string,
    price: string,
    options: LimitOrderOptions = {},
  ): Promise<OrderResult> {
    return this.place(symbol, side, "LIMIT", size, price, options);
  }

  /** Cancel by venue order id, or by the client id given at placement. */
  async cancelOrder(symbol: string, id: { orderId: string } | { clientId: string }): Promise<void> {
    const market = this.symbols.toVenue(symbol);
    await this.driver.venue.cancel({ ...id, market });
  }

  async setLeverage(symbol: string, leverage: number | string): Promise<void> {
    const entry = this.symbols.entry(symbol);
    const text = leverageText(this.exchange, leverage);
    await this.driver.setLeverage(entry, text);
    this.leverage.set(entry.symbol, text);
  }

  /** Top of book from REST now (not the stream). */
  async getQuote(symbol: string): Promise<Quote> {
    const entry = this.symbols.entry(symbol);
    return quoteFromTopOfBook(await this.driver.topOfBook(entry), entry.symbol);
  }

  /** Live candles of one symbol: REST history, then the trade stream (call `start()` on the result). */
  klineFeed(
    symbol: string,
    options: Partial<Omit<LiveKlinesOptions, "venue" | "market" | "fetchHistory">> = {},
  ): LiveKlines {
    const entry = this.symbols.entry(symbol);
    return new LiveKlines({
      ...options,
      venue: this.driver.venue,
      market: entry.market,
      fetchHistory: (interval, limit) => this.driver.klines(entry, interval, Math.min(limit, MAX_KLINES)),
    });
  }

  /** A REST bbo fallback for these symbols (call `start()` on the result; subscribe bbo separately). */
  bboFallback(
    symbols: readonly string[],
    options: Partial<Omit<BboFallbackOptions, "venue" | "source" | "poll" | "markets">> = {},
  ): BboFallback {
    const entries = symbols.map((s) => this.symbols.entry(s));
    const byMarket = new Map(entries.map((e) => [e.market, e]));
    return new BboFallback({
      ...options,
      venue: this.exchange,
      source: this.driver.venue,
      markets: entries.map((e) => e.market),
      poll: (market) => this.driver.topOfBook(byMarket.get(market)!),
    });
  }

  private async place(
    symbol: string,
    side: OrderSide,
    type: "MARKET" | "LIMIT",
    size: string,
    price: string | undefined,
    options: LimitOrderOptions,
  ): Promise<OrderResult> {
    const entry = this.symbols.entry(symbol);
    const s = String(side).toUpperCase();
    if (s !== "BUY" && s !== "SELL")
      throw new ExchangeError(`${this.exchange}: side must be BUY or SELL, got ${JSON.stringify(side)}`);
    if (!D.isDecimal(size) || D.sign(size) <= 0) {
      throw new ExchangeError(`${this.exchange}: size must be a positive decimal string, got ${JSON.stringify(size)}`);
    }
    if (type === "LIMIT" && (price === undefined || !D.isDecimal(price) || D.sign(price) <= 0)) {
      throw new ExchangeError(
        `${this.exchange}: price must be a positive decimal string, got ${JSON.stringify(price)}`,
      );
    }
    const clientId = options.clientId ?? `tk-${randomUUID()}`;
    const result = await this.driver.venue.place({
      market: entry.market,
      side: s,
      type,
      size: D.canonical(size),
      ...(price === undefined ? {} : { price: D.canonical(price) }),
      ...("tif" in options && options.tif !== undefined ? { tif: options.tif } : {}),
      ...(options.reduceOnly === undefined ? {} : { reduceOnly: options.reduceOnly }),
      clientId,
    });
    return orderResultFrom(result, entry.symbol);
  }

  private entryForMarket(market: string): SymbolEntry {
    const all = this.allMarkets;
    if (this.mapper === null || all === null) throw new ExchangeError(`${this.exchange}: connect() first`);
    const symbol = this.mapper.fromVenueOrNull(market) ?? all.fromVenue(market);
    return this.mapper.has(symbol) ? this.mapper.entry(symbol) : all.entry(symbol);
  }
}
