/**
 * @module journal — append-only, fsynced JSONL record of every intent, order and outcome; replayed at start.
 *
 * Write-ahead: a record is on disk (fdatasync) before the action it describes happens, and another after,
 * so a crash between the two leaves an "intent without outcome" that the next start looks up at the venue
 * instead of forgetting (our predecessor kept positions in memory and lost 156 of 159 trades). Writes are
 * synchronous on purpose: ordering is total and nothing is buffered in user space when the process dies.
 * A torn last line (crash mid-write) is reported and skipped at replay; a torn line elsewhere is corruption.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import type { VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";

export type LegRole = "buy" | "sell" | "correction";
export type LegState = "intent" | "sent" | "filled" | "partial" | "failed" | "unknown";
export type ArbState = "intent" | "sent" | "settled" | "correcting" | "hedged" | "unwound" | "done" | "failed";

export interface LegPlanRecord {
  role: LegRole;
  venue: VenueName;
  market: string;
  base: string;
  side: "BUY" | "SELL";
  size: string;
  price: string;
  clientId: string;
  reduceOnly: boolean;
  /** Venue position (base units) the bot believed before this leg: the reference for an unknown-outcome lookup. */
  positionBefore: string;
}

export type JournalRecord =
  | { k: "start"; ts: number; runId: string; live: boolean; pid: number }
  | { k: "arb"; ts: number; arbId: string; base: string; edgeBps: string; size: string; reducing: boolean }
  | { k: "leg_sent"; ts: number; arbId: string; leg: LegPlanRecord }
  | {
      k: "leg_done";
      ts: number;
      arbId: string;
      clientId: string;
      venue: VenueName;
      state: LegState;
      orderId: string | null;
      filled: string;
      avgPrice: string | null;
      fee: string;
      error?: string;
      via: "events" | "snapshot" | "recovery";
    }
  | { k: "arb_state"; ts: number; arbId: string; state: ArbState; residual?: string; note?: string }
  | { k: "position"; ts: number; venue: VenueName; base: string; size: string; source: "snapshot" | "leg" | "event" }
  | { k: "kill"; ts: number; reason: string }
  | { k: "kill_reset"; ts: number }
  | { k: "mismatch"; ts: number; base: string; net: string; note: string }
  /**
   * A venue retracted a fill (Paradex trade bust, EdgeX censoring failure). With `clientId`, it was a leg's
   * fill: replay takes `size` off that leg's outcome (a `position` record with the corrected size follows).
   */
  | {
      k: "fill_bust";
      ts: number;
      venue: VenueName;
      fillId: string;
      orderId: string | null;
      reason: string | null;
      base: string | null;
      arbId: string | null;
      clientId: string | null;
      side: "BUY" | "SELL" | null;
      size: string | null;
      price: string | null;
      fee: string | null;
      /** "settled": undone in the ledger; "pending": dropped before its leg settled; "unknown": not ours. */
      applied: "settled" | "pending" | "unknown";
    };

export type JournalKind = JournalRecord["k"];

export interface ReplayResult {
  records: JournalRecord[];
  /** Lines that could not be parsed (line number, first 120 chars). */
  bad: { line: number; text: string }[];
  tornTail: boolean;
}

/** Append-only journal file. One instance per process; `append` returns after the bytes are durable. */
export class Journal {
  private fd: number | null = null;

  constructor(
    readonly path: string,
    private readonly durable = true,
  ) {}

  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, "a");
  }

  append(rec: JournalRecord): void {
    this.appendMany([rec]);
  }

  /**
   * Several records in one write() and (unless `defer`) one fdatasync. After write() returns the bytes are in
   * the kernel: they survive a crash or kill -9 of this process; the fdatasync makes them survive the machine.
   * `defer` leaves that second step to an explicit `sync()` (used to take the disk off the order path).
   */
  appendMany(recs: JournalRecord[], defer = false): void {
    if (this.fd === null) throw new Error("journal not open");
    writeSync(this.fd, recs.map((r) => `${JSON.stringify(r)}\n`).join(""));
    if (this.durable && !defer) fdatasyncSync(this.fd);
  }

  sync(): void {
    if (this.fd !== null && this.durable) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Read every record written so far (by this or an earlier process). */
  static replay(path: string): ReplayResult {
    if (!existsSync(path)) return { records: [], bad: [], tornTail: false };
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    const tornTail = lines.length > 0 && lines[lines.length - 1] !== "";
    const records: JournalRecord[] = [];
    const bad: { line: number; text: string }[] = [];
    lines.forEach((line, i) => {
      if (line === "") return;
      try {
        const rec = JSON.parse(line) as JournalRecord;
        if (typeof rec !== "object" || rec === null || typeof rec.k !== "string") throw new Error("no kind");
        records.push(rec);
      } catch {
        bad.push({ line: i + 1, text: line.slice(0, 120) });
      }
    });
    return { records, bad, tornTail };
  }
}

export interface ReplayedLeg {
  plan: LegPlanRecord;
  done: Extract<JournalRecord, { k: "leg_done" }> | null;
}

export interface ReplayedArb {
  arbId: string;
  base: string;
  state: ArbState;
  legs: ReplayedLeg[];
}

export interface ReplayState {
  arbs: Map<string, ReplayedArb>;
  /** Arbitrages whose last state is not terminal: a crash interrupted them. */
  open: ReplayedArb[];
  /** Positions per venue and base from the last snapshot plus every fill journaled after it. */
  positions: Map<string, string>;
  killReason: string | null;
  /** Realized PnL inputs of today's legs (UTC day of `now`). */
  todaysLegs: Extract<JournalRecord, { k: "leg_done" }>[];
  lastArbSeq: number;
  runs: number;
}

export const posKey = (venue: string, base: string): string => `${venue}:${base}`;

/** Fold the records into the state a restart needs. Pure. */
export function foldJournal(records: JournalRecord[], now: number): ReplayState {
  const arbs = new Map<string, ReplayedArb>();
  const legsByClient = new Map<string, ReplayedLeg>();
  const positions = new Map<string, string>();
  let killReason: string | null = null;
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  const todaysLegs: Extract<JournalRecord, { k: "leg_done" }>[] = [];
  let lastArbSeq = 0;
  let runs = 0;
  for (const r of records) {
    switch (r.k) {
      case "start":
        runs++;
        break;
      case "arb": {
        arbs.set(r.arbId, { arbId: r.arbId, base: r.base, state: "intent", legs: [] });
        const seq = Number(/-(\d+)$/.exec(r.arbId)?.[1] ?? "0");
        if (seq > lastArbSeq) lastArbSeq = seq;
        break;
      }
      case "leg_sent": {
        const leg: ReplayedLeg = { plan: r.leg, done: null };
        arbs.get(r.arbId)?.legs.push(leg);
        legsByClient.set(r.leg.clientId, leg);
        break;
      }
      case "leg_done": {
        const leg = legsByClient.get(r.clientId);
        if (leg !== undefined) leg.done = r;
        if (r.ts >= dayStart) todaysLegs.push(r);
        break;
      }
      case "arb_state": {
        const a = arbs.get(r.arbId);
        if (a !== undefined) a.state = r.state;
        break;
      }
      case "position":
        positions.set(posKey(r.venue, r.base), r.size);
        break;
      case "kill":
        killReason = r.reason;
        break;
      case "kill_reset":
        killReason = null;
        break;
      case "mismatch":
        break;
      case "fill_bust": {
        // Only a fill the ledger had taken (its leg settled) changes that leg's replayed outcome.
        const leg = r.clientId === null ? undefined : legsByClient.get(r.clientId);
        if (r.applied !== "settled" || leg?.done == null || r.size === null) break;
        const left = D.max(D.ZERO, D.from(leg.done.filled).sub(r.size));
        const done = { ...leg.done, filled: left.toString() };
        const i = todaysLegs.indexOf(leg.done);
        if (i >= 0) todaysLegs[i] = done;
        leg.done = done;
        break;
      }
    }
  }
  const terminal = new Set<ArbState>(["done", "failed", "hedged", "unwound"]);
  const open = [...arbs.values()].filter((a) => !terminal.has(a.state));
  return { arbs, open, positions, killReason, todaysLegs, lastArbSeq, runs };
}
