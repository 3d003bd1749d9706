/**
 * @module scenario-helpers — the bot against the real simulators: the Paradex simulator (Python, child process)
 * through the sidecar bridge, and the EdgeX simulator (in-process) through the native EdgeX client.
 *
 * Both simulators follow one flat price path, so quotes agree until a test moves one of them with
 * `/_sim/price` (held until the path moves, which a flat path never does). Both venues trade for real
 * against their simulators: EdgeX with the simulator's public test account, Paradex with a fresh random key
 * per bot (the sidecar onboards it), so every test starts flat. Every place() call is counted by a
 * transparent proxy, so "exactly one pair of orders" is checked at the venue boundary.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParadexVenue } from "@paradex-edgex/paradex";
import { silentLogger } from "@paradex-edgex/paradex";
import type { PlaceOrderRequest, PlaceOrderResult, Venue } from "@paradex-edgex/core";
import { EdgeXClient } from "@paradex-edgex/edgex";
import { DEV_ACCOUNT, DEV_SIGNER_KEY } from "@paradex-edgex/edgex-sim";
import { ArbBot } from "../src/bot.ts";
import { loadConfig } from "../src/config.ts";
import { PARADEX_SIDECAR_OPTIONS } from "../src/venues.ts";
import { type EdgexSimHandle, type ParadexSimHandle, startEdgex, startParadexSim } from "@paradex-edgex/dev/sims";
export { startParadexSim };
import { LogTap } from "./helpers.ts";

export const MIDS = { BTC: "65000", ETH: "3200", SOL: "150" };

export interface Sims {
  dir: string;
  paradex: ParadexSimHandle;
  edgex: EdgexSimHandle;
  stop(): Promise<void>;
}

function flatPath(dir: string): string {
  const path = join(dir, "flat.jsonl");
  writeFileSync(path, `${JSON.stringify({ t: 0, ...MIDS })}\n`);
  return path;
}

/** The Paradex simulator is slow to start (a Python process), so a test file shares one; accounts are per key. */
export async function startParadexSimShared(seed = 11): Promise<ParadexSimHandle> {
  const dir = mkdtempSync(join(tmpdir(), "arb-scn-p-"));
  return startParadexSim({ seed, pricePath: flatPath(dir), bboRate: 20 });
}

/** A fresh EdgeX simulator (fresh account) next to the shared Paradex simulator, whose price is reset. */
export async function startSims(paradex: ParadexSimHandle, seed = 11): Promise<Sims> {
  const dir = mkdtempSync(join(tmpdir(), "arb-scn-"));
  const edgex = await startEdgex({ seed, pricePath: flatPath(dir), stepMs: 50 });
  await paradex.control("price", { market: "BTC-USD-PERP", mid: MIDS.BTC });
  return { dir, paradex, edgex, stop: () => edgex.stop() };
}

/** A Paradex account of its own: a random L2 key, onboarded by the sidecar on the simulator (`--env sim`
 * reads only `PARADEX_SIM_*` credentials). */
export function paradexKey(): Record<string, string> {
  return {
    PARADEX_SIM_L1_ADDRESS: `0x${randomBytes(20).toString("hex")}`,
    PARADEX_SIM_L2_PRIVATE_KEY: `0x0${randomBytes(31).toString("hex")}`,
  };
}

export function paradexLive(s: Sims, key: Record<string, string>, sidecarArgs: string[] = []): ParadexVenue {
  return new ParadexVenue({
    network: "sim",
    wsUrl: s.paradex.wsUrl,
    restUrl: s.paradex.restUrl,
    channels: ["bbo", "book", "orders", "fills", "positions", "account"],
    signing: PARADEX_SIDECAR_OPTIONS.signing,
    extraArgs: [...PARADEX_SIDECAR_OPTIONS.extraArgs, ...sidecarArgs],
    env: key,
    // A loaded 2-core machine can take well over the default 15 s to import paradex-py.
    helloTimeoutMs: 60_000,
    logger: silentLogger,
  });
}

/** Counts `place()` calls and passes everything through. */
export class Counting implements Venue {
  readonly placed: PlaceOrderRequest[] = [];
  /** Awaited before the next order goes to the venue, then cleared (a fault that must precede that order). */
  beforeNextPlace: (() => Promise<unknown>) | null = null;
  constructor(readonly inner: Venue) {}
  get name() {
    return this.inner.name;
  }
  connect = () => this.inner.connect();
  close = () => this.inner.close();
  markets = () => this.inner.markets();
  subscribe: Venue["subscribe"] = (c, m) => this.inner.subscribe(c, m);
  unsubscribe: Venue["unsubscribe"] = (c, m) => this.inner.unsubscribe(c, m);
  on: Venue["on"] = (t, l) => this.inner.on(t, l);
  events = () => this.inner.events();
  place(o: PlaceOrderRequest): Promise<PlaceOrderResult> {
    this.placed.push(o);
    const before = this.beforeNextPlace;
    this.beforeNextPlace = null;
    if (before !== null) return before().then(() => this.inner.place(o));
    return this.inner.place(o);
  }
  cancel: Venue["cancel"] = (r) => this.inner.cancel(r);
  cancelAll: Venue["cancelAll"] = (m) => this.inner.cancelAll(m);
  snapshot = () => this.inner.snapshot();
}

export function edgexLive(s: Sims): EdgeXClient {
  return new EdgeXClient({
    restUrl: s.edgex.restUrl,
    quoteWsUrl: s.edgex.quoteWsUrl,
    privateWsUrl: s.edgex.privateWsUrl,
    credentials: {
      accountId: DEV_ACCOUNT.accountId,
      api: { apiKey: DEV_ACCOUNT.apiKey, apiSecret: DEV_ACCOUNT.apiSecret, passphrase: DEV_ACCOUNT.passphrase },
      signerKey: DEV_SIGNER_KEY,
    },
  });
}

export interface LiveRig {
  bot: ArbBot;
  p: Counting;
  e: Counting;
  paradex: ParadexVenue;
  edgex: EdgeXClient;
  tap: LogTap;
  journal: string;
}

/** A bot trading BTC only (0.01 per arbitrage) between the two simulators; `args` override defaults. */
export function liveRig(
  s: Sims,
  args: string[] = [],
  journal = join(s.dir, "journal.jsonl"),
  sidecarArgs: string[] = [],
): LiveRig {
  const edgex = edgexLive(s);
  const paradex = paradexLive(s, paradexKey(), sidecarArgs);
  const p = new Counting(paradex);
  const e = new Counting(edgex);
  const cfg = loadConfig(
    [
      "--live",
      "--markets",
      "BTC",
      "--size",
      "0.01",
      "--max-position",
      "0.05",
      "--min-edge-bps",
      "5",
      "--slippage-bps",
      "2",
      "--journal",
      journal,
      "--cooldown-ms",
      "100",
      "--leg-timeout-ms",
      "3000",
      "--reconcile-interval-ms",
      "60000",
      "--max-quote-age-ms",
      "3000",
      ...args,
    ],
    {},
  );
  const tap = new LogTap();
  const bot = new ArbBot({ cfg, venues: { paradex: p, edgex: e }, log: tap.fn });
  return { bot, p, e, paradex, edgex, tap, journal };
}

/** Move one simulator's BTC mid (a string decimal). */
export async function setMid(s: Sims, venue: "paradex" | "edgex", mid: string): Promise<void> {
  if (venue === "paradex") await s.paradex.control("price", { market: "BTC-USD-PERP", mid });
  else await s.edgex.control("price", { coin: "BTC", mid: Number(mid) });
}

/** Resolve after `n` more quote events of `venue` have reached the bot (so it has evaluated the new prices). */
export function quoteEvents(v: Venue, n: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const offs = [v.on("book", () => tick()), v.on("bbo", () => tick())];
    const timer = setTimeout(() => {
      for (const o of offs) o();
      reject(new Error(`only ${seen} of ${n} quote events from ${v.name} within ${timeoutMs} ms`));
    }, timeoutMs);
    function tick(): void {
      if (++seen < n) return;
      clearTimeout(timer);
      for (const o of offs) o();
      resolve();
    }
  });
}
