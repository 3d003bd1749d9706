/**
 * @module process — spawns one child in its own process group with an allowlisted environment, and stops
 * it the MCP way: end stdin, wait, SIGTERM to the group, wait, SIGKILL.
 *
 * Orphans are prevented three ways: (1) the child exits on stdin EOF, which the OS delivers whenever this
 * process dies, however it dies; (2) on `exit` every live group gets SIGTERM (and SIGCONT, so a stopped
 * child can act on it); (3) on SIGINT/SIGTERM/SIGHUP, when no one else listens for that signal, the groups
 * get SIGTERM and the signal is re-raised so the default action (exit) still happens. When the application
 * has its own handler, it owns shutdown (it should call `close()`), and (1) still holds.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Variables passed through from the parent; everything else is dropped unless named in `env`. */
export const DEFAULT_ENV_ALLOWLIST: readonly string[] = [
  "HOME",
  "PATH",
  "USER",
  "LOGNAME",
  "SHELL",
  "TERM",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "PYENV_VERSION",
  "PYENV_ROOT",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

/** Prefix of the variables the sidecar reads (credentials, limits); passed through by default. */
export const PASSTHROUGH_PREFIX = "PARADEX_";

/**
 * The child's environment: allowlisted parent variables, every `PARADEX_*` variable, then `extra`
 * (which wins). A parent secret such as an EdgeX key therefore never reaches the Python process.
 */
export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
  allowlist: readonly string[] = DEFAULT_ENV_ALLOWLIST,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (allowlist.includes(key) || key.startsWith(PASSTHROUGH_PREFIX)) env[key] = value;
  }
  return { ...env, ...extra };
}

export interface SpawnSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string>;
}

export interface ChildHooks {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** Exactly once: the process ended (code/signal) or could not be started (`error`). */
  exit(info: ExitInfo): void;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface StopTimings {
  /** After stdin is closed, how long the child may take to exit by itself (default 2,000 ms). */
  graceMs?: number;
  /** After SIGTERM, how long before SIGKILL (default 2,000 ms). */
  termMs?: number;
}

/** One running child process; created by `spawnChild`. */
export class ChildHandle {
  readonly #child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;

  constructor(child: ChildProcess, hooks: ChildHooks) {
    this.#child = child;
    let settle!: (info: ExitInfo) => void;
    this.exited = new Promise((resolve) => (settle = resolve));
    const finish = (info: ExitInfo): void => {
      if (this.#exit !== null) return;
      this.#exit = info;
      live.delete(this);
      hooks.exit(info);
      settle(info);
    };
    child.stdout?.on("data", hooks.stdout);
    child.stderr?.on("data", hooks.stderr);
    // EPIPE on a dead child's stdin must not crash the parent; the exit path reports the death.
    child.stdin?.on("error", () => {});
    child.on("error", (error) => {
      // Spawn failure (ENOENT, EACCES): there is no process and 'close' may never come.
      if (child.pid === undefined) finish({ code: null, signal: null, error });
    });
    // 'close' (not 'exit'): stdout is drained, so the last lines were framed before we report the death.
    child.on("close", (code, signal) => finish({ code, signal }));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === null && this.#child.pid !== undefined;
  }

  /** Writes to stdin; returns false when the child cannot take input any more. */
  write(data: string): boolean {
    const stdin = this.#child.stdin;
    if (stdin === null || stdin.destroyed || stdin.writableEnded || !this.running) return false;
    stdin.write(data);
    return true;
  }

  /** Sends a signal to the whole process group (the child and anything it started). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#exit !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Group already gone, or not a group leader: fall back to the process itself.
      try {
        this.#child.kill(signal);
      } catch {
        /* already dead */
      }
    }
  }

  /** End stdin → grace → SIGTERM to the group → term → SIGKILL. Resolves when the child is gone. */
  async stop(timings: StopTimings = {}): Promise<ExitInfo> {
    if (this.#exit !== null) return this.#exit;
    this.#child.stdin?.end();
    if (await within(this.exited, timings.graceMs ?? 2000)) return this.exited;
    this.signal("SIGTERM");
    this.signal("SIGCONT"); // a stopped (SIGSTOP) child must run to act on SIGTERM
    if (await within(this.exited, timings.termMs ?? 2000)) return this.exited;
    this.signal("SIGKILL");
    return this.exited;
  }

  /** Immediate SIGKILL of the group, for a child that is hung and cannot be asked to leave. */
  async kill(): Promise<ExitInfo> {
    this.signal("SIGKILL");
    return this.exited;
  }
}

/** Starts a child in its own process group (so a terminal Ctrl-C does not hit it before we decide). */
export function spawnChild(spec: SpawnSpec, hooks: ChildHooks): ChildHandle {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const handle = new ChildHandle(child, hooks);
  if (child.pid !== undefined) track(handle);
  return handle;
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ----------------------------------------------------------------------------------------------------
// Last-resort cleanup when this Node process ends without calling close().
// ----------------------------------------------------------------------------------------------------

const live = new Set<ChildHandle>();
let hooksInstalled = false;
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function terminateAll(): void {
  for (const handle of live) {
    handle.signal("SIGTERM");
    handle.signal("SIGCONT");
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal: they own shutdown (and stdin EOF still stops the child at exit).
  if (process.listenerCount(signal) > 1) return;
  terminateAll();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function track(handle: ChildHandle): void {
  live.add(handle);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", terminateAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
