/**
 * @module venues — builds the two `Venue`s from the config: Paradex through the sidecar bridge, EdgeX native.
 *
 * In paper mode (the default) both are wrapped in `PaperVenue`, so market data is real and orders are not:
 * no credentials are read and no private channel is opened. Only `--live` passes credentials on.
 */
import { ParadexVenue } from "@paradex-edgex/paradex";
import type { BridgeLogger } from "@paradex-edgex/paradex";
import type { Venue, VenueName } from "@paradex-edgex/core";
import { EdgeXClient } from "@paradex-edgex/edgex";
import { PROD_V2, credentialsFromEnv } from "@paradex-edgex/edgex";
import type { LogFn } from "./bot.ts";
import type { BotConfig } from "./config.ts";
import { ConfigError } from "./config.ts";
import { PaperVenue } from "./paper.ts";

const PUBLIC = ["bbo", "book"];
const PRIVATE = ["orders", "fills", "positions", "account"];

/**
 * The sidecar options the bot runs with (its scenario tests use the same). A leg's latency is the bot's edge:
 * nonces drawn ahead take the curve multiplication off each order's path (equally valid signatures, not
 * byte-identical to paradex-py's; docs/SIDECAR.md, `--signing`).
 */
export const PARADEX_SIDECAR_OPTIONS = { signing: "pooled", extraArgs: ["--log-level", "WARNING"] } as const;

export function buildVenues(
  cfg: BotConfig,
  env: Record<string, string | undefined>,
  log: LogFn,
): Record<VenueName, Venue> {
  const logger: BridgeLogger = {
    info: () => {},
    warn: (m) => log("paradex_bridge", { level: "warn", message: m }),
    error: (m) => log("paradex_bridge", { level: "error", message: m }),
  };
  const paradex = new ParadexVenue({
    network: cfg.paradexEnv,
    ...(cfg.paradexWsUrl ? { wsUrl: cfg.paradexWsUrl } : {}),
    ...(cfg.paradexRestUrl ? { restUrl: cfg.paradexRestUrl } : {}),
    channels: cfg.live ? [...PUBLIC, ...PRIVATE] : PUBLIC,
    ...PARADEX_SIDECAR_OPTIONS,
    retryInitialStart: false,
    // Start-up is not on the trading path: a busy machine may take longer than the bridge's 15 s default to
    // import paradex-py, and giving up there leaves the operator with nothing. A hung child is still caught.
    helloTimeoutMs: 45_000,
    logger,
  });
  const prod = env["EDGEX_ENV"] === "prod";
  const restUrl = cfg.edgexRestUrl ?? (prod ? PROD_V2.restUrl : null);
  const quoteWsUrl = cfg.edgexQuoteWsUrl ?? (prod ? PROD_V2.quoteWsUrl : null);
  if (restUrl === null || quoteWsUrl === null) {
    throw new ConfigError(
      "EdgeX endpoints missing: set --edgex-rest and --edgex-ws (EDGEX_REST_URL, EDGEX_QUOTE_WS_URL) or EDGEX_ENV=prod",
    );
  }
  const privateWsUrl =
    cfg.edgexPrivateWsUrl ?? (prod ? PROD_V2.privateWsUrl : quoteWsUrl.replace(/\/public\/ws$/, "/private/ws"));
  const credentials = cfg.live ? credentialsFromEnv(env as NodeJS.ProcessEnv) : undefined;
  if (cfg.live && credentials === undefined)
    throw new ConfigError("--live needs EdgeX credentials (EDGEX_ACCOUNT_ID, EDGEX_API_KEY, …)");
  const edgex = new EdgeXClient({ restUrl, quoteWsUrl, privateWsUrl, ...(credentials ? { credentials } : {}) });
  if (cfg.live) return { paradex, edgex };
  return { paradex: new PaperVenue(paradex), edgex: new PaperVenue(edgex) };
}
