/**
 * @module paradex-venue — `ParadexVenue`, the `Venue` the bot uses for Paradex: a thin mapping from the
 * venue interface onto one supervised `ParadexSidecar` (events pass through unchanged; orders map to the
 * sidecar's `place` / `cancel` / `cancel_all` / `snapshot` commands; market metadata comes from its
 * `markets` command, the same rules the sidecar validates orders against).
 */
import { z } from "zod";
import { Account, Dec, Order, Position } from "./schema.ts";
import { ParadexSidecar, type ParadexSidecarOptions, type SidecarEventMap } from "./sidecar.ts";
import { randomBytes } from "node:crypto";
import { VENUE_EVENT_TYPES } from "@paradex-edgex/core";
import {
  OrderNotPlacedError,
  PlaceOutcomeUnknownError,
  SidecarCommandError,
  SidecarError,
  SidecarGoneError,
} from "./errors.ts";
import type {
  CancelRequest,
  MarketChannel,
  MarketMeta,
  PlaceOrderRequest,
  PlaceOrderResult,
  Unsubscribe,
  Venue,
  VenueEvent,
  VenueEventOf,
  VenueEventType,
  VenueSnapshot,
} from "@paradex-edgex/core";

export interface ParadexVenueOptions extends ParadexSidecarOptions {
  /** Deadline of order commands (default 10,000 ms: a REST fallback may be slower than the WS RPC). */
  orderTimeoutMs?: number;
  /**
   * How long a `place` whose sidecar died with it in flight is looked up by client id through the next child
   * before it is reported `OUTCOME_UNKNOWN` (default 10,000 ms).
   */
  resolveTimeoutMs?: number;
}

/** Answers of the `order` lookup that say "no such order" this many times, spaced, make a definite "not placed". */
const NOT_FOUND_TO_BE_SURE = 2;
const NOT_FOUND_SPACING_MS = 250;

export class ParadexVenue implements Venue {
  readonly name = "paradex" as const;
  readonly sidecar: ParadexSidecar;
  readonly #opts: ParadexVenueOptions;
  #markets: MarketMeta[] | null = null;

  constructor(options: ParadexVenueOptions = {}) {
    this.#opts = options;
    this.sidecar = new ParadexSidecar(options);
  }

  async connect(): Promise<void> {
    await this.sidecar.start();
  }

  close(): Promise<void> {
    return this.sidecar.close();
  }

  /**
   * Market rules from the sidecar's `markets` command, fetched once and cached: the sidecar already holds
   * the `GET /markets` metadata it validates orders against, and it knows the embedded simulator's address.
   */
  async markets(): Promise<MarketMeta[]> {
    if (this.#markets !== null) return this.#markets;
    const data = await this.sidecar.command("markets", {}, { timeoutMs: 10_000 });
    const body = MarketsResponse.parse(data);
    this.#markets = body.markets.map(toMarketMeta);
    return this.#markets;
  }

  async subscribe(channel: MarketChannel, market: string): Promise<void> {
    await this.sidecar.subscribe(channel, market);
  }

  async unsubscribe(channel: MarketChannel, market: string): Promise<void> {
    await this.sidecar.unsubscribe(channel, market);
  }

  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): Unsubscribe {
    // Venue event types are a subset of the sidecar's with identical shapes (checked by `SameShapes` below).
    return this.sidecar.on(type, listener as unknown as (e: SidecarEventMap[K]) => void);
  }

  events(): AsyncIterable<VenueEvent> {
    return this.sidecar.iterate(VENUE_EVENT_TYPES);
  }

  /**
   * Places one order. Every order carries a client id (one is made when the caller gives none), so that an
   * order whose sidecar dies with it in flight can be resolved: the bridge never resends it; this method
   * waits for the next child and asks it for the order by client id, then answers with the order's definite
   * state, or throws `OrderNotPlacedError` (Paradex does not know it) or `PlaceOutcomeUnknownError`.
   */
  async place(order: PlaceOrderRequest): Promise<PlaceOrderResult> {
    const clientId = order.clientId ?? newClientId();
    const params = {
      market: order.market,
      side: order.side,
      type: order.type,
      size: order.size,
      ...(order.price === undefined ? {} : { price: order.price }),
      ...(order.tif === undefined ? {} : { tif: order.tif }),
      ...(order.reduceOnly === undefined ? {} : { reduce_only: order.reduceOnly }),
      client_id: clientId,
    };
    let raw: Record<string, unknown>;
    try {
      raw = await this.sidecar.place(params, { timeoutMs: this.#orderTimeout() });
    } catch (err) {
      if (err instanceof SidecarGoneError) return this.#resolveInFlight(order.market, clientId, err);
      throw err;
    }
    const data = PlaceData.parse(raw);
    const result: PlaceOrderResult = { orderId: data.order_id ?? null, clientId: data.client_id, status: data.status };
    if (data.dry_run === true) result.dryRun = true;
    return result;
  }

  /**
   * The order Paradex holds under `clientId` (open or closed), or null when it has none. Through the
   * sidecar's `order` command (REST order history by client id).
   */
  async order(clientId: string, market?: string): Promise<PlaceOrderResult | null> {
    try {
      const data = PlaceData.parse(
        await this.sidecar.command(
          "order",
          market === undefined ? { client_id: clientId } : { client_id: clientId, market },
          { timeoutMs: this.#orderTimeout() },
        ),
      );
      return { orderId: data.order_id ?? null, clientId: data.client_id, status: data.status };
    } catch (err) {
      if (err instanceof SidecarCommandError && err.code === "NOT_FOUND") return null;
      throw err;
    }
  }

  /** A `place` lost with its child: wait for the next child and look the order up by client id, never resend. */
  async #resolveInFlight(market: string, clientId: string, gone: SidecarGoneError): Promise<PlaceOrderResult> {
    const until = performance.now() + (this.#opts.resolveTimeoutMs ?? 10_000);
    let notFound = 0;
    let last: unknown = gone;
    while (performance.now() < until) {
      const state = this.sidecar.state;
      if (state === "closing" || state === "closed") break;
      if (state !== "ready") {
        await this.#whenReady(until - performance.now());
        continue;
      }
      try {
        const found = await this.order(clientId, market);
        if (found !== null) return found;
        // Not (yet) known: an order the dead child had just written may still be on its way; ask again.
        if (++notFound >= NOT_FOUND_TO_BE_SURE) {
          throw new OrderNotPlacedError(
            clientId,
            `Paradex has no order with this client id (asked ${notFound} times once the sidecar was back)`,
          );
        }
        await sleep(NOT_FOUND_SPACING_MS);
      } catch (err) {
        if (err instanceof OrderNotPlacedError) throw err;
        last = err;
        await sleep(100);
      }
    }
    throw new PlaceOutcomeUnknownError(
      clientId,
      `the sidecar died with it in flight and it could not be looked up: ${last instanceof Error ? last.message : String(last)}`,
      { cause: last },
    );
  }

  /** Resolves when the sidecar is ready again, or after `ms` (whichever comes first). */
  #whenReady(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      const off = this.sidecar.on("lifecycle", (e) => {
        if (e.state === "ready" || e.state === "stopped") done();
      });
    });
  }

  async cancel(request: CancelRequest): Promise<void> {
    if (request.orderId === undefined && (request.clientId === undefined || request.market === undefined)) {
      throw new SidecarError("BAD_PARAMS", "cancel needs orderId, or clientId and market");
    }
    const params = {
      ...(request.orderId === undefined ? {} : { order_id: request.orderId }),
      ...(request.clientId === undefined ? {} : { client_id: request.clientId }),
      ...(request.market === undefined ? {} : { market: request.market }),
    };
    await this.sidecar.cancel(params, { timeoutMs: this.#orderTimeout() });
  }

  async cancelAll(market?: string): Promise<void> {
    await this.sidecar.cancelAll(market, { timeoutMs: this.#orderTimeout() });
  }

  async snapshot(): Promise<VenueSnapshot> {
    const data = SnapshotData.parse(await this.sidecar.snapshot({ timeoutMs: this.#orderTimeout() }));
    return {
      orders: data.orders.map((o) => ({ ...o, type: "order" as const, seq: o.seq ?? 0 })),
      positions: data.positions.map((p) => ({ ...p, type: "position" as const, seq: p.seq ?? 0 })),
      account: data.account === null ? null : { ...data.account, type: "account" as const, seq: data.account.seq ?? 0 },
      balances: data.balances,
    };
  }

  #orderTimeout(): number {
    return this.#opts.orderTimeoutMs ?? 10_000;
  }
}

/** A client id for an order placed without one: unique, and in the sidecar's alphabet. */
function newClientId(): string {
  return `pv-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Compile-time proof that every venue event is exactly the sidecar event of the same type. */
type SameShapes = {
  [K in VenueEventType]: [VenueEventOf<K>] extends [SidecarEventMap[K]]
    ? [SidecarEventMap[K]] extends [VenueEventOf<K>]
      ? true
      : never
    : never;
};
const sameShapes: SameShapes = {
  bbo: true,
  trade: true,
  book: true,
  status: true,
  order: true,
  fill: true,
  fill_bust: true,
  position: true,
  account: true,
};
void sameShapes;

// ---------------------------------------------------------------------------------------------------
// Wire shapes of the results used here (the sidecar's `data` objects and REST /markets).
// ---------------------------------------------------------------------------------------------------

const PlaceData = z.looseObject({
  order_id: z.string().nullable().optional(),
  client_id: z.string(),
  status: z.string(),
  dry_run: z.boolean().optional(),
});

/** Snapshot items are the stream's shapes; `type`/`seq` may be absent (they were not on the stream). */
const unstreamed = { type: z.string().optional(), seq: z.number().int().optional() };
const SnapshotData = z.looseObject({
  orders: z.array(Order.extend(unstreamed)),
  positions: z.array(Position.extend(unstreamed)),
  account: Account.extend(unstreamed).nullable(),
  balances: z
    .array(z.looseObject({ token: z.string(), size: Dec }))
    .transform((bs) => bs.map(({ token, size }) => ({ token, size }))),
});

const FeeSide = z.looseObject({ fee: Dec });
const MarketResp = z.looseObject({
  symbol: z.string(),
  base_currency: z.string(),
  quote_currency: z.string(),
  order_size_increment: Dec,
  price_tick_size: Dec,
  min_notional: Dec.nullable().optional(),
  max_order_size: Dec.nullable().optional(),
  fee_config: z
    .looseObject({ api_fee: z.looseObject({ maker_fee: FeeSide, taker_fee: FeeSide }).optional() })
    .optional(),
  chain_details: z.looseObject({ fee_maker: Dec.optional(), fee_taker: Dec.optional() }).optional(),
});
const MarketsResponse = z.looseObject({ markets: z.array(MarketResp) });

function toMarketMeta(m: z.infer<typeof MarketResp>): MarketMeta {
  const taker = m.fee_config?.api_fee?.taker_fee.fee ?? m.chain_details?.fee_taker;
  const maker = m.fee_config?.api_fee?.maker_fee.fee ?? m.chain_details?.fee_maker;
  if (taker === undefined || maker === undefined) {
    throw new SidecarError("METADATA", `market ${m.symbol} has no fee configuration`);
  }
  return {
    market: m.symbol,
    base: m.base_currency,
    quote: m.quote_currency,
    tickSize: m.price_tick_size,
    stepSize: m.order_size_increment,
    // Paradex has no separate minimum size: the increment is the smallest order, min_notional the real floor.
    minSize: m.order_size_increment,
    maxSize: m.max_order_size ?? null,
    minNotional: m.min_notional ?? null,
    takerFeeRate: taker,
    makerFeeRate: maker,
  };
}
