/**
 * @module emitter — a typed emitter keyed by event `type`, with listeners and async iterators.
 *
 * `on("bbo", fn)` gives `fn` a `BboEvent`, checked by the compiler from an event map. A listener that
 * throws is reported to `onListenerError` and the next listener still runs: consumer code must never
 * break a venue's reader. Iterators buffer up to a cap; a consumer that falls further behind gets an
 * `IteratorOverflowError` from `next()` instead of silently missing events or growing memory unbounded.
 */
import { CodedError } from "./errors.ts";

// ---------------------------------------------------------------------------------------------------
// Typed emitter
// ---------------------------------------------------------------------------------------------------

export type Listener<E> = (event: E) => void;

/** A `for await` consumer fell more than `maxBuffer` events behind. */
export class IteratorOverflowError extends CodedError {
  constructor(maxBuffer: number) {
    super("ITERATOR_OVERFLOW", `async iterator fell ${maxBuffer} events behind; it was ended rather than drop events`);
  }
}

export interface IterateOptions {
  /** Events buffered for a slow consumer before the iterator fails (default 100,000). */
  maxBuffer?: number;
}

const DEFAULT_MAX_BUFFER = 100_000;

export class TypedEmitter<M extends { [K in keyof M]: unknown }> {
  readonly #listeners = new Map<keyof M, Listener<never>[]>();
  readonly #iterators = new Set<EventQueue<unknown>>();
  readonly #onListenerError: (error: unknown, type: keyof M) => void;
  #ended = false;

  constructor(onListenerError: (error: unknown, type: keyof M) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    const list = this.#listeners.get(type) ?? [];
    // Copy on write: an emit in progress keeps iterating the array it started with.
    this.#listeners.set(type, [...list, listener as Listener<never>]);
    return () => this.off(type, listener);
  }

  off<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const next = list.filter((l) => l !== listener);
    if (next.length === 0) this.#listeners.delete(type);
    else this.#listeners.set(type, next);
  }

  /** Resolves with the next event of `type` matching `predicate`. */
  once<K extends keyof M>(type: K, predicate: (event: M[K]) => boolean = () => true): Promise<M[K]> {
    return new Promise((resolve) => {
      const off = this.on(type, (event) => {
        if (!predicate(event)) return;
        off();
        resolve(event);
      });
    });
  }

  /** True when anything listens to `type` (lets the caller skip building events nobody wants). */
  has(type: keyof M): boolean {
    return this.#listeners.has(type);
  }

  emit<K extends keyof M>(type: K, event: M[K]): void {
    const list = this.#listeners.get(type) as Listener<M[K]>[] | undefined;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err, type);
      }
    }
  }

  /**
   * Async iterator over one or several event types, in arrival order. Ends when `endAll()` is called
   * (the bridge closed) or when the consumer breaks out of its loop.
   */
  iterate<K extends keyof M>(types: K | readonly K[], options: IterateOptions = {}): AsyncIterableIterator<M[K]> {
    const list: readonly K[] = Array.isArray(types) ? (types as readonly K[]) : [types as K];
    const queue = new EventQueue<M[K]>(options.maxBuffer ?? DEFAULT_MAX_BUFFER, () => {
      for (const off of offs) off();
      this.#iterators.delete(queue as EventQueue<unknown>);
    });
    const offs = this.#ended ? [] : list.map((t) => this.on(t, (e) => queue.push(e)));
    if (this.#ended) queue.end();
    else this.#iterators.add(queue as EventQueue<unknown>);
    return queue;
  }

  /**
   * Ends every iterator (their loops finish after draining what is buffered) and removes all listeners;
   * an iterator asked for afterwards is already finished.
   */
  endAll(): void {
    this.#ended = true;
    for (const q of [...this.#iterators]) q.end();
    this.#listeners.clear();
  }
}

/** Buffer behind one iterator: pushes from the emitter, pulls from `for await`. */
class EventQueue<E> implements AsyncIterableIterator<E> {
  readonly #buffer: E[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<E>) => void) | null = null;
  #failWaiter: ((e: Error) => void) | null = null;
  #ended = false;
  #error: Error | null = null;
  readonly #max: number;
  readonly #onDone: () => void;

  constructor(max: number, onDone: () => void) {
    this.#max = max;
    this.#onDone = onDone;
  }

  push(event: E): void {
    if (this.#ended) return;
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      this.#failWaiter = null;
      w({ value: event, done: false });
      return;
    }
    if (this.#buffer.length - this.#head >= this.#max) {
      this.#error = new IteratorOverflowError(this.#max);
      this.#finish();
      return;
    }
    this.#buffer.push(event);
  }

  end(): void {
    if (this.#ended) return;
    this.#finish();
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<E>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head] as E;
      this.#head += 1;
      // Compact now and then so a long-lived iterator does not keep every event it ever saw.
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      return Promise.reject(err);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  return(): Promise<IteratorResult<E>> {
    this.#buffer.length = 0;
    this.#head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }

  #finish(): void {
    this.#ended = true;
    this.#onDone();
    if (this.#error !== null && this.#failWaiter !== null) {
      const fail = this.#failWaiter;
      this.#waiter = null;
      this.#failWaiter = null;
      fail(this.#error);
      this.#error = null;
    }
  }
}
