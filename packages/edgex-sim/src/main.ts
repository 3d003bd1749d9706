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

const USAGE = `usage: npm run edgex-sim -- [--port N] [--seed S] [--price-path FILE] [--step-ms MS]
                              [--ping-interval-ms MS] [--no-quirks] [--help]

Local EdgeX simulator (V2 API): public and private WebSockets, REST, and an HTTP control API.

options:
  --port N               TCP port on 127.0.0.1 (default: 0, a free one)
  --seed S               seed of the market process (default: 1)
  --price-path FILE      JSON lines {"t": s, "BTC": "65000.5", ...} to follow instead of the seeded walk
  --step-ms MS           market clock step in ms (default: 100)
  --ping-interval-ms MS  server ping interval in ms (default: 10000)
  --no-quirks            no production wire quirks (mixed casing, tuple levels, numeric ids, …)
  -h, --help             this help

ready line: once listening, one JSON line on stdout:
  {"type":"sim_ready","quote_ws_url":…,"private_ws_url":…,"rest_url":…,"control_url":…,"port":…,
   "pid":…,"account_id":…,"signer_address":…}
The account comes from EDGEX_ACCOUNT_ID / EDGEX_* in the environment, else a built-in test account.
Runs until SIGINT/SIGTERM (exit 0); bad arguments exit 2.
`;

function parseOptions() {
  return parseArgs({
    options: {
      port: { type: "string" },
      seed: { type: "string" },
      "price-path": { type: "string" },
      "step-ms": { type: "string" },
      "ping-interval-ms": { type: "string" },
      "no-quirks": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (err) {
    process.stderr.write(`edgex-sim: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const { values } = parsed;
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
