/**
 * A WebSocket that stays connected: jittered exponential backoff that never gives up, a JSON `ping` from the
 * server answered with a `pong` echoing its `time` before anything else runs, a client ping, and an idle
 * deadline that replaces a silent socket. Frames are parsed once here and handed up as values.
 */
import WebSocket from "ws";
import { backoffDelay } from "@paradex-edgex/core";

export type SocketState = "connecting" | "connected" | "disconnected" | "reconnecting" | "closed";

export interface SocketStatus {
  readonly state: SocketState;
  readonly reason?: string;
  readonly attempt?: number;
  readonly delay_ms?: number;
}

export interface Dial {
  readonly url: string;
  readonly headers?: Record<string, string>;
}

export interface ManagedSocketOptions {
  /** Called before every attempt: timestamps and signatures must be fresh each time. */
  readonly dial: () => Dial | Promise<Dial>;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** A connection that lived at least this long resets the backoff. */
  readonly stableAfterMs?: number;
  /** No frame at all (server pings included) for this long → replace the socket. */
  readonly idleTimeoutMs?: number;
  /** Client `{"type":"ping"}` interval (the SDKs use 30 s); 0 disables. */
  readonly clientPingMs?: number;
  readonly connectTimeoutMs?: number;
  readonly random?: () => number;
}

export interface ManagedSocketHandlers {
  /** Socket open: (re)send subscriptions here. */
  onOpen(): void;
  /** One parsed frame (never a server ping: those are answered here). `recvUs` is the wall clock on arrival. */
  onFrame(frame: unknown, recvUs: number): void;
  /** A frame that is not JSON (or is binary); `reason` says why, never with the frame's content. */
  onBadFrame(reason: string): void;
  onStatus(status: SocketStatus): void;
}

/** Wall clock in µs (sub-ms resolution). */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class ManagedSocket {
  readonly #opts: Required<Omit<ManagedSocketOptions, "dial">> & Pick<ManagedSocketOptions, "dial">;
  readonly #h: ManagedSocketHandlers;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = true;
  #openedAt = 0;
  #lastFrameAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Why the current connection ended, when we know better than the close code. */
  #reason: string | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  /** Counters for tests and stats. */
  readonly counters = { connects: 0, pongsSent: 0, badFrames: 0, idleReplacements: 0 };

  constructor(options: ManagedSocketOptions, handlers: ManagedSocketHandlers) {
    this.#opts = {
      backoffBaseMs: 250,
      backoffMaxMs: 15_000,
      stableAfterMs: 5_000,
      idleTimeoutMs: 45_000,
      clientPingMs: 30_000,
      connectTimeoutMs: 10_000,
      random: Math.random,
      ...options,
    };
    this.#h = handlers;
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  /** Send a JSON value; false if the socket is not open (the caller resends on the next `onOpen`). */
  send(value: unknown): boolean {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(value));
    return true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.terminate();
      });
    }
    this.#h.onStatus({ state: "closed" });
  }

  #clearTimers(): void {
    clearInterval(this.#idleTimer);
    clearInterval(this.#pingTimer);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#attempt += 1;
    this.#h.onStatus({ state: "connecting", attempt: this.#attempt });
    let dial: Dial;
    try {
      dial = await this.#opts.dial();
    } catch (err) {
      this.#scheduleRetry(`cannot prepare connection: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (this.#stopped) return;
    const ws = new WebSocket(dial.url, {
      headers: dial.headers ?? {},
      handshakeTimeout: this.#opts.connectTimeoutMs,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    this.#reason = undefined;
    ws.on("unexpected-response", (_req, res) => {
      this.#reason = `handshake refused: HTTP ${res.statusCode ?? "?"}`;
      ws.terminate();
    });
    ws.on("open", () => this.#onOpen(ws));
    ws.on("message", (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on("error", (err) => {
      this.#reason ??= err.message;
    });
    ws.on("close", (code) => this.#onClose(ws, code));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws) return;
    this.counters.connects += 1;
    this.#openedAt = Date.now();
    this.#lastFrameAt = Date.now();
    this.#h.onStatus({ state: "connected" });
    this.#idleTimer = setInterval(
      () => {
        if (Date.now() - this.#lastFrameAt > this.#opts.idleTimeoutMs) {
          this.counters.idleReplacements += 1;
          this.#reason = `no frame for ${this.#opts.idleTimeoutMs} ms`;
          ws.terminate();
        }
      },
      Math.max(50, Math.min(1_000, this.#opts.idleTimeoutMs / 4)),
    );
    this.#idleTimer.unref();
    if (this.#opts.clientPingMs > 0) {
      this.#pingTimer = setInterval(
        () => this.send({ type: "ping", time: String(Date.now()) }),
        this.#opts.clientPingMs,
      );
      this.#pingTimer.unref();
    }
    try {
      this.#h.onOpen();
    } catch (err) {
      this.#h.onBadFrame(`open handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #onMessage(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    const recvUs = nowMicros();
    this.#lastFrameAt = Date.now();
    if (ws !== this.#ws) return;
    if (isBinary) {
      this.counters.badFrames += 1;
      this.#h.onBadFrame("binary frame on a JSON socket");
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      this.counters.badFrames += 1;
      this.#h.onBadFrame("frame is not JSON");
      return;
    }
    // Answer the heartbeat first, whatever the rest of the client is doing with other frames.
    if (typeof frame === "object" && frame !== null && (frame as { type?: unknown }).type === "ping") {
      const time = (frame as { time?: unknown }).time;
      if (typeof time === "string" || typeof time === "number") {
        ws.send(JSON.stringify({ type: "pong", time: String(time) }));
        this.counters.pongsSent += 1;
        return;
      }
      this.counters.badFrames += 1;
      this.#h.onBadFrame("server ping without a time");
      return;
    }
    try {
      this.#h.onFrame(frame, recvUs);
    } catch (err) {
      // A bug in a frame handler must not kill the socket's reader (or the process): report it and go on.
      this.counters.badFrames += 1;
      this.#h.onBadFrame(`frame handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#clearTimers();
    this.#ws = undefined;
    if (this.#stopped) return;
    if (this.#openedAt > 0 && Date.now() - this.#openedAt >= this.#opts.stableAfterMs) this.#attempt = 0;
    this.#openedAt = 0;
    this.#scheduleRetry(this.#reason ?? `connection closed (${code})`);
  }

  #scheduleRetry(reason: string): void {
    this.#h.onStatus({ state: "disconnected", reason });
    const delay = backoffDelay(
      Math.max(1, this.#attempt),
      { initialDelayMs: this.#opts.backoffBaseMs, maxDelayMs: this.#opts.backoffMaxMs, factor: 2, jitter: 0.5 },
      this.#opts.random,
    );
    this.#h.onStatus({ state: "reconnecting", reason, attempt: this.#attempt + 1, delay_ms: delay });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
  }
}
