/**
 * @module rest — the public (unauthenticated) Paradex REST reads the toolkit makes itself: top of book for the
 * REST fallback, and klines. Nothing here signs or carries a secret; private calls go through the sidecar.
 * (EdgeX public reads use the native client's REST transport, which already checks its envelopes.)
 *
 * Replies are converted by convert.ts; this module only does transport, deadlines and envelope checks.
 */
import { bucketStart, intervalMs, type Interval } from "./klines.ts";
import { candlesFromParadex, topOfBookFromParadex, type RestTopOfBook } from "./convert.ts";
import type { Candle } from "./klines.ts";

export class RestError extends Error {
  override readonly name = "RestError";
  constructor(
    message: string,
    /** HTTP status, or 0 when no response arrived (timeout, connection refused). */
    readonly status: number,
    /** Venue error code when the body had one (`MARKET_NOT_FOUND`, `INVALID_CONTRACT_ID`, …). */
    readonly code: string | null = null,
  ) {
    super(message);
  }

  /** True for a throttling refusal (HTTP 429): the caller should slow down. */
  get rateLimited(): boolean {
    return this.status === 429;
  }
}

export interface RestOptions {
  /** Per-request deadline (default 3,000 ms). */
  timeoutMs?: number;
}

async function getJson(url: URL, venue: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? `no reply within ${timeoutMs} ms` : (e as Error).message;
    throw new RestError(`${venue} GET ${url.pathname}: ${why}`, 0);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    throw new RestError(`${venue} GET ${url.pathname}: HTTP ${res.status}, body is not JSON`, res.status);
  }
  if (!res.ok) {
    const code = errorCode(body);
    throw new RestError(`${venue} GET ${url.pathname}: HTTP ${res.status}${code ? ` ${code}` : ""}`, res.status, code);
  }
  return body;
}

function errorCode(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  // Paradex error body: {"error": "MARKET_NOT_FOUND", "message": ...}
  const code = b["error"];
  return typeof code === "string" ? code : null;
}

/** Paradex public REST (`GET /v1/...`). */
export class ParadexPublicRest {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: RestOptions = {}) {
    // Accept the base with or without the /v1 suffix the SDK uses.
    this.base = baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  async topOfBook(market: string): Promise<RestTopOfBook> {
    const url = new URL(`${this.base}/v1/bbo/${encodeURIComponent(market)}`);
    return topOfBookFromParadex(await getJson(url, "paradex", this.timeoutMs));
  }

  /**
   * Candles of the `limit` buckets ending with the one containing `now`, oldest first (`GET /v1/markets/klines`
   * wants an explicit range in ms and the resolution in minutes; buckets without trades are absent).
   */
  async klines(market: string, interval: Interval, limit: number, now = Date.now()): Promise<Candle[]> {
    const ms = intervalMs(interval);
    const url = new URL(`${this.base}/v1/markets/klines`);
    url.searchParams.set("symbol", market);
    url.searchParams.set("resolution", String(ms / 60_000));
    url.searchParams.set("start_at", String(bucketStart(now, interval) - (limit - 1) * ms));
    url.searchParams.set("end_at", String(now));
    return candlesFromParadex(await getJson(url, "paradex", this.timeoutMs), interval);
  }
}
