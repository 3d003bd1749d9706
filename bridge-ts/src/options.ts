/**
 * @module options — how a `ParadexSidecar` is configured: its options, its loggers, and the command line
 * they turn into (`<repo>/.venv/bin/python -m paradex_ws_service …` unless overridden).
 */
import { fileURLToPath } from "node:url";
import type { StopTimings } from "./process.ts";
import type { RestartPolicy } from "./supervisor.ts";

/** The repository root, found from this file so the bridge works from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

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
  /** More CLI arguments, appended as given. */
  extraArgs?: readonly string[];
  /** Python interpreter (default `<repo>/.venv/bin/python`). */
  python?: string;
  /** Full override of the program and its arguments (then `python`, `network`… are ignored). */
  command?: { command: string; args: readonly string[] };
  /** Working directory of the child (default: the repository root, where `.env.paradex` is read). */
  cwd?: string;
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
  /** When the very first child fails to become ready, retry instead of rejecting `start()` (default false). */
  retryInitialStart?: boolean;
  stop?: StopTimings;
  /** Longest accepted stdout line (default 4 MiB); longer lines are reported and discarded. */
  maxLineLength?: number;
  logger?: BridgeLogger;
}

/** The program and arguments that start the sidecar for these options. */
export function sidecarCommand(o: ParadexSidecarOptions): { command: string; args: readonly string[] } {
  if (o.command !== undefined) return o.command;
  const args = ["-m", "paradex_ws_service"];
  if (o.network !== undefined) args.push("--env", o.network);
  if (o.markets !== undefined) args.push("--markets", o.markets.join(","));
  if (o.channels !== undefined) args.push("--channels", o.channels.join(","));
  if (o.wsUrl !== undefined) args.push("--ws-url", o.wsUrl);
  if (o.restUrl !== undefined) args.push("--rest-url", o.restUrl);
  if (o.statsIntervalS !== undefined) args.push("--stats-interval", String(o.statsIntervalS));
  args.push(...(o.extraArgs ?? []));
  return { command: o.python ?? `${REPO_ROOT}.venv/bin/python`, args };
}
