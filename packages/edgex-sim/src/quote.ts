/**
 * The public quote socket (`/api/v1/public/ws`) of the simulator, with the reference §9 behaviour:
 * `connected`, subscribe validation, Snapshot then changes per channel, JSON heartbeat that closes after
 * missed pongs, and the wire quirks of production (mixed dataType casing, tuple levels, numeric ids,
 * missing best bid/ask) so clients are tested against them.
 */
import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import { mul } from "@paradex-edgex/core/decimal";
import { bookTickerRecord, fundingRecord, klineRecord, tickerRecord } from "./records.ts";
import { CONTRACTS, metaData } from "./fixtures.ts";
import { MALFORMED_FRAMES, type Faults } from "./faults.ts";
import { Heartbeat, type HeartbeatOptions } from "./heartbeat.ts";
import {
  DEPTH_LEVELS,
  type BookView,
  type ContractMarket,
  type DepthLevel,
  type LevelChange,
  type PublicTrade,
} from "./market.ts";
import type { Rng } from "./rng.ts";
import { wallMicros, type SentLog } from "./sentlog.ts";

export interface QuoteHubOptions {
  readonly heartbeat: HeartbeatOptions;
  /** Emit production wire quirks (default true). */
  readonly quirks: boolean;
  /** Invalid client messages tolerated before the server closes the socket. */
  readonly maxInvalidMessages: number;
}

interface Session {
  readonly ws: WebSocket;
  readonly sid: string;
  readonly subs: Set<string>;
  readonly hb: Heartbeat;
  invalid: number;
}

/** The level the `skip_depth15` fault withholds. */
const HOLD_15: ReadonlySet<DepthLevel> = new Set<DepthLevel>([15]);

const KLINE =
  /^kline\.(LAST_PRICE|INDEX_PRICE|ORACLE_PRICE|MARK_PRICE)\.(\d+)\.(MINUTE_(1|5|15|30)|HOUR_(1|2|4|6|8|12)|DAY_1|WEEK_1|MONTH_1)$/;

/** The contract a channel names ("all" for aggregate channels), or an error code. */
export function channelContract(channel: string): { contractId: string | "all" | undefined } | { error: string } {
  if (channel === "metadata") return { contractId: undefined };
  const m =
    /^depth\.(\d+)\.(15|200)$/.exec(channel) ??
    /^ticker\.(\d+|all|all\.1s)$/.exec(channel) ??
    /^trades\.(\d+)$/.exec(channel) ??
    /^fundingRate\.(\d+|all)$/.exec(channel) ??
    /^bookTicker\.(\d+|all|all\.1s)$/.exec(channel);
  const k = KLINE.exec(channel);
  const id = k?.[2] ?? m?.[1];
  if (id === undefined) return { error: "INVALID_CHANNEL" };
  if (id.startsWith("all")) return { contractId: "all" };
  if (!CONTRACTS.some((c) => c.contractId === id)) return { error: "INVALID_CONTRACT_ID" };
  return { contractId: id };
}

export class QuoteHub {
  readonly sessions = new Set<Session>();
  closedForMissedPongs = 0;
  readonly #lastDepth = new Map<string, string>();
  constructor(
    private readonly markets: Map<string, ContractMarket>,
    private readonly faults: Faults,
    private readonly rng: Rng,
    private readonly log: SentLog,
    private readonly opts: QuoteHubOptions,
  ) {}

  attach(ws: WebSocket): void {
    const send = (text: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };
    const s: Session = {
      ws,
      sid: randomUUID(),
      subs: new Set(),
      hb: new Heartbeat(ws, this.opts.heartbeat, send),
      invalid: 0,
    };
    this.sessions.add(s);
    ws.on("message", (data, isBinary) => this.#onMessage(s, isBinary ? "" : data.toString("utf8")));
    ws.on("close", () => {
      s.hb.stop();
      if (s.hb.closedForMissedPongs) this.closedForMissedPongs += 1;
      this.sessions.delete(s);
    });
    ws.on("error", () => undefined);
    send(JSON.stringify({ sid: s.sid, type: "connected" }));
    s.hb.start();
  }

  #onMessage(s: Session, text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = undefined;
    }
    const m = (typeof msg === "object" && msg !== null ? msg : {}) as Record<string, unknown>;
    const channel = typeof m["channel"] === "string" ? m["channel"] : undefined;
    switch (m["type"]) {
      case "pong":
        s.hb.onPong(m["time"]);
        return;
      case "ping":
        this.#send(s, JSON.stringify({ type: "pong", time: String(m["time"] ?? Date.now()) }));
        return;
      case "subscribe":
        if (channel !== undefined) return this.#subscribe(s, channel);
        break;
      case "unsubscribe":
        if (channel !== undefined) {
          s.subs.delete(channel);
          this.#send(s, JSON.stringify({ type: "unsubscribed", channel }));
          return;
        }
        break;
    }
    s.invalid += 1;
    this.#send(
      s,
      JSON.stringify({ type: "error", content: { code: "GATEWAY_UNRECOGNIZED_MESSAGE", msg: "unrecognized message" } }),
    );
    if (s.invalid >= this.opts.maxInvalidMessages) s.ws.close(4002, "too many invalid messages");
  }

  #subscribe(s: Session, channel: string): void {
    const target = channelContract(channel);
    if ("error" in target) {
      const id = /\.(\d+)/.exec(channel)?.[1] ?? channel;
      const msg = target.error === "INVALID_CONTRACT_ID" ? `invalid contractId:${id}` : `invalid channel:${channel}`;
      this.#send(s, JSON.stringify({ type: "error", channel, content: { code: target.error, msg } }));
      return;
    }
    s.subs.add(channel);
    this.#send(s, JSON.stringify({ type: "subscribed", channel }));
    const delay = this.faults.takeSnapshotDelay();
    const sendSnapshot = (): void => {
      if (!s.subs.has(channel)) return;
      const snapshot = this.#snapshotFrame(channel);
      if (snapshot !== undefined) this.#send(s, snapshot, channel);
    };
    // A delayed Snapshot: changes already flow to this session and must wait for it on the client side.
    if (delay > 0) setTimeout(sendSnapshot, delay).unref();
    else sendSnapshot();
  }

  #send(s: Session, text: string, channel?: string): void {
    if (s.ws.readyState !== s.ws.OPEN) return;
    if (channel !== undefined) this.log.record(channel, text);
    s.ws.send(text);
  }

  /** Send a frame to every subscriber of `channel` (unless silenced), logging it once. */
  broadcast(channel: string, build: () => string): void {
    if (this.faults.isSilenced(channel)) return;
    let text: string | undefined;
    let sentUs = 0;
    for (const s of this.sessions) {
      if (!s.subs.has(channel) || s.ws.readyState !== s.ws.OPEN) continue;
      if (text === undefined) {
        text = build();
        sentUs = wallMicros(); // stamped before the first send: the bench measures from here
      }
      s.ws.send(text);
    }
    if (text !== undefined) this.log.record(channel, text, sentUs);
  }

  #subscribed(channel: string): boolean {
    for (const s of this.sessions) if (s.subs.has(channel)) return true;
    return false;
  }

  // ----------------------------------------------------------------------------------------------
  // frames
  // ----------------------------------------------------------------------------------------------

  #quoteEvent(channel: string, dataType: string, data: unknown[]): string {
    return JSON.stringify({ type: "quote-event", channel, content: { channel, dataType, data } });
  }

  #id(contractId: string): string | number {
    return this.opts.quirks && this.rng.chance(0.1) ? Number(contractId) : contractId;
  }

  #levels(m: ContractMarket, changes: readonly LevelChange[], tuples: boolean): unknown[] {
    return changes.map(([t, s]) => {
      const price = m.priceText(t);
      const size = s === 0 ? "0" : m.sizeText(s);
      return tuples ? [price, size] : { price, size };
    });
  }

  #depthRecord(
    m: ContractMarket,
    level: DepthLevel,
    start: number,
    end: number,
    bids: LevelChange[],
    asks: LevelChange[],
    snapshot: boolean,
  ) {
    const tuples = this.opts.quirks && this.rng.chance(0.15);
    return {
      startVersion: String(start),
      endVersion: String(end),
      level,
      contractId: this.#id(m.contract.contractId),
      contractName: m.contract.contractName,
      asks: this.#levels(m, asks, tuples),
      bids: this.#levels(m, bids, tuples),
      depthType: snapshot ? (this.opts.quirks ? this.rng.pick(["SNAPSHOT", "Snapshot"]) : "SNAPSHOT") : "CHANGED",
    };
  }

  depthSnapshotRecord(m: ContractMarket, level: DepthLevel, view: BookView = m.published(level)) {
    return this.#depthRecord(m, level, m.version, m.version, [...view.bids], [...view.asks], true);
  }

  #snapshotFrame(channel: string): string | undefined {
    if (channel === "metadata") return this.#quoteEvent(channel, "Snapshot", [metaData()]);
    const depth = /^depth\.(\d+)\.(15|200)$/.exec(channel);
    if (depth !== null) {
      const m = this.markets.get(depth[1] ?? "");
      if (m === undefined) return undefined;
      return this.#quoteEvent(channel, "Snapshot", [this.depthSnapshotRecord(m, Number(depth[2]) as DepthLevel)]);
    }
    const data = this.#periodicData(channel);
    return data === undefined ? undefined : this.#quoteEvent(channel, "Snapshot", data);
  }

  /** Records of a ticker/kline/funding/bookTicker channel (trades have no snapshot content beyond the last few). */
  #periodicData(channel: string): unknown[] | undefined {
    const [kind] = channel.split(".");
    const target = channelContract(channel);
    if ("error" in target) return undefined;
    const ms =
      target.contractId === "all"
        ? [...this.markets.values()]
        : [this.markets.get(target.contractId ?? "")].filter((x) => x !== undefined);
    switch (kind) {
      case "ticker":
        return ms.map((m) => this.tickerRecord(m));
      case "bookTicker":
        return ms.map((m) => bookTickerRecord(m));
      case "fundingRate":
        return ms.map((m) => fundingRecord(m));
      case "kline":
        return ms.map((m) => klineRecord(m, channel));
      case "trades":
        return [];
      default:
        return undefined;
    }
  }

  /** A ticker record, with the quirks (numeric id, missing best bid/ask) when they are on. */
  tickerRecord(m: ContractMarket): Record<string, unknown> {
    return tickerRecord(m, this.#id(m.contract.contractId), !(this.opts.quirks && this.rng.chance(0.1)));
  }

  // ----------------------------------------------------------------------------------------------
  // pushes driven by the market loop
  // ----------------------------------------------------------------------------------------------

  /** Publish the contract's book (advancing its version, `skip` versions silently lost) to depth subscribers. */
  publishDepth(contractId: string, skip = 0): void {
    const m = this.markets.get(contractId);
    if (m === undefined) return;
    const held = this.#subscribed(`depth.${contractId}.15`) && this.faults.takeDepth15Hold();
    const diffs = m.publish(skip, held ? HOLD_15 : undefined);
    for (const level of DEPTH_LEVELS) {
      const d = diffs.get(level);
      const channel = `depth.${contractId}.${level}`;
      if (d === undefined || !this.#subscribed(channel)) continue;
      this.broadcast(channel, () => {
        const dataType = this.opts.quirks ? this.rng.pick(["changed", "Changed", "CHANGED"]) : "changed";
        const text = this.#quoteEvent(channel, dataType, [
          this.#depthRecord(m, level, d.startVersion, d.endVersion, d.bids, d.asks, false),
        ]);
        this.#lastDepth.set(channel, text);
        return text;
      });
    }
    const bt = `bookTicker.${contractId}`;
    if (this.#subscribed(bt)) this.broadcast(bt, () => this.#quoteEvent(bt, "changed", [bookTickerRecord(m)]));
  }

  publishTrades(contractId: string, trades: readonly PublicTrade[]): void {
    const m = this.markets.get(contractId);
    const channel = `trades.${contractId}`;
    if (m === undefined || trades.length === 0 || !this.#subscribed(channel)) return;
    this.broadcast(channel, () =>
      this.#quoteEvent(
        channel,
        "changed",
        trades.map((t) => ({
          ticketId: t.ticketId,
          time: String(t.time),
          price: m.priceText(t.tick),
          size: m.sizeText(t.steps),
          value: mul(m.priceText(t.tick), m.sizeText(t.steps)),
          takerOrderId: "",
          makerOrderId: "",
          takerAccountId: "",
          makerAccountId: "",
          contractId: this.#id(contractId),
          contractName: m.contract.contractName,
          isBestMatch: true,
          isBuyerMaker: t.isBuyerMaker,
        })),
      ),
    );
  }

  /** Send the last depth diff of a contract again (a duplicate/old version the client must ignore). */
  duplicateDepth(contractId: string): number {
    let sent = 0;
    for (const level of DEPTH_LEVELS) {
      const channel = `depth.${contractId}.${level}`;
      const text = this.#lastDepth.get(channel);
      if (text === undefined) continue;
      this.broadcast(channel, () => text);
      sent += 1;
    }
    return sent;
  }

  /** Periodic channels: tickers, klines, funding (every ~second of market time). */
  publishPeriodic(): void {
    const channels = new Set<string>();
    for (const s of this.sessions)
      for (const c of s.subs)
        if (!c.startsWith("depth.") && !c.startsWith("trades.") && c !== "metadata") channels.add(c);
    for (const channel of channels) {
      const data = this.#periodicData(channel);
      if (data !== undefined && data.length > 0)
        this.broadcast(channel, () => this.#quoteEvent(channel, "changed", data));
    }
  }

  /** Abrupt TCP reset of every socket (no close frame); returns how many. */
  dropAll(): number {
    for (const s of this.sessions) s.ws.terminate();
    return this.sessions.size;
  }

  /**
   * Send each session `count` well-formed depth frames of a contract it did not subscribe to (reference §9.8:
   * "messages for unsubscribed contracts"); a client must ignore them.
   */
  injectStray(count: number): number {
    let sent = 0;
    for (const s of this.sessions) {
      const m = [...this.markets.values()].find(
        (x) => ![...s.subs].some((c) => c.startsWith(`depth.${x.contract.contractId}.`)),
      );
      if (m === undefined || s.ws.readyState !== s.ws.OPEN) continue;
      const channel = `depth.${m.contract.contractId}.15`;
      for (let i = 0; i < count; i++) {
        s.ws.send(
          this.#quoteEvent(channel, "changed", [
            this.#depthRecord(m, 15, m.version + 1 + i, m.version + 1 + i, [], [], false),
          ]),
        );
        sent += 1;
      }
    }
    return sent;
  }

  /** Send `count` malformed frames to every connected client, cycling through the kinds. */
  injectMalformed(count: number): number {
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const frame = MALFORMED_FRAMES[i % MALFORMED_FRAMES.length] ?? "";
      for (const s of this.sessions) {
        if (s.ws.readyState === s.ws.OPEN) {
          s.ws.send(frame);
          sent += 1;
        }
      }
    }
    return sent;
  }

  state(): Record<string, unknown> {
    return {
      sessions: [...this.sessions].map((s) => ({
        sid: s.sid,
        subs: [...s.subs],
        missed_pongs: s.hb.missed,
        pongs: s.hb.pongs,
        bad_pongs: s.hb.badPongs,
        invalid_messages: s.invalid,
      })),
      closed_for_missed_pongs: this.closedForMissedPongs,
    };
  }
}
