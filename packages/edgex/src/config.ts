/**
 * EdgeX client settings from the environment (`EDGEX_*`). Endpoints must be given explicitly or chosen with
 * `EDGEX_ENV=prod`, so nothing reaches the real venue by accident. Secrets are kept out of `toString`/JSON.
 */
import type { ApiCredentials } from "./signing/hmac.ts";

/** Production V2 endpoints (reference §0); only used with EDGEX_ENV=prod. */
export const PROD_V2 = {
  restUrl: "https://edgex-prod-v2.edgex.exchange",
  quoteWsUrl: "wss://edgex-quote-prod-v2.edgex.exchange/api/v1/public/ws",
  privateWsUrl: "wss://edgex-quote-prod-v2.edgex.exchange/api/v1/private/ws",
} as const;

export interface Endpoints {
  readonly restUrl: string;
  readonly quoteWsUrl: string;
  readonly privateWsUrl: string;
}

export interface TradingCredentials {
  readonly accountId: string;
  readonly api: ApiCredentials;
  readonly signerKey: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Endpoints from EDGEX_REST_URL / EDGEX_QUOTE_WS_URL / EDGEX_PRIVATE_WS_URL, or EDGEX_ENV=prod. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints {
  if (env["EDGEX_ENV"] === "prod") return PROD_V2;
  const restUrl = env["EDGEX_REST_URL"];
  const quoteWsUrl = env["EDGEX_QUOTE_WS_URL"];
  if (!restUrl || !quoteWsUrl)
    throw new ConfigError(
      "set EDGEX_REST_URL and EDGEX_QUOTE_WS_URL (e.g. from the simulator's ready line), or EDGEX_ENV=prod",
    );
  return {
    restUrl,
    quoteWsUrl,
    privateWsUrl: env["EDGEX_PRIVATE_WS_URL"] || quoteWsUrl.replace(/\/public\/ws$/, "/private/ws"),
  };
}

/**
 * Trading credentials from EDGEX_ACCOUNT_ID, EDGEX_API_KEY, EDGEX_API_SECRET, EDGEX_API_PASSPHRASE and
 * EDGEX_SIGNER_KEY; undefined when none is set (market data only); an error naming (never showing) what is
 * missing when only some are.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): TradingCredentials | undefined {
  const names = [
    "EDGEX_ACCOUNT_ID",
    "EDGEX_API_KEY",
    "EDGEX_API_SECRET",
    "EDGEX_API_PASSPHRASE",
    "EDGEX_SIGNER_KEY",
  ] as const;
  const present = names.filter((n) => (env[n] ?? "") !== "");
  if (present.length === 0) return undefined;
  const missing = names.filter((n) => !present.includes(n));
  if (missing.length > 0) throw new ConfigError(`incomplete EdgeX credentials: missing ${missing.join(", ")}`);
  const creds = {
    accountId: env["EDGEX_ACCOUNT_ID"] as string,
    api: {
      apiKey: env["EDGEX_API_KEY"] as string,
      apiSecret: env["EDGEX_API_SECRET"] as string,
      passphrase: env["EDGEX_API_PASSPHRASE"] as string,
    },
    signerKey: env["EDGEX_SIGNER_KEY"] as string,
  };
  if (!/^\d+$/.test(creds.accountId)) throw new ConfigError("EDGEX_ACCOUNT_ID must be the numeric account id");
  return hideSecrets(creds);
}

/** Make the object print as "<redacted>" in logs, util.inspect and JSON. */
function hideSecrets<T extends object>(value: T): T {
  Object.defineProperty(value, "toJSON", { value: () => "<redacted credentials>", enumerable: false });
  Object.defineProperty(value, Symbol.for("nodejs.util.inspect.custom"), {
    value: () => "<redacted credentials>",
    enumerable: false,
  });
  return value;
}
