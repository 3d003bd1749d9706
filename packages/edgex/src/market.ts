/**
 * Public market data over the quote socket: subscriptions that survive reconnects, depth books with version
 * continuity (a gap → resubscribe for a fresh Snapshot, reported as `status gap`), trades, and per-channel
 * `stale`/`live` status. Turns frames into normalized drafts through `normalize.ts`.
 */
import type { MarketChannel } from "@paradex-edgex/core";
import { DepthBook } from "./book.ts";
import { add, div } from "@paradex-edgex/core/decimal";
import type { EdgexContract } from "./metadata.ts";
import { bboFromBook, bookEvent, statusEvent, tradeEvent, type Draft } from "./normalize.ts";
import type { ManagedSocket } from "./transport/ws.ts";
import { DepthRecord, QuoteFrame, TradeRecord, describeIssues, isChanged, isSnapshot } from "./wire.ts";

/**
 * Depth channel subscribed for bbo and book. 200, not 15: EdgeX documents only level-200 frames, with
 * contiguous versions (reference §0a.5), so a version jump there is a real gap and a resync is right. Whether
 * `depth.X.15` skips versions when only deeper levels change is undocumented; on 15 a strict client could
 * resync in a loop, and a lenient one could not tell a lost frame (a stale level) from a benign skip.
 */
export const DEPTH_LEVEL = 200;
/** Levels a `book` event carries (and `book()` shows): the top of the 200-level book. */
export const BOOK_LEVELS = 15;

export interface MarketDataOptions {
  /** A subscribed channel silent this long is reported `stale` (and `live` again on the next frame). */
  readonly staleAfterMs?: number;
}

export interface MarketSink {
  emit(draft: Draft): void;
  /** A frame or record that could not be used; reported as an `error` event with this code. */
  bad(code: string, message: string): void;
}

type SubState = "pending" | "subscribed" | "live" | "resyncing";

interface Sub {
  readonly wire: string;
  readonly contract: EdgexContract;
  readonly kind: "depth" | "trades";
  /** Normalized channels served by this wire channel (depth feeds both bbo and book). */
  readonly wants: Set<MarketChannel>;
  readonly book: DepthBook | undefined;
  state: SubState;
  lastAt: number;
  stale: boolean;
  lastBboKey: string;
}

export class MarketData {
  readonly #subs = new Map<string, Sub>();
  readonly #socket: ManagedSocket;
  readonly #sink: MarketSink;
  readonly #staleAfterMs: number;
  readonly #staleTimer: NodeJS.Timeout;
  readonly counters = { gaps: 0, resyncs: 0, staleReports: 0, badRecords: 0, ignoredStale: 0 };

  constructor(socket: ManagedSocket, sink: MarketSink, options: MarketDataOptions = {}) {
    this.#socket = socket;
    this.#sink = sink;
    this.#staleAfterMs = options.staleAfterMs ?? 10_000;
    this.#staleTimer = setInterval(() => this.#checkStale(), Math.max(50, Math.min(1_000, this.#staleAfterMs / 4)));
    this.#staleTimer.unref();
  }

  stop(): void {
    clearInterval(this.#staleTimer);
  }

  /** The local book of a contract's depth channel (tests compare it with the simulator's). */
  book(contractId: string): DepthBook | undefined {
    return this.#subs.get(`depth.${contractId}.${DEPTH_LEVEL}`)?.book;
  }

  /** Mid of the local book, used to mark positions. */
  mid(contractId: string): string | undefined {
    const b = this.book(contractId);
    const bid = b?.best("bids");
    const ask = b?.best("asks");
    if (bid === undefined || ask === undefined) return undefined;
    return halfSum(bid.price, ask.price);
  }

  subscribe(channel: MarketChannel, contract: EdgexContract): void {
    const kind = channel === "trades" ? "trades" : "depth";
    const wire = kind === "trades" ? `trades.${contract.contractId}` : `depth.${contract.contractId}.${DEPTH_LEVEL}`;
    const existing = this.#subs.get(wire);
    if (existing !== undefined) {
      existing.wants.add(channel);
      if (existing.state === "live" && existing.book?.ready === true)
        this.#emitBook(existing, Date.now(), nowUs(), true);
      return;
    }
    const sub: Sub = {
      wire,
      contract,
      kind,
      wants: new Set([channel]),
      book: kind === "depth" ? new DepthBook(DEPTH_LEVEL, BOOK_LEVELS) : undefined,
      state: "pending",
      // Counted from the request: a subscription that never delivers is reported stale too.
      lastAt: Date.now(),
      stale: false,
      lastBboKey: "",
    };
    this.#subs.set(wire, sub);
    this.#socket.send({ type: "subscribe", channel: wire });
  }

  unsubscribe(channel: MarketChannel, contract: EdgexContract): void {
    const wire = channel === "trades" ? `trades.${contract.contractId}` : `depth.${contract.contractId}.${DEPTH_LEVEL}`;
    const sub = this.#subs.get(wire);
    if (sub === undefined) return;
    sub.wants.delete(channel);
    if (sub.wants.size > 0) return;
    this.#subs.delete(wire);
    this.#socket.send({ type: "unsubscribe", channel: wire });
  }

  /** Socket (re)opened: every subscription starts over with a fresh Snapshot. */
  onOpen(): void {
    for (const sub of this.#subs.values()) {
      sub.state = "pending";
      sub.lastAt = Date.now();
      // `stale` is kept: the next frame reports `live`, so a consumer never misses the recovery.
      sub.book?.invalidate();
      this.#socket.send({ type: "subscribe", channel: sub.wire });
    }
  }

  onFrame(raw: unknown, recvUs: number): void {
    const parsed = QuoteFrame.safeParse(raw);
    if (!parsed.success) {
      this.#sink.bad("BAD_FRAME", `unrecognized quote frame: ${describeIssues(parsed.error)}`);
      return;
    }
    const f = parsed.data;
    switch (f.type) {
      case "subscribed": {
        const sub = this.#subs.get(f.channel);
        if (sub === undefined) return;
        if (sub.state === "pending") sub.state = "subscribed";
        for (const w of sub.wants)
          this.#sink.emit(statusEvent("subscribed", { channel: w, market: sub.contract.contractName }));
        return;
      }
      case "quote-event":
        return this.#onQuoteEvent(f.channel, f.content.dataType, f.content.data, recvUs);
      case "error":
        this.#sink.bad(
          "VENUE_ERROR",
          `quote socket error ${f.content.code}${f.channel === undefined ? "" : ` on ${f.channel}`}: ${f.content.msg ?? ""}`,
        );
        return;
      default:
        return; // connected / unsubscribed / pong need no action
    }
  }

  #onQuoteEvent(channel: string, dataType: string, data: unknown[], recvUs: number): void {
    const sub = this.#subs.get(channel);
    if (sub === undefined) return; // late frames of a channel we left
    const now = Date.now();
    sub.lastAt = now;
    if (sub.stale) {
      sub.stale = false;
      for (const w of sub.wants)
        this.#sink.emit(statusEvent("live", { channel: w, market: sub.contract.contractName }));
    }
    if (sub.kind === "trades") {
      if (isSnapshot(dataType)) return; // history at subscribe time, not new trades
      for (const rec of data) {
        const t = TradeRecord.safeParse(rec);
        if (!t.success) {
          this.counters.badRecords += 1;
          this.#sink.bad("BAD_FRAME", `bad trade record on ${channel}: ${describeIssues(t.error)}`);
          continue;
        }
        if (sub.wants.has("trades")) this.#sink.emit(tradeEvent(sub.contract.contractName, t.data, recvUs));
      }
      return;
    }
    for (const rec of data) this.#onDepthRecord(sub, dataType, rec, now, recvUs);
  }

  #onDepthRecord(sub: Sub, dataType: string, raw: unknown, now: number, recvUs: number): void {
    const book = sub.book;
    if (book === undefined) return;
    const r = DepthRecord.safeParse(raw);
    if (!r.success) {
      this.counters.badRecords += 1;
      this.#sink.bad("BAD_FRAME", `bad depth record on ${sub.wire}: ${describeIssues(r.error)}`);
      // Levels were lost with it: the book can no longer be trusted.
      if (book.ready) this.#resync(sub, "unreadable depth record");
      return;
    }
    let result;
    if (isSnapshot(dataType, r.data.depthType)) {
      result = book.applySnapshot(r.data);
      if (result.kind === "applied") {
        const healed = sub.state === "resyncing";
        sub.state = "live";
        if (healed)
          for (const w of sub.wants)
            this.#sink.emit(
              statusEvent("live", { channel: w, market: sub.contract.contractName, reason: "fresh snapshot" }),
            );
      }
    } else if (isChanged(dataType, r.data.depthType)) {
      if (!book.ready) return; // waiting for the Snapshot of a (re)subscription
      result = book.applyChanged(r.data);
    } else {
      this.#sink.bad("BAD_FRAME", `unknown depth type on ${sub.wire}`);
      return;
    }
    if (result.kind === "stale") {
      this.counters.ignoredStale += 1;
      return;
    }
    if (result.kind === "gap") {
      this.counters.gaps += 1;
      for (const w of sub.wants)
        this.#sink.emit(statusEvent("gap", { channel: w, market: sub.contract.contractName, reason: result.reason }));
      this.#resync(sub, result.reason);
      return;
    }
    this.#emitBook(sub, now, recvUs, false);
  }

  #emitBook(sub: Sub, now: number, recvUs: number, force: boolean): void {
    const book = sub.book;
    if (book === undefined || !book.ready) return;
    const market = sub.contract.contractName;
    if (sub.wants.has("book")) this.#sink.emit(bookEvent(market, book, now, recvUs));
    if (sub.wants.has("bbo")) {
      const bbo = bboFromBook(market, book, now, recvUs);
      const key = `${bbo.bid}|${bbo.bid_size}|${bbo.ask}|${bbo.ask_size}`;
      if (force || key !== sub.lastBboKey) {
        sub.lastBboKey = key;
        this.#sink.emit(bbo);
      }
    }
  }

  /** Drop the book and ask for a fresh Snapshot: unsubscribe + subscribe (reference §1.5). */
  #resync(sub: Sub, _reason: string): void {
    this.counters.resyncs += 1;
    sub.book?.invalidate();
    sub.state = "resyncing";
    sub.lastBboKey = "";
    this.#socket.send({ type: "unsubscribe", channel: sub.wire });
    this.#socket.send({ type: "subscribe", channel: sub.wire });
  }

  #checkStale(): void {
    const now = Date.now();
    for (const sub of this.#subs.values()) {
      if (sub.stale || now - sub.lastAt <= this.#staleAfterMs) continue;
      sub.stale = true;
      this.counters.staleReports += 1;
      const reason = `no data for ${Math.round((now - sub.lastAt) / 1000)}s`;
      for (const w of sub.wants)
        this.#sink.emit(statusEvent("stale", { channel: w, market: sub.contract.contractName, reason }));
    }
  }
}

function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** (a + b) / 2 exactly (a midpoint of two ticks needs at most one more decimal). */
function halfSum(a: string, b: string): string {
  return div(add(a, b), "2", 12);
}
