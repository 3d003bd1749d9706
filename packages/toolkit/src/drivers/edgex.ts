/**
 * @module drivers/edgex — the common API's EdgeX reads over the native client (edgex/): its signed REST client
 * for the account (`getAccountAsset`, `updateLeverageSetting`) and public quote endpoints (`getKline`,
 * `getDepth`), so envelopes, clock sync and HMAC stay in one implementation.
 */
import { EdgeXClient, type EdgeXClientOptions } from "@paradex-edgex/edgex";
import { credentialsFromEnv, endpointsFromEnv, type Endpoints, type TradingCredentials } from "@paradex-edgex/edgex";
import type { ExchangeDriver } from "../client.ts";
import {
  balanceFromEdgex,
  candlesFromEdgex,
  edgexKlineType,
  topOfBookFromEdgex,
  type RestTopOfBook,
} from "../convert.ts";
import type { Candle, Interval } from "../klines.ts";
import { marketsFromEnv, type SymbolEntry } from "../symbols.ts";
import type { Balance } from "../types.ts";

export interface EdgexCredentials extends Endpoints {
  /** Without trading credentials the client serves market data and klines only. */
  credentials?: TradingCredentials;
  /** Markets the mapper serves (default `EDGEX_CONTRACTS`). */
  markets?: readonly string[];
  /** Anything else for the native client (timeouts, backoff). */
  client?: Partial<Omit<EdgeXClientOptions, keyof Endpoints | "credentials">>;
}

export class EdgexDriverError extends Error {
  override readonly name = "EdgexDriverError";
}

export class EdgexDriver implements ExchangeDriver {
  readonly name = "edgex" as const;
  readonly venue: EdgeXClient;
  private readonly accountId: string | undefined;

  constructor(client: EdgeXClient, accountId: string | undefined) {
    this.venue = client;
    this.accountId = accountId;
  }

  async klines(entry: SymbolEntry, interval: Interval, limit: number): Promise<Candle[]> {
    const data = await this.venue.rest.get("/api/v2/public/quote/getKline", {
      contractId: this.contractId(entry),
      klineType: edgexKlineType(interval),
      priceType: "LAST_PRICE",
      size: limit,
    });
    return candlesFromEdgex(data, interval);
  }

  async balance(): Promise<Balance> {
    const data = await this.venue.rest.get("/api/v2/private/account/getAccountAsset", { accountId: this.account() });
    const [first] = await this.venue.markets();
    if (first === undefined)
      throw new EdgexDriverError("edgex: metadata lists no contract, so the collateral coin is unknown");
    const contract = this.venue.contract(first.market);
    return balanceFromEdgex(data, contract.quoteCoinId, contract.quoteCoin);
  }

  async setLeverage(entry: SymbolEntry, leverage: string): Promise<void> {
    await this.venue.rest.post("/api/v2/private/account/updateLeverageSetting", {
      accountId: this.account(),
      contractId: this.contractId(entry),
      leverage,
    });
  }

  async topOfBook(entry: SymbolEntry): Promise<RestTopOfBook> {
    const data = await this.venue.rest.get("/api/v2/public/quote/getDepth", {
      contractId: this.contractId(entry),
      level: 15,
    });
    return topOfBookFromEdgex(data, entry.market, Date.now());
  }

  private contractId(entry: SymbolEntry): string {
    if (entry.venueId === undefined)
      throw new EdgexDriverError(`edgex: ${entry.market} has no contract id in metadata`);
    return entry.venueId;
  }

  private account(): string {
    if (this.accountId === undefined) throw new EdgexDriverError("edgex: account calls need EDGEX_* credentials");
    return this.accountId;
  }
}

export function createEdgexDriver(c: EdgexCredentials): EdgexDriver {
  const client = new EdgeXClient({
    ...(c.client ?? {}),
    restUrl: c.restUrl,
    quoteWsUrl: c.quoteWsUrl,
    privateWsUrl: c.privateWsUrl,
    ...(c.credentials === undefined ? {} : { credentials: c.credentials }),
  });
  return new EdgexDriver(client, c.credentials?.accountId);
}

/** EdgeX settings from `EDGEX_*` (edgex/src/config.ts) plus the `EDGEX_CONTRACTS` market selection. */
export function edgexCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): EdgexCredentials {
  const creds = credentialsFromEnv(env);
  const markets = marketsFromEnv("edgex", env);
  return {
    ...endpointsFromEnv(env),
    ...(creds === undefined ? {} : { credentials: creds }),
    ...(markets === undefined ? {} : { markets }),
  };
}
