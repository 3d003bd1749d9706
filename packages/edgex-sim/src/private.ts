/**
 * The private account socket (`/api/v1/private/ws`) of the simulator: authenticated on the HTTP upgrade
 * (reference §2.2; the server checks it before this hub sees the socket), then `connected`, a full
 * trade-event `Snapshot`, and every account change as an `ORDER_UPDATE` with an increasing version.
 */
import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import { MALFORMED_FRAMES, type Faults } from "./faults.ts";
import { Heartbeat, type HeartbeatOptions } from "./heartbeat.ts";
import type { Exchange, TradeEventData } from "./matching.ts";
import type { SentLog } from "./sentlog.ts";

const DATA_KEYS = [
  "account",
  "collateral",
  "collateralTransaction",
  "position",
  "positionTransaction",
  "deposit",
  "withdraw",
  "transferIn",
  "transferOut",
  "order",
  "orderFillTransaction",
  "positionTermList",
] as const;

interface PrivateSession {
  readonly ws: WebSocket;
  readonly accountId: string;
  readonly hb: Heartbeat;
}

/** Channel name under which private frames are logged and silenced. */
export const PRIVATE_CHANNEL = "private";

export class PrivateHub {
  readonly sessions = new Set<PrivateSession>();
  exchange: Exchange | undefined;

  constructor(
    private readonly faults: Faults,
    private readonly log: SentLog,
    private readonly heartbeat: HeartbeatOptions,
  ) {}

  attach(ws: WebSocket, accountId: string): void {
    const send = (text: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };
    const s: PrivateSession = { ws, accountId, hb: new Heartbeat(ws, this.heartbeat, send) };
    this.sessions.add(s);
    ws.on("message", (data) => {
      let m: Record<string, unknown> = {};
      try {
        const v: unknown = JSON.parse(data.toString("utf8"));
        if (typeof v === "object" && v !== null) m = v as Record<string, unknown>;
      } catch {
        // answered below as unrecognized
      }
      if (m["type"] === "pong") s.hb.onPong(m["time"]);
      else if (m["type"] === "ping") send(JSON.stringify({ type: "pong", time: String(m["time"] ?? Date.now()) }));
      else
        send(
          JSON.stringify({
            type: "error",
            content: { code: "GATEWAY_UNRECOGNIZED_MESSAGE", msg: "unrecognized message" },
          }),
        );
    });
    ws.on("close", () => {
      s.hb.stop();
      this.sessions.delete(s);
    });
    ws.on("error", () => undefined);
    send(JSON.stringify({ sid: randomUUID(), type: "connected", time: String(Date.now()) }));
    const snap = this.exchange?.snapshot(accountId);
    if (snap !== undefined) send(this.#frame("Snapshot", snap.version, snap.data));
    s.hb.start();
  }

  #frame(event: string, version: number, data: TradeEventData): string {
    const full: Record<string, unknown[]> = {};
    for (const k of DATA_KEYS) full[k] = data[k] ?? [];
    // accountId 0 as in the real capture: clients must not rely on it.
    return JSON.stringify({
      type: "trade-event",
      content: { event, version, time: Date.now(), accountId: 0, data: full },
    });
  }

  /** Push one account event to the account's sockets (unless the private feed is silenced). */
  push(accountId: string, event: string, version: number, data: TradeEventData): void {
    if (this.faults.isSilenced(PRIVATE_CHANNEL)) return;
    let text: string | undefined;
    for (const s of this.sessions) {
      if (s.accountId !== accountId || s.ws.readyState !== s.ws.OPEN) continue;
      text ??= this.#frame(event, version, data);
      s.ws.send(text);
    }
    if (text !== undefined) this.log.record(PRIVATE_CHANNEL, text);
  }

  /** Abrupt TCP reset of every socket (no close frame); returns how many. */
  dropAll(): number {
    for (const s of this.sessions) s.ws.terminate();
    return this.sessions.size;
  }

  injectMalformed(count: number): number {
    let sent = 0;
    for (let i = 0; i < count; i++) {
      for (const s of this.sessions) {
        if (s.ws.readyState === s.ws.OPEN) {
          s.ws.send(MALFORMED_FRAMES[i % MALFORMED_FRAMES.length] ?? "");
          sent += 1;
        }
      }
    }
    return sent;
  }

  state(): Record<string, unknown> {
    return {
      sessions: [...this.sessions].map((s) => ({
        accountId: s.accountId,
        missed_pongs: s.hb.missed,
        pongs: s.hb.pongs,
      })),
    };
  }
}
