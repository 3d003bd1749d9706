/**
 * A depth book of one `depth.{contractId}.{level}` channel: Snapshot replaces it, CHANGED sets absolute
 * sizes ("0" deletes), versions must be contiguous (startVersion = previous endVersion + 1), and it is
 * trimmed to its level. Anything that breaks continuity is reported to the caller, which resubscribes.
 */
import { canonical, isZero } from "@paradex-edgex/core/decimal";
import type { DepthRecord, Level } from "./wire.ts";

export type ApplyResult =
  | { readonly kind: "applied" }
  /** endVersion ≤ what we hold: a duplicate or a late frame, ignored. */
  | { readonly kind: "stale"; readonly reason: string }
  /** A version jump, a frame before any snapshot, or a crossed book: the book is unusable until resynced. */
  | { readonly kind: "gap"; readonly reason: string };

interface Entry {
  readonly px: number;
  size: string;
}

function setLevels(side: Map<string, Entry>, levels: readonly Level[]): void {
  for (const l of levels) {
    const price = canonical(l.price);
    if (isZero(l.size)) side.delete(price);
    else side.set(price, { px: Number(price), size: canonical(l.size) });
  }
}

export class DepthBook {
  readonly #bids = new Map<string, Entry>();
  readonly #asks = new Map<string, Entry>();
  readonly depth: number;
  /** Levels `levels()` returns by default (a 200-level book shown as its top 15). */
  readonly shown: number;
  /** endVersion of the last applied record; undefined until a snapshot arrives. */
  version: bigint | undefined;

  constructor(depth: number, shown = depth) {
    this.depth = depth;
    this.shown = Math.min(shown, depth);
  }

  get ready(): boolean {
    return this.version !== undefined;
  }

  /** Forget everything (waiting for a fresh snapshot). */
  invalidate(): void {
    this.version = undefined;
    this.#bids.clear();
    this.#asks.clear();
  }

  applySnapshot(r: DepthRecord): ApplyResult {
    this.#bids.clear();
    this.#asks.clear();
    setLevels(this.#bids, r.bids);
    setLevels(this.#asks, r.asks);
    this.version = BigInt(r.endVersion);
    this.#trim();
    return this.#checkCrossed();
  }

  applyChanged(r: DepthRecord): ApplyResult {
    if (this.version === undefined) return { kind: "gap", reason: "changes before any snapshot" };
    const start = BigInt(r.startVersion);
    const end = BigInt(r.endVersion);
    if (end <= this.version) return { kind: "stale", reason: `endVersion ${end} ≤ held ${this.version}` };
    if (start !== this.version + 1n)
      return { kind: "gap", reason: `startVersion ${start} after endVersion ${this.version}` };
    setLevels(this.#bids, r.bids);
    setLevels(this.#asks, r.asks);
    this.version = end;
    this.#trim();
    return this.#checkCrossed();
  }

  #sorted(side: Map<string, Entry>, descending: boolean): [string, Entry][] {
    return [...side.entries()].sort((a, b) => (descending ? b[1].px - a[1].px : a[1].px - b[1].px));
  }

  #trim(): void {
    for (const [side, desc] of [
      [this.#bids, true],
      [this.#asks, false],
    ] as const) {
      if (side.size <= this.depth) continue;
      for (const [price] of this.#sorted(side, desc).slice(this.depth)) side.delete(price);
    }
  }

  #checkCrossed(): ApplyResult {
    const bid = this.best("bids");
    const ask = this.best("asks");
    if (bid !== undefined && ask !== undefined && bid.px >= ask.px) {
      return { kind: "gap", reason: `crossed book: bid ${bid.price} ≥ ask ${ask.price}` };
    }
    return { kind: "applied" };
  }

  best(side: "bids" | "asks"): { price: string; size: string; px: number } | undefined {
    const m = side === "bids" ? this.#bids : this.#asks;
    let best: [string, Entry] | undefined;
    for (const e of m)
      if (best === undefined || (side === "bids" ? e[1].px > best[1].px : e[1].px < best[1].px)) best = e;
    return best === undefined ? undefined : { price: best[0], size: best[1].size, px: best[1].px };
  }

  /** Levels best first, as `[price, size]` canonical strings. */
  levels(side: "bids" | "asks", n = this.shown): [string, string][] {
    return this.#sorted(side === "bids" ? this.#bids : this.#asks, side === "bids")
      .slice(0, n)
      .map(([p, e]) => [p, e.size]);
  }
}
