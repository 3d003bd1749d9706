/**
 * @module rpc — commands as promises: a unique id per command, exactly one result per id, a deadline per
 * call, and every pending command rejected (never replayed) when the child it was sent to goes away.
 *
 * It knows nothing of processes: it is handed a `write` function for one child and told when that child is
 * gone. Ids are never reused for the life of the bridge, across restarts, so a late result from an old
 * child can never resolve a new command.
 */
import { Command, type CommandOp, type ResultLine } from "./schema.ts";
import { CommandTimeoutError, SidecarCommandError, SidecarGoneError } from "./errors.ts";

/** The parameters of one command, without the `id` and `op` the client fills in. */
export type CommandParams<K extends CommandOp> = Omit<Extract<Command, { op: K }>, "id" | "op">;

/** `data` of a successful result (per-op shapes are documented in docs/PROTOCOL.md). */
export type ResultData = Record<string, unknown>;

interface Pending {
  op: string;
  resolve: (data: ResultData) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RpcStats {
  sent: number;
  ok: number;
  refused: number;
  timedOut: number;
  gone: number;
  /** Results whose id matched nothing pending (late after a timeout, or a sidecar bug). */
  unmatched: number;
}

export class RpcClient {
  readonly #pending = new Map<string, Pending>();
  readonly #prefix: string;
  #next = 1;
  #write: ((line: string) => void) | null = null;
  readonly stats: RpcStats = { sent: 0, ok: 0, refused: 0, timedOut: 0, gone: 0, unmatched: 0 };

  /** `prefix` makes ids readable in sidecar logs and unique between bridges sharing a log. */
  constructor(prefix = "b") {
    this.#prefix = prefix;
  }

  /** Commands in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Attach the writer of the current (ready) child; `null` detaches it. */
  attach(write: ((line: string) => void) | null): void {
    this.#write = write;
  }

  /**
   * Sends one command and resolves with its result's `data`, or rejects with `SidecarCommandError` (the
   * sidecar said no, or the parameters are invalid here), `CommandTimeoutError` or `SidecarGoneError`.
   */
  call<K extends CommandOp>(op: K, params: CommandParams<K>, timeoutMs: number): Promise<ResultData> {
    const id = `${this.#prefix}${this.#next++}`;
    const command = { ...params, id, op };
    // Validate before writing: a float size or a typo is refused here with a clear error, not by the child.
    const checked = Command.safeParse(command);
    if (!checked.success) {
      const detail = checked.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      return Promise.reject(new SidecarCommandError(op, id, "BAD_PARAMS", detail));
    }
    const write = this.#write;
    if (write === null) return Promise.reject(new SidecarGoneError(op, id, "no child attached"));
    return new Promise<ResultData>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending.delete(id)) {
          this.stats.timedOut += 1;
          reject(new CommandTimeoutError(op, id, timeoutMs));
        }
      }, timeoutMs);
      this.#pending.set(id, { op, resolve, reject, timer });
      this.stats.sent += 1;
      try {
        write(`${JSON.stringify(checked.data)}\n`);
      } catch (err) {
        this.#settle(id, (p) => p.reject(new SidecarGoneError(op, id, `write failed: ${String(err)}`)));
      }
    });
  }

  /** Routes one `result` line; returns false when its id matched no pending command. */
  handleResult(result: ResultLine): boolean {
    const id = result.id === null ? null : String(result.id);
    if (id === null || !this.#pending.has(id)) {
      this.stats.unmatched += 1;
      return false;
    }
    this.#settle(id, (p) => {
      if (result.ok) {
        this.stats.ok += 1;
        p.resolve(result.data ?? {});
      } else {
        this.stats.refused += 1;
        const code = result.error?.code ?? "UNKNOWN";
        const message = result.error?.message ?? "no message";
        p.reject(new SidecarCommandError(p.op, id, code, message));
      }
    });
    return true;
  }

  /** The child is gone: reject everything in flight with the reason, and detach the writer. */
  rejectAll(reason: string): void {
    this.#write = null;
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, (p) => {
        this.stats.gone += 1;
        p.reject(new SidecarGoneError(p.op, id, reason));
      });
    }
  }

  #settle(id: string, fn: (p: Pending) => void): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
  }
}
