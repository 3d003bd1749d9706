/**
 * @module view — what a person sees: a live table on a TTY, JSON lines otherwise, and the exit summary.
 *
 * The view only reads `BotStatus` snapshots and log events; it never touches trading state, so a slow
 * terminal cannot delay an order (rendering happens on a timer, not in the quote listener).
 */
import { formatHealth } from "@paradex-edgex/toolkit";
import type { VenueName } from "@paradex-edgex/core";
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC by definition.
const ESC_RE = /\x1b\[[0-9;?]*[A-Za-z]/y;

/** `line` cut to `cols` visible columns (escape sequences cost nothing), colours reset at the cut. */
export function fit(line: string, cols: number): string {
  let out = "";
  let visible = 0;
  let i = 0;
  while (i < line.length) {
    ESC_RE.lastIndex = i;
    const m = ESC_RE.exec(line);
    if (m !== null) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (visible >= cols) return `${out}${RESET}`;
    out += line[i];
    visible++;
    i++;
  }
  return out;
}

const short = (v: VenueName): string => (v === "paradex" ? "P" : "E");
const dirLabel = (d: string): string =>
  d.replace(
    /buy (\w+) \/ sell (\w+)/,
    (_, b: string, s: string) => `buy ${short(b as VenueName)}/sell ${short(s as VenueName)}`,
  );

/** Why an entry is blocked, in the colour a person should read it in. */
function blockText(block: string | null, inFlight: boolean): string {
  if (block === null) return `${GREEN}ready${RESET}`;
  if (block.startsWith("implausible") || block.startsWith("kill switch") || block.startsWith("net mismatch"))
    return `${RED}${BOLD}${block}${RESET}`;
  if (inFlight || block === "in-flight arbitrage") return `${YELLOW}in flight${RESET}`;
  return `${YELLOW}${block}${RESET}`;
}

/** The screen as lines for a terminal of `rows` × `cols`: header and market rows first, the log gets the rest. */
export function renderScreen(s: BotStatus | null, recent: readonly string[], rows: number, cols: number): string[] {
  const must: string[] = [];
  const optional: string[][] = [];
  if (s === null) {
    must.push(`${BOLD}EdgeX–Paradex arb${RESET}  starting: connecting to both venues, loading markets…`);
  } else {
    const mode = s.mode === "live" ? `${RED}${BOLD}LIVE — REAL ORDERS${RESET}` : `${GREEN}PAPER${RESET}`;
    const up = Math.round((Date.now() - s.startedAt) / 1000);
    const kill = s.killed ? `${RED}${BOLD}KILLED: ${s.killed}${RESET}` : `${GREEN}entries enabled${RESET}`;
    const t = s.thresholds;
    must.push(
      `${BOLD}EdgeX–Paradex arb${RESET} ${mode} up ${up}s ${kill} bps: entry≥${t.minEdgeBps} exit≥${t.exitEdgeBps} edge≤${t.maxEdgeBps} gap≤${t.maxMidGapBps}`,
    );
    must.push(
      `${BOLD}${pad("mkt", 5)}${pad("paradex bid/ask", 19)}${pad("edgex bid/ask", 19)}${pad("pos P/E (net)", 18)}${lpad("rPnL", 9)}${lpad("uPnL", 9)}${RESET}`,
    );
    for (const m of s.markets) {
      const qa = m.quotes.paradex;
      const qb = m.quotes.edgex;
      must.push(
        `${BOLD}${pad(m.base, 5)}${RESET}${pad(`${qa.bid ?? "—"}/${qa.ask ?? "—"}`, 19)}${pad(`${qb.bid ?? "—"}/${qb.ask ?? "—"}`, 19)}` +
          `${pad(`${m.positions.paradex}/${m.positions.edgex} (${m.net})`, 18)}${lpad(m.realized, 9)}${lpad(m.unrealized, 9)}`,
      );
      const dirs = m.directions.map((d) => {
        const edge = d.edgeBps === null ? "—" : d.edgeBps;
        const colour = d.ok ? GREEN : "";
        const why = d.ok ? "go" : (d.reason ?? "");
        return `${dirLabel(d.direction)} ${colour}${edge}${RESET}/${d.thresholdBps} ${why}`;
      });
      // The block comes first so a narrow terminal cuts the detail, never the reason entries are stopped.
      must.push(`  ${blockText(m.block, m.inFlight)} │ ${dirs.join(" │ ")}`);
    }
    const venueLines = (["paradex", "edgex"] as const).map((v) => {
      const vs = s.venues[v];
      const bal = vs.balances.map((b) => `${b.token} ${b.size}`).join(", ") || "—";
      const orders =
        vs.openOrders.length === 0
          ? "no open orders"
          : `${vs.openOrders.length} open: ${vs.openOrders.map((o) => `${o.side} ${o.size} ${o.market}@${o.price ?? "mkt"}`).join(", ")}`;
      return `${pad(v, 8)}value ${vs.accountValue ?? "—"} free ${vs.freeCollateral ?? "—"} · ${bal} · ${orders}`;
    });
    optional.push(venueLines);
    const mism = s.mismatches.length ? `  ${RED}MISMATCH: ${s.mismatches.join("; ")}${RESET}` : "";
    optional.push([
      `arbs ${s.arbs.total} (clean ${s.arbs.clean}, corrected ${s.arbs.corrected}, failed ${s.arbs.failed})  PnL r ${s.realized} u ${s.unrealized} fees ${s.fees}  event→orders p50 ${s.latencyUs.p50 ?? "—"}µs${mism}`,
    ]);
    optional.push(
      formatHealth(s.health)
        .filter((l) => !l.startsWith(" "))
        .map((l) => `feed ${l}`),
    );
  }
  const lines = [...must];
  for (const block of optional) {
    if (lines.length + block.length + 1 > rows) break;
    lines.push(...block);
  }
  const room = rows - lines.length - 1;
  if (room > 0 && recent.length > 0) {
    lines.push(`${BOLD}events${RESET}`);
    lines.push(...recent.slice(-Math.max(0, room - 1)));
  }
  return lines.slice(0, rows).map((l) => fit(l, cols));
}

/**
 * Full-screen table on the terminal's alternate screen (nothing lands in the scrollback; the terminal is
 * restored on exit, on a crash, and on `close()`), redrawn in place on each status tick and on resize.
 */
export class TtyView implements View {
  private readonly recent: string[] = [];
  private last: BotStatus | null = null;
  private closed = false;
  private readonly restore = (): void => {
    if (!this.closed) this.out.write("\x1b[?25h\x1b[?1049l");
    this.closed = true;
  };
  private readonly redraw = (): void => this.draw();

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.out.write("\x1b[?1049h\x1b[?25l"); // alternate screen, cursor hidden while the table redraws
    process.once("exit", this.restore);
    if (typeof this.out.on === "function") this.out.on("resize", this.redraw);
    this.draw();
  }

  event(name: string, fields: Record<string, unknown>): void {
    const time = new Date().toISOString().slice(11, 19);
    const reason = typeof fields["reason"] === "string" ? fields["reason"] : "";
    const important =
      name === "KILL_SWITCH" ||
      name === "IMPLAUSIBLE" ||
      name === "net_mismatch" ||
      name === "residual_failed" ||
      name.startsWith("LIVE") ||
      reason.startsWith("implausible");
    const text = `${time} ${name} ${Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ")}`;
    this.recent.push(important ? `${RED}${text}${RESET}` : text);
    if (this.recent.length > 200) this.recent.shift();
    if (this.last === null) this.draw(); // before the first status, events are all there is to show
  }

  status(s: BotStatus): void {
    this.last = s;
    this.draw();
  }

  private draw(): void {
    if (this.closed) return;
    const rows = this.out.rows ?? 24;
    const cols = this.out.columns ?? 80;
    const lines = renderScreen(this.last, this.recent, rows, cols);
    // Home, each line cleared to its end, the rest of the screen cleared: no flicker, no scrolling.
    this.out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join("\r\n")}\x1b[J`);
  }

  close(): void {
    if (typeof this.out.off === "function") this.out.off("resize", this.redraw);
    process.off("exit", this.restore);
    this.restore();
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
