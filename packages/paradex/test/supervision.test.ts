/**
 * Supervision against a tiny fake child (fixtures/fake-sidecar.mjs) for behaviours the real sidecar cannot
 * be made to show on demand: another protocol major, no hello, garbage lines, seq gaps, an unanswered
 * command, a missing interpreter, a restart cap. The real sidecar is exercised in sidecar.test.ts.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  ParadexSidecar,
  type BridgeErrorEvent,
  type LifecycleEvent,
  type ParadexSidecarOptions,
} from "../src/sidecar.ts";
import { PROTOCOL_MINOR, type BboEvent } from "../src/schema.ts";
import { HandshakeError, ProtocolVersionError, SidecarCommandError, SidecarGoneError } from "../src/errors.ts";
import { alive, memoryLogger, until, within } from "@paradex-edgex/dev/testing";

const FAKE = fileURLToPath(new URL("./fixtures/fake-sidecar.mjs", import.meta.url));

/** Closed after the file whatever happened, so a failing test cannot leave a child running. */
const created: ParadexSidecar[] = [];
after(() => Promise.all(created.map((sc) => sc.close())));

function fake(env: Record<string, string> = {}, extra: Partial<ParadexSidecarOptions> = {}): ParadexSidecar {
  const sc = new ParadexSidecar({
    command: { command: process.execPath, args: [FAKE] },
    env,
    logger: memoryLogger(),
    helloTimeoutMs: 5000,
    ...extra,
  });
  created.push(sc);
  return sc;
}

test("hello from another protocol major: start() rejects with ProtocolVersionError and nothing is left running", async () => {
  const sc = fake({ FAKE_PROTOCOL: "2" });
  const stopped = sc.once("lifecycle", (e) => e.state === "stopped");
  await assert.rejects(within(sc.start(), 5000, "start"), (e: unknown) => {
    assert.ok(e instanceof ProtocolVersionError);
    assert.match(e.message, /sidecar speaks protocol 2, this bridge speaks 1/);
    return true;
  });
  await within(stopped, 2000, "stopped");
  assert.equal(sc.state, "closed");
  const pid = sc.pid;
  assert.ok(pid !== undefined);
  await until(() => !alive(pid), 3000, "the refused child to be gone");
});

test("no hello before the deadline: start() rejects with HandshakeError", async () => {
  const sc = fake({ FAKE_NO_HELLO: "1" }, { helloTimeoutMs: 300 });
  await assert.rejects(
    within(sc.start(), 5000, "start"),
    (e: unknown) => e instanceof HandshakeError && /no hello within 300 ms/.test(e.message),
  );
});

test("a missing interpreter rejects start(); with retryInitialStart it keeps retrying with growing delays", async () => {
  const bad = new ParadexSidecar({ python: "/nonexistent/python", logger: memoryLogger() });
  await assert.rejects(
    within(bad.start(), 5000, "start"),
    /could not start the sidecar: spawn \/nonexistent\/python ENOENT/,
  );

  const retrying = new ParadexSidecar({
    python: "/nonexistent/python",
    logger: memoryLogger(),
    retryInitialStart: true,
    restart: { initialDelayMs: 10, jitter: 0, maxAttempts: 3 },
  });
  const events: LifecycleEvent[] = [];
  retrying.on("lifecycle", (e) => events.push(e));
  await assert.rejects(
    within(retrying.start(), 5000, "start"),
    (e: unknown) => e instanceof Error && /gave up after 3/.test(e.message),
  );
  const delays = events.flatMap((e) => (e.state === "restarting" ? [e.delay_ms] : []));
  assert.deepEqual(delays, [10, 20, 40]);
  assert.equal(events.at(-1)?.state, "stopped");
});

test("a non-JSON line and a schema-invalid line become error events with the raw line; the stream goes on", async () => {
  const sc = fake({ FAKE_GARBAGE: "1" });
  const errors: BridgeErrorEvent[] = [];
  sc.on("error", (e) => {
    if ("origin" in e) errors.push(e);
  });
  await within(sc.start(), 5000, "start");
  assert.deepEqual(await within(sc.ping(), 2000, "ping"), { op: "ping", market: null });
  assert.deepEqual(
    errors.map((e) => e.code),
    ["BAD_JSON", "INVALID_LINE"],
  );
  assert.equal(errors[0]?.raw, "this is not json");
  assert.match(errors[1]?.raw ?? "", /"market":"X"/);
  assert.match(errors[1]?.message ?? "", /bid/);
  assert.equal(sc.counters.invalidLines, 2);
  await sc.close();
});

test("a newer sidecar (minor+1, added fields, a new event type) is accepted; extras pass through, the new type arrives as unknown", async () => {
  const sc = fake({ FAKE_LINES: fileURLToPath(new URL("./fixtures/newer-sidecar.jsonl", import.meta.url)) });
  const errors: string[] = [];
  sc.on("error", (e) => errors.push(`${e.code}: ${e.message}`));
  const bbos: BboEvent[] = [];
  sc.on("bbo", (e) => bbos.push(e));
  const unknown = sc.once("unknown");
  const status = sc.once("status");
  await within(sc.start(), 5000, "start");
  assert.equal(sc.hello?.protocol, 1);
  assert.equal(sc.hello?.protocol_minor, PROTOCOL_MINOR + 1);
  assert.deepEqual((sc.hello as Record<string, unknown> | null)?.["features"], ["liquidations"]);
  assert.equal(((await within(status, 2000, "status")) as Record<string, unknown>)["latency_hint_ms"], 3);
  const u = await within(unknown, 2000, "unknown event");
  assert.equal(u.line_type, "liquidation");
  assert.equal(u.line["size"], "0.5");
  await until(() => bbos.length === 2, 2000, "both bbo lines");
  assert.equal((bbos[0] as Record<string, unknown>)["mid"], "100.55");
  assert.equal(bbos[1]?.exchange_seq, 8);
  assert.deepEqual(errors, []);
  assert.equal(sc.counters.invalidLines, 0);
  await sc.close();
});

test("a skipped seq is reported as SEQ_GAP with the missing count", async () => {
  const sc = fake({ FAKE_SKIP_SEQ: "1" });
  const gap = sc.once("error", (e) => "origin" in e && e.code === "SEQ_GAP");
  await within(sc.start(), 5000, "start");
  const e = (await within(gap, 2000, "gap")) as BridgeErrorEvent;
  assert.deepEqual(e.gap, { expected: 2, received: 3, missing: 1 });
  assert.equal(sc.counters.missingLines, 1);
  await sc.close();
});

test("a refusal rejects with SidecarCommandError carrying the sidecar's code", async () => {
  const sc = fake({ FAKE_REFUSE: "stats" });
  await within(sc.start(), 5000, "start");
  await assert.rejects(
    sc.stats(),
    (e: unknown) => e instanceof SidecarCommandError && e.code === "NOPE" && e.op === "stats",
  );
  await sc.close();
});

test("a command in flight when the child is killed is rejected (not replayed); the next child is subscribed again", async () => {
  const sc = fake({ FAKE_IGNORE: "stats", FAKE_BBO_MS: "20" }, { restart: { initialDelayMs: 20 } });
  await within(sc.start(), 5000, "start");
  await sc.subscribe("bbo", "FAKE-1");
  await within(sc.once("bbo"), 2000, "first bbo");
  const firstPid = sc.pid!;
  const inFlight = sc.stats({ timeoutMs: 10_000 });
  const ready = sc.once("lifecycle", (e) => e.state === "ready");
  process.kill(firstPid, "SIGKILL");
  await assert.rejects(within(inFlight, 2000, "in-flight rejection"), SidecarGoneError);
  const r = await within(ready, 5000, "ready again");
  assert.ok(r.state === "ready" && r.pid !== firstPid);
  const bbo = await within(sc.once("bbo"), 2000, "bbo after restart");
  assert.equal(bbo.market, "FAKE-1");
  assert.equal(sc.counters.restarts, 1);
  await sc.close();
  assert.equal(alive(firstPid), false);
});

test("output written one byte per write still arrives as whole lines", async () => {
  const sc = fake({ FAKE_DRIBBLE: "1", FAKE_BBO_MS: "5" });
  await within(sc.start(), 5000, "start");
  await sc.subscribe("bbo", "FAKE-2");
  const got = [];
  for await (const e of sc.iterate("bbo")) {
    got.push(e);
    if (got.length === 20) break;
  }
  assert.equal(sc.counters.invalidLines, 0);
  assert.equal(sc.counters.seqGaps, 0);
  await sc.close();
});

test("a stopped (SIGSTOP) child is detected by the watchdog and replaced", async () => {
  const sc = fake({}, { heartbeatWindowMs: 400, restart: { initialDelayMs: 20 } });
  await within(sc.start(), 5000, "start");
  const pid = sc.pid!;
  const restarting = sc.once("lifecycle", (e) => e.state === "restarting");
  const ready = sc.once("lifecycle", (e) => e.state === "ready");
  process.kill(pid, "SIGSTOP");
  const r = await within(restarting, 3000, "restarting");
  assert.ok(r.state === "restarting" && /hung/.test(r.reason));
  await within(ready, 5000, "ready again");
  assert.notEqual(sc.pid, pid);
  await within(sc.ping(), 2000, "ping to the new child");
  await sc.close();
  assert.equal(alive(pid), false);
});

test("a quiet but healthy child answers the watchdog's ping and is not restarted", async () => {
  const sc = fake({}, { heartbeatWindowMs: 200 });
  await within(sc.start(), 5000, "start");
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(sc.counters.restarts, 0);
  assert.ok(sc.counters.rpc.ok >= 2, "the watchdog pinged");
  await sc.close();
});

test("close() while the child is still starting: start() rejects, nothing reopens, nothing is left", async () => {
  const sc = fake();
  const started = sc.start();
  const closed = sc.close();
  await assert.rejects(within(started, 5000, "start"), /closed/);
  await within(closed, 5000, "close");
  assert.equal(sc.state, "closed");
  await assert.rejects(sc.ping(), /not ready/);
  const pid = sc.pid;
  if (pid !== undefined) await until(() => !alive(pid), 3000, "child gone");
});
