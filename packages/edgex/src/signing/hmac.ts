/**
 * EdgeX V2 request authentication: the HMAC-SHA256 signature and the four `X-edgeX-*` headers (reference §3.2).
 *
 * The same canonical strings are used by the client (to sign) and by the simulator (to verify), so both sides
 * agree by construction and the reference's test vectors pin both.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** API credentials of a V2 account; never printed (see `redact`). */
export interface ApiCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly passphrase: string;
}

export const HEADER_API_KEY = "X-edgeX-Api-Key";
export const HEADER_PASSPHRASE = "X-edgeX-Passphrase";
export const HEADER_TIMESTAMP = "X-edgeX-Timestamp";
export const HEADER_SIGNATURE = "X-edgeX-Signature";

export type QueryValue = string | number | boolean | null | undefined;

/**
 * GET signing text: params sorted by key, raw (unencoded) values, empty values omitted, joined by `&`.
 * Omitting empties matches the Go SDK, and a request should simply not send them.
 */
export function canonicalQuery(params: Readonly<Record<string, QueryValue>>): string {
  return Object.keys(params)
    .filter((k) => {
      const v = params[k];
      return v !== undefined && v !== null && v !== "";
    })
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join("&");
}

/**
 * POST signing text: the recursive canonical form of the JSON body (objects: sorted `k=v` joined by `&`;
 * arrays: items joined by `&`; booleans `true`/`false`; null → ""; numbers as decimal text).
 */
export function canonicalBody(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(canonicalBody).join("&");
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${k}=${canonicalBody(obj[k])}`)
      .join("&");
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

/**
 * Hex HMAC-SHA256 of `timestamp + METHOD + path + bodyString`. The key is the ASCII text of base64(secret),
 * not the decoded secret: that is what the SDKs and the web app do.
 */
export function hmacSignature(
  apiSecret: string,
  timestamp: string,
  method: string,
  path: string,
  bodyString: string,
): string {
  const key = Buffer.from(apiSecret, "utf8").toString("base64");
  return createHmac("sha256", key)
    .update(timestamp + method.toUpperCase() + path + bodyString)
    .digest("hex");
}

/** The four request headers of a V2 signed call. */
export function authHeaders(
  creds: ApiCredentials,
  timestamp: string,
  method: string,
  path: string,
  bodyString: string,
): Record<string, string> {
  return {
    [HEADER_API_KEY]: creds.apiKey,
    [HEADER_PASSPHRASE]: creds.passphrase,
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_SIGNATURE]: hmacSignature(creds.apiSecret, timestamp, method, path, bodyString),
  };
}

/** Path of the private account socket; its handshake is signed like a GET of this path (reference §2.2). */
export const PRIVATE_WS_PATH = "/api/v1/private/ws";

/**
 * The private socket's handshake: the query (`accountId`, `timestamp`) and the four headers signed over it as
 * GET `PRIVATE_WS_PATH`. Headers, not the browser subprotocol: npm `ws` rejects some base64 text there.
 */
export function privateSocketAuth(
  creds: ApiCredentials,
  accountId: string,
  timestamp: string,
): { query: string; headers: Record<string, string> } {
  const query = canonicalQuery({ accountId, timestamp });
  return { query, headers: authHeaders(creds, timestamp, "GET", PRIVATE_WS_PATH, query) };
}

/** Constant-time comparison of two hex signatures (server side). */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A printable stand-in for a credential: its length only, never any of its characters. */
export function redact(secret: string | undefined): string {
  return secret === undefined || secret === "" ? "<unset>" : `<redacted:${secret.length}>`;
}
