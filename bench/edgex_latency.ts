/**
 * Latency from a depth frame sent by the EdgeX simulator to the normalized `book` event of EdgeXClient.
 *
 * The simulator runs as its own process (as in production, the venue is another machine); it logs each
 * frame's send time (wall clock µs) in `GET /_sim/sent`. The client stamps each `book` event when its listener
 * runs. Frames and events are joined on (contract, endVersion = exchange_seq). Same host, same clock.
 *
 *   npm run --silent tsx -- bench/edgex_latency.ts [--seconds 20] [--step-ms 20] [--out bench/results/edgex_latency.json]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { EdgeXClient } from "@paradex-edgex/edgex";
import { nowMicros } from "@paradex-edgex/edgex";
import { startEdgex } from "@paradex-edgex/dev/sims";

const { values } = parseArgs({
  options: { seconds: { type: "string" }, "step-ms": { type: "string" }, out: { type: "string" } },
});
const seconds = Number(values.seconds ?? "20");
const stepMs = Number(values["step-ms"] ?? "20");

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  // Its own process, as in production (the venue is another machine).
  const sim = await startEdgex({ seed: 1, stepMs, quirks: false, separateProcess: true });
  const client = new EdgeXClient({
    restUrl: sim.restUrl,
    quoteWsUrl: sim.quoteWsUrl,
    privateWsUrl: sim.privateWsUrl,
  });
  const seen: { market: string; seq: number; recvUs: number; emitUs: number }[] = [];
  client.on("book", (e) => {
    if (e.exchange_seq !== null)
      seen.push({ market: e.market, seq: e.exchange_seq, recvUs: e.recv_us, emitUs: nowMicros() });
  });
  await client.connect();
  const markets = await client.markets();
  for (const m of markets) await client.subscribe("book", m.market);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await client.close();

  const sent = (await sim.query("sent", { channel: "depth", limit: "5000" }))["records"] as {
    sent_us: number;
    frame: string;
  }[];
  await sim.stop();
  const sentAt = new Map<string, number>();
  for (const r of sent) {
    const rec = (JSON.parse(r.frame) as { content: { data: { contractName: string; endVersion: string }[] } }).content
      .data[0];
    if (rec !== undefined) sentAt.set(`${rec.contractName}:${rec.endVersion}`, r.sent_us);
  }
  const total: number[] = [];
  const wire: number[] = [];
  const client_: number[] = [];
  for (const s of seen) {
    const t0 = sentAt.get(`${s.market}:${s.seq}`);
    if (t0 === undefined) continue;
    total.push(s.emitUs - t0);
    wire.push(s.recvUs - t0);
    client_.push(s.emitUs - s.recvUs);
  }
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { n: s.length, p50_us: pct(s, 50), p90_us: pct(s, 90), p99_us: pct(s, 99), max_us: s.at(-1) ?? null };
  };
  const out = {
    bench: "edgex_depth_to_book_event",
    seconds,
    step_ms: stepMs,
    markets: markets.map((m) => m.market),
    node: process.version,
    frame_to_event: summary(total),
    frame_to_recv: summary(wire),
    recv_to_event: summary(client_),
  };
  const text = JSON.stringify(out, null, 2);
  process.stdout.write(`${text}\n`);
  if (values.out !== undefined) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${text}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`edgex_latency: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
