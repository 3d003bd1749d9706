/**
 * The standalone Paradex simulator as a child process (`python -m paradex_sim`), for tests and
 * benchmarks that must compare what the bridge delivers with what the simulator sent (`/_sim/sent`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { REPO_ROOT, within } from "./testing.ts";

export interface SimHandle {
  wsUrl: string;
  restUrl: string;
  controlUrl: string;
  pid: number;
  /** POST /_sim/<action> with a JSON body; throws on a non-ok answer. */
  control(action: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** GET /_sim/<action>?query. */
  query(action: string, params?: Record<string, string>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startSim(args: readonly string[] = []): Promise<SimHandle> {
  const child: ChildProcess = spawn(
    `${REPO_ROOT}.venv/bin/python`,
    ["-m", "paradex_sim", "--port", "0", "--log-level", "WARNING", ...args],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", process.env.BRIDGE_TEST_VERBOSE === "1" ? "inherit" : "ignore"] },
  );
  const rl = createInterface({ input: child.stdout! });
  // 60 s: a loaded 2-core machine imports the simulator's stack in well over 15 s. A simulator that never
  // gets ready is killed, so it cannot keep the test process alive.
  const line = await within(
    new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`simulator exited with ${String(code)} before sim_ready`)));
    }),
    60_000, // a cold start (imports) on a loaded 2-core machine takes well over 15 s
    "sim_ready",
  ).catch((err: unknown) => {
    child.kill("SIGKILL");
    throw err;
  });
  const ready = JSON.parse(line) as { ws_url: string; rest_url: string; control_url: string; pid: number };
  const call = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok || json["ok"] === false) throw new Error(`sim ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    wsUrl: ready.ws_url,
    restUrl: ready.rest_url,
    controlUrl: ready.control_url,
    pid: ready.pid,
    control: (action, body = {}) => call("POST", `${ready.control_url}/${action}`, body),
    query: (action, params = {}) =>
      call("GET", `${ready.control_url}/${action}?${new URLSearchParams(params).toString()}`),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await within(gone, 5000, "simulator exit").catch(() => child.kill("SIGKILL"));
    },
  };
}
