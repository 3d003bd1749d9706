/**
 * @module symbols — maps internal `BTCUSDT`-style symbols to each venue's own market names and ids and back,
 * built only from the metadata the venue serves (`Venue.markets()`), never from a hard-coded list.
 *
 * The internal symbol is `${BASE}USDT`, the Binance spelling the strategy and technical-analysis code was
 * written against; the venue side is whatever the venue lists (Paradex `BTC-USD-PERP`, EdgeX `BTCUSDC` with
 * contract id `30000001`). The join key across venues is `MarketMeta.base`, because names and ids change
 * over time on EdgeX (reference edgex-protocol.md §7) while the base coin does not.
 */
import type { MarketMeta, VenueName } from "@paradex-edgex/core";

/** The quote currencies a USD-margined perpetual may be listed against; other quotes are not mapped. */
const USD_QUOTES = new Set(["USD", "USDT", "USDC"]);
/** The quote suffix of internal symbols. */
export const INTERNAL_QUOTE = "USDT";

export class UnknownSymbolError extends Error {
  override readonly name = "UnknownSymbolError";
}

export class SymbolConfigError extends Error {
  override readonly name = "SymbolConfigError";
}

/** One mapped market: the internal symbol and the venue's names for it. */
export interface SymbolEntry {
  readonly symbol: string;
  readonly venue: VenueName;
  readonly market: string;
  readonly venueId: string | undefined;
  readonly meta: MarketMeta;
}

/** The internal symbol of a base coin: `btc` → `BTCUSDT`. */
export function internalSymbol(base: string): string {
  return `${base.trim().toUpperCase()}${INTERNAL_QUOTE}`;
}

/** Environment variable holding each venue's market selection (see toolkit/README.md). */
export const MARKETS_ENV: Readonly<Record<VenueName, string>> = {
  paradex: "PARADEX_MARKETS",
  edgex: "EDGEX_CONTRACTS",
};

/** Split a comma list from the environment; blanks are ignored, `undefined`/empty means "no selection". */
export function parseMarketList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.length > 0 ? items : undefined;
}

/** The market selection for a venue from the environment (`PARADEX_MARKETS`, `EDGEX_CONTRACTS`). */
export function marketsFromEnv(venue: VenueName, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  return parseMarketList(env[MARKETS_ENV[venue]]);
}

export interface SymbolMapperOptions {
  /**
   * Markets to map, each given as the venue market name (`ETH-USD-PERP`, `ETHUSDC`), the venue id
   * (`30000002`), the base coin (`ETH`) or the internal symbol (`ETHUSDT`). Absent = every USD-quoted market.
   * An entry the venue does not list is a configuration error, raised at construction.
   */
  readonly select?: readonly string[] | undefined;
}

/** Bidirectional internal ↔ venue mapping for one venue. */
export class SymbolMapper {
  readonly venue: VenueName;
  private readonly bySymbol = new Map<string, SymbolEntry>();
  private readonly byMarket = new Map<string, SymbolEntry>();
  private readonly byId = new Map<string, SymbolEntry>();
  /** Bases listed by several markets (e.g. a perp and a dated future) and not disambiguated by `select`. */
  private readonly ambiguous = new Map<string, string[]>();

  constructor(venue: VenueName, markets: readonly MarketMeta[], options: SymbolMapperOptions = {}) {
    this.venue = venue;
    const candidates = markets.filter((m) => USD_QUOTES.has(m.quote.toUpperCase()));
    const chosen = options.select === undefined ? candidates : selectMarkets(venue, candidates, options.select);
    const groups = new Map<string, MarketMeta[]>();
    for (const meta of chosen) {
      const symbol = internalSymbol(meta.base);
      groups.set(symbol, [...(groups.get(symbol) ?? []), meta]);
    }
    for (const [symbol, metas] of groups) {
      if (metas.length > 1) {
        this.ambiguous.set(
          symbol,
          metas.map((m) => m.market),
        );
        continue;
      }
      const meta = metas[0]!;
      const entry: SymbolEntry = { symbol, venue, market: meta.market, venueId: meta.venueId, meta };
      this.bySymbol.set(symbol, entry);
      this.byMarket.set(meta.market, entry);
      if (meta.venueId !== undefined) this.byId.set(meta.venueId, entry);
    }
  }

  /** Internal symbols this mapper serves, sorted. */
  symbols(): string[] {
    return [...this.bySymbol.keys()].sort();
  }

  entries(): SymbolEntry[] {
    return this.symbols().map((s) => this.bySymbol.get(s)!);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(normalizeSymbol(symbol));
  }

  /** `ETHUSDT` → the venue entry; a symbol the venue does not list raises UnknownSymbolError. */
  entry(symbol: string): SymbolEntry {
    const key = normalizeSymbol(symbol);
    const found = this.bySymbol.get(key);
    if (found !== undefined) return found;
    const clash = this.ambiguous.get(key);
    if (clash !== undefined) {
      throw new UnknownSymbolError(
        `${this.venue}: ${key} is ambiguous (${clash.join(", ")}); choose one with ${MARKETS_ENV[this.venue]}`,
      );
    }
    throw new UnknownSymbolError(
      `${this.venue} does not list ${JSON.stringify(symbol)} (mapped: ${this.symbols().join(", ") || "none"})`,
    );
  }

  /** `ETHUSDT` → `ETH-USD-PERP` (Paradex) or `ETHUSDC` (EdgeX). */
  toVenue(symbol: string): string {
    return this.entry(symbol).market;
  }

  /** `ETHUSDT` → the venue id (EdgeX contract id); the market name when the venue has no separate id. */
  toVenueId(symbol: string): string {
    const e = this.entry(symbol);
    return e.venueId ?? e.market;
  }

  /** Venue market name or venue id → internal symbol; an unknown one raises UnknownSymbolError. */
  fromVenue(marketOrId: string): string {
    const e = this.byMarket.get(marketOrId) ?? this.byId.get(marketOrId);
    if (e !== undefined) return e.symbol;
    throw new UnknownSymbolError(
      `${this.venue} market ${JSON.stringify(marketOrId)} is not mapped (known: ${[...this.byMarket.keys()].sort().join(", ") || "none"})`,
    );
  }

  /** Like `fromVenue`, but null for a market this mapper does not serve. */
  fromVenueOrNull(marketOrId: string): string | null {
    return (this.byMarket.get(marketOrId) ?? this.byId.get(marketOrId))?.symbol ?? null;
  }

  meta(symbol: string): MarketMeta {
    return this.entry(symbol).meta;
  }
}

function normalizeSymbol(symbol: string): string {
  return symbol.trim().toUpperCase();
}

/** Resolve a selection list against the venue's listing; every entry must match exactly one market. */
function selectMarkets(venue: VenueName, markets: readonly MarketMeta[], select: readonly string[]): MarketMeta[] {
  const chosen = new Map<string, MarketMeta>();
  for (const wanted of select) {
    const w = wanted.trim();
    const exact = markets.filter((m) => m.market === w || (m.venueId !== undefined && m.venueId === w));
    const byCoin = markets.filter(
      (m) => m.base.toUpperCase() === w.toUpperCase() || internalSymbol(m.base) === w.toUpperCase(),
    );
    const hits = exact.length > 0 ? exact : byCoin;
    if (hits.length === 0) {
      throw new SymbolConfigError(
        `${MARKETS_ENV[venue]}: ${venue} does not list ${JSON.stringify(w)} (USD-quoted markets listed: ${markets
          .map((m) => m.market)
          .sort()
          .join(", ")})`,
      );
    }
    if (hits.length > 1) {
      throw new SymbolConfigError(
        `${MARKETS_ENV[venue]}: ${JSON.stringify(w)} matches ${hits.map((m) => m.market).join(", ")}; name the market`,
      );
    }
    chosen.set(hits[0]!.market, hits[0]!);
  }
  return [...chosen.values()];
}

/** Internal symbols shared by several venues, with each venue's market: the cross-venue view. */
export class SymbolBook {
  private readonly mappers: Map<VenueName, SymbolMapper>;

  constructor(mappers: readonly SymbolMapper[]) {
    this.mappers = new Map(mappers.map((m) => [m.venue, m]));
  }

  mapper(venue: VenueName): SymbolMapper {
    const m = this.mappers.get(venue);
    if (m === undefined) throw new UnknownSymbolError(`no symbol map for venue ${venue}`);
    return m;
  }

  /** Symbols every venue of the book lists (what a cross-venue strategy can trade). */
  common(): string[] {
    const [first, ...rest] = [...this.mappers.values()];
    if (first === undefined) return [];
    return first.symbols().filter((s) => rest.every((m) => m.has(s)));
  }

  /** A venue market translated to another venue's market for the same base (`BTC-USD-PERP` → `BTCUSDC`). */
  translate(from: VenueName, market: string, to: VenueName): string {
    return this.mapper(to).toVenue(this.mapper(from).fromVenue(market));
  }
}
