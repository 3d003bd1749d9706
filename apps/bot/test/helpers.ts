/**
 * @module helpers — test plumbing: a bot over two fake venues with a temp journal, and awaiting log events.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArbBot } from "../src/bot.ts";
import { loadConfig } from "../src/config.ts";
import { PaperVenue } from "../src/paper.ts";
import { FakeVenue, meta } from "./fake-venue.ts";

export interface LogLine {
  event: string;
  fields: Record<string, unknown>;
  /** performance.now() when it was logged. */
  at: number;
}

/** Collects log events and lets a test await one that matches, with a deadline. */
export class LogTap {
  readonly lines: LogLine[] = [];
  private readonly waiters = new Set<() => void>();
  readonly fn = (event: string, fields: Record<string, unknown>): void => {
    this.lines.push({ event, fields, at: performance.now() });
    for (const w of [...this.waiters]) w();
  };
  count(event: string): number {
    return this.lines.filter((l) => l.event === event).length;
  }
  wait(
    event: string,
    pred: (f: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 5000,
    from = 0,
  ): Promise<LogLine> {
    const find = (): LogLine | undefined => this.lines.slice(from).find((l) => l.event === event && pred(l.fields));
    const hit = find();
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const h = find();
        if (!h) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(h);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for log event ${event}; last: ${JSON.stringify(this.lines.slice(-5))}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

export function tmpJournal(): string {
  return join(mkdtempSync(join(tmpdir(), "arb-test-")), "journal.jsonl");
}

export interface Rig {
  bot: ArbBot;
  p: FakeVenue;
  e: FakeVenue;
  tap: LogTap;
  journal: string;
}

/**
 * Two fake venues quoting BTC (Paradex fee 2 bps, EdgeX 3.8 bps) and a bot over them, not yet started.
 * With `paper`, the bot sees them through `PaperVenue` wrappers, as `buildVenues` does without `--live`.
 */
export function rig(
  args: string[] = [],
  journal = tmpJournal(),
  venues?: { p: FakeVenue; e: FakeVenue },
  paper = false,
): Rig {
  const p =
    venues?.p ??
    new FakeVenue("paradex", [
      meta("BTC-USD-PERP", "BTC", { stepSize: "0.0001", minSize: "0.0001", takerFeeRate: "0.0002" }),
    ]);
  const e =
    venues?.e ??
    new FakeVenue("edgex", [
      meta("BTCUSDC", "BTC", { stepSize: "0.001", minSize: "0.001", takerFeeRate: "0.00038", quote: "USDC" }),
    ]);
  const cfg = loadConfig(
    [
      "--markets",
      "BTC",
      "--size",
      "BTC=0.01",
      "--max-position",
      "BTC=0.05",
      "--min-edge-bps",
      "5",
      "--slippage-bps",
      "1",
      "--journal",
      journal,
      "--cooldown-ms",
      "0",
      "--leg-timeout-ms",
      "300",
      "--reconcile-interval-ms",
      "60000",
      ...args,
    ],
    {},
  );
  const tap = new LogTap();
  const wired = paper ? { paradex: new PaperVenue(p), edgex: new PaperVenue(e) } : { paradex: p, edgex: e };
  const bot = new ArbBot({ cfg, venues: wired, log: tap.fn, durableJournal: false });
  return { bot, p, e, tap, journal };
}

/** Quote both venues: Paradex around `pMid`, EdgeX around `eMid`, one tick wide, ample depth. */
export function quote(r: Rig, pMid: number, eMid: number): void {
  const lv = (px: number, sz = "1"): [string, string] => [px.toFixed(1), sz];
  r.p.setBook("BTC-USD-PERP", [lv(pMid - 0.05 - 0.05), lv(pMid - 5)], [lv(pMid + 0.1), lv(pMid + 5)]);
  r.e.setBook("BTCUSDC", [lv(eMid - 0.1), lv(eMid - 5)], [lv(eMid + 0.1), lv(eMid + 5)]);
}
