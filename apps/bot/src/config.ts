/**
 * @module config — flags, environment and `.env` → one frozen, validated `BotConfig`.
 *
 * Precedence: command-line flag > environment variable (`BOT_*`) > built-in default. Every knob is listed in
 * `OPTIONS` with its env name and help text, so `--help` and the README cannot drift from the parser.
 * Bad values raise `ConfigError` with the offending flag named; nothing is silently coerced.
 */
import { parseArgs } from "node:util";
import { D } from "@paradex-edgex/core/decimal";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type ResidualPolicy = "unwind" | "hedge";

export interface MarketConfig {
  /** Base coin, e.g. BTC; mapped to each venue's market by `MarketMeta.base`. */
  base: string;
  /** Intended order size in base units (rounded down to the coarser of both venues' steps). */
  size: D;
  /** Largest absolute position allowed on either venue, in base units. */
  maxPosition: D;
}

export interface BotConfig {
  live: boolean;
  markets: MarketConfig[];
  minEdgeBps: D;
  /** Threshold for trades that reduce existing positions on both venues (closing the spread). */
  exitEdgeBps: D;
  slippageBps: D;
  /** Plausibility guard: a net edge above this is a data problem, not an opportunity; entries stop. */
  maxEdgeBps: D;
  /** Plausibility guard: venue mids further apart than this (bps of the lower) stop entries. */
  maxMidGapBps: D;
  maxQuoteAgeMs: number;
  cooldownMs: number;
  legTimeoutMs: number;
  residualTimeoutMs: number;
  residualRetries: number;
  residualPolicy: ResidualPolicy;
  unwindSlippageBps: D;
  netToleranceUsd: D;
  maxDailyLossUsd: D;
  maxNetExposureUsd: D;
  maxConsecutiveFailures: number;
  stormCount: number;
  stormWindowMs: number;
  reconcileIntervalMs: number;
  journalPath: string;
  journalSync: "strict" | "after";
  resetKill: boolean;
  json: boolean;
  statusIntervalMs: number;
  /** Paradex network of the sidecar (`--env`); URLs override its endpoints (a standalone simulator). */
  paradexEnv: "prod" | "testnet" | "nightly" | "sim";
  paradexWsUrl: string | null;
  paradexRestUrl: string | null;
  edgexRestUrl: string | null;
  edgexQuoteWsUrl: string | null;
  edgexPrivateWsUrl: string | null;
  runSeconds: number | null;
}

interface Option {
  flag: string;
  env: string;
  type: "string" | "boolean";
  def: string;
  help: string;
}

/** The single list of knobs: parser, `--help` and README table all come from here. */
export const OPTIONS: readonly Option[] = [
  {
    flag: "live",
    env: "BOT_LIVE",
    type: "boolean",
    def: "false",
    help: "send real orders (default: paper mode, nothing sent)",
  },
  {
    flag: "markets",
    env: "BOT_MARKETS",
    type: "string",
    def: "BTC,ETH,SOL",
    help: "base coins to trade on both venues",
  },
  {
    flag: "size",
    env: "BOT_SIZE",
    type: "string",
    def: "BTC=0.01,ETH=0.2,SOL=5",
    help: "order size per base (base units)",
  },
  {
    flag: "max-position",
    env: "BOT_MAX_POSITION",
    type: "string",
    def: "BTC=0.05,ETH=1,SOL=25",
    help: "max absolute position per venue per base",
  },
  {
    flag: "min-edge-bps",
    env: "BOT_MIN_EDGE_BPS",
    type: "string",
    def: "5",
    help: "min net edge to open (after both taker fees and slippage)",
  },
  {
    flag: "exit-edge-bps",
    env: "BOT_EXIT_EDGE_BPS",
    type: "string",
    def: "0",
    help: "min net edge for a trade that reduces both positions",
  },
  {
    flag: "slippage-bps",
    env: "BOT_SLIPPAGE_BPS",
    type: "string",
    def: "2",
    help: "buffer subtracted from the edge and added to IOC limit prices",
  },
  {
    flag: "max-edge-bps",
    env: "BOT_MAX_EDGE_BPS",
    type: "string",
    def: "100",
    help: "plausibility: a net edge above this blocks entries (bad tick, wrong mapping, mismatched feeds)",
  },
  {
    flag: "max-mid-gap-bps",
    env: "BOT_MAX_MID_GAP_BPS",
    type: "string",
    def: "100",
    help: "plausibility: venue mids further apart than this block entries",
  },
  {
    flag: "max-quote-age-ms",
    env: "BOT_MAX_QUOTE_AGE_MS",
    type: "string",
    def: "2000",
    help: "no entry if either quote is older",
  },
  {
    flag: "cooldown-ms",
    env: "BOT_COOLDOWN_MS",
    type: "string",
    def: "250",
    help: "pause per market after an arbitrage completes",
  },
  {
    flag: "leg-timeout-ms",
    env: "BOT_LEG_TIMEOUT_MS",
    type: "string",
    def: "3000",
    help: "wait for a leg's final state before looking it up",
  },
  {
    flag: "residual-timeout-ms",
    env: "BOT_RESIDUAL_TIMEOUT_MS",
    type: "string",
    def: "10000",
    help: "bound to hedge/unwind a residual",
  },
  {
    flag: "residual-retries",
    env: "BOT_RESIDUAL_RETRIES",
    type: "string",
    def: "3",
    help: "max corrective orders per arbitrage",
  },
  {
    flag: "residual-policy",
    env: "BOT_RESIDUAL_POLICY",
    type: "string",
    def: "unwind",
    help: "unwind (reduce the filled leg) or hedge (complete the missing leg)",
  },
  {
    flag: "unwind-slippage-bps",
    env: "BOT_UNWIND_SLIPPAGE_BPS",
    type: "string",
    def: "50",
    help: "price protection for corrective IOC orders",
  },
  {
    flag: "net-tolerance-usd",
    env: "BOT_NET_TOLERANCE_USD",
    type: "string",
    def: "5",
    help: "cross-venue net position mismatch that stops entries",
  },
  {
    flag: "max-daily-loss-usd",
    env: "BOT_MAX_DAILY_LOSS_USD",
    type: "string",
    def: "100",
    help: "kill switch: realized+unrealized loss today",
  },
  {
    flag: "max-net-exposure-usd",
    env: "BOT_MAX_NET_EXPOSURE_USD",
    type: "string",
    def: "500",
    help: "kill switch: sum over markets of the absolute net notional",
  },
  {
    flag: "max-consecutive-failures",
    env: "BOT_MAX_CONSECUTIVE_FAILURES",
    type: "string",
    def: "3",
    help: "kill switch: arbitrages in a row that needed a correction or failed",
  },
  {
    flag: "storm-count",
    env: "BOT_STORM_COUNT",
    type: "string",
    def: "5",
    help: "kill switch: reconnects within --storm-window-ms",
  },
  { flag: "storm-window-ms", env: "BOT_STORM_WINDOW_MS", type: "string", def: "60000", help: "reconnect storm window" },
  {
    flag: "reconcile-interval-ms",
    env: "BOT_RECONCILE_INTERVAL_MS",
    type: "string",
    def: "5000",
    help: "compare positions with both venues' snapshots",
  },
  {
    flag: "journal",
    env: "BOT_JOURNAL",
    type: "string",
    def: "apps/bot/state/journal.jsonl",
    help: "append-only fsynced journal",
  },
  {
    flag: "journal-sync",
    env: "BOT_JOURNAL_SYNC",
    type: "string",
    def: "after",
    help: "after: intent written before the orders, fdatasync right after they leave; strict: fdatasync before",
  },
  {
    flag: "reset-kill",
    env: "BOT_RESET_KILL",
    type: "boolean",
    def: "false",
    help: "clear a kill switch tripped in a previous run",
  },
  { flag: "json", env: "BOT_JSON", type: "boolean", def: "false", help: "JSON log lines even on a TTY" },
  {
    flag: "status-interval-ms",
    env: "BOT_STATUS_INTERVAL_MS",
    type: "string",
    def: "1000",
    help: "status view / status line period",
  },
  {
    flag: "paradex-env",
    env: "PARADEX_ENV",
    type: "string",
    def: "testnet",
    help: "Paradex network for the sidecar: prod, testnet, nightly, sim",
  },
  {
    flag: "paradex-ws",
    env: "PARADEX_WS_URL",
    type: "string",
    def: "",
    help: "Paradex WebSocket URL override (e.g. a local simulator)",
  },
  {
    flag: "paradex-rest",
    env: "PARADEX_REST_URL",
    type: "string",
    def: "",
    help: "Paradex REST base URL override (…/v1)",
  },
  { flag: "edgex-rest", env: "EDGEX_REST_URL", type: "string", def: "", help: "EdgeX REST base URL" },
  { flag: "edgex-ws", env: "EDGEX_QUOTE_WS_URL", type: "string", def: "", help: "EdgeX public quote WebSocket URL" },
  {
    flag: "edgex-private-ws",
    env: "EDGEX_PRIVATE_WS_URL",
    type: "string",
    def: "",
    help: "EdgeX private WebSocket URL",
  },
  {
    flag: "run-seconds",
    env: "BOT_RUN_SECONDS",
    type: "string",
    def: "",
    help: "stop after this many seconds (demo, tests)",
  },
];

function num(flag: string, raw: string, min = 0): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || raw.trim() === "")
    throw new ConfigError(`--${flag}: expected a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function dec(flag: string, raw: string): D {
  try {
    return D.from(raw);
  } catch {
    throw new ConfigError(`--${flag}: expected a decimal, got ${JSON.stringify(raw)}`);
  }
}

function journalSync(raw: string): BotConfig["journalSync"] {
  if (raw === "strict" || raw === "after") return raw;
  throw new ConfigError(`--journal-sync: strict or after, got ${JSON.stringify(raw)}`);
}

function paradexEnv(raw: string): BotConfig["paradexEnv"] {
  if (raw === "prod" || raw === "testnet" || raw === "nightly" || raw === "sim") return raw;
  throw new ConfigError(`--paradex-env: prod, testnet, nightly or sim, got ${JSON.stringify(raw)}`);
}

/** "BTC=0.01,ETH=0.2" → Map; a bare "0.01" applies to every base. */
function perBase(flag: string, raw: string, bases: string[]): Map<string, D> {
  const out = new Map<string, D>();
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.includes("=") ? part.split("=", 2) : ["*", part];
    const value = dec(flag, v ?? "");
    if (!value.isPos()) throw new ConfigError(`--${flag}: ${part} must be positive`);
    if (k === "*") for (const b of bases) out.set(b, value);
    else out.set((k ?? "").toUpperCase(), value);
  }
  for (const b of bases) if (!out.has(b)) throw new ConfigError(`--${flag}: no value for ${b}`);
  return out;
}

/** Build the config from argv and an environment (pass `process.env`; tests pass their own). */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): BotConfig {
  const options = Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.type }])) as Record<
    string,
    { type: "string" | "boolean" }
  >;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const get = (flag: string): string => {
    const o = OPTIONS.find((x) => x.flag === flag);
    if (o === undefined) throw new ConfigError(`unknown option ${flag}`);
    const v = values[flag];
    if (v !== undefined) return String(v);
    const e = env[o.env];
    return e !== undefined && e !== "" ? e : o.def;
  };
  const bool = (flag: string): boolean => ["1", "true", "yes"].includes(get(flag).toLowerCase());

  const bases = get("markets")
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (bases.length === 0) throw new ConfigError("--markets: at least one base coin");
  const sizes = perBase("size", get("size"), bases);
  const limits = perBase("max-position", get("max-position"), bases);
  const policy = get("residual-policy");
  if (policy !== "unwind" && policy !== "hedge")
    throw new ConfigError(`--residual-policy: unwind or hedge, got ${policy}`);
  const runSeconds = get("run-seconds");
  const orNull = (s: string): string | null => (s === "" ? null : s);

  const cfg: BotConfig = {
    live: bool("live"),
    markets: bases.map((base) => ({ base, size: sizes.get(base) as D, maxPosition: limits.get(base) as D })),
    minEdgeBps: dec("min-edge-bps", get("min-edge-bps")),
    exitEdgeBps: dec("exit-edge-bps", get("exit-edge-bps")),
    slippageBps: dec("slippage-bps", get("slippage-bps")),
    maxEdgeBps: dec("max-edge-bps", get("max-edge-bps")),
    maxMidGapBps: dec("max-mid-gap-bps", get("max-mid-gap-bps")),
    maxQuoteAgeMs: num("max-quote-age-ms", get("max-quote-age-ms"), 1),
    cooldownMs: num("cooldown-ms", get("cooldown-ms")),
    legTimeoutMs: num("leg-timeout-ms", get("leg-timeout-ms"), 1),
    residualTimeoutMs: num("residual-timeout-ms", get("residual-timeout-ms"), 1),
    residualRetries: num("residual-retries", get("residual-retries"), 1),
    residualPolicy: policy,
    unwindSlippageBps: dec("unwind-slippage-bps", get("unwind-slippage-bps")),
    netToleranceUsd: dec("net-tolerance-usd", get("net-tolerance-usd")),
    maxDailyLossUsd: dec("max-daily-loss-usd", get("max-daily-loss-usd")),
    maxNetExposureUsd: dec("max-net-exposure-usd", get("max-net-exposure-usd")),
    maxConsecutiveFailures: num("max-consecutive-failures", get("max-consecutive-failures"), 1),
    stormCount: num("storm-count", get("storm-count"), 1),
    stormWindowMs: num("storm-window-ms", get("storm-window-ms"), 1),
    reconcileIntervalMs: num("reconcile-interval-ms", get("reconcile-interval-ms"), 100),
    journalPath: get("journal"),
    journalSync: journalSync(get("journal-sync")),
    resetKill: bool("reset-kill"),
    json: bool("json"),
    statusIntervalMs: num("status-interval-ms", get("status-interval-ms"), 50),
    paradexEnv: paradexEnv(get("paradex-env")),
    paradexWsUrl: orNull(get("paradex-ws")),
    paradexRestUrl: orNull(get("paradex-rest")),
    edgexRestUrl: orNull(get("edgex-rest")),
    edgexQuoteWsUrl: orNull(get("edgex-ws")),
    edgexPrivateWsUrl: orNull(get("edgex-private-ws")),
    runSeconds: runSeconds === "" ? null : num("run-seconds", runSeconds, 0),
  };
  if (!cfg.maxEdgeBps.gt(cfg.minEdgeBps)) throw new ConfigError("--max-edge-bps must be above --min-edge-bps");
  if (!cfg.maxMidGapBps.isPos()) throw new ConfigError("--max-mid-gap-bps must be positive");
  for (const [flag, v] of [
    ["slippage-bps", cfg.slippageBps],
    ["unwind-slippage-bps", cfg.unwindSlippageBps],
    ["net-tolerance-usd", cfg.netToleranceUsd],
  ] as const) {
    if (v.isNeg()) throw new ConfigError(`--${flag} must not be negative`);
  }
  return Object.freeze(cfg);
}

/** `--help` text generated from OPTIONS. */
export function helpText(): string {
  const rows = OPTIONS.map((o) => `  --${o.flag.padEnd(26)} ${o.help} [${o.env}${o.def ? `, default ${o.def}` : ""}]`);
  return ["Usage: npm run bot -- [options]   (paper mode unless --live)", "", ...rows].join("\n");
}
