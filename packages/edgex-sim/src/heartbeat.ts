/**
 * Server-side JSON heartbeat of an EdgeX socket (reference §1.7): `{"type":"ping","time":"<ms>"}` every
 * interval; a `pong` must echo the time of the last ping; after `maxMissed` unanswered pings in a row the
 * socket is closed.
 */
import type { WebSocket } from "ws";

export interface HeartbeatOptions {
  readonly intervalMs: number;
  readonly maxMissed: number;
}

export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  #lastTime = "";
  missed = 0;
  pongs = 0;
  badPongs = 0;
  closedForMissedPongs = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: HeartbeatOptions,
    private readonly send: (text: string) => void,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.opts.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.missed >= this.opts.maxMissed) {
      this.closedForMissedPongs = true;
      this.stop();
      this.ws.close(4001, "missed pongs");
      return;
    }
    // Strictly increasing, so an echo of an older ping is distinguishable from the latest one.
    const now = Math.max(Date.now(), Number(this.#lastTime || 0) + 1);
    this.#lastTime = String(now);
    this.missed += 1;
    this.send(JSON.stringify({ type: "ping", time: this.#lastTime }));
  }

  /** A client pong; only an echo of the latest ping's time clears the missed count. */
  onPong(time: unknown): void {
    if (String(time) === this.#lastTime) {
      this.missed = 0;
      this.pongs += 1;
    } else {
      this.badPongs += 1;
    }
  }
}
