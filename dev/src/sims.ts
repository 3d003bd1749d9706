/**
 * @module sims — the one TypeScript launcher of the two local simulators (loopback only), used by the demo,
 * `npm run sims`, the tests and the benchmarks.
 *
 * Paradex: the Python simulator as a child process (`python -m paradex_sim --port 0`), read from its
 * `sim_ready` line. EdgeX: the TypeScript simulator in-process by default, or as a child process
 * (`separateProcess`) when its work must not share the caller's event loop (health and latency figures).
 * Both take a seed and a price path; both expose `/_sim/<action>` controls for fault injection.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startEdgexSim, type EdgexSim } from "@paradex-edgex/edgex-sim";
import { REPO_ROOT, within } from "./testing.ts";

export interface SimControl {
  controlUrl: string;
  /** POST /_sim/<action> with a JSON body; throws on a non-ok answer. */
  control(action: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** GET /_sim/<action>?query. */
  query(action: string, params?: Record<string, string>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface ParadexSimHandle extends SimControl {
  wsUrl: string;
  restUrl: string;
  pid: number;
}

export interface EdgexSimHandle extends SimControl {
  /** The in-process simulator (undefined when it runs as a child process). */
  sim: EdgexSim | undefined;
  restUrl: string;
  quoteWsUrl: string;
  privateWsUrl: string;
  accountId: string;
}

export interface ParadexSimOptions {
  seed?: number;
  pricePath?: string;
  bboRate?: number;
  tradeRate?: number;
  /** Further `paradex-sim` flags (see `paradex-sim --help`). */
  args?: readonly string[];
  /** The simulator's stderr on this process's stderr (also `BRIDGE_TEST_VERBOSE=1`). */
  verbose?: boolean;
}

export interface EdgexSimOptions {
  seed?: number;
  pricePath?: string;
  stepMs?: number;
  /** Production wire quirks (mixed casing, tuple levels, numeric ids…); on unless false. */
  quirks?: boolean;
  /** Run it as its own process (`packages/edgex-sim/src/main.ts`) with `TEST_EDGEX_ENV` as its account. */
  separateProcess?: boolean;
}

/** Test-only paper credentials, given to a separate-process EdgeX simulator and its client alike. */
export const TEST_EDGEX_ENV = {
  EDGEX_ACCOUNT_ID: "700000000000000001",
  EDGEX_API_KEY: "toolkit-test-key",
  EDGEX_API_SECRET: "toolkit-test-secret",
  EDGEX_API_PASSPHRASE: "toolkit-test-pass",
  EDGEX_SIGNER_KEY: `0x${"1f".repeat(32)}`,
} as const;

// 60 s: a loaded 2-core machine imports the Paradex simulator's stack in well over 15 s.
const READY_WITHIN_MS = 60_000;

function controlClient(controlUrl: string): Pick<SimControl, "control" | "query"> {
  const call = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // 30 s: a simulator still draining a 100k frames/s burst answers its control API late.
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok || json["ok"] === false) throw new Error(`sim ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    control: (action, body = {}) => call("POST", `${controlUrl}/${action}`, body),
    query: (action, params = {}) => call("GET", `${controlUrl}/${action}?${new URLSearchParams(params).toString()}`),
  };
}

/** Spawns a simulator and resolves with its parsed ready line; one that never gets ready is killed. */
async function spawnReady(
  what: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  verbose: boolean,
): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", verbose ? "inherit" : "ignore"],
  });
  const rl = createInterface({ input: child.stdout! });
  const line = await within(
    new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`${what} exited with ${String(code)} before sim_ready`)));
    }),
    READY_WITHIN_MS,
    `${what} sim_ready`,
  ).catch((err: unknown) => {
    child.kill("SIGKILL");
    throw err;
  });
  return { child, ready: JSON.parse(line) as Record<string, unknown> };
}

function stopChild(child: ChildProcess, what: string): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await within(gone, 5000, `${what} exit`).catch(() => child.kill("SIGKILL"));
  };
}

export async function startParadexSim(o: ParadexSimOptions = {}): Promise<ParadexSimHandle> {
  const args = ["-m", "paradex_sim", "--port", "0", "--log-level", "WARNING"];
  if (o.seed !== undefined) args.push("--seed", String(o.seed));
  if (o.pricePath) args.push("--price-path", o.pricePath);
  if (o.bboRate !== undefined) args.push("--bbo-rate", String(o.bboRate));
  if (o.tradeRate !== undefined) args.push("--trade-rate", String(o.tradeRate));
  args.push(...(o.args ?? []));
  const verbose = o.verbose === true || process.env["BRIDGE_TEST_VERBOSE"] === "1";
  const { child, ready } = await spawnReady(
    "Paradex simulator",
    `${REPO_ROOT}.venv/bin/python`,
    args,
    process.env,
    verbose,
  );
  const controlUrl = String(ready["control_url"]);
  return {
    wsUrl: String(ready["ws_url"]),
    restUrl: String(ready["rest_url"]),
    controlUrl,
    pid: Number(ready["pid"]),
    ...controlClient(controlUrl),
    stop: stopChild(child, "Paradex simulator"),
  };
}

export async function startEdgex(o: EdgexSimOptions = {}): Promise<EdgexSimHandle> {
  return o.separateProcess === true ? startEdgexProcess(o) : startEdgexInProcess(o);
}

async function startEdgexInProcess(o: EdgexSimOptions): Promise<EdgexSimHandle> {
  const sim = await startEdgexSim({
    seed: o.seed ?? 1,
    port: 0,
    ...(o.pricePath ? { pricePath: o.pricePath } : {}),
    ...(o.stepMs ? { stepMs: o.stepMs } : {}),
    ...(o.quirks === false ? { quirks: false } : {}),
  });
  return {
    sim,
    restUrl: sim.restUrl,
    quoteWsUrl: sim.quoteWsUrl,
    privateWsUrl: sim.privateWsUrl,
    accountId: sim.accounts[0]?.accountId ?? "",
    ...controlClient(sim.controlUrl),
    controlUrl: sim.controlUrl,
    stop: () => sim.stop(),
  };
}

async function startEdgexProcess(o: EdgexSimOptions): Promise<EdgexSimHandle> {
  const args = ["--import", "tsx", "packages/edgex-sim/src/main.ts", "--port", "0"];
  if (o.seed !== undefined) args.push("--seed", String(o.seed));
  if (o.pricePath) args.push("--price-path", o.pricePath);
  if (o.stepMs) args.push("--step-ms", String(o.stepMs));
  if (o.quirks === false) args.push("--no-quirks");
  const { child, ready } = await spawnReady(
    "EdgeX simulator",
    process.execPath,
    args,
    // Its own account only (nothing of this process's environment), and the packages' TypeScript sources
    // (the source condition), so no build is needed first.
    { PATH: process.env["PATH"] ?? "", NODE_OPTIONS: "--conditions=@paradex-edgex/source", ...TEST_EDGEX_ENV },
    true,
  );
  const controlUrl = String(ready["control_url"]);
  return {
    sim: undefined,
    restUrl: String(ready["rest_url"]),
    quoteWsUrl: String(ready["quote_ws_url"]),
    privateWsUrl: String(ready["private_ws_url"]),
    accountId: String(ready["account_id"]),
    controlUrl,
    ...controlClient(controlUrl),
    stop: stopChild(child, "EdgeX simulator"),
  };
}
