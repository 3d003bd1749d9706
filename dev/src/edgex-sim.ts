/** The EdgeX simulator as a child process (`packages/edgex-sim/src/main.ts`), with its ready line and `/_sim` control. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { REPO_ROOT, within } from "./testing.ts";

export interface EdgexSimHandle {
  restUrl: string;
  quoteWsUrl: string;
  privateWsUrl: string;
  accountId: string;
  controlUrl: string;
  control(action: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Test-only paper credentials, given to the simulator and the client alike (never real secrets). */
export const TEST_EDGEX_ENV = {
  EDGEX_ACCOUNT_ID: "700000000000000001",
  EDGEX_API_KEY: "toolkit-test-key",
  EDGEX_API_SECRET: "toolkit-test-secret",
  EDGEX_API_PASSPHRASE: "toolkit-test-pass",
  EDGEX_SIGNER_KEY: `0x${"1f".repeat(32)}`,
} as const;

export async function startEdgexSim(args: readonly string[] = []): Promise<EdgexSimHandle> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "packages/edgex-sim/src/main.ts", "--port", "0", ...args],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "", ...TEST_EDGEX_ENV },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const rl = createInterface({ input: child.stdout! });
  const line = await within(
    new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`edgex simulator exited with ${String(code)} before sim_ready`)));
    }),
    20_000,
    "edgex sim_ready",
  );
  const ready = JSON.parse(line) as Record<string, string>;
  const controlUrl = ready["control_url"]!;
  return {
    restUrl: ready["rest_url"]!,
    quoteWsUrl: ready["quote_ws_url"]!,
    privateWsUrl: ready["private_ws_url"]!,
    accountId: ready["account_id"]!,
    controlUrl,
    control: async (action, body = {}) => {
      const res = await fetch(`${controlUrl}/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok || json["ok"] === false)
        throw new Error(`edgex sim ${action}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await within(gone, 5000, "edgex simulator exit").catch(() => child.kill("SIGKILL"));
    },
  };
}
