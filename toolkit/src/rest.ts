/**
 * @module rest — the public (unauthenticated) REST reads the toolkit makes itself: top of book for the REST
 * fallback and EdgeX klines. Nothing here signs or carries a secret; private calls go through the venues.
 *
 * Replies are converted by convert.ts; this module only does transport, deadlines and envelope checks.
 */
import type { Interval } from "./klines.ts";
import {
  candlesFromEdgex,
  edgexKlineType,
  topOfBookFromEdgex,
  topOfBookFromParadex,
  type RestTopOfBook,
} from "./convert.ts";
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
  // Paradex: {"error": "MARKET_NOT_FOUND", ...}; EdgeX: {"code": "INVALID_CONTRACT_ID", ...}
  const code = b["error"] ?? b["code"];
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
}

/** EdgeX public REST (`GET /api/v2/public/...`, `{code, data}` envelopes). */
export class EdgexPublicRest {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: RestOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  private async data(path: string, query: Record<string, string>): Promise<unknown> {
    const url = new URL(`${this.base}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const body = await getJson(url, "edgex", this.timeoutMs);
    const env = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    // Refusals may come as HTTP 200 with another code (reference §3.1).
    if (env["code"] !== "SUCCESS") {
      const code = typeof env["code"] === "string" ? env["code"] : null;
      throw new RestError(`edgex GET ${path}: ${code ?? "reply without a code"}`, 200, code);
    }
    return env["data"];
  }

  /** Top of book of a contract from `getDepth` (level 15); `market` is the contract name events use. */
  async topOfBook(contractId: string, market: string): Promise<RestTopOfBook> {
    const data = await this.data("/api/v2/public/quote/getDepth", { contractId, level: "15" });
    return topOfBookFromEdgex(data, market, Date.now());
  }

  /** The newest `limit` LAST_PRICE candles of a contract, oldest first. */
  async klines(contractId: string, interval: Interval, limit: number): Promise<Candle[]> {
    const data = await this.data("/api/v2/public/quote/getKline", {
      contractId,
      klineType: edgexKlineType(interval),
      priceType: "LAST_PRICE",
      size: String(limit),
    });
    return candlesFromEdgex(data, interval);
  }
}
