/**
 * @module sims — starts the two local simulators for the demo and the scenario tests (loopback only).
 *
 * Paradex: the Python simulator as a child process (`python -m paradex_sim --port 0`), read from
 * its `sim_ready` line. EdgeX: the TypeScript simulator in-process (`startEdgexSim`). Both take a seed and a
 * price path file; both expose `/_sim/<action>` controls for fault injection.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startEdgexSim, type EdgexSim } from "@paradex-edgex/edgex-sim";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface SimControl {
  control(action: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface ParadexSimHandle extends SimControl {
  wsUrl: string;
  restUrl: string;
  controlUrl: string;
  pid: number;
}

export interface EdgexSimHandle extends SimControl {
  sim: EdgexSim;
  restUrl: string;
  quoteWsUrl: string;
  privateWsUrl: string;
}

async function post(url: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok || json["ok"] === false) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function startParadexSim(o: {
  seed: number;
  pricePath?: string;
  bboRate?: number;
  verbose?: boolean;
}): Promise<ParadexSimHandle> {
  const args = ["-m", "paradex_sim", "--port", "0", "--seed", String(o.seed), "--log-level", "WARNING"];
  if (o.pricePath) args.push("--price-path", o.pricePath);
  if (o.bboRate) args.push("--bbo-rate", String(o.bboRate));
  const child: ChildProcess = spawn(`${REPO}.venv/bin/python`, args, {
    cwd: REPO,
    stdio: ["ignore", "pipe", o.verbose ? "inherit" : "ignore"],
  });
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("Paradex simulator: no sim_ready within 60 s")), 60_000);
    rl.once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Paradex simulator exited with ${String(code)} before sim_ready`));
    });
  });
  const ready = JSON.parse(line) as { ws_url: string; rest_url: string; control_url: string; pid: number };
  return {
    wsUrl: ready.ws_url,
    restUrl: ready.rest_url,
    controlUrl: ready.control_url,
    pid: ready.pid,
    control: (action, body = {}) => post(`${ready.control_url}/${action}`, body),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

export async function startEdgex(o: { seed: number; pricePath?: string; stepMs?: number }): Promise<EdgexSimHandle> {
  const sim = await startEdgexSim({
    seed: o.seed,
    port: 0,
    ...(o.pricePath ? { pricePath: o.pricePath } : {}),
    ...(o.stepMs ? { stepMs: o.stepMs } : {}),
  });
  return {
    sim,
    restUrl: sim.restUrl,
    quoteWsUrl: sim.quoteWsUrl,
    privateWsUrl: sim.privateWsUrl,
    control: (action, body = {}) => post(`${sim.controlUrl}/${action}`, body),
    stop: () => sim.stop(),
  };
}
