/**
 * Health report of both venues against their local simulators for a few seconds, printed the way a status view
 * would (`formatHealth`). Run: `npx tsx toolkit/bench/health.ts [seconds]`. Starts and stops its own simulators.
 */
import { silentLogger } from "@paradex-edgex/paradex";
import { TEST_EDGEX_ENV, startEdgex, startParadexSim } from "@paradex-edgex/dev/sims";
import { createExchange } from "../src/factory.ts";
import { HealthMonitor, formatHealth } from "../src/health.ts";
import { edgexCredentialsFromEnv } from "../src/drivers/edgex.ts";

const seconds = Number(process.argv[2] ?? 10);
const pdxSim = await startParadexSim({ seed: 3, bboRate: 20, tradeRate: 5 });
const edxSim = await startEdgex({ seed: 3, separateProcess: true });
const health = new HealthMonitor();
const paradex = createExchange("paradex", {
  network: "sim",
  wsUrl: pdxSim.wsUrl,
  restUrl: pdxSim.restUrl,
  markets: ["BTC-USD-PERP", "ETH-USD-PERP"],
  bridge: { channels: ["bbo", "trades"], extraArgs: ["--log-level", "WARNING"], logger: silentLogger },
});
const edgex = createExchange(
  "edgex",
  edgexCredentialsFromEnv({
    EDGEX_REST_URL: edxSim.restUrl,
    EDGEX_QUOTE_WS_URL: edxSim.quoteWsUrl,
    EDGEX_PRIVATE_WS_URL: edxSim.privateWsUrl,
    EDGEX_CONTRACTS: "BTC,ETH",
    ...TEST_EDGEX_ENV,
  }),
);
try {
  health.attach("paradex", paradex.venue);
  health.attach("edgex", edgex.venue);
  await Promise.all([paradex.connect(), edgex.connect()]);
  for (const s of edgex.symbols.symbols()) {
    await edgex.venue.subscribe("bbo", edgex.symbols.toVenue(s));
    await edgex.venue.subscribe("trades", edgex.symbols.toVenue(s));
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const line of formatHealth(health.report())) console.log(line);
} finally {
  await Promise.allSettled([paradex.close(), edgex.close()]);
  await Promise.allSettled([pdxSim.stop(), edxSim.stop()]);
}
