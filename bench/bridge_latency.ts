/**
 * @module bridge_latency — benchmark of the whole Paradex path: simulator send → sidecar → pipe → typed,
 * zod-validated `bbo` event in Node, measured in the same run as a direct Node `ws` client on the same
 * simulator feed (the floor).
 *
 *   npm run --silent tsx -- bench/bridge_latency.ts [--rates 1000,5000] [--repeat 3] [--seconds 3]
 *                                   [--max-rates 10000,15000,…,100000] [--out bench/results/bridge.json] [--no-sbe]
 *
 * Method. One standalone simulator (`--record-sendtimes` mode) stamps the wall clock (ns) just before each
 * bbo frame is written to a socket (`GET /_sim/sendtimes`). Bursts of exactly N bbo frames at a fixed rate
 * are sent on BTC-USD-PERP (`POST /_sim/burst`); only one consumer is subscribed during a phase, so each
 * send record belongs to it. The consumer stamps the wall clock (`performance.timeOrigin + now()`, µs
 * resolution) when the event reaches user code: for the bridge, inside an `on("bbo")` listener (after
 * framing, JSON.parse and zod); for the direct client, after `JSON.parse` in its `message` handler.
 * Latency = receive − send, matched by `seq_no` (= `exchange_seq`). The first 5 % of each burst are
 * warm-up and not counted; each rate is run `--repeat` times, direct and bridge alternating, and the
 * percentiles are over all runs (the p50 of each run is kept too, to show the spread). Throughput:
 * bursts at rising rates until a burst loses an event (a missing `exchange_seq`, a coalesced bbo, a
 * sidecar reconnect or a bridge `seq` gap); the achieved rate is count / send span. Recovery: kill -9 of
 * the sidecar → first event of an API subscription on the new child. Bridge alone: a synthetic producer
 * writes protocol lines into the same pipe, isolating the bridge from the sidecar.
 * Both clocks are the same machine's CLOCK_REALTIME; JSON numbers of ~1.8e18 ns lose ≈0.25 µs, negligible.
 */
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { cpus, loadavg } from "node:os";
import WebSocket from "ws";
import { ParadexSidecar, silentLogger } from "@paradex-edgex/paradex";
import { REPO_ROOT } from "@paradex-edgex/dev/testing";
import { type ParadexSimHandle as SimHandle, startParadexSim } from "@paradex-edgex/dev/sims";

const MARKET = "BTC-USD-PERP";
const WARMUP = 0.05;

interface Burst {
  rate: number;
  count: number;
  received: number;
  /** Bursts frames that never reached the consumer (missing `seq_no`s). */
  lost: number;
  seqGaps: number;
  coalesced: number;
  /** Sidecar reconnections during the burst (the simulator drops a client that leaves 2000 frames unread). */
  reconnects: number;
  /** Latencies in µs, warm-up excluded: end to end, and for the bridge its two halves. */
  latencies: number[];
  simToSidecar: number[];
  sidecarToNode: number[];
  sendSpanS: number;
  recvSpanS: number;
}

interface Consumer {
  name: string;
  subscribe(): Promise<void>;
  unsubscribe(): Promise<void>;
  /** Resets and returns the map seq_no → [receive wall clock µs, sidecar recv_us or NaN] it fills. */
  reset(): Map<number, [number, number]>;
  /** Bridge `seq` gaps and sidecar coalescing since the last reset (0 for the direct client). */
  anomalies(): Promise<{ seqGaps: number; coalesced: number; reconnects: number }>;
}

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function summary(latencies: readonly number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const s = [...latencies].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    p50: r(percentile(s, 50)),
    p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? Number.NaN),
    n: s.length,
  };
}

// ---------------------------------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------------------------------

async function directClient(sim: SimHandle): Promise<Consumer & { close(): void }> {
  const ws = new WebSocket(sim.wsUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let recv = new Map<number, [number, number]>();
  let nextId = 1;
  const pending = new Map<number, () => void>();
  ws.on("message", (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as {
      id?: number;
      params?: { channel: string; data: { seq_no: number } };
    };
    if (msg.params !== undefined) {
      recv.set(msg.params.data.seq_no, [nowUs(), Number.NaN]);
    } else if (msg.id !== undefined) {
      pending.get(msg.id)?.();
      pending.delete(msg.id);
    }
  });
  const rpc = (method: string): Promise<void> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params: { channel: `bbo.${MARKET}` } }));
    });
  return {
    name: "direct ws",
    subscribe: () => rpc("subscribe"),
    unsubscribe: () => rpc("unsubscribe"),
    reset: () => (recv = new Map()),
    anomalies: () => Promise.resolve({ seqGaps: 0, coalesced: 0, reconnects: 0 }),
    close: () => ws.close(),
  };
}

async function bridgeClient(sim: SimHandle, sbe: boolean): Promise<Consumer & { sidecar: ParadexSidecar }> {
  // Started on a quiet feed; bbo on the benchmark market is subscribed per phase through the API.
  const sidecar = new ParadexSidecar({
    wsUrl: sim.wsUrl,
    restUrl: sim.restUrl,
    markets: ["SOL-USD-PERP"],
    channels: ["funding"],
    statsIntervalS: 1,
    extraArgs: ["--log-level", "WARNING", sbe ? "--sbe" : "--no-sbe", "--stale-after", "3600"],
    logger: silentLogger,
    heartbeatWindowMs: 10_000,
  });
  await sidecar.start();
  let recv = new Map<number, [number, number]>();
  let gapsAtReset = 0;
  let totalsAtReset = { coalesced: 0, reconnects: 0 };
  // The `stats` command answers with running totals next to the per-interval counters.
  const totals = async (): Promise<{ coalesced: number; reconnects: number }> => {
    const d = await sidecar.stats();
    return { coalesced: Number(d["total_coalesced"] ?? 0), reconnects: Number(d["total_reconnects"] ?? 0) };
  };
  sidecar.on("bbo", (e) => {
    if (e.market === MARKET && e.exchange_seq !== null) recv.set(e.exchange_seq, [nowUs(), e.recv_us]);
  });
  return {
    name: "bridge",
    sidecar,
    subscribe: async () => void (await sidecar.subscribe("bbo", MARKET)),
    unsubscribe: async () => void (await sidecar.unsubscribe("bbo", MARKET)),
    reset: () => {
      gapsAtReset = sidecar.counters.missingLines;
      void totals().then((t) => (totalsAtReset = t));
      recv = new Map();
      return recv;
    },
    anomalies: async () => {
      const t = await totals();
      return {
        seqGaps: sidecar.counters.missingLines - gapsAtReset,
        coalesced: t.coalesced - totalsAtReset.coalesced,
        reconnects: t.reconnects - totalsAtReset.reconnects,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// One burst
// ---------------------------------------------------------------------------------------------------

async function burst(sim: SimHandle, consumer: Consumer, rate: number, count: number): Promise<Burst> {
  await sim.query("sendtimes", { clear: "1" });
  const recv = consumer.reset();
  await new Promise((r) => setTimeout(r, 50)); // let reset()'s stats snapshot land
  const started = await sim.control("burst", { market: MARKET, count, rate, wait: true });
  const first = Number(started["first_seq"]);
  const last = Number(started["last_seq"]);
  // Wait for the tail to arrive (bounded): stop when complete or when nothing new came for 1 s.
  let seen = -1;
  let quietSince = performance.now();
  while (recv.size < count && performance.now() - quietSince < 1000) {
    if (recv.size !== seen) {
      seen = recv.size;
      quietSince = performance.now();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const st = (await sim.query("sendtimes", { market: MARKET }))["sendtimes"] as [string, number, number][];
  const sent = new Map<number, number>();
  for (const [, seq, ns] of st) if (seq >= first && seq <= last && !sent.has(seq)) sent.set(seq, ns / 1000);
  const latencies: number[] = [];
  const simToSidecar: number[] = [];
  const sidecarToNode: number[] = [];
  let received = 0;
  const warm = first + Math.floor(count * WARMUP);
  for (let seq = first; seq <= last; seq++) {
    const r = recv.get(seq);
    if (r === undefined) continue;
    received += 1;
    const s = sent.get(seq);
    if (s === undefined || seq < warm) continue;
    const [node, sidecar] = r;
    latencies.push(node - s);
    if (!Number.isNaN(sidecar)) {
      simToSidecar.push(sidecar - s);
      sidecarToNode.push(node - sidecar);
    }
  }
  const sendTimes = [...sent.values()];
  const recvTimes = [...recv.values()].map((r) => r[0]);
  const span = (xs: number[]): number => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return xs.length < 2 ? 0 : (hi - lo) / 1e6;
  };
  const { seqGaps, coalesced, reconnects } = await consumer.anomalies();
  return {
    rate,
    count,
    received,
    lost: count - received,
    seqGaps,
    coalesced,
    reconnects,
    latencies,
    simToSidecar,
    sidecarToNode,
    sendSpanS: span(sendTimes),
    recvSpanS: span(recvTimes),
  };
}

// ---------------------------------------------------------------------------------------------------
// Recovery: kill -9 of the sidecar → restarted, resubscribed, first event of the resubscribed feed.
// ---------------------------------------------------------------------------------------------------

async function restartTimes(sim: SimHandle, runs: number): Promise<number[]> {
  const sc = new ParadexSidecar({
    wsUrl: sim.wsUrl,
    restUrl: sim.restUrl,
    markets: ["SOL-USD-PERP"],
    channels: ["funding"],
    extraArgs: ["--log-level", "WARNING"],
    logger: silentLogger,
  });
  await sc.start();
  // Subscribed through the API, so the first event after a restart proves the bridge resubscribed.
  await sc.subscribe("bbo", "ETH-USD-PERP");
  await sim.control("rate", { bbo_per_s: 200, market: "ETH-USD-PERP" });
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await sc.once("bbo", (e) => e.market === "ETH-USD-PERP");
      const pid = sc.pid!;
      const flowing = sc
        .once("lifecycle", (e) => e.state === "ready")
        .then(() => sc.once("bbo", (e) => e.market === "ETH-USD-PERP"));
      const t0 = performance.now();
      process.kill(pid, "SIGKILL");
      await flowing;
      times.push(Math.round(performance.now() - t0));
    }
  } finally {
    await sim.control("rate", { bbo_per_s: 1, market: "ETH-USD-PERP" });
    await sc.close();
  }
  return times;
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------
// The bridge alone: a synthetic producer writes ready-made protocol lines (stamped just before the
// write) into the same pipe, so the bridge's own cost and ceiling are visible apart from the sidecar's.
// ---------------------------------------------------------------------------------------------------

const PRODUCER = `
import os, sys, time, orjson
rate, count, batch = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
def line(d): return orjson.dumps(d) + b"\\n"
out.write(line({"type": "hello", "seq": 1, "protocol": 1, "version": "synthetic", "pid": os.getpid(),
                "env": "synthetic", "markets": [], "channels": [], "sbe": False})); out.flush()
go = orjson.loads(sys.stdin.readline())
out.write(line({"type": "result", "seq": 2, "id": go["id"], "ok": True, "data": {}})); out.flush()
seq, i, start = 2, 0, time.perf_counter()
while i < count:
    due = count if rate <= 0 else min(count, int((time.perf_counter() - start) * rate) + 1)
    while i < due:
        n = min(batch, due - i)
        now = time.time_ns() // 1000
        chunk = []
        for _ in range(n):
            seq += 1
            chunk.append(line({"type": "bbo", "seq": seq, "market": "BTC-USD-PERP", "bid": "65000.5",
                               "bid_size": "0.125", "ask": "65000.6", "ask_size": "1.3",
                               "exchange_ts": now // 1000, "exchange_seq": i, "recv_us": now}))
            i += 1
        out.write(b"".join(chunk)); out.flush()
    if rate > 0 and i < count:
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
sys.stdin.readline()
`;

async function syntheticRun(
  rate: number,
  count: number,
  batch: number,
): Promise<{ latencies: number[]; perS: number; lost: number }> {
  const sc = new ParadexSidecar({
    command: {
      command: `${REPO_ROOT}.venv/bin/python`,
      args: ["-c", PRODUCER, String(rate), String(count), String(batch)],
    },
    logger: silentLogger,
    heartbeatWindowMs: 60_000,
  });
  await sc.start();
  const latencies: number[] = [];
  let n = 0;
  let first = 0;
  let last = 0;
  const warm = Math.floor(count * WARMUP);
  const done = new Promise<void>((resolve) => {
    sc.on("bbo", (e) => {
      const t = nowUs();
      if (n === 0) first = t;
      last = t;
      if ((e.exchange_seq ?? 0) >= warm) latencies.push(t - e.recv_us);
      if (++n === count) resolve();
    });
  });
  await sc.ping();
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  const lost = count - n + sc.counters.missingLines;
  await sc.close();
  return { latencies, perS: Math.round(n / ((last - first) / 1e6)), lost };
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: "string", default: "1000,5000" },
      "max-rates": { type: "string", default: "10000,15000,20000,25000,30000,40000,50000,75000,100000" },
      seconds: { type: "string", default: "3" },
      repeat: { type: "string", default: "3" },
      out: { type: "string", default: `${REPO_ROOT}bench/results/bridge.json` },
      "no-sbe": { type: "boolean", default: false },
    },
  });
  const rates = values.rates.split(",").map(Number);
  const maxRates = values["max-rates"]
    .split(",")
    .filter((x) => x.length > 0)
    .map(Number);
  const seconds = Number(values.seconds);
  const repeat = Math.max(1, Number(values.repeat));
  const sbe = !values["no-sbe"];
  const rows: string[] = [];
  // Rows are printed as they are measured (a run takes ≈1.5 min) and kept for the JSON file.
  const log = (row: string): void => {
    rows.push(row);
    process.stdout.write(`${row}\n`);
  };

  const results: Record<string, unknown> = {
    benchmark: "bridge_latency",
    path: "simulator send → sidecar (paradex-py connection) → stdout pipe → LineFramer → JSON.parse → zod → on('bbo')",
    floor: "simulator send → Node ws (permessage-deflate off) → JSON.parse",
    sbe,
    market: MARKET,
    node: process.version,
    when: new Date().toISOString(),
    // The machine is shared: a high load average explains a bad tail better than the code does.
    load_avg_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    cpus: cpus().length,
    targets: { bridge_p50_us_at_1000: 200, lossless_events_per_s: 50_000 },
    latency: [] as unknown[],
    throughput: [] as unknown[],
    bridge_alone: {} as Record<string, unknown>,
  };

  const sim = await startParadexSim({ seed: 1, bboRate: 1, tradeRate: 0, args: ["--record-sendtimes"] });
  const direct = await directClient(sim);
  const bridge = await bridgeClient(sim, sbe);
  try {
    for (const rate of rates) {
      const count = Math.max(500, Math.round(rate * seconds));
      const entry: Record<string, unknown> = { rate, count, runs: repeat };
      const runs: Record<"direct" | "bridge", Burst[]> = { direct: [], bridge: [] };
      // Direct and bridge alternate, so a burst of load from elsewhere on the machine hits both alike.
      for (let run = 0; run < repeat; run++) {
        for (const c of [direct, bridge]) {
          await c.subscribe();
          await sleep(200);
          runs[c === direct ? "direct" : "bridge"].push(await burst(sim, c, rate, count));
          await c.unsubscribe();
        }
      }
      for (const key of ["direct", "bridge"] as const) {
        const bs = runs[key];
        const all = summary(bs.flatMap((b) => b.latencies));
        const p50s = bs.map((b) => summary(b.latencies).p50);
        const lost = bs.reduce((n, b) => n + b.lost, 0);
        entry[key] = {
          ...all,
          p50_per_run: p50s,
          lost,
          seq_gaps: bs.reduce((n, b) => n + b.seqGaps, 0),
          coalesced: bs.reduce((n, b) => n + b.coalesced, 0),
          reconnects: bs.reduce((n, b) => n + b.reconnects, 0),
        };
        log(
          `${String(rate).padStart(7)}/s  ${key.padEnd(10)} p50 ${fmt(all.p50)}  p90 ${fmt(all.p90)}  p99 ${fmt(all.p99)}  max ${fmt(all.max)}  lost ${lost}/${count * repeat}  (p50 per run: ${p50s.join(", ")} µs)`,
        );
      }
      const a = summary(runs.bridge.flatMap((b) => b.simToSidecar));
      const z = summary(runs.bridge.flatMap((b) => b.sidecarToNode));
      entry["bridge_breakdown"] = { sim_to_sidecar_recv: a, sidecar_recv_to_node_event: z };
      log(`${"".padStart(9)}  ├ sim send → sidecar recv_us   p50 ${fmt(a.p50)}  p99 ${fmt(a.p99)}`);
      log(`${"".padStart(9)}  └ sidecar recv_us → Node event p50 ${fmt(z.p50)}  p99 ${fmt(z.p99)}`);
      (results["latency"] as unknown[]).push(entry);
    }

    for (const c of [direct, bridge]) {
      let best: number | null = null;
      await c.subscribe();
      await sleep(200);
      for (const rate of maxRates) {
        const count = Math.round(rate * 2);
        const b = await burst(sim, c, rate, count);
        const sentRate = b.sendSpanS > 0 ? Math.round(count / b.sendSpanS) : null;
        const recvRate = b.recvSpanS > 0 ? Math.round(b.received / b.recvSpanS) : null;
        const s = summary(b.latencies);
        const clean = b.lost === 0 && b.seqGaps === 0 && b.coalesced === 0 && b.reconnects === 0;
        (results["throughput"] as unknown[]).push({
          consumer: c.name,
          target_rate: rate,
          count,
          sent_rate: sentRate,
          received_rate: recvRate,
          lost: b.lost,
          seq_gaps: b.seqGaps,
          coalesced: b.coalesced,
          reconnects: b.reconnects,
          p50_us: s.p50,
          p99_us: s.p99,
        });
        log(
          `max ${c.name.padEnd(10)} target ${String(rate).padStart(7)}/s  sim sent ${String(sentRate).padStart(7)}/s  received ${String(recvRate).padStart(7)}/s  lost ${b.lost}/${count} coalesced ${b.coalesced} reconnects ${b.reconnects}  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}`,
        );
        if (!clean) break;
        best = Math.max(best ?? 0, Math.min(sentRate ?? rate, recvRate ?? rate));
      }
      await c.unsubscribe();
      results[c === direct ? "direct_max_lossless_per_s" : "bridge_max_lossless_per_s"] = best;
    }
    direct.close();
    await bridge.sidecar.close();
    const times = await restartTimes(sim, 3);
    const sorted = [...times].sort((a, b) => a - b);
    results["restart_kill9_to_first_event_ms"] = {
      runs: times,
      median: sorted[Math.floor(sorted.length / 2)],
      target: 3000,
    };
    log(
      `kill -9 → restarted, resubscribed, first event: ${times.join(", ")} ms (median ${String(sorted[Math.floor(sorted.length / 2)])})`,
    );
  } finally {
    direct.close();
    await bridge.sidecar.close();
    await sim.stop();
  }

  const alone = results["bridge_alone"] as Record<string, unknown>;
  for (const rate of rates) {
    const r = await syntheticRun(rate, Math.max(500, Math.round(rate * seconds)), 1);
    const s = summary(r.latencies);
    alone[`latency_at_${rate}`] = { ...s, lost: r.lost };
    log(
      `alone ${String(rate).padStart(7)}/s  producer write → Node event p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}  lost ${r.lost}`,
    );
  }
  for (const batch of [1, 16]) {
    const r = await syntheticRun(0, 300_000, batch);
    alone[`max_per_s_batch_${batch}`] = r.perS;
    alone[`lost_batch_${batch}`] = r.lost;
    log(
      `alone max, ${String(batch).padStart(2)} line(s) per write: ${r.perS} events/s typed in Node, lost ${r.lost}/300000`,
    );
  }

  results["load_avg_at_end"] = loadavg().map((x) => Math.round(x * 100) / 100);
  log(
    `load average at start ${JSON.stringify(results["load_avg_at_start"])}, at end ${JSON.stringify(results["load_avg_at_end"])} (${cpus().length} CPUs)`,
  );
  results["table"] = rows;
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `highest lossless rate: direct ${String(results["direct_max_lossless_per_s"])}/s, bridge ${String(results["bridge_max_lossless_per_s"])}/s (bounded by the rates tried and by what the simulator can send)\nwrote ${values.out}\n`,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fmt(us: number): string {
  return `${us.toFixed(0).padStart(6)} µs`;
}

await main();
