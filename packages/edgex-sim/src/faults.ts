/**
 * Fault-injection state of the simulator, driven by `POST /_sim/<action>`. Each fault is a counter or a
 * deadline that the servers consult at the point where the fault applies; nothing here touches sockets.
 */

/** The final censor statuses of a fill that failed (reference §0a.4). */
export type CensorFailure = "CENSOR_FAILURE" | "L2_REJECT";
export const CENSOR_FAILURES: readonly CensorFailure[] = ["CENSOR_FAILURE", "L2_REJECT"];

export class Faults {
  paused = false;
  #downUntil = 0;
  #streamDownUntil = 0;
  readonly #silences = new Map<string, number>();
  #rejectLeft = 0;
  #rejectCode = "ORDER_REJECTED";
  #partialLeft = 0;
  #partialRatio = 0.5;
  #noReplyLeft = 0;
  #rateLimitLeft = 0;
  #snapshotDelayLeft = 0;
  #snapshotDelayMs = 0;
  #censorFailLeft = 0;
  #censorFailStatus: CensorFailure = "CENSOR_FAILURE";
  #depth15HoldLeft = 0;

  /**
   * Down for `seconds`: REST answers 503 and socket upgrades are refused. With `keepRest`, only the sockets go
   * down (a stream outage) and REST keeps answering. A new `down` replaces the one in progress.
   */
  down(seconds: number, keepRest = false, now = Date.now()): void {
    const until = now + seconds * 1000;
    this.#downUntil = keepRest ? 0 : until;
    this.#streamDownUntil = keepRest ? until : 0;
  }

  /** The whole venue is down (REST included). */
  isDown(now = Date.now()): boolean {
    return now < this.#downUntil;
  }

  /** The sockets are down: a whole-venue outage or a stream-only one. */
  isStreamDown(now = Date.now()): boolean {
    return this.isDown(now) || now < this.#streamDownUntil;
  }

  /** Silence a channel (exact name, a prefix such as "depth" or "depth.30000001", or "private") for a while. */
  silence(channel: string, seconds: number, now = Date.now()): void {
    this.#silences.set(channel, now + seconds * 1000);
  }

  isSilenced(channel: string, now = Date.now()): boolean {
    for (const [prefix, until] of this.#silences) {
      if (until <= now) {
        this.#silences.delete(prefix);
        continue;
      }
      if (channel === prefix || channel.startsWith(`${prefix}.`)) return true;
    }
    return false;
  }

  rejectNext(count: number, code: string): void {
    this.#rejectLeft = count;
    this.#rejectCode = code;
  }

  /** The error code for this createOrder if a rejection is pending. */
  takeReject(): string | undefined {
    if (this.#rejectLeft <= 0) return undefined;
    this.#rejectLeft -= 1;
    return this.#rejectCode;
  }

  partialNext(count: number, ratio: number): void {
    this.#partialLeft = count;
    this.#partialRatio = ratio;
  }

  /** The fill ratio for this IOC order if a partial fill is pending. */
  takePartial(): number | undefined {
    if (this.#partialLeft <= 0) return undefined;
    this.#partialLeft -= 1;
    return this.#partialRatio;
  }

  noReplyNext(count: number): void {
    this.#noReplyLeft = count;
  }

  takeNoReply(): boolean {
    if (this.#noReplyLeft <= 0) return false;
    this.#noReplyLeft -= 1;
    return true;
  }

  rateLimitNext(count: number): void {
    this.#rateLimitLeft = count;
  }

  takeRateLimit(): boolean {
    if (this.#rateLimitLeft <= 0) return false;
    this.#rateLimitLeft -= 1;
    return true;
  }

  delaySnapshots(count: number, ms: number): void {
    this.#snapshotDelayLeft = count;
    this.#snapshotDelayMs = ms;
  }

  /** Milliseconds to hold back this subscription's Snapshot (changes flow meanwhile), or 0. */
  takeSnapshotDelay(): number {
    if (this.#snapshotDelayLeft <= 0) return 0;
    this.#snapshotDelayLeft -= 1;
    return this.#snapshotDelayMs;
  }

  /** The next `count` fills fail censoring with `status` (a given fill is marked on the exchange instead). */
  censorFailNext(count: number, status: CensorFailure): void {
    this.#censorFailLeft = count;
    this.#censorFailStatus = status;
  }

  /** The failure a fill just matched gets, if one is pending for the next fills (consumed here). */
  takeCensorFailure(): CensorFailure | undefined {
    if (this.#censorFailLeft <= 0) return undefined;
    this.#censorFailLeft -= 1;
    return this.#censorFailStatus;
  }

  /**
   * The next `count` level-15 depth pushes are withheld, their changes carried into the push after them, whose
   * startVersion then jumps past versions that channel never sent: what a 15-level channel may do when only
   * deeper levels changed (reference §0a.5 leaves it undocumented). The 200-level channel is unaffected.
   */
  holdDepth15(count: number): void {
    this.#depth15HoldLeft = count;
  }

  /** Whether this level-15 push is withheld (consumed per push). */
  takeDepth15Hold(): boolean {
    if (this.#depth15HoldLeft <= 0) return false;
    this.#depth15HoldLeft -= 1;
    return true;
  }

  state(now = Date.now()): Record<string, unknown> {
    return {
      paused: this.paused,
      down: this.isDown(now),
      stream_down: this.isStreamDown(now),
      silenced: [...this.#silences].filter(([, u]) => u > now).map(([c]) => c),
      reject_next: this.#rejectLeft,
      partial_next: this.#partialLeft,
      no_reply_next: this.#noReplyLeft,
      rate_limit_next: this.#rateLimitLeft,
      delay_snapshot: this.#snapshotDelayLeft,
      censor_fail_next: this.#censorFailLeft,
      skip_depth15_next: this.#depth15HoldLeft,
    };
  }
}

/**
 * Malformed frames, one of each kind a client must survive (cycled by the `malformed` control): broken JSON,
 * non-objects, unknown types, schema-invalid depth and trade records (aimed at BTC's depth.15 and trades
 * channels so a subscribed client sees them), a ping without a time.
 */
export const MALFORMED_FRAMES: readonly string[] = [
  '{"type":"quote-event","channel":"depth.',
  "not json at all",
  "42",
  '{"type":"mystery-frame","content":{}}',
  '{"type":"quote-event","channel":"depth.30000001.200","content":{"dataType":"changed","data":[{"startVersion":"x","asks":"nope"}]}}',
  '{"type":"quote-event","channel":"depth.30000001.200","content":{"dataType":"changed","data":[{"startVersion":"1","endVersion":"2","level":200,"contractId":"30000001","asks":[{"price":1e5,"size":"1"}],"bids":[],"depthType":"CHANGED"}]}}',
  '{"type":"quote-event","channel":"trades.30000001","content":{"dataType":"changed","data":[{"ticketId":"1","price":"abc"}]}}',
  "[]",
  '{"type":"ping"}',
];
