/**
 * @module view — what a person sees: a live table on a TTY, JSON lines otherwise, and the exit summary.
 *
 * The view only reads `BotStatus` snapshots and log events; it never touches trading state, so a slow
 * terminal cannot delay an order (rendering happens on a timer, not in the quote listener).
 */
import { formatHealth } from "@paradex-edgex/toolkit";
import type { BotStatus } from "./status.ts";

const RED = "\x1b[31m";
const GREEN = "\x1b[32m";
const YELLOW = "\x1b[33m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

export interface View {
  event(name: string, fields: Record<string, unknown>): void;
  status(s: BotStatus): void;
  close(): void;
}

/** One JSON object per line on stdout: `{"ts":…, "event":…, …fields}`. */
export class JsonView implements View {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  event(name: string, fields: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify({ ts: new Date().toISOString(), event: name, ...fields })}\n`);
  }
  status(s: BotStatus): void {
    this.event("status", { ...s });
  }
  close(): void {}
}

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : " ".repeat(n - s.length) + s);

/** Full-screen table redrawn on each status tick, with the latest events underneath. */
export class TtyView implements View {
  private readonly recent: string[] = [];
  private last: BotStatus | null = null;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.out.write("\x1b[?25l"); // hide cursor while the table redraws
  }

  event(name: string, fields: Record<string, unknown>): void {
    const time = new Date().toISOString().slice(11, 23);
    const important =
      name === "KILL_SWITCH" || name === "net_mismatch" || name === "residual_failed" || name.startsWith("LIVE");
    const text = `${time} ${name} ${Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ")}`;
    this.recent.push(important ? `${RED}${text}${RESET}` : text);
    if (this.recent.length > 12) this.recent.shift();
  }

  status(s: BotStatus): void {
    this.last = s;
    const lines: string[] = [];
    const mode = s.mode === "live" ? `${RED}${BOLD}LIVE — REAL ORDERS${RESET}` : `${GREEN}PAPER (nothing sent)${RESET}`;
    lines.push(
      `${BOLD}EdgeX–Paradex arb${RESET}  mode: ${mode}  up ${Math.round((Date.now() - s.startedAt) / 1000)} s  ${s.killed ? `${RED}KILLED: ${s.killed}${RESET}` : `${GREEN}entries enabled${RESET}`}`,
    );
    lines.push("");
    lines.push(
      `${pad("mkt", 5)}${pad("paradex bid/ask", 24)}${pad("edgex bid/ask", 24)}${lpad("edge bps", 9)}  ${pad("pos P / E (net)", 26)}${lpad("rPnL", 10)}${lpad("uPnL", 10)}${lpad("seen/taken", 12)}  note`,
    );
    for (const m of s.markets) {
      const qa = m.quotes.paradex;
      const qb = m.quotes.edgex;
      const edge = m.edgeBps === null ? "—" : m.edgeBps;
      const color = m.edgeBps !== null && Number(m.edgeBps) > 0 ? GREEN : "";
      const note = m.inFlight ? `${YELLOW}in flight${RESET}` : (m.block ?? "");
      lines.push(
        `${pad(m.base, 5)}${pad(`${qa.bid ?? "—"} / ${qa.ask ?? "—"}`, 24)}${pad(`${qb.bid ?? "—"} / ${qb.ask ?? "—"}`, 24)}${color}${lpad(edge, 9)}${RESET}  ${pad(`${m.positions.paradex} / ${m.positions.edgex} (${m.net})`, 26)}${lpad(m.realized, 10)}${lpad(m.unrealized, 10)}${lpad(`${m.seen}/${m.taken}`, 12)}  ${note}`,
      );
    }
    const health = s.markets[0]
      ? `paradex ${s.markets[0].quotes.paradex.health}, edgex ${s.markets[0].quotes.edgex.health}`
      : "";
    lines.push("");
    lines.push(
      `venues: ${health}   arbs: ${s.arbs.total} (clean ${s.arbs.clean}, corrected ${s.arbs.corrected}, failed ${s.arbs.failed})   PnL realized ${s.realized} unrealized ${s.unrealized} fees ${s.fees}`,
    );
    lines.push(
      `event→orders latency: p50 ${s.latencyUs.p50 ?? "—"} µs  p99 ${s.latencyUs.p99 ?? "—"} µs  (n=${s.latencyUs.n})${s.mismatches.length ? `   ${RED}MISMATCH: ${s.mismatches.join("; ")}${RESET}` : ""}`,
    );
    lines.push("");
    lines.push(`${BOLD}feeds${RESET} (rate over 10 s, last-message age, receive→emit lag, messages)`);
    lines.push(...formatHealth(s.health));
    lines.push("");
    lines.push(...this.recent);
    this.out.write(`\x1b[H\x1b[2J${lines.join("\n")}\n`);
  }

  close(): void {
    this.out.write("\x1b[?25h");
    if (this.last) this.out.write("\n");
  }
}

/** The exit summary, as text lines (printed to stderr on a TTY, as one JSON event otherwise). */
export function summaryLines(s: BotStatus): string[] {
  const lines = [
    `summary: mode ${s.mode}, ran ${Math.round((Date.now() - s.startedAt) / 1000)} s${s.killed ? `, kill switch: ${s.killed}` : ""}`,
    `  arbitrages ${s.arbs.total}: clean ${s.arbs.clean}, corrected (hedged/unwound) ${s.arbs.corrected}, failed ${s.arbs.failed}`,
    `  PnL realized ${s.realized}, unrealized ${s.unrealized}, fees ${s.fees} (quote currency)`,
    `  event→orders latency p50 ${s.latencyUs.p50 ?? "—"} µs, p99 ${s.latencyUs.p99 ?? "—"} µs over ${s.latencyUs.n} arbitrages (from frame receipt: p50 ${s.latencyUs.fromRecvP50 ?? "—"} µs, p99 ${s.latencyUs.fromRecvP99 ?? "—"} µs)`,
  ];
  for (const m of s.markets)
    lines.push(
      `  ${m.base}: seen ${m.seen}, taken ${m.taken}, positions paradex ${m.positions.paradex} edgex ${m.positions.edgex} (net ${m.net})`,
    );
  if (s.mismatches.length > 0) lines.push(`  MISMATCH: ${s.mismatches.join("; ")}`);
  lines.push(...formatHealth(s.health).map((l) => `  ${l}`));
  return lines;
}
