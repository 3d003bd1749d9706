/** REST reply envelopes of the simulator: `{code, data, msg, errorParam, requestTime, responseTime}`. */

export interface RestReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Process the request but never answer it (the `no_reply_next` fault). */
  readonly noReply?: boolean;
}

export function ok(data: unknown): RestReply {
  const now = String(Date.now());
  return {
    status: 200,
    body: { code: "SUCCESS", data, msg: null, errorParam: null, requestTime: now, responseTime: now },
  };
}

export function fail(code: string, msg: string, status = 200): RestReply {
  const now = String(Date.now());
  return { status, body: { code, data: null, msg, errorParam: null, requestTime: now, responseTime: now } };
}
