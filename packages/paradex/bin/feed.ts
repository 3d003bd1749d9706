/**
 * @module feed — example CLI: a live one-line-per-market BBO view through the bridge.
 *
 *   npm run feed -- --env sim --markets BTC-USD-PERP,ETH-USD-PERP
 *   npm run feed -- --ws-url ws://127.0.0.1:8787/ws/v1 --rest-url http://127.0.0.1:8787/v1 --markets BTC-USD-PERP
 *
 * On a terminal the lines are redrawn in place; piped, one line is printed per update. Lifecycle and
 * status changes go to stderr. Ctrl-C closes the sidecar cleanly. Arguments after `--` go to the sidecar.
 */
import { parseArgs } from "node:util";
import { ParadexSidecar, silentLogger, stderrLogger, type ParadexSidecarOptions } from "../src/sidecar.ts";
import type { BboEvent } from "../src/schema.ts";

const USAGE = `usage: npm run feed -- [--env sim|testnet|prod|nightly] [--markets A,B] [--channels bbo,trades]
                     [--ws-url URL] [--rest-url URL] [--python PATH] [--verbose] [-- sidecar args…]`;

interface Row {
  bbo: BboEvent;
  at: number;
  updates: number;
}

function parse(): { options: ParadexSidecarOptions; markets: string[] } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      env: { type: "string", default: "sim" },
      markets: { type: "string", default: "BTC-USD-PERP" },
      channels: { type: "string", default: "bbo" },
      "ws-url": { type: "string" },
      "rest-url": { type: "string" },
      python: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const network = values.env;
  if (network !== "sim" && network !== "testnet" && network !== "prod" && network !== "nightly") {
    throw new Error(`--env must be sim, testnet, prod or nightly, not ${network}`);
  }
  const markets = values.markets.split(",").filter((m) => m.length > 0);
  const options: ParadexSidecarOptions = {
    network,
    markets,
    channels: values.channels.split(",").filter((c) => c.length > 0),
    extraArgs: positionals,
    logger: values.verbose ? stderrLogger : silentLogger,
    retryInitialStart: false,
  };
  if (values["ws-url"] !== undefined) options.wsUrl = values["ws-url"];
  if (values["rest-url"] !== undefined) options.restUrl = values["rest-url"];
  if (values.python !== undefined) options.python = values.python;
  return { options, markets };
}

function formatRow(market: string, row: Row | undefined, now: number): string {
  if (row === undefined) return `${market.padEnd(16)} (waiting for a bbo)`;
  const { bbo } = row;
  const side = (px: string | null, sz: string | null): string => `${px ?? "-"} × ${sz ?? "-"}`;
  // Display only: the spread in basis points is approximate (floats), never used for an order.
  const spread =
    bbo.bid !== null && bbo.ask !== null
      ? `${(((Number(bbo.ask) - Number(bbo.bid)) / Number(bbo.bid)) * 1e4).toFixed(2)} bp`
      : "-";
  const age = Math.max(0, Math.round(now - row.at));
  return `${market.padEnd(16)} bid ${side(bbo.bid, bbo.bid_size).padEnd(26)} ask ${side(bbo.ask, bbo.ask_size).padEnd(26)} spread ${spread.padEnd(10)} age ${String(age).padStart(5)} ms  n=${row.updates}`;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parse();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const { options, markets } = parsed;
  const sidecar = new ParadexSidecar(options);
  const rows = new Map<string, Row>();
  const tty = process.stdout.isTTY === true;
  let drawn = false;

  // A message printed between redraws moves the cursor: the next draw starts below it, not over it.
  const note = (message: string): void => {
    process.stderr.write(`${message}\n`);
    drawn = false;
  };
  const draw = (): void => {
    const now = Date.now();
    if (drawn) process.stdout.write(`\x1b[${markets.length}F`);
    for (const m of markets) process.stdout.write(`\x1b[2K${formatRow(m, rows.get(m), now)}\n`);
    drawn = true;
  };

  sidecar.on("bbo", (bbo) => {
    const row = rows.get(bbo.market);
    rows.set(bbo.market, { bbo, at: Date.now(), updates: (row?.updates ?? 0) + 1 });
    if (!tty) process.stdout.write(`${formatRow(bbo.market, rows.get(bbo.market), Date.now())}\n`);
  });
  sidecar.on("lifecycle", (e) => {
    const detail =
      e.state === "restarting"
        ? ` attempt ${e.attempt} in ${e.delay_ms} ms: ${e.reason}`
        : e.state === "stopped"
          ? `: ${e.reason}`
          : "";
    note(`[bridge] ${e.state}${detail}`);
  });
  sidecar.on("status", (s) => {
    if (options.logger === stderrLogger || s.state !== "subscribed") {
      note(`[sidecar] ${s.state} ${s.channel ?? ""} ${s.market ?? ""} ${s.reason ?? ""}`.trimEnd());
    }
  });
  sidecar.on("error", (e) => note(`[error] ${e.code}: ${e.message}`));

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void sidecar.close().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // `npm run feed | head` closes our stdout: stop cleanly instead of dying on EPIPE.
  process.stdout.on("error", shutdown);

  try {
    const hello = await sidecar.start();
    note(`[bridge] sidecar ${hello.version} pid ${hello.pid} env ${hello.env}, protocol ${hello.protocol}`);
  } catch (err) {
    process.stderr.write(`[bridge] could not start the sidecar: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (tty) setInterval(draw, 200).unref();
}

await main();
