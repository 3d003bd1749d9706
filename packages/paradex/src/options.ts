/**
 * @module options — how a `ParadexSidecar` is configured: its options, its loggers, and the command line
 * they turn into (`paradex-ws …` from `PATH` unless overridden).
 *
 * The sidecar is a separate Python distribution (`pip install paradex-ws-service`), so the bridge never
 * looks inside its own package folder for it: the program comes from `PATH`, `$PARADEX_WS_BIN`, or the
 * `executable`/`python`/`command` options, and the child runs in the application's working directory, so
 * it reads the application's `.env.paradex` (or the `envFile` given), never the bridge's.
 */
import { resolve } from "node:path";
import type { StopTimings } from "./process.ts";
import type { RestartPolicy } from "./supervisor.ts";

/** The sidecar's console script, looked up on `PATH` when nothing else is configured. */
export const DEFAULT_SIDECAR_EXECUTABLE = "paradex-ws";

export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Default logger: stderr, prefixed, so the sidecar's logs stay visible next to the parent's. */
export const stderrLogger: BridgeLogger = {
  info: (m) => process.stderr.write(`[paradex-bridge] ${m}\n`),
  warn: (m) => process.stderr.write(`[paradex-bridge] WARN ${m}\n`),
  error: (m) => process.stderr.write(`[paradex-bridge] ERROR ${m}\n`),
};

export const silentLogger: BridgeLogger = { info: () => {}, warn: () => {}, error: () => {} };

export interface ParadexSidecarOptions {
  /** Sidecar network: `--env` of the CLI (`sim` runs the embedded simulator). */
  network?: "prod" | "testnet" | "nightly" | "sim";
  markets?: readonly string[];
  channels?: readonly string[];
  wsUrl?: string;
  restUrl?: string;
  /** `--stats-interval` in seconds; `stats` lines double as heartbeats. */
  statsIntervalS?: number;
  /**
   * `--signing`: `deterministic` (the sidecar's default: RFC 6979 nonces, signatures byte-identical to
   * paradex-py's) or `pooled` (random nonces whose curve multiplication is done ahead while idle: faster
   * orders, equally valid signatures; docs/SIDECAR.md).
   */
  signing?: "deterministic" | "pooled";
  /** More CLI arguments, appended as given. */
  extraArgs?: readonly string[];
  /**
   * The sidecar program (default: `$PARADEX_WS_BIN`, else `paradex-ws` on `PATH`, as `pip install` puts it).
   */
  executable?: string;
  /** Run `<python> -m paradex_ws_service` instead of the console script (a venv's interpreter, say). */
  python?: string;
  /** Full override of the program and its arguments (then `executable`, `python`, `network`… are ignored). */
  command?: { command: string; args: readonly string[] };
  /** Working directory of the child (default: `process.cwd()`, the application's). */
  cwd?: string;
  /** A `.env.paradex`-style file for the child (`PARADEX_ENV_FILE`), resolved against `cwd`. */
  envFile?: string;
  /** Extra environment for the child; the parent's is reduced to an allowlist plus `PARADEX_*`. */
  env?: Record<string, string>;
  envAllowlist?: readonly string[];
  /** Deadline for `hello` after spawn (default 15,000 ms; importing paradex-py alone takes ≈1.4 s). */
  helloTimeoutMs?: number;
  /** Default deadline of a command (default 5,000 ms; each call may override it). */
  commandTimeoutMs?: number;
  /** Silence longer than this (no line at all, ping unanswered) means a hung child (default 5,000 ms). */
  heartbeatWindowMs?: number;
  restart?: Partial<RestartPolicy>;
  /**
   * Keep a warm standby child (started with `--standby`: imports done, waiting for `go`) so that a crash
   * costs a reconnect rather than a Python start-up. Default: on, unless `command` replaces the program
   * (it may not know the flag).
   */
  warmStandby?: boolean;
  /** How long after a child is ready its standby is started (default 500 ms). */
  standbyDelayMs?: number;
  /** When the very first child fails to become ready, retry instead of rejecting `start()` (default false). */
  retryInitialStart?: boolean;
  stop?: StopTimings;
  /** Longest accepted stdout line (default 4 MiB); longer lines are reported and discarded. */
  maxLineLength?: number;
  logger?: BridgeLogger;
}

/** The program and arguments that start the sidecar for these options. */
export function sidecarCommand(
  o: ParadexSidecarOptions,
  env: NodeJS.ProcessEnv = process.env,
): { command: string; args: readonly string[] } {
  if (o.command !== undefined) return o.command;
  const args: string[] = o.python !== undefined ? ["-m", "paradex_ws_service"] : [];
  if (o.network !== undefined) args.push("--env", o.network);
  if (o.markets !== undefined) args.push("--markets", o.markets.join(","));
  if (o.channels !== undefined) args.push("--channels", o.channels.join(","));
  if (o.wsUrl !== undefined) args.push("--ws-url", o.wsUrl);
  if (o.restUrl !== undefined) args.push("--rest-url", o.restUrl);
  if (o.statsIntervalS !== undefined) args.push("--stats-interval", String(o.statsIntervalS));
  if (o.signing !== undefined) args.push("--signing", o.signing);
  args.push(...(o.extraArgs ?? []));
  if (o.python !== undefined) return { command: o.python, args };
  return { command: o.executable ?? env["PARADEX_WS_BIN"] ?? DEFAULT_SIDECAR_EXECUTABLE, args };
}

/** The child's working directory and the environment entries that follow from the options. */
export function sidecarPlace(o: ParadexSidecarOptions): { cwd: string; env: Record<string, string> } {
  const cwd = o.cwd ?? process.cwd();
  const env: Record<string, string> = { ...(o.env ?? {}) };
  if (o.envFile !== undefined) env["PARADEX_ENV_FILE"] = resolve(cwd, o.envFile);
  return { cwd, env };
}
