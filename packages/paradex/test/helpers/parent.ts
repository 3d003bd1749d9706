/** Runs fixtures/parent.ts as a separate Node process and returns its pid and its sidecar's pid. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { within } from "@paradex-edgex/dev/testing";

const PARENT = fileURLToPath(new URL("../fixtures/parent.ts", import.meta.url));

export async function startParent(mode: "real" | "fake"): Promise<{ parent: ChildProcess; childPid: number }> {
  const parent = spawn(process.execPath, ["--import", "tsx", PARENT, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const rl = createInterface({ input: parent.stdout! });
  const line = await within(
    new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      parent.once("exit", (code) => reject(new Error(`parent exited early with ${String(code)}`)));
    }),
    // 60 s: the parent starts a real sidecar, whose start-up on a loaded 2-core machine is slow. A parent
    // that never gets ready is killed, so its open pipes cannot keep this test process alive for ever.
    60_000,
    "parent READY",
  ).catch((err: unknown) => {
    parent.kill("SIGKILL");
    throw err;
  });
  const m = /^READY (\d+)$/.exec(line);
  if (m === null) throw new Error(`unexpected parent output: ${line}`);
  return { parent, childPid: Number(m[1]) };
}

export function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve();
    else p.once("exit", () => resolve());
  });
}
