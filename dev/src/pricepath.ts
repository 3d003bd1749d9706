/**
 * @module pricepath — seeded reference price paths for the two simulators, with cross-venue dislocations.
 *
 * Both simulators pin their mid to a path file (JSON lines `{"t": s, "BTC": "65000.5", …}`). Fed one identical
 * file they would quote the same mid and no spread would ever open, so we generate ONE reference path (a
 * seeded random walk) and derive one file per venue: reference × (1 + basis), where the basis is zero most
 * of the time and, every few seconds, one venue dislocates by 15–40 bps for a couple of seconds and returns.
 * The sign alternates at random, so positions opened on one dislocation are closed on a later opposite one.
 * Floats are fine here: this is scenario data, formatted to fixed decimals; no order is built from it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** mulberry32: small, seedable, good enough to make scenario data reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PathOptions {
  seed: number;
  seconds: number;
  stepS?: number;
  start?: Record<string, number>;
  /** Mean seconds between dislocations per coin. */
  everyS?: number;
  minBps?: number;
  maxBps?: number;
}

export interface VenuePaths {
  paradex: string;
  edgex: string;
  /** When each dislocation starts (for the demo's narration and tests). */
  events: { t: number; coin: string; venue: "paradex" | "edgex"; bps: number }[];
}

const DECIMALS: Record<string, number> = { BTC: 1, ETH: 2, SOL: 3 };

/** Generate the two path texts. Deterministic in `seed`. */
export function generatePaths(o: PathOptions): VenuePaths {
  const r = rng(o.seed);
  const step = o.stepS ?? 0.25;
  const start = o.start ?? { BTC: 65000, ETH: 3200, SOL: 150 };
  const coins = Object.keys(start);
  const every = o.everyS ?? 8;
  const lo = o.minBps ?? 15;
  const hi = o.maxBps ?? 40;
  const ref = { ...start };
  // A dislocation: ramp 0.5 s up, hold 1.5–3 s, decay 2 s. `basis[venue][coin]` is a fraction of the mid.
  const active: Record<string, { venue: "paradex" | "edgex"; bps: number; t0: number; hold: number } | null> = {};
  const next: Record<string, number> = {};
  for (const c of coins) next[c] = 2 + r() * every;
  const events: VenuePaths["events"] = [];
  const lines = { paradex: [] as string[], edgex: [] as string[] };
  for (let i = 0; i * step <= o.seconds; i++) {
    const t = Number((i * step).toFixed(3));
    const p: Record<string, string | number> = { t };
    const e: Record<string, string | number> = { t };
    for (const c of coins) {
      ref[c] = (ref[c] as number) * (1 + (r() - 0.5) * 2 * 0.0001); // ±1 bp per step
      if (active[c] == null && t >= (next[c] as number)) {
        const d = {
          venue: r() < 0.5 ? ("paradex" as const) : ("edgex" as const),
          bps: (lo + r() * (hi - lo)) * (r() < 0.5 ? -1 : 1),
          t0: t,
          hold: 1.5 + r() * 1.5,
        };
        active[c] = d;
        events.push({ t, coin: c, venue: d.venue, bps: Number(d.bps.toFixed(1)) });
      }
      let basis = 0;
      const d = active[c];
      if (d != null) {
        const age = t - d.t0;
        const shape = age < 0.5 ? age / 0.5 : age < 0.5 + d.hold ? 1 : Math.max(0, 1 - (age - 0.5 - d.hold) / 2);
        basis = (d.bps / 10_000) * shape;
        if (age > 0.5 + d.hold + 2) {
          active[c] = null;
          next[c] = t + every * (0.5 + r());
        }
      }
      const dp = DECIMALS[c] ?? 2;
      const px = ref[c] as number;
      p[c] = (px * (1 + (d?.venue === "paradex" ? basis : 0))).toFixed(dp);
      e[c] = (px * (1 + (d?.venue === "edgex" ? basis : 0))).toFixed(dp);
    }
    lines.paradex.push(JSON.stringify(p));
    lines.edgex.push(JSON.stringify(e));
  }
  return { paradex: `${lines.paradex.join("\n")}\n`, edgex: `${lines.edgex.join("\n")}\n`, events };
}

/** Write `paradex.jsonl` and `edgex.jsonl` into `dir`; returns their paths. */
export function writePaths(
  dir: string,
  o: PathOptions,
): { paradex: string; edgex: string; events: VenuePaths["events"] } {
  const g = generatePaths(o);
  const paradex = join(dir, "paradex.jsonl");
  const edgex = join(dir, "edgex.jsonl");
  writeFileSync(paradex, g.paradex);
  writeFileSync(edgex, g.edgex);
  return { paradex, edgex, events: g.events };
}
