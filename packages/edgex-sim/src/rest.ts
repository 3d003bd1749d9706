/**
 * The simulator's REST subset (V2 paths, `{code,data,...}` envelopes): public metadata/time/depth/ticker/kline,
 * and HMAC-authenticated private order and account endpoints (reference §3).
 */
import type { IncomingHttpHeaders } from "node:http";
import { canonicalBody, canonicalQuery, hmacSignature, signaturesEqual } from "@paradex-edgex/edgex";
import type { Faults } from "./faults.ts";
import { metaData } from "./fixtures.ts";
import { KLINE_MS, PRICE_TYPES, isPriceType, klineRows } from "./klines.ts";
import type { ContractMarket, DepthLevel } from "./market.ts";
import { fail, ok, type Exchange, type RestReply } from "./matching.ts";
import type { QuoteHub } from "./quote.ts";

export interface RestContext {
  readonly markets: Map<string, ContractMarket>;
  readonly exchange: Exchange;
  readonly faults: Faults;
  readonly quote: QuoteHub;
}

/** Allowed clock skew of a signed request (reference §3.2: ±60 s). */
const MAX_SKEW_MS = 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Check the four V2 headers over `signText`; returns the authenticated account id, or the refusal.
 * Shared with the private socket's upgrade check.
 */
export function authenticate(
  exchange: Exchange,
  headers: IncomingHttpHeaders,
  method: string,
  path: string,
  signText: string,
): { accountId: string } | RestReply {
  const apiKey = header(headers, "X-edgeX-Api-Key");
  const passphrase = header(headers, "X-edgeX-Passphrase");
  const ts = header(headers, "X-edgeX-Timestamp");
  const sig = header(headers, "X-edgeX-Signature");
  if (!apiKey || !passphrase || !ts || !sig) return fail("UNAUTHORIZED", "missing X-edgeX-* auth headers", 401);
  const acct = exchange.accountByApiKey(apiKey);
  if (acct === undefined || acct.passphrase !== passphrase)
    return fail("INVALID_API_KEY", "unknown API key or passphrase", 401);
  if (!/^\d+$/.test(ts) || Math.abs(Number(ts) - Date.now()) > MAX_SKEW_MS)
    return fail("INVALID_TIMESTAMP", "timestamp outside ±60 s of server time", 401);
  if (!signaturesEqual(hmacSignature(acct.apiSecret, ts, method, path, signText), sig))
    return fail("SIGNATURE_ERROR", "HMAC signature mismatch", 401);
  return { accountId: acct.accountId };
}

/** A non-negative integer query parameter, its default when absent, undefined when malformed. */
function intParam(q: URLSearchParams, name: string, dflt: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return dflt;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * One page of `rows` as EdgeX pages them (reference §0a.1): `size` in 1..`max` (a larger or malformed size is
 * refused with INVALID_PARAMETER, as the fills page documents "> 0 and <= 100"), `offsetData` the opaque token
 * of the previous reply's `nextPageOffsetData` (here the index of the next row), "" on the last page. The
 * default size when absent is not documented; the smaller cap of 100 is used.
 */
function page(rows: readonly Record<string, unknown>[], q: URLSearchParams, max: number): RestReply {
  const size = intParam(q, "size", Math.min(100, max));
  if (size === undefined || size < 1 || size > max) return fail("INVALID_PARAMETER", `size must be > 0 and <= ${max}`);
  const offsetRaw = q.get("offsetData") ?? "";
  const offset = offsetRaw === "" ? 0 : /^\d{1,9}$/.test(offsetRaw) ? Number(offsetRaw) : undefined;
  if (offset === undefined) return fail("INVALID_PARAMETER", "offsetData is not a token this server issued");
  const end = offset + size;
  return ok({ dataList: rows.slice(offset, end), nextPageOffsetData: end < rows.length ? String(end) : "" });
}

/** Documented page caps: fills ≤ 100, active orders ≤ 200 (reference §0a.1). */
export const FILLS_PAGE_MAX = 100;
export const ACTIVE_ORDERS_PAGE_MAX = 200;

function list(value: string | null): string[] {
  return value === null || value === "" ? [] : value.split(",").filter((x) => x !== "");
}

export async function handleRest(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  bodyText: string,
  ctx: RestContext,
): Promise<RestReply> {
  const path = url.pathname;
  const q = url.searchParams;
  if (ctx.faults.takeRateLimit()) return fail("RATE_LIMIT_EXCEEDED", "rate limit exceeded", 429);
  if (path.startsWith("/api/v2/public/")) {
    if (method !== "GET") return fail("METHOD_NOT_ALLOWED", "public endpoints are GET", 405);
    return publicRoute(path, q, ctx);
  }
  if (!path.startsWith("/api/v2/private/")) return fail("NOT_FOUND", `no route ${path}`, 404);

  let body: unknown;
  let signText: string;
  if (method === "GET") {
    const params: Record<string, string> = {};
    for (const [k, v] of q) params[k] = v;
    signText = canonicalQuery(params);
  } else if (method === "POST") {
    try {
      body = bodyText === "" ? {} : JSON.parse(bodyText);
    } catch {
      return fail("INVALID_PARAMETER", "request body is not JSON", 400);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return fail("INVALID_PARAMETER", "body must be an object", 400);
    signText = canonicalBody(body);
  } else {
    return fail("METHOD_NOT_ALLOWED", `${method} not supported`, 405);
  }
  const auth = authenticate(ctx.exchange, headers, method, path, signText);
  if ("status" in auth) return auth;
  const claimed = method === "GET" ? q.get("accountId") : (body as Record<string, unknown>)["accountId"];
  if (claimed !== auth.accountId) return fail("ACCOUNT_ID_MISMATCH", "accountId does not belong to this API key");
  return privateRoute(method, path, q, body as Record<string, unknown>, auth.accountId, ctx);
}

function publicRoute(path: string, q: URLSearchParams, ctx: RestContext): RestReply {
  const market = (): ContractMarket | undefined => ctx.markets.get(q.get("contractId") ?? "");
  switch (path) {
    case "/api/v2/public/meta/getServerTime":
      return ok({ timeMillis: String(Date.now()) });
    case "/api/v2/public/meta/getMetaData":
      return ok(metaData());
    case "/api/v2/public/quote/getDepth": {
      const m = market();
      const level = Number(q.get("level") ?? "15");
      if (m === undefined) return fail("INVALID_CONTRACT_ID", `invalid contractId:${q.get("contractId")}`);
      if (level !== 15 && level !== 200) return fail("INVALID_PARAMETER", "level must be 15 or 200");
      return ok([ctx.quote.depthSnapshotRecord(m, level as DepthLevel)]);
    }
    case "/api/v2/public/quote/getTicker": {
      const ids = list(q.get("contractId"));
      const ms = ids.length === 0 ? [...ctx.markets.values()] : ids.map((id) => ctx.markets.get(id));
      if (ms.some((m) => m === undefined)) return fail("INVALID_CONTRACT_ID", "invalid contractId");
      return ok(ms.map((m) => ctx.quote.tickerRecord(m as ContractMarket)));
    }
    case "/api/v2/public/quote/getKline": {
      const m = market();
      if (m === undefined) return fail("INVALID_CONTRACT_ID", `invalid contractId:${q.get("contractId")}`);
      const klineType = q.get("klineType") ?? "MINUTE_1";
      const priceType = q.get("priceType") ?? "LAST_PRICE";
      if (KLINE_MS[klineType] === undefined) return fail("INVALID_PARAMETER", `unknown klineType ${klineType}`);
      if (!isPriceType(priceType))
        return fail("INVALID_PARAMETER", `priceType must be one of ${PRICE_TYPES.join(", ")}`);
      const size = intParam(q, "size", 100);
      const from = intParam(q, "filterBeginKlineTimeInclusive", 0);
      const to = intParam(q, "filterEndKlineTimeExclusive", Number.MAX_SAFE_INTEGER);
      if (size === undefined || size < 1 || from === undefined || to === undefined) {
        return fail(
          "INVALID_PARAMETER",
          "size, filterBeginKlineTimeInclusive and filterEndKlineTimeExclusive must be non-negative integers (size ≥ 1)",
        );
      }
      const dataList = klineRows(m, { klineType, priceType, from, to, size: Math.min(size, 1000) });
      return ok({ dataList, nextPageOffsetData: "" });
    }
    default:
      return fail("NOT_FOUND", `no route ${path}`, 404);
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

async function privateRoute(
  method: string,
  path: string,
  q: URLSearchParams,
  body: Record<string, unknown> | undefined,
  accountId: string,
  ctx: RestContext,
): Promise<RestReply> {
  const ex = ctx.exchange;
  const route = `${method} ${path}`;
  switch (route) {
    case "POST /api/v2/private/order/createOrder":
      return ex.createOrder(accountId, body);
    case "POST /api/v2/private/order/cancelOrderById":
      return ex.cancelById(accountId, strings(body?.["orderIdList"]));
    case "POST /api/v2/private/order/cancelOrderByClientOrderId":
      return ex.cancelByClientId(accountId, strings(body?.["clientOrderIdList"]));
    case "POST /api/v2/private/order/cancelAllOrder":
      return ex.cancelAll(accountId, strings(body?.["filterContractIdList"]));
    case "GET /api/v2/private/order/getActiveOrderPage":
      return page(ex.activeOrders(accountId, list(q.get("filterContractIdList"))), q, ACTIVE_ORDERS_PAGE_MAX);
    case "GET /api/v2/private/order/getOrderById":
      return ok(ex.ordersById(accountId, list(q.get("orderIdList"))));
    case "GET /api/v2/private/order/getOrderByClientOrderId":
      return ok(ex.ordersByClientId(accountId, list(q.get("clientOrderIdList"))));
    // Ended orders are answered only here (reference §0a.6). Whether the real history lookups also answer
    // active orders is undocumented; the simulator keeps the two sets disjoint, the strictest reading.
    case "GET /api/v2/private/order/getHistoryOrderById":
      return ok(ex.ordersById(accountId, list(q.get("orderIdList")), true));
    case "GET /api/v2/private/order/getHistoryOrderByClientOrderId":
      return ok(ex.ordersByClientId(accountId, list(q.get("clientOrderIdList")), true));
    case "GET /api/v2/private/order/getHistoryOrderFillTransactionPage":
      return page(ex.fills(accountId), q, FILLS_PAGE_MAX);
    case "POST /api/v2/private/account/updateLeverageSetting":
      return ex.setLeverage(accountId, body);
    case "GET /api/v2/private/account/getAccountAsset":
      return ok(ex.accountAsset(accountId));
    default:
      return fail("NOT_FOUND", `no route ${route}`, 404);
  }
}
