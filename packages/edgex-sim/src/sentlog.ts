/** What the simulator sent, per channel, with wall-clock send times: `GET /_sim/sent` and latency benches read it. */

export interface SentRecord {
  readonly sent_us: number;
  readonly channel: string;
  readonly frame: string;
}

/** Wall clock in µs with sub-ms resolution (performance.timeOrigin + now). */
export function wallMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class SentLog {
  readonly #byChannel = new Map<string, SentRecord[]>();
  readonly #cap: number;

  constructor(capPerChannel = 5000) {
    this.#cap = capPerChannel;
  }

  record(channel: string, frame: string, sentUs = wallMicros()): void {
    let list = this.#byChannel.get(channel);
    if (list === undefined) {
      list = [];
      this.#byChannel.set(channel, list);
    }
    list.push({ sent_us: sentUs, channel, frame });
    if (list.length > this.#cap) list.splice(0, list.length - this.#cap);
  }

  /** Most recent `limit` records of a channel (or of all channels with that prefix), oldest first. */
  get(channel: string, limit: number): SentRecord[] {
    const out: SentRecord[] = [];
    for (const [name, list] of this.#byChannel) {
      if (name === channel || name.startsWith(`${channel}.`)) out.push(...list);
    }
    out.sort((a, b) => a.sent_us - b.sent_us);
    return out.slice(-limit);
  }

  channels(): string[] {
    return [...this.#byChannel.keys()];
  }
}
