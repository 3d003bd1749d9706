/**
 * Order lookups by id or client id. EdgeX answers active orders through `getOrderById` /
 * `getOrderByClientOrderId` and ended ones (filled, cancelled) through `getHistoryOrderById` /
 * `getHistoryOrderByClientOrderId` (reference §0a.6): an order that ended during an outage, or behind a lost
 * create reply, is only found by asking both.
 */
import { EdgeXError } from "./errors.ts";
import type { RestClient } from "./transport/rest.ts";

const P = "/api/v2/private/order";

export type LookupKey = "orderId" | "clientOrderId";

const ROUTES: Record<LookupKey, { active: string; history: string; param: string; field: string }> = {
  orderId: { active: `${P}/getOrderById`, history: `${P}/getHistoryOrderById`, param: "orderIdList", field: "id" },
  clientOrderId: {
    active: `${P}/getOrderByClientOrderId`,
    history: `${P}/getHistoryOrderByClientOrderId`,
    param: "clientOrderIdList",
    field: "clientOrderId",
  },
};

/** The records of a lookup reply: a list, or (undocumented for the history lookups) a `{dataList}` page. */
function records(path: string, data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  const list = (data as { dataList?: unknown } | null)?.dataList;
  if (Array.isArray(list)) return list;
  throw new EdgeXError("BAD_REPLY", `${path} reply is not a list of orders`);
}

/**
 * Raw order records for `keys`: the active lookup first, then the history lookup for the keys it did not
 * answer. A failed call throws (the caller decides whether the question stays open); an empty result means
 * both lookups answered without the orders.
 */
export async function lookupOrders(
  rest: RestClient,
  accountId: string,
  by: LookupKey,
  keys: readonly string[],
  timeoutMs?: number,
): Promise<unknown[]> {
  const r = ROUTES[by];
  const keyOf = (o: unknown): string => String((o as Record<string, unknown> | null)?.[r.field]);
  const wanted = new Set(keys);
  const found = records(r.active, await rest.get(r.active, { accountId, [r.param]: keys.join(",") }, timeoutMs)).filter(
    (o) => wanted.has(keyOf(o)),
  );
  const answered = new Set(found.map(keyOf));
  const rest2 = keys.filter((k) => !answered.has(k));
  if (rest2.length === 0) return found;
  const ended = records(
    r.history,
    await rest.get(r.history, { accountId, [r.param]: rest2.join(",") }, timeoutMs),
  ).filter((o) => wanted.has(keyOf(o)) && !answered.has(keyOf(o)));
  return [...found, ...ended];
}
