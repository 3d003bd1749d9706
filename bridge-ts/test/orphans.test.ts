/**
 * No orphan sidecar after the Node parent ends: on SIGINT (no handler in the application) and on SIGKILL
 * (nothing runs in the parent; the child sees stdin EOF). Uses the real sidecar on the embedded simulator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { alive, until, within } from "./helpers/util.ts";
import { exited, startParent } from "./helpers/parent.ts";

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  test(`the sidecar does not outlive its Node parent killed by ${signal}`, async () => {
    const { parent, childPid } = await startParent(process.env.BRIDGE_TEST_FAKE === "1" ? "fake" : "real");
    assert.ok(alive(childPid));
    parent.kill(signal);
    await within(exited(parent), 5000, "parent exit");
    try {
      // The sidecar's own shutdown (unsubscribe, close the socket) takes ≈1.5 s here; allow for a loaded machine.
      await until(() => !alive(childPid), 8000, `sidecar ${childPid} to exit`);
    } finally {
      if (alive(childPid)) process.kill(-childPid, "SIGKILL");
    }
  });
}
