/**
 * Contracts from `getMetaData` (never hard-coded): trading rules, fee rates, resolutions, the EIP-712 domain,
 * and the names other systems use for the same market: Paradex `BTC-USD-PERP` (by base coin) and the
 * `BTCUSDT` style of older configs.
 */
import type { MarketMeta } from "@paradex-edgex/core";
import type { Eip712DomainInput, StarkExAssets } from "./signing/eip712.ts";
import { CoinMeta, ContractMeta, MetaData, describeIssues, type ContractMeta as ContractWire } from "./wire.ts";

/** Quote coins whose perps map onto Paradex USD perps. */
const USD_QUOTES = new Set(["USD", "USDT", "USDC"]);

export interface EdgexContract {
  readonly contractId: string;
  /** Venue name, e.g. `BTCUSDC`: the `market` of every event. */
  readonly contractName: string;
  readonly baseCoin: string;
  readonly quoteCoin: string;
  readonly quoteCoinId: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minOrderSize: string;
  readonly maxOrderSize: string | undefined;
  readonly takerFeeRate: string;
  readonly makerFeeRate: string;
  readonly defaultLeverage: string | undefined;
  readonly maxBuyPriceRatio: string | undefined;
  readonly minSellPriceRatio: string | undefined;
  readonly enableTrade: boolean;
  readonly resolution: string;
  readonly quoteResolution: string;
  /** `BTC-USD-PERP` when the quote is a USD coin, else undefined. */
  readonly paradexMarket: string | undefined;
  /** `BTCUSDT`: the name older configs use. */
  readonly legacyName: string;
  /** Legacy StarkEx asset ids/resolutions when the metadata has them (for a V1 signer). */
  readonly starkEx: StarkExAssets | undefined;
}

export interface MetadataParse {
  readonly store: MetadataStore;
  /** Contracts/coins skipped and why (reported, never fatal). */
  readonly problems: string[];
}

export class MetadataStore {
  readonly #byId = new Map<string, EdgexContract>();
  readonly #byName = new Map<string, EdgexContract>();
  readonly domain: Eip712DomainInput | undefined;
  readonly maintenanceReason: string;

  private constructor(contracts: EdgexContract[], domain: Eip712DomainInput | undefined, maintenanceReason: string) {
    this.domain = domain;
    this.maintenanceReason = maintenanceReason;
    for (const c of contracts) {
      this.#byId.set(c.contractId, c);
      for (const name of [c.contractName, c.legacyName, c.paradexMarket, c.contractId]) {
        if (name !== undefined && !this.#byName.has(name.toUpperCase())) this.#byName.set(name.toUpperCase(), c);
      }
      // A bare coin ("BTC") resolves to its USD perp only.
      if (c.paradexMarket !== undefined && !this.#byName.has(c.baseCoin.toUpperCase()))
        this.#byName.set(c.baseCoin.toUpperCase(), c);
    }
  }

  /** Build from the `data` of getMetaData (or the `metadata` channel); bad entries are skipped and listed. */
  static fromWire(data: unknown): MetadataParse {
    const problems: string[] = [];
    const meta = MetaData.safeParse(data);
    if (!meta.success) throw new Error(`getMetaData: ${describeIssues(meta.error)}`);
    const coins = new Map<string, CoinMeta>();
    for (const raw of meta.data.coinList) {
      const c = CoinMeta.safeParse(raw);
      if (c.success) coins.set(c.data.coinId, c.data);
      else problems.push(`coin skipped: ${describeIssues(c.error)}`);
    }
    const contracts: EdgexContract[] = [];
    for (const raw of meta.data.contractList) {
      const parsed = ContractMeta.safeParse(raw);
      if (!parsed.success) {
        problems.push(`contract skipped: ${describeIssues(parsed.error)}`);
        continue;
      }
      const built = buildContract(parsed.data, coins);
      if (typeof built === "string") problems.push(built);
      else contracts.push(built);
    }
    const g = meta.data.global;
    const chainId = g.nativeChainId ?? g.chainId;
    const domain =
      chainId !== undefined && g.contractAddress ? { chainId, verifyingContract: g.contractAddress } : undefined;
    if (domain === undefined) problems.push("global: no chainId/contractAddress, orders cannot be signed");
    return { store: new MetadataStore(contracts, domain, g.maintenanceReason ?? ""), problems };
  }

  all(): EdgexContract[] {
    return [...this.#byId.values()];
  }

  byId(contractId: string): EdgexContract | undefined {
    return this.#byId.get(contractId);
  }

  /** Resolve any accepted name: contractId, `BTCUSDC`, `BTC-USD-PERP`, `BTCUSDT`, or `BTC`. */
  resolve(name: string): EdgexContract | undefined {
    return this.#byName.get(name.trim().toUpperCase());
  }

  /** The Venue interface's view of a contract. */
  static marketMeta(c: EdgexContract): MarketMeta {
    return {
      market: c.contractName,
      venueId: c.contractId,
      base: c.baseCoin,
      quote: c.quoteCoin,
      tickSize: c.tickSize,
      stepSize: c.stepSize,
      minSize: c.minOrderSize,
      maxSize: c.maxOrderSize ?? null,
      minNotional: null,
      takerFeeRate: c.takerFeeRate,
      makerFeeRate: c.makerFeeRate,
    };
  }
}

function buildContract(c: ContractWire, coins: ReadonlyMap<string, CoinMeta>): EdgexContract | string {
  const base = coins.get(c.baseCoinId);
  const quote = coins.get(c.quoteCoinId);
  // Only the quote coin is needed to sign (SDK 2.0.1, reference §0a.7); a missing base coin costs only its name.
  if (quote === undefined) return `contract ${c.contractId} skipped: unknown quote coin ${c.quoteCoinId}`;
  // V2 `resolution` only: without it the contract stays listed (market data) but orders refuse to sign.
  const resolution = c.resolution ?? "";
  const quoteResolution = quote.resolution ?? "";
  const quoteCoin = quote.coinName.toUpperCase();
  const baseCoin = base?.coinName.toUpperCase() ?? baseFromName(c.contractName, quoteCoin);
  return {
    contractId: c.contractId,
    contractName: c.contractName,
    baseCoin,
    quoteCoin,
    quoteCoinId: c.quoteCoinId,
    tickSize: c.tickSize,
    stepSize: c.stepSize,
    minOrderSize: c.minOrderSize,
    maxOrderSize: c.maxOrderSize,
    takerFeeRate: c.defaultTakerFeeRate ?? "", // "" = absent: signing uses max(0.001, maker)
    makerFeeRate: c.defaultMakerFeeRate ?? "",
    defaultLeverage: c.defaultLeverage,
    maxBuyPriceRatio: c.maxOrderBuyPriceRatio,
    minSellPriceRatio: c.minOrderSellPriceRatio,
    enableTrade: c.enableTrade ?? true,
    resolution,
    quoteResolution,
    paradexMarket: USD_QUOTES.has(quoteCoin) ? `${baseCoin}-USD-PERP` : undefined,
    legacyName: `${baseCoin}USDT`,
    starkEx:
      c.starkExSyntheticAssetId && c.starkExResolution && quote.starkExAssetId && quote.starkExResolution
        ? {
            syntheticAssetId: c.starkExSyntheticAssetId,
            syntheticResolution: c.starkExResolution,
            collateralAssetId: quote.starkExAssetId,
            collateralResolution: quote.starkExResolution,
          }
        : undefined,
  };
}

/** The base coin's name from a contract name ("BTCUSD" → "BTC") when coinList lacks it. */
function baseFromName(contractName: string, quoteCoin: string): string {
  const name = contractName.toUpperCase();
  for (const suffix of [quoteCoin, "USDT", "USDC", "USD"]) {
    if (name.length > suffix.length && name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return name;
}
