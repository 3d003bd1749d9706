/**
 * EdgeXClient: the EdgeX venue behind the bot's `Venue` interface. Composes metadata, the quote socket and
 * market data, the private socket and account feed, and the order gateway; numbers every event it emits
 * (`seq`), like the Paradex sidecar does, so both venues look the same to the bot.
 */
import type { ErrorLine } from "@paradex-edgex/core";
import { TypedEmitter, VENUE_EVENT_TYPES } from "@paradex-edgex/core";
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
import { AccountFeed, type MissedWhileAway } from "./account.ts";
import type { Endpoints, TradingCredentials } from "./config.ts";
import { EdgeXError, OrderValidationError } from "./errors.ts";
import { MarketData } from "./market.ts";
import { MetadataStore, type EdgexContract } from "./metadata.ts";
import { statusEvent, type Draft } from "./normalize.ts";
import { Eip712OrderSigner, type OrderSigner } from "./signing/eip712.ts";
import { privateSocketAuth } from "./signing/hmac.ts";
import { OrderGateway, type OrderGatewayOptions } from "./trading.ts";
import { RestClient } from "./transport/rest.ts";
import { ManagedSocket, type SocketStatus } from "./transport/ws.ts";
import { lookupOrders } from "./lookup.ts";
import { AccountAsset, OrderEntity, OrderPage } from "./wire.ts";

export interface EdgeXClientOptions extends Endpoints {
  /** Without credentials the client serves market data only. */
  readonly credentials?: TradingCredentials;
  /** Use another signer (e.g. a future StarkEx V1 one); default: EIP-712 with `credentials.signerKey`. */
  readonly signer?: OrderSigner;
  readonly staleAfterMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly idleTimeoutMs?: number;
  readonly clientPingMs?: number;
  readonly restTimeoutMs?: number;
  readonly lookupAttempts?: number;
  readonly lookupDelayMs?: number;
  /** Order path: lookup budget after a lost create reply, and each REST call's timeout (leg-sized defaults). */
  readonly lookupBudgetMs?: number;
  readonly orderCallTimeoutMs?: number;
}

type EventMap = { [K in VenueEventType]: VenueEventOf<K> } & { error: ErrorLine };
/** Documented page caps (reference §0a.1): fills "> 0 and <= 100", active orders ≤ 200. */
const FILLS_PAGE_SIZE = 100;
const ACTIVE_ORDERS_PAGE_SIZE = 200;
/** Fill catch-up after a reconnect reads at most this many pages (newest first; older fills were streamed). */
const FILL_CATCHUP_PAGES = 5;
/** Active orders are listed in full, bounded against a runaway token. */
const ACTIVE_ORDERS_MAX_PAGES = 50;

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class EdgeXClient implements Venue {
  readonly name = "edgex" as const;
  readonly #opts: EdgeXClientOptions;
  readonly #emitter: TypedEmitter<EventMap>;
  readonly rest: RestClient;
  readonly #quoteSocket: ManagedSocket;
  readonly market: MarketData;
  readonly account: AccountFeed;
  #privateSocket: ManagedSocket | undefined;
  #orders: OrderGateway | undefined;
  #meta: MetadataStore | undefined;
  #seq = 0;
  #connected = false;
  readonly counters = { badFrames: 0, listenerErrors: 0, reconciliations: 0 };

  constructor(options: EdgeXClientOptions) {
    this.#opts = options;
    this.#emitter = new TypedEmitter<EventMap>(() => {
      this.counters.listenerErrors += 1;
    });
    this.rest = new RestClient({
      baseUrl: options.restUrl,
      ...(options.credentials ? { credentials: options.credentials.api } : {}),
      ...(options.restTimeoutMs !== undefined ? { timeoutMs: options.restTimeoutMs } : {}),
    });
    const sink = { emit: (d: Draft) => this.#emit(d), bad: (code: string, msg: string) => this.#bad(code, msg) };
    this.#quoteSocket = new ManagedSocket(
      { dial: () => ({ url: `${options.quoteWsUrl}?timestamp=${Date.now()}` }), ...this.#socketTuning() },
      {
        onOpen: () => this.market.onOpen(),
        onFrame: (f, recvUs) => this.market.onFrame(f, recvUs),
        onBadFrame: (reason) => this.#bad("BAD_FRAME", `quote socket: ${reason}`),
        onStatus: (s) => this.#socketStatus(s, undefined),
      },
    );
    this.market = new MarketData(
      this.#quoteSocket,
      sink,
      options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {},
    );
    this.account = new AccountFeed(
      sink,
      () => this.#meta,
      (id) => this.market.mid(id),
      (gap) => void this.#reconcileOrders(gap),
    );
  }

  /**
   * After a reconnect: fetch the final state of orders that ended while the private socket was down, and the
   * recent fills of every order we knew (already-emitted fills are skipped by id), so no order/fill is lost.
   */
  async #reconcileOrders(gap: MissedWhileAway): Promise<void> {
    const creds = this.#opts.credentials;
    if (creds === undefined) return;
    const known = new Set(gap.known);
    // Fill catch-up and order lookup are independent: one failing must not cost the other its answer.
    try {
      const all = await this.#pages(
        "/api/v2/private/order/getHistoryOrderFillTransactionPage",
        { accountId: creds.accountId },
        FILLS_PAGE_SIZE,
        FILL_CATCHUP_PAGES,
      );
      const mine = all.filter((f) => known.has(String((f as { orderId?: unknown } | null)?.orderId)));
      // Oldest first, as they happened (the venue lists newest first).
      for (const raw of mine.reverse()) this.account.applyFill(raw);
    } catch (err) {
      this.#bad("RECONCILE_FAILED", `could not fetch fills after a reconnect: ${errText(err)}`);
    }
    try {
      if (gap.missing.length > 0) {
        // Orders that ended while away are answered by the history lookup (reference §0a.6).
        const data = await lookupOrders(this.rest, creds.accountId, "orderId", gap.missing);
        for (const raw of data) this.account.applyOrder(raw);
      }
    } catch (err) {
      this.#bad(
        "RECONCILE_FAILED",
        `could not reconcile ${gap.missing.length} order(s) after a reconnect: ${errText(err)}`,
      );
    } finally {
      this.counters.reconciliations += 1;
    }
  }

  /**
   * Rows of a paged private list (`{dataList, nextPageOffsetData}`), following the next-page token with the
   * documented page size, for at most `maxPages` pages (reference §0a.1: larger sizes are refused).
   */
  async #pages(path: string, params: Record<string, string>, size: number, maxPages: number): Promise<unknown[]> {
    const rows: unknown[] = [];
    let offsetData = "";
    for (let i = 0; i < maxPages; i++) {
      const reply = OrderPage.safeParse(
        await this.rest.get(path, { ...params, size, ...(offsetData === "" ? {} : { offsetData }) }),
      );
      if (!reply.success) throw new EdgeXError("BAD_REPLY", `${path} reply has an unexpected shape`);
      rows.push(...reply.data.dataList);
      offsetData = reply.data.nextPageOffsetData ?? "";
      if (offsetData === "" || reply.data.dataList.length === 0) break;
    }
    return rows;
  }

  #socketTuning(): Record<string, number> {
    const o = this.#opts;
    const out: Record<string, number> = {};
    if (o.backoffBaseMs !== undefined) out["backoffBaseMs"] = o.backoffBaseMs;
    if (o.backoffMaxMs !== undefined) out["backoffMaxMs"] = o.backoffMaxMs;
    if (o.idleTimeoutMs !== undefined) out["idleTimeoutMs"] = o.idleTimeoutMs;
    if (o.clientPingMs !== undefined) out["clientPingMs"] = o.clientPingMs;
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // events
  // ----------------------------------------------------------------------------------------------

  #emit(draft: Draft | Omit<ErrorLine, "seq">): void {
    this.#seq += 1;
    const event = { ...draft, seq: this.#seq } as VenueEvent | ErrorLine;
    this.#emitter.emit(event.type, event as never);
  }

  #bad(code: string, message: string): void {
    this.counters.badFrames += 1;
    this.#emit({ type: "error", code, message });
  }

  #socketStatus(s: SocketStatus, channel: string | undefined): void {
    const extra: { channel?: string; reason?: string; attempt?: number; delay_ms?: number } = {};
    if (channel !== undefined) extra.channel = channel;
    if (s.reason !== undefined) extra.reason = s.reason;
    if (s.attempt !== undefined) extra.attempt = s.attempt;
    if (s.delay_ms !== undefined) extra.delay_ms = s.delay_ms;
    this.#emit(statusEvent(s.state, extra));
  }

  on<K extends VenueEventType>(type: K, listener: (event: VenueEventOf<K>) => void): Unsubscribe {
    return this.#emitter.on(type, listener as unknown as (e: EventMap[K]) => void);
  }

  /** Malformed frames and venue errors (`code` BAD_FRAME / VENUE_ERROR): reported here, never thrown. */
  onError(listener: (event: ErrorLine) => void): Unsubscribe {
    return this.#emitter.on("error", listener);
  }

  events(): AsyncIterable<VenueEvent> {
    return this.#emitter.iterate(VENUE_EVENT_TYPES) as AsyncIterable<VenueEvent>;
  }

  // ----------------------------------------------------------------------------------------------
  // lifecycle
  // ----------------------------------------------------------------------------------------------

  /** Load metadata (retrying with backoff for up to `deadlineMs`), sync the clock, open the sockets. */
  async connect(deadlineMs = 30_000): Promise<void> {
    if (this.#connected) return;
    this.#connected = true;
    const until = Date.now() + deadlineMs;
    let delay = 200;
    for (;;) {
      try {
        await this.refreshMetadata();
        break;
      } catch (err) {
        if (Date.now() + delay > until) {
          this.#connected = false;
          throw new EdgeXError(
            "CONNECT_FAILED",
            `metadata unavailable: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
    await this.rest.syncClock().catch(() => undefined);
    this.#quoteSocket.start();
    const creds = this.#opts.credentials;
    if (creds !== undefined) this.#startPrivate(creds);
  }

  async refreshMetadata(): Promise<MetadataStore> {
    const parsed = MetadataStore.fromWire(await this.rest.get("/api/v2/public/meta/getMetaData", {}));
    for (const p of parsed.problems) this.#bad("METADATA", p);
    this.#meta = parsed.store;
    return parsed.store;
  }

  #startPrivate(creds: TradingCredentials): void {
    const meta = (): MetadataStore => {
      if (this.#meta === undefined) throw new EdgeXError("NOT_CONNECTED", "metadata not loaded");
      return this.#meta;
    };
    let signer = this.#opts.signer;
    if (signer === undefined) {
      const domain = this.#meta?.domain;
      if (domain === undefined) throw new EdgeXError("NO_DOMAIN", "metadata has no EIP-712 domain; cannot sign orders");
      signer = new Eip712OrderSigner(creds.signerKey, domain);
    }
    const gwOpts: OrderGatewayOptions = {
      ...(this.#opts.lookupAttempts !== undefined ? { lookupAttempts: this.#opts.lookupAttempts } : {}),
      ...(this.#opts.lookupDelayMs !== undefined ? { lookupDelayMs: this.#opts.lookupDelayMs } : {}),
      ...(this.#opts.lookupBudgetMs !== undefined ? { lookupBudgetMs: this.#opts.lookupBudgetMs } : {}),
      ...(this.#opts.orderCallTimeoutMs !== undefined ? { orderCallTimeoutMs: this.#opts.orderCallTimeoutMs } : {}),
    };
    this.#orders = new OrderGateway(this.rest, creds.accountId, signer, meta, this.account, gwOpts);
    this.#privateSocket = new ManagedSocket(
      {
        dial: () => {
          const auth = privateSocketAuth(creds.api, creds.accountId, String(this.rest.now()));
          return { url: `${this.#opts.privateWsUrl}?${auth.query}`, headers: auth.headers };
        },
        ...this.#socketTuning(),
      },
      {
        onOpen: () => this.account.onOpen(),
        onFrame: (f) => this.account.onFrame(f),
        onBadFrame: (reason) => this.#bad("BAD_FRAME", `private socket: ${reason}`),
        onStatus: (s) => this.#socketStatus(s, "private"),
      },
    );
    this.#privateSocket.start();
  }

  async close(): Promise<void> {
    this.market.stop();
    await Promise.all([this.#quoteSocket.stop(), this.#privateSocket?.stop()]);
    this.#emitter.endAll();
  }

  // ----------------------------------------------------------------------------------------------
  // market data
  // ----------------------------------------------------------------------------------------------

  #contract(market: string): EdgexContract {
    if (this.#meta === undefined) throw new EdgeXError("NOT_CONNECTED", "call connect() first");
    const c = this.#meta.resolve(market);
    if (c === undefined) throw new OrderValidationError(`unknown EdgeX market ${market}`);
    return c;
  }

  /** Resolve any accepted name (`BTCUSDC`, `BTC-USD-PERP`, `BTCUSDT`, `BTC`, contract id). */
  contract(market: string): EdgexContract {
    return this.#contract(market);
  }

  async markets(): Promise<MarketMeta[]> {
    const meta = this.#meta ?? (await this.refreshMetadata());
    return meta.all().map((c) => MetadataStore.marketMeta(c));
  }

  async subscribe(channel: MarketChannel, market: string): Promise<void> {
    this.market.subscribe(channel, this.#contract(market));
  }

  async unsubscribe(channel: MarketChannel, market: string): Promise<void> {
    this.market.unsubscribe(channel, this.#contract(market));
  }

  // ----------------------------------------------------------------------------------------------
  // trading
  // ----------------------------------------------------------------------------------------------

  #gateway(): OrderGateway {
    if (this.#orders === undefined)
      throw new EdgeXError("CREDENTIALS", "trading needs EDGEX_* credentials and connect()");
    return this.#orders;
  }

  place(order: PlaceOrderRequest): Promise<PlaceOrderResult> {
    return this.#gateway().place(order);
  }

  cancel(request: CancelRequest): Promise<void> {
    return this.#gateway().cancel(request);
  }

  cancelAll(market?: string): Promise<void> {
    return this.#gateway().cancelAll(market === undefined ? undefined : this.#contract(market));
  }

  /**
   * Orders, positions and account from REST (not the stream), for reconciliation at start or after doubt.
   * The returned events carry the latest emitted `seq` (they are a view, not new stream events).
   */
  async snapshot(): Promise<VenueSnapshot> {
    const creds = this.#opts.credentials;
    if (creds === undefined) throw new EdgeXError("CREDENTIALS", "snapshot needs EDGEX_* credentials");
    const [asset, activeOrders] = await Promise.all([
      this.rest.get("/api/v2/private/account/getAccountAsset", { accountId: creds.accountId }),
      this.#pages(
        "/api/v2/private/order/getActiveOrderPage",
        { accountId: creds.accountId },
        ACTIVE_ORDERS_PAGE_SIZE,
        ACTIVE_ORDERS_MAX_PAGES,
      ),
    ]);
    // Feed the REST view through the same path as a stream Snapshot, without emitting it.
    const view = new AccountFeed(
      { emit: () => undefined, bad: (c, m) => this.#bad(c, m) },
      () => this.#meta,
      (id) => this.market.mid(id),
    );
    const assetReply = AccountAsset.safeParse(asset);
    if (!assetReply.success) throw new EdgeXError("BAD_REPLY", "getAccountAsset reply has an unexpected shape");
    const a = assetReply.data;
    const orders = activeOrders.filter((o) => OrderEntity.safeParse(o).success);
    view.onFrame({
      type: "trade-event",
      content: {
        event: "Snapshot",
        version: a.version ?? 0,
        data: {
          account: a.account === undefined ? [] : [a.account],
          collateral: a.collateralList ?? [],
          position: a.positionList ?? [],
          order: orders,
        },
      },
    });
    const seq = Math.max(1, this.#seq);
    const acct = view.accountDraft(Date.now());
    return {
      orders: view.activeOrderDrafts().map((o) => ({ ...o, seq })),
      positions: view.positionDrafts().map((p) => ({ ...p, seq })),
      account: acct === undefined ? null : { ...acct, seq },
      balances:
        view.collateral() === undefined
          ? []
          : [{ token: this.#meta?.all()[0]?.quoteCoin ?? "USDC", size: view.collateral() as string }],
    };
  }
}
