/**
 * Exit codes 2, 3 and 4 are the sidecar's configuration errors: the bridge never restarts on them, even when
 * told to retry its initial start. Before a ready, `start()` rejects with `SidecarConfigError` carrying the
 * sidecar's message; after one, the terminal `stopped` lifecycle event carries it. The real sidecar for a
 * refusal before the hello (a bad environment value: no simulator needed); the fake child for exits after the
 * hello (the real ones, unknown market and refused credentials, are tested through the CLI in pytest).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ParadexSidecar, type LifecycleEvent, type ParadexSidecarOptions } from "../src/sidecar.ts";
import { SidecarConfigError } from "../src/errors.ts";
import { memoryLogger, within } from "@paradex-edgex/dev/testing";

const FAKE = fileURLToPath(new URL("./fixtures/fake-sidecar.mjs", import.meta.url));
const created: ParadexSidecar[] = [];
after(() => Promise.all(created.map((sc) => sc.close())));

function sidecar(extra: Partial<ParadexSidecarOptions>): ParadexSidecar {
  const sc = new ParadexSidecar({
    logger: memoryLogger(),
    retryInitialStart: true,
    helloTimeoutMs: 90_000, // a cold start on a loaded machine
    restart: { initialDelayMs: 10, maxDelayMs: 50 },
    ...extra,
  });
  created.push(sc);
  return sc;
}

function fake(env: Record<string, string>): ParadexSidecar {
  return sidecar({ command: { command: process.execPath, args: [FAKE] }, env });
}

/** start()'s outcome and the terminal lifecycle event; the config error from whichever carries it. */
async function configError(
  sc: ParadexSidecar,
): Promise<{ error: SidecarConfigError; started: boolean; states: string[] }> {
  const states: string[] = [];
  const stopped = new Promise<LifecycleEvent>((resolve) =>
    sc.on("lifecycle", (e) => {
      states.push(e.state);
      if (e.state === "stopped") resolve(e);
    }),
  );
  const outcome = sc.start().then(
    () => null,
    (err: unknown) => err,
  );
  const event = await within(stopped, 120_000, "the stopped lifecycle event");
  const rejected = await outcome;
  const error = rejected ?? (event.state === "stopped" ? event.error : undefined);
  assert.ok(error instanceof SidecarConfigError, `expected a SidecarConfigError, got ${String(error)}`);
  assert.ok(!states.includes("restarting"), `restarted: ${states.join(",")}`);
  assert.equal(sc.counters.restarts, 0);
  assert.equal(sc.state, "closed");
  return { error, started: rejected === null, states };
}

test("exit 2 before the hello (the real sidecar, PARADEX_STALE_AFTER=abc): start() rejects with its message", async () => {
  const sc = sidecar({ network: "sim", env: { PARADEX_STALE_AFTER: "abc" } });
  const { error, started } = await configError(sc);
  assert.equal(started, false);
  assert.equal(error.code, "BAD_CONFIG");
  assert.equal(error.exitCode, 2);
  assert.match(error.message, /PARADEX_STALE_AFTER='abc': must be a number of seconds > 0/);
});

test("exit 2 after a ready (an unknown market): the stopped event carries the sidecar's error event", async () => {
  const sc = fake({
    FAKE_EXIT: "2",
    FAKE_ERROR_EVENT: "unknown market BTC-USD; valid markets: BTC-USD-PERP, ETH-USD-PERP",
  });
  const { error, started } = await configError(sc);
  assert.equal(started, true, "the hello came first: start() resolved, the stopped event is the fatal signal");
  assert.equal(error.code, "BAD_CONFIG");
  assert.match(error.message, /unknown market BTC-USD; valid markets: BTC-USD-PERP, ETH-USD-PERP/);
});

test("exit 3 (credentials) and 4 (REST unreachable): their codes, the message from the error event or stderr", async () => {
  const three = await configError(
    fake({ FAKE_EXIT: "3", FAKE_ERROR_EVENT: "Paradex refused the credentials: NOT_ONBOARDED" }),
  );
  assert.equal(three.error.code, "CREDENTIALS");
  assert.match(three.error.message, /Paradex refused the credentials: NOT_ONBOARDED/);
  const four = await configError(
    fake({
      FAKE_EXIT: "4",
      FAKE_STDERR: "2026-12-03 12:00:00,123 ERROR paradex_ws_service.app: cannot reach Paradex REST at https://x/v1",
    }),
  );
  assert.equal(four.error.code, "UNREACHABLE");
  assert.match(four.error.message, /\(exit 4, UNREACHABLE\): cannot reach Paradex REST at https:\/\/x\/v1$/);
});

test("any other exit (1, a crash) is still restarted", async () => {
  const sc = fake({ FAKE_EXIT: "1" });
  const restarting = new Promise<void>((resolve) => sc.on("lifecycle", (e) => e.state === "restarting" && resolve()));
  await within(sc.start(), 30_000, "start");
  await within(restarting, 30_000, "a restart after exit 1");
  await sc.close();
});
