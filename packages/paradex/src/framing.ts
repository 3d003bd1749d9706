/**
 * @module framing — turns arbitrary stdout chunks into whole lines, without ever losing or merging one.
 *
 * Pure (no I/O), so it is tested alone with adversarial chunking. Our predecessor split each chunk on
 * "\n" and threw away the halves of any line that straddled two reads; here the unfinished tail of every
 * chunk is kept until its newline arrives. Bytes are decoded with a `StringDecoder` so a multi-byte UTF-8
 * character split across chunks is also kept whole. A line longer than the cap is not buffered forever: it
 * is discarded up to its newline and reported as an oversize line (counted, with a prefix for the log),
 * because stdout is protocol-only and a silent skip would hide a bug.
 */
import { StringDecoder } from "node:string_decoder";

/** Default cap on one line: far above any protocol line (a full book is a few KiB), far below memory trouble. */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

/** What the framer hands out: a whole line, or the report of one it had to discard. */
export type FramedItem = { kind: "line"; line: string } | { kind: "oversize"; length: number; prefix: string };

export interface LineFramerOptions {
  /** Longest accepted line in UTF-16 code units (≈ bytes for JSON); longer lines are reported, not kept. */
  maxLineLength?: number;
}

export class LineFramer {
  readonly #decoder = new StringDecoder("utf8");
  readonly #max: number;
  /** Unfinished tail of the previous chunks (no newline in it). */
  #tail = "";
  /** True while discarding the rest of an oversize line; `#dropped` counts what was thrown away. */
  #discarding = false;
  #dropped = 0;
  #dropPrefix = "";
  #lines = 0;
  #oversize = 0;

  constructor(options: LineFramerOptions = {}) {
    this.#max = options.maxLineLength ?? DEFAULT_MAX_LINE_BYTES;
    if (!(this.#max > 0)) throw new RangeError("maxLineLength must be positive");
  }

  /** Lines framed so far. */
  get lineCount(): number {
    return this.#lines;
  }

  /** Oversize lines reported so far. */
  get oversizeCount(): number {
    return this.#oversize;
  }

  /** Characters buffered while waiting for a newline (for tests and diagnostics). */
  get pending(): number {
    return this.#tail.length;
  }

  /**
   * Feeds one chunk; calls `emit` once per whole line (without "\n" or a trailing "\r") or oversize report,
   * in order. A callback instead of a returned array keeps the hot path free of per-chunk allocations.
   */
  push(chunk: Buffer | string, emit: (item: FramedItem) => void): void {
    const text = typeof chunk === "string" ? chunk : this.#decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl === -1) break;
      this.#finishLine(text, start, nl, emit);
      start = nl + 1;
    }
    this.#keepTail(text, start);
  }

  /** At end of stream: a last line without its newline is still a line (the child may die mid-write). */
  end(emit: (item: FramedItem) => void): void {
    const rest = this.#decoder.end();
    if (rest.length > 0) this.#keepTail(rest, 0);
    if (this.#discarding) {
      this.#reportOversize(emit);
    } else if (this.#tail.length > 0) {
      const line = this.#tail;
      this.#tail = "";
      this.#emitLine(line, emit);
    }
  }

  #finishLine(text: string, start: number, nl: number, emit: (item: FramedItem) => void): void {
    if (this.#discarding) {
      this.#dropped += nl - start;
      this.#reportOversize(emit);
      return;
    }
    const length = this.#tail.length + (nl - start);
    if (length > this.#max) {
      this.#dropPrefix = (this.#tail + text.slice(start, Math.min(nl, start + 200))).slice(0, 200);
      this.#dropped = length;
      this.#tail = "";
      this.#reportOversize(emit);
      return;
    }
    // Common case (no tail): one slice, no concatenation.
    const line = this.#tail.length === 0 ? text.slice(start, nl) : this.#tail + text.slice(start, nl);
    this.#tail = "";
    this.#emitLine(line, emit);
  }

  #keepTail(text: string, start: number): void {
    if (start >= text.length) return;
    if (this.#discarding) {
      this.#dropped += text.length - start;
      return;
    }
    this.#tail = this.#tail.length === 0 ? text.slice(start) : this.#tail + text.slice(start);
    if (this.#tail.length > this.#max) {
      // Stop buffering now: the line will be reported when its newline (or the end) arrives.
      this.#discarding = true;
      this.#dropped = this.#tail.length;
      this.#dropPrefix = this.#tail.slice(0, 200);
      this.#tail = "";
    }
  }

  #emitLine(raw: string, emit: (item: FramedItem) => void): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    this.#lines += 1;
    emit({ kind: "line", line });
  }

  #reportOversize(emit: (item: FramedItem) => void): void {
    const item: FramedItem = { kind: "oversize", length: this.#dropped, prefix: this.#dropPrefix };
    this.#discarding = false;
    this.#dropped = 0;
    this.#dropPrefix = "";
    this.#oversize += 1;
    emit(item);
  }
}
