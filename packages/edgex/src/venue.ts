/**
 * The EdgeX side of the bot's `Venue` interface: `EdgeXClient` implements it; this builds one from the
 * `EDGEX_*` environment (see edgex/README.md).
 */
import type { Venue } from "@paradex-edgex/core";
import { EdgeXClient, type EdgeXClientOptions } from "./client.ts";
import { credentialsFromEnv, endpointsFromEnv } from "./config.ts";

/** An EdgeX venue from EDGEX_* variables; market data only when no credentials are set. */
export function edgexVenueFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  tuning: Partial<EdgeXClientOptions> = {},
): EdgeXClient & Venue {
  const credentials = credentialsFromEnv(env);
  return new EdgeXClient({ ...endpointsFromEnv(env), ...(credentials ? { credentials } : {}), ...tuning });
}

export { EdgeXClient };
