/**
 * Reference price paths: JSON lines `{"t": seconds_from_start, "BTC": "65000.5", ...}`, applied stepwise
 * (the latest entry with t ≤ elapsed holds). The Paradex simulator reads the same format, so two simulators
 * fed one file quote the same underlying price and cross-venue spreads open and close together.
 */
import { readFileSync } from "node:fs";

export interface PathEntry {
  readonly t: number;
  readonly prices: ReadonlyMap<string, number>;
}

/** Parse a path file's text; a bad line raises with its line number. */
export function parsePricePath(text: string): PathEntry[] {
  const out: PathEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`price path line ${i + 1}: not JSON`);
    }
    if (typeof v !== "object" || v === null) throw new Error(`price path line ${i + 1}: not an object`);
    const rec = v as Record<string, unknown>;
    const t = rec["t"];
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0) throw new Error(`price path line ${i + 1}: bad "t"`);
    const prices = new Map<string, number>();
    for (const [k, p] of Object.entries(rec)) {
      if (k === "t") continue;
      const n = typeof p === "string" || typeof p === "number" ? Number(p) : Number.NaN;
      if (!Number.isFinite(n) || n <= 0) throw new Error(`price path line ${i + 1}: bad price for ${k}`);
      prices.set(k.toUpperCase(), n);
    }
    out.push({ t, prices });
  });
  return out.sort((a, b) => a.t - b.t);
}

export function loadPricePath(file: string): PathEntry[] {
  return parsePricePath(readFileSync(file, "utf8"));
}

/** Index of the entry in force at `elapsedSeconds`, or -1 before the first one. */
export function entryAt(path: readonly PathEntry[], elapsedSeconds: number): number {
  let idx = -1;
  for (let i = 0; i < path.length; i++) {
    const e = path[i];
    if (e === undefined || e.t > elapsedSeconds) break;
    idx = i;
  }
  return idx;
}
