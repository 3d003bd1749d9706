/**
 * No orphan sidecar after the Node parent ends: on SIGINT (no handler in the application) and on SIGKILL
 * (nothing runs in the parent; the child sees stdin EOF). Uses the real sidecar on the embedded simulator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { alive, until, within } from "@paradex-edgex/dev/testing";
import { exited, startParent } from "./helpers/parent.ts";

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  test(`the sidecar does not outlive its Node parent killed by ${signal}`, async (t) => {
    const { parent, childPid } = await startParent(process.env.BRIDGE_TEST_FAKE === "1" ? "fake" : "real");
    assert.ok(alive(childPid));
    parent.kill(signal);
    await within(exited(parent), 5000, "parent exit");
    try {
      // The sidecar's own shutdown takes 0.2–1.5 s on an idle machine, several seconds on a loaded one.
      const t0 = performance.now();
      await until(() => !alive(childPid), 15_000, `sidecar ${childPid} to exit`);
      t.diagnostic(`sidecar gone ${Math.round(performance.now() - t0)} ms after the parent died`);
    } finally {
      if (alive(childPid)) process.kill(-childPid, "SIGKILL");
    }
  });
}
