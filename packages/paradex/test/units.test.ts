/** Unit tests of the pure parts: rpc ids and deadlines, the typed emitter, backoff, watchdog, seq, env. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RpcClient } from "../src/rpc.ts";
import { TypedEmitter, IteratorOverflowError } from "@paradex-edgex/core";
import { DEFAULT_RESTART_POLICY, SeqTracker, Watchdog, restartDelay, checkHello } from "../src/supervisor.ts";
import { childEnvironment } from "../src/process.ts";
import { sidecarCommand, sidecarPlace } from "../src/options.ts";
import { CommandTimeoutError, ProtocolVersionError, SidecarCommandError, SidecarGoneError } from "../src/errors.ts";

test("rpc: unique ids, one result per id, typed refusal", async () => {
  const rpc = new RpcClient("t");
  const written: { id: string; op: string }[] = [];
  rpc.attach((line) => written.push(JSON.parse(line) as { id: string; op: string }));
  const a = rpc.call("ping", {}, 1000);
  const b = rpc.call("subscribe", { channel: "bbo", market: "BTC-USD-PERP" }, 1000);
  assert.equal(written.length, 2);
  assert.notEqual(written[0]?.id, written[1]?.id);
  assert.ok(
    rpc.handleResult({
      type: "result",
      seq: 5,
      id: written[1]!.id,
      ok: false,
      error: { code: "BAD_PARAMS", message: "no" },
    }),
  );
  assert.ok(rpc.handleResult({ type: "result", seq: 6, id: written[0]!.id, ok: true, data: { pong: true } }));
  assert.deepEqual(await a, { pong: true });
  await assert.rejects(b, (e: unknown) => e instanceof SidecarCommandError && e.code === "BAD_PARAMS");
  // A second result for the same id matches nothing.
  assert.equal(rpc.handleResult({ type: "result", seq: 7, id: written[0]!.id, ok: true }), false);
  assert.equal(rpc.stats.unmatched, 1);
});

test("rpc: deadline rejects with CommandTimeoutError; child gone rejects everything with SidecarGoneError", async () => {
  const rpc = new RpcClient();
  rpc.attach(() => {});
  await assert.rejects(rpc.call("ping", {}, 20), CommandTimeoutError);
  const p1 = rpc.call("ping", {}, 10_000);
  const p2 = rpc.call("stats", {}, 10_000);
  rpc.rejectAll("killed");
  await assert.rejects(p1, SidecarGoneError);
  await assert.rejects(p2, SidecarGoneError);
  assert.equal(rpc.inFlight, 0);
  // Detached: nothing is written, the call fails at once.
  await assert.rejects(rpc.call("ping", {}, 10_000), SidecarGoneError);
});

test("rpc: invalid parameters are refused before anything is written (a float size, say)", async () => {
  const rpc = new RpcClient();
  let writes = 0;
  rpc.attach(() => (writes += 1));
  const bad = { market: "BTC-USD-PERP", side: "BUY", type: "MARKET", size: 0.1 } as unknown as Parameters<
    typeof rpc.call<"place">
  >[1];
  await assert.rejects(
    rpc.call("place", bad, 1000),
    (e: unknown) => e instanceof SidecarCommandError && e.code === "BAD_PARAMS",
  );
  assert.equal(writes, 0);
});

type Map1 = { a: { type: "a"; n: number }; b: { type: "b"; s: string } };

test("emitter: typed listeners, a throwing listener does not stop the others", () => {
  const errors: unknown[] = [];
  const em = new TypedEmitter<Map1>((e) => errors.push(e));
  const seen: number[] = [];
  em.on("a", () => {
    throw new Error("boom");
  });
  const off = em.on("a", (e) => seen.push(e.n));
  em.emit("a", { type: "a", n: 1 });
  off();
  em.emit("a", { type: "a", n: 2 });
  assert.deepEqual(seen, [1]);
  assert.equal(errors.length, 2);
});

test("emitter: iterators see several types in order and end on endAll()", async () => {
  const em = new TypedEmitter<Map1>(() => {});
  const it = em.iterate(["a", "b"]);
  em.emit("a", { type: "a", n: 1 });
  em.emit("b", { type: "b", s: "x" });
  const got: string[] = [];
  const done = (async () => {
    for await (const e of it) got.push(e.type === "a" ? `a${e.n}` : `b${e.s}`);
  })();
  await new Promise((r) => setImmediate(r));
  em.emit("a", { type: "a", n: 2 });
  em.endAll();
  await done;
  assert.deepEqual(got, ["a1", "bx", "a2"]);
  // Asked for after the end: finished at once, not hanging for ever.
  assert.deepEqual(await em.iterate("a").next(), { value: undefined, done: true });
});

test("emitter: an iterator that falls too far behind fails loudly instead of dropping", async () => {
  const em = new TypedEmitter<Map1>(() => {});
  const it = em.iterate("a", { maxBuffer: 3 });
  for (let n = 0; n < 5; n++) em.emit("a", { type: "a", n });
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const e of it) got.push(e.n);
  }, IteratorOverflowError);
  assert.deepEqual(got, [0, 1, 2]);
});

test("backoff: exponential, capped, jittered downwards, never below half", () => {
  const p = DEFAULT_RESTART_POLICY;
  assert.equal(
    restartDelay(1, p, () => 0),
    100,
  );
  assert.equal(
    restartDelay(1, p, () => 1),
    50,
  );
  assert.equal(
    restartDelay(4, p, () => 0),
    800,
  );
  assert.equal(
    restartDelay(50, p, () => 0),
    10_000,
  );
  for (let i = 0; i < 100; i++) {
    const d = restartDelay(3, p);
    assert.ok(d >= 200 && d <= 400, String(d));
  }
});

test("watchdog: probes at half the window, declares death at the window, a line resets it", () => {
  let now = 0;
  const calls: string[] = [];
  const wd = new Watchdog(1000, { probe: () => calls.push("probe"), dead: (q) => calls.push(`dead ${q}`) }, () => now);
  now = 400;
  wd.check();
  now = 600;
  wd.check();
  wd.check();
  assert.deepEqual(calls, ["probe"]);
  wd.touch();
  now = 1500;
  wd.check();
  now = 1700;
  wd.check();
  assert.deepEqual(calls, ["probe", "probe", "dead 1100"]);
});

test("seq tracker: reports missing lines and backwards jumps", () => {
  const s = new SeqTracker();
  assert.equal(s.observe(1), null);
  assert.equal(s.observe(2), null);
  assert.deepEqual(s.observe(5), { expected: 3, received: 5, missing: 2 });
  assert.equal(s.observe(6), null);
  assert.deepEqual(s.observe(2), { expected: 7, received: 2, missing: 0 });
  s.reset();
  assert.equal(s.observe(1), null);
  assert.equal(s.missing, 2);
});

test("handshake: another protocol major is refused with a clear error", () => {
  assert.throws(
    () => checkHello({ type: "hello", protocol: 2 }),
    (e: unknown) => e instanceof ProtocolVersionError && /protocol 2/.test(e.message),
  );
  assert.throws(() => checkHello({ type: "bbo" }), /expected "hello"/);
  checkHello({ type: "hello", protocol: 1 });
});

test("child environment: allowlist plus PARADEX_*, other secrets dropped, extras win", () => {
  const env = childEnvironment(
    { PATH: "/bin", HOME: "/h", EDGEX_STARK_PRIVATE_KEY: "secret", PARADEX_L2_ADDRESS: "0xabc", AWS_SECRET: "x" },
    { PARADEX_ENV: "sim", PATH: "/usr/bin" },
  );
  assert.deepEqual(env, { PATH: "/usr/bin", HOME: "/h", PARADEX_L2_ADDRESS: "0xabc", PARADEX_ENV: "sim" });
});

test("command line: paradex-ws from PATH by default, options become the sidecar's flags", () => {
  const c = sidecarCommand(
    {
      network: "sim",
      markets: ["BTC-USD-PERP", "ETH-USD-PERP"],
      channels: ["bbo"],
      statsIntervalS: 0.5,
      signing: "pooled",
      extraArgs: ["--no-sbe"],
    },
    {},
  );
  assert.equal(c.command, "paradex-ws");
  assert.deepEqual(c.args, [
    "--env",
    "sim",
    "--markets",
    "BTC-USD-PERP,ETH-USD-PERP",
    "--channels",
    "bbo",
    "--stats-interval",
    "0.5",
    "--signing",
    "pooled",
    "--no-sbe",
  ]);
  assert.equal(sidecarCommand({}, { PARADEX_WS_BIN: "/opt/venv/bin/paradex-ws" }).command, "/opt/venv/bin/paradex-ws");
  assert.equal(sidecarCommand({ executable: "/x/paradex-ws" }, { PARADEX_WS_BIN: "/y" }).command, "/x/paradex-ws");
  const py = sidecarCommand({ python: "/usr/bin/python3.10", network: "sim" });
  assert.deepEqual([py.command, ...py.args], ["/usr/bin/python3.10", "-m", "paradex_ws_service", "--env", "sim"]);
  const override = { command: "node", args: ["x.mjs"] };
  assert.equal(sidecarCommand({ command: override, network: "prod" }), override);
});

test("the child runs in the application's directory and reads its env file, never the package's", () => {
  assert.deepEqual(sidecarPlace({}), { cwd: process.cwd(), env: {} });
  assert.deepEqual(sidecarPlace({ cwd: "/app", envFile: "conf/.env.paradex", env: { A: "1" } }), {
    cwd: "/app",
    env: { A: "1", PARADEX_ENV_FILE: "/app/conf/.env.paradex" },
  });
});
