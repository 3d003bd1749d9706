/**
 * CLI of the EdgeX simulator: `npm run edgex-sim -- --port N --seed S [--price-path FILE] [--step-ms MS]
 * [--ping-interval-ms MS] [--no-quirks]`. Prints one JSON ready line on stdout, then runs until SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { accountFromEnv } from "./fixtures.ts";
import { startEdgexSim } from "./server.ts";

function intArg(name: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`edgex-sim: --${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      seed: { type: "string" },
      "price-path": { type: "string" },
      "step-ms": { type: "string" },
      "ping-interval-ms": { type: "string" },
      "no-quirks": { type: "boolean" },
    },
    strict: true,
  });
  const account = accountFromEnv(process.env);
  const sim = await startEdgexSim({
    port: intArg("port", values.port, 0),
    seed: intArg("seed", values.seed, 1),
    stepMs: Math.max(1, intArg("step-ms", values["step-ms"], 100)),
    pingIntervalMs: Math.max(10, intArg("ping-interval-ms", values["ping-interval-ms"], 10_000)),
    quirks: values["no-quirks"] !== true,
    accounts: [account],
    ...(values["price-path"] !== undefined ? { pricePath: values["price-path"] } : {}),
  });
  // Account id and signer address are not secrets; the API secret and keys never leave the process.
  process.stdout.write(
    `${JSON.stringify({
      type: "sim_ready",
      quote_ws_url: sim.quoteWsUrl,
      private_ws_url: sim.privateWsUrl,
      rest_url: sim.restUrl,
      control_url: sim.controlUrl,
      port: sim.port,
      pid: process.pid,
      account_id: account.accountId,
      signer_address: account.signerAddress,
    })}\n`,
  );
  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`edgex-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
