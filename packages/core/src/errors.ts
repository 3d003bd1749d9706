/**
 * @module errors — the one base error of every package: a stable `code` to switch on, a message to read.
 */

/** Base class: every error a venue adapter, the toolkit or the bot raises carries a stable `code`. */
export class CodedError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
