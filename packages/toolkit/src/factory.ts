/**
 * @module factory — `createExchange('paradex' | 'edgex', credentials)` and `exchangeFromEnv()` (the `EXCHANGE`
 * variable): the one place that knows how to assemble each venue's client from configuration.
 *
 * Credentials are handed to the venue code and never echoed: errors name missing variables, not their values.
 */
import { ParadexVenue, type ParadexVenueOptions } from "@paradex-edgex/paradex";
import type { VenueName } from "@paradex-edgex/core";
import { ExchangeClient } from "./client.ts";
import { ParadexDriver } from "./drivers/paradex.ts";
import { createEdgexDriver, edgexCredentialsFromEnv, type EdgexCredentials } from "./drivers/edgex.ts";
import { marketsFromEnv } from "./symbols.ts";

export const EXCHANGES: readonly VenueName[] = ["paradex", "edgex"];

export class ExchangeConfigError extends Error {
  override readonly name = "ExchangeConfigError";
}

export interface ParadexCredentials {
  /** Sidecar network (`sim` = the sidecar's embedded simulator unless URLs are given). Default `testnet`. */
  network?: "prod" | "testnet" | "nightly" | "sim";
  wsUrl?: string;
  /** REST root (`…/v1`); required for `sim`, defaulted from the network otherwise. */
  restUrl?: string;
  /** Private access (orders, balance, positions): L1 address with an L2 or L1 private key. */
  l1Address?: string;
  l2PrivateKey?: string;
  l1PrivateKey?: string;
  /** Main account L2 address when the key is a subkey. */
  l2Address?: string;
  /** Markets the sidecar streams and the mapper serves (default `PARADEX_MARKETS`). */
  markets?: readonly string[];
  /** Anything else for the bridge (logger, timeouts, python). */
  bridge?: Partial<ParadexVenueOptions>;
}

export type { EdgexCredentials };

export type CredentialsOf<N extends VenueName> = N extends "paradex" ? ParadexCredentials : EdgexCredentials;

const PARADEX_REST: Readonly<Record<string, string>> = {
  prod: "https://api.prod.paradex.trade/v1",
  testnet: "https://api.testnet.paradex.trade/v1",
  nightly: "https://api.nightly.paradex.trade/v1",
};

/** Validate an exchange name; the error lists the known ones. */
export function exchangeName(name: unknown): VenueName {
  const n = typeof name === "string" ? name.trim().toLowerCase() : "";
  if ((EXCHANGES as readonly string[]).includes(n)) return n as VenueName;
  throw new ExchangeConfigError(`unknown exchange ${JSON.stringify(name)} (known: ${EXCHANGES.join(", ")})`);
}

export function createExchange<N extends VenueName>(name: N, credentials: CredentialsOf<N>): ExchangeClient;
export function createExchange(name: string, credentials: ParadexCredentials | EdgexCredentials): ExchangeClient;
export function createExchange(name: string, credentials: ParadexCredentials | EdgexCredentials): ExchangeClient {
  const venue = exchangeName(name);
  if (venue === "paradex") return createParadex(credentials as ParadexCredentials);
  const creds = credentials as EdgexCredentials;
  return new ExchangeClient(createEdgexDriver(creds), creds.markets === undefined ? {} : { markets: creds.markets });
}

function createParadex(c: ParadexCredentials): ExchangeClient {
  const network = c.network ?? "testnet";
  const restUrl = c.restUrl ?? PARADEX_REST[network];
  if (restUrl === undefined)
    throw new ExchangeConfigError("paradex: restUrl (PARADEX_REST_URL) is required with network sim");
  // The sidecar reads a simulator's credentials only under PARADEX_SIM_*, an exchange's only under PARADEX_*.
  const prefix = credentialPrefix(network);
  const secrets: Record<string, string> = {};
  if (c.l1Address !== undefined) secrets[`${prefix}L1_ADDRESS`] = c.l1Address;
  if (c.l2PrivateKey !== undefined) secrets[`${prefix}L2_PRIVATE_KEY`] = c.l2PrivateKey;
  if (c.l1PrivateKey !== undefined) secrets[`${prefix}L1_PRIVATE_KEY`] = c.l1PrivateKey;
  if (c.l2Address !== undefined) secrets[`${prefix}L2_ADDRESS`] = c.l2Address;
  const bridge = c.bridge ?? {};
  const venue = new ParadexVenue({
    ...bridge,
    network,
    restUrl,
    ...(c.wsUrl === undefined ? {} : { wsUrl: c.wsUrl }),
    ...(c.markets === undefined ? {} : { markets: c.markets }),
    env: { ...(bridge.env ?? {}), ...secrets },
  });
  return new ExchangeClient(new ParadexDriver(venue, restUrl), c.markets === undefined ? {} : { markets: c.markets });
}

/** Where the sidecar reads credentials for `network`: `PARADEX_SIM_*` for the simulator, else `PARADEX_*`. */
export function credentialPrefix(network: string): string {
  return network === "sim" ? "PARADEX_SIM_" : "PARADEX_";
}

/** Paradex credentials from `PARADEX_*` (the names the sidecar reads; see .env.paradex.example), or from
 * `PARADEX_SIM_*` when `PARADEX_ENV=sim`. */
export function paradexCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): ParadexCredentials {
  const network = env["PARADEX_ENV"] ?? "testnet";
  if (!["prod", "testnet", "nightly", "sim"].includes(network)) {
    throw new ExchangeConfigError(`PARADEX_ENV must be prod, testnet, nightly or sim, got ${JSON.stringify(network)}`);
  }
  const c: ParadexCredentials = { network: network as ParadexCredentials["network"] };
  const set = <K extends keyof ParadexCredentials>(key: K, value: ParadexCredentials[K] | undefined): void => {
    if (value !== undefined && value !== "") c[key] = value;
  };
  set("wsUrl", env["PARADEX_WS_URL"]);
  set("restUrl", env["PARADEX_REST_URL"]);
  const prefix = credentialPrefix(network);
  set("l1Address", env[`${prefix}L1_ADDRESS`]);
  set("l2PrivateKey", env[`${prefix}L2_PRIVATE_KEY`]);
  set("l1PrivateKey", env[`${prefix}L1_PRIVATE_KEY`]);
  set("l2Address", env[`${prefix}L2_ADDRESS`]);
  set("markets", marketsFromEnv("paradex", env));
  return c;
}

/** The client named by `EXCHANGE`, configured from that venue's variables. */
export function exchangeFromEnv(env: NodeJS.ProcessEnv = process.env): ExchangeClient {
  const raw = env["EXCHANGE"];
  if (raw === undefined || raw.trim() === "") {
    throw new ExchangeConfigError(`EXCHANGE is not set (known: ${EXCHANGES.join(", ")})`);
  }
  const name = exchangeName(raw);
  return name === "paradex"
    ? createExchange("paradex", paradexCredentialsFromEnv(env))
    : createExchange("edgex", edgexCredentialsFromEnv(env));
}
