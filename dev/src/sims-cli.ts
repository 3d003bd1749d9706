/**
 * @module sims-cli — `npm run sims -- [--seed N] [-- COMMAND …]`: both simulators, standalone, on ONE price path.
 *
 * Two simulators started by hand each walk their own random price (≈95k vs ≈65k BTC): a bot pointed at them
 * sees a 4,600 bps "edge" that is no market at all. This starts both from the same seeded reference walk (the
 * demo's), prints one JSON line with their endpoints, and exports them, with the EdgeX simulator's public test
 * account, in the variable names the bot and the clients read. With a COMMAND, it runs it in that environment
 * and stops the simulators when it exits (its exit code is ours); without one, it runs until SIGINT/SIGTERM.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEV_ACCOUNT, DEV_SIGNER_KEY } from "@paradex-edgex/edgex-sim";
import { writePaths } from "./pricepath.ts";
import { startEdgex, startParadexSim } from "./sims.ts";

const USAGE = "Usage: npm run sims -- [--seed N] [-- COMMAND [ARG…]]";

function parse(argv: string[]): { seed: number; command: string[] } | string {
  const sep = argv.indexOf("--");
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const command = sep >= 0 ? argv.slice(sep + 1) : [];
  let seed = 1;
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a === "--seed") {
      seed = Number(own[++i]);
      if (!Number.isInteger(seed)) return "--seed needs an integer";
    } else if (a === "--help" || a === "-h") return "help";
    else return `unknown argument ${String(a)}`;
  }
  return { seed, command };
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof args === "string") {
    process.stderr.write(`sims: ${args}\n${USAGE}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "arb-sims-"));
  try {
    const paths = writePaths(dir, { seed: args.seed, seconds: 3600 });
    const [paradex, edgex] = await Promise.all([
      startParadexSim({ seed: args.seed, pricePath: paths.paradex, bboRate: 10 }),
      startEdgex({ seed: args.seed, pricePath: paths.edgex }),
    ]);
    const env: Record<string, string> = {
      PARADEX_ENV: "sim",
      PARADEX_WS_URL: paradex.wsUrl,
      PARADEX_REST_URL: paradex.restUrl,
      EDGEX_REST_URL: edgex.restUrl,
      EDGEX_QUOTE_WS_URL: edgex.quoteWsUrl,
      EDGEX_PRIVATE_WS_URL: edgex.privateWsUrl,
      // The EdgeX simulator's public test account: not a secret, never valid on the real exchange.
      EDGEX_ACCOUNT_ID: DEV_ACCOUNT.accountId,
      EDGEX_API_KEY: DEV_ACCOUNT.apiKey,
      EDGEX_API_SECRET: DEV_ACCOUNT.apiSecret,
      EDGEX_API_PASSPHRASE: DEV_ACCOUNT.passphrase,
      EDGEX_SIGNER_KEY: DEV_SIGNER_KEY,
    };
    const { EDGEX_API_SECRET: _s, EDGEX_SIGNER_KEY: _k, ...shown } = env;
    process.stdout.write(`${JSON.stringify({ type: "sims_ready", seed: args.seed, env: shown })}\n`);
    try {
      if (args.command.length === 0) {
        await new Promise<void>((resolve) => {
          process.once("SIGINT", () => resolve());
          process.once("SIGTERM", () => resolve());
        });
        return 0;
      }
      const [cmd, ...rest] = args.command as [string, ...string[]];
      const child = spawn(cmd, rest, { stdio: "inherit", env: { ...process.env, ...env } });
      const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
      process.on("SIGINT", forward);
      process.on("SIGTERM", forward);
      return await new Promise<number>((resolve) => {
        child.once("error", (err) => {
          process.stderr.write(`sims: cannot run ${cmd}: ${err.message}\n`);
          resolve(127);
        });
        child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
      });
    } finally {
      await Promise.allSettled([paradex.stop(), edgex.stop()]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sims: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
