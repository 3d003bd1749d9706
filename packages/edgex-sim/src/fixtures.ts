/**
 * The simulator's venue configuration: V2-shaped metadata for BTC/ETH/SOL perpetuals and the default paper
 * account. Contract ids, names and resolutions are realistic but belong to the simulator; clients must read
 * them from getMetaData like they would on the real venue.
 */
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";

export interface SimContract {
  readonly contractId: string;
  readonly contractName: string;
  readonly baseCoinId: string;
  readonly quoteCoinId: string;
  readonly coin: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minOrderSize: string;
  readonly maxOrderSize: string;
  readonly maxOrderBuyPriceRatio: string;
  readonly minOrderSellPriceRatio: string;
  readonly defaultTakerFeeRate: string;
  readonly defaultMakerFeeRate: string;
  readonly defaultLeverage: string;
  readonly resolution: string;
  /** Simulator-only: initial mid, book level spacing in ticks, per-√s volatility (1e-4 ≈ 2.9 % a day). */
  readonly initialMid: number;
  readonly levelGapTicks: number;
  readonly volPerSqrtSecond: number;
}

export interface SimCoin {
  readonly coinId: string;
  readonly coinName: string;
  readonly stepSize: string;
  readonly resolution: string;
}

export const QUOTE_COIN: SimCoin = { coinId: "1000", coinName: "USDC", stepSize: "0.000001", resolution: "0xf4240" };

export const COINS: readonly SimCoin[] = [
  QUOTE_COIN,
  { coinId: "1001", coinName: "BTC", stepSize: "0.001", resolution: "0x186a0" },
  { coinId: "1002", coinName: "ETH", stepSize: "0.01", resolution: "10000000" },
  { coinId: "1003", coinName: "SOL", stepSize: "0.1", resolution: "0xf4240" },
];

export const CONTRACTS: readonly SimContract[] = [
  {
    contractId: "30000001",
    contractName: "BTCUSDC",
    baseCoinId: "1001",
    quoteCoinId: "1000",
    coin: "BTC",
    tickSize: "0.1",
    stepSize: "0.001",
    minOrderSize: "0.001",
    maxOrderSize: "60",
    maxOrderBuyPriceRatio: "0.05",
    minOrderSellPriceRatio: "0.05",
    defaultTakerFeeRate: "0.00038",
    defaultMakerFeeRate: "0.00015",
    defaultLeverage: "50",
    resolution: "0x186a0",
    initialMid: 65000,
    levelGapTicks: 5,
    volPerSqrtSecond: 0.0001,
  },
  {
    contractId: "30000002",
    contractName: "ETHUSDC",
    baseCoinId: "1002",
    quoteCoinId: "1000",
    coin: "ETH",
    tickSize: "0.01",
    stepSize: "0.01",
    minOrderSize: "0.01",
    maxOrderSize: "1000",
    maxOrderBuyPriceRatio: "0.05",
    minOrderSellPriceRatio: "0.05",
    defaultTakerFeeRate: "0.00038",
    defaultMakerFeeRate: "0.00015",
    defaultLeverage: "50",
    resolution: "10000000",
    initialMid: 3200,
    levelGapTicks: 5,
    volPerSqrtSecond: 0.00012,
  },
  {
    contractId: "30000003",
    contractName: "SOLUSDC",
    baseCoinId: "1003",
    quoteCoinId: "1000",
    coin: "SOL",
    tickSize: "0.001",
    stepSize: "0.1",
    minOrderSize: "0.1",
    maxOrderSize: "50000",
    maxOrderBuyPriceRatio: "0.05",
    minOrderSellPriceRatio: "0.05",
    defaultTakerFeeRate: "0.00038",
    defaultMakerFeeRate: "0.00015",
    defaultLeverage: "20",
    resolution: "0xf4240",
    initialMid: 150,
    levelGapTicks: 10,
    volPerSqrtSecond: 0.00015,
  },
];

/** EIP-712 domain inputs (the python SDK's test-fixture values; production values are read from metadata). */
export const GLOBAL = {
  appName: "edgeX",
  appEnv: "sim",
  chainId: "33431",
  nativeChainId: "0x8297",
  contractAddress: "0x1ae109ea449cfe0bed08bfe8911e968a49a919b1",
  maintenanceReason: "",
} as const;

/** The getMetaData `data` object. */
export function metaData(): Record<string, unknown> {
  return {
    global: { ...GLOBAL },
    coinList: COINS.map((c) => ({ ...c, starkExAssetId: null, starkExResolution: null })),
    contractList: CONTRACTS.map((c) => ({
      contractId: c.contractId,
      contractName: c.contractName,
      baseCoinId: c.baseCoinId,
      quoteCoinId: c.quoteCoinId,
      tickSize: c.tickSize,
      stepSize: c.stepSize,
      minOrderSize: c.minOrderSize,
      maxOrderSize: c.maxOrderSize,
      maxOrderBuyPriceRatio: c.maxOrderBuyPriceRatio,
      minOrderSellPriceRatio: c.minOrderSellPriceRatio,
      maxPositionSize: c.maxOrderSize,
      defaultTakerFeeRate: c.defaultTakerFeeRate,
      defaultMakerFeeRate: c.defaultMakerFeeRate,
      defaultLeverage: c.defaultLeverage,
      enableTrade: true,
      enableDisplay: true,
      enableOpenPosition: true,
      fundingRateIntervalMin: "240",
      resolution: c.resolution,
      starkExSyntheticAssetId: null,
      starkExResolution: null,
      riskTierList: [],
    })),
    multiChain: { chainList: [] },
  };
}

/** A paper account the simulator accepts: API credentials plus the registered signer address. */
export interface SimAccountConfig {
  readonly accountId: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly passphrase: string;
  readonly signerAddress: string;
  readonly initialCollateral: string;
}

/**
 * The default paper account. Its credentials are public test values (the signer key is the reference's
 * documented test key `0x0123…cdef`), not secrets; override them with the EDGEX_* variables.
 */
export const DEV_SIGNER_KEY = `0x${"0123456789abcdef".repeat(4)}`;
export const DEV_ACCOUNT: SimAccountConfig = {
  accountId: "543429922991899150",
  apiKey: "sim-api-key",
  apiSecret: "sim-api-secret",
  passphrase: "sim-passphrase",
  signerAddress: privateKeyToAccount(DEV_SIGNER_KEY as Hex).address,
  initialCollateral: "100000",
};

/** The paper account, with each field overridable from the environment (the same names the client reads). */
export function accountFromEnv(env: NodeJS.ProcessEnv): SimAccountConfig {
  const signerKey = env["EDGEX_SIGNER_KEY"];
  return {
    accountId: env["EDGEX_ACCOUNT_ID"] || DEV_ACCOUNT.accountId,
    apiKey: env["EDGEX_API_KEY"] || DEV_ACCOUNT.apiKey,
    apiSecret: env["EDGEX_API_SECRET"] || DEV_ACCOUNT.apiSecret,
    passphrase: env["EDGEX_API_PASSPHRASE"] || DEV_ACCOUNT.passphrase,
    signerAddress: signerKey
      ? privateKeyToAccount((signerKey.startsWith("0x") ? signerKey : `0x${signerKey}`) as Hex).address
      : DEV_ACCOUNT.signerAddress,
    initialCollateral: DEV_ACCOUNT.initialCollateral,
  };
}
