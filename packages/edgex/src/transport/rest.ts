/**
 * REST calls to EdgeX V2: `{code,data}` envelopes checked, private paths signed with the HMAC headers,
 * timestamps corrected by the server clock, and failures sorted into definite refusals versus unknown
 * outcomes (the difference decides whether an order may exist).
 */
import { canonicalBody, canonicalQuery, authHeaders, type ApiCredentials, type QueryValue } from "../signing/hmac.ts";
import { backoffDelay, type BackoffPolicy } from "@paradex-edgex/core";
import { RestEnvelope, describeIssues } from "../wire.ts";

/**
 * - `refused`: the venue answered and did not act (HTTP 4xx, or HTTP 200 with code ≠ SUCCESS).
 * - `unknown`: no usable answer (network error, timeout, 5xx, unparseable): the request may have acted.
 */
export type RestFailureKind = "refused" | "unknown";

export class RestError extends Error {
  override readonly name = "RestError";
  constructor(
    readonly kind: RestFailureKind,
    readonly code: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface RestClientOptions {
  readonly baseUrl: string;
  readonly credentials?: ApiCredentials;
  readonly timeoutMs?: number;
  /** Wall clock in ms (default `Date.now`); tests pin it to compare signed requests byte for byte. */
  readonly clock?: () => number;
}

/** Codes that mean "your clock is off": re-sync and retry once (the request was refused, so a retry is safe). */
const CLOCK_CODES = /TIMESTAMP|EXPIRED/i;

/** EdgeX's documented rate-limit code (api-v2 README), also sent with HTTP 429. */
export const RATE_LIMIT_CODE = "RATE_LIMIT_EXCEEDED";

/** A refusal for sending too fast: HTTP 429 or the documented code. */
export function isRateLimited(err: unknown): boolean {
  return err instanceof RestError && err.kind === "refused" && (err.status === 429 || err.code === RATE_LIMIT_CODE);
}

/**
 * Pause after a rate-limit refusal, growing while refusals repeat. Every request waits it out before it is
 * sent (so the client slows down instead of hammering), reads are retried after it, writes are not.
 */
const RATE_LIMIT_BACKOFF: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 5_000, factor: 2, jitter: 0.5 };
/** Reads retried after a rate-limit refusal (each after the pause). */
const RATE_LIMIT_READ_RETRIES = 3;

export class RestClient {
  readonly #base: string;
  readonly #creds: ApiCredentials | undefined;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  /** serverTime − localTime, ms. */
  #offsetMs = 0;
  /** Consecutive rate-limit refusals, and the time before which nothing is sent. */
  #rateStrikes = 0;
  #pausedUntil = 0;
  /** Rate-limit refusals seen and pauses taken before sending (observable pacing). */
  readonly counters = { rateLimited: 0, paced: 0 };

  constructor(options: RestClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#creds = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? Date.now;
  }

  get hasCredentials(): boolean {
    return this.#creds !== undefined;
  }

  /** Local clock corrected to the server's. */
  now(): number {
    return this.#clock() + this.#offsetMs;
  }

  /** Measure the server clock offset (getServerTime), halving the round trip. */
  async syncClock(): Promise<number> {
    const t0 = this.#clock();
    const data = await this.get("/api/v2/public/meta/getServerTime", {});
    const t1 = this.#clock();
    const server = Number((data as { timeMillis?: unknown } | null)?.timeMillis);
    if (!Number.isFinite(server)) throw new RestError("unknown", "BAD_REPLY", 200, "getServerTime without timeMillis");
    this.#offsetMs = Math.round(server - (t0 + t1) / 2);
    return this.#offsetMs;
  }

  /**
   * `timeoutMs` overrides the client's per-call timeout (the order path uses a leg-sized one). A read refused
   * for rate is retried after the pause (it changed nothing, so repeating it is safe).
   */
  async get(path: string, params: Readonly<Record<string, QueryValue>>, timeoutMs?: number): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#withClockRetry(() => this.#request("GET", path, params, undefined, timeoutMs));
      } catch (err) {
        if (!isRateLimited(err) || attempt >= RATE_LIMIT_READ_RETRIES) throw err;
      }
    }
  }

  /** Writes are never retried here: a rate-limit refusal is reported to the caller (nothing was done). */
  post(path: string, body: Readonly<Record<string, unknown>>, timeoutMs?: number): Promise<unknown> {
    return this.#withClockRetry(() => this.#request("POST", path, {}, body, timeoutMs));
  }

  /**
   * Wait out a rate-limit pause before sending. A pause longer than the call's own timeout is a definite
   * refusal without sending (the order path must not be held past its leg deadline).
   */
  async #pace(method: string, path: string, timeoutMs: number): Promise<void> {
    const wait = this.#pausedUntil - Date.now();
    if (wait <= 0) return;
    if (wait > timeoutMs)
      throw new RestError("refused", RATE_LIMIT_CODE, undefined, `${method} ${path}: rate-limited, not sent`);
    this.counters.paced += 1;
    await new Promise((r) => setTimeout(r, wait));
  }

  #noteRate(limited: boolean): void {
    if (!limited) {
      this.#rateStrikes = 0;
      return;
    }
    this.counters.rateLimited += 1;
    this.#rateStrikes += 1;
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + backoffDelay(this.#rateStrikes, RATE_LIMIT_BACKOFF));
  }

  async #withClockRetry(call: () => Promise<unknown>): Promise<unknown> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RestError) || err.kind !== "refused" || !CLOCK_CODES.test(err.code)) throw err;
      await this.syncClock();
      return call();
    }
  }

  async #request(
    method: "GET" | "POST",
    path: string,
    params: Readonly<Record<string, QueryValue>>,
    body: Readonly<Record<string, unknown>> | undefined,
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown> {
    await this.#pace(method, path, timeoutMs); // before signing: the timestamp is taken after the pause
    const query = canonicalQuery(params);
    const url = `${this.#base}${path}${query === "" ? "" : `?${encodeQuery(params)}`}`;
    const headers: Record<string, string> = { accept: "application/json" };
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (text !== undefined) headers["content-type"] = "application/json";
    if (path.includes("/private/")) {
      if (this.#creds === undefined)
        throw new RestError("refused", "NO_CREDENTIALS", undefined, `${path} needs EDGEX_* credentials`);
      const signText = method === "GET" ? query : canonicalBody(body);
      Object.assign(headers, authHeaders(this.#creds, String(this.now()), method, path, signText));
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: text, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new RestError(
        "unknown",
        timeout ? "TIMEOUT" : "NETWORK",
        undefined,
        `${method} ${path}: ${timeout ? "timed out" : "network error"}`,
      );
    }
    let raw: unknown;
    try {
      raw = await res.json();
    } catch {
      raw = undefined;
    }
    const env = RestEnvelope.safeParse(raw);
    if (res.status >= 500 || (!env.success && res.status < 400)) {
      const why = env.success ? `HTTP ${res.status}` : `unparseable reply (${describeIssues(env.error)})`;
      throw new RestError(
        "unknown",
        env.success ? env.data.code : "BAD_REPLY",
        res.status,
        `${method} ${path}: ${why}`,
      );
    }
    const code = env.success ? env.data.code : `HTTP_${res.status}`;
    this.#noteRate(res.status === 429 || code === RATE_LIMIT_CODE);
    if (res.status >= 400 || !env.success || env.data.code !== "SUCCESS") {
      const msg = env.success ? this.#scrub(env.data.msg ?? "") : "";
      throw new RestError("refused", code, res.status, `${method} ${path}: ${code}${msg === "" ? "" : `: ${msg}`}`);
    }
    return env.data.data;
  }

  /** Venue messages may echo the request; keep them short and strip our own credentials from them. */
  #scrub(msg: string): string {
    let out = msg.slice(0, 200);
    for (const s of [this.#creds?.apiKey, this.#creds?.passphrase, this.#creds?.apiSecret]) {
      if (s !== undefined && s.length >= 4) out = out.split(s).join("<redacted>");
    }
    return out;
  }
}

function encodeQuery(params: Readonly<Record<string, QueryValue>>): string {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== "")
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(params[k]))}`)
    .join("&");
}
