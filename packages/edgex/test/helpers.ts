/** Test helpers: an in-process simulator, a client wired to it, and an event recorder that awaits conditions. */
import { NormalizedEvent } from "@paradex-edgex/core";
import type { VenueEvent } from "@paradex-edgex/core";
import type { ErrorLine } from "@paradex-edgex/core";
import { EdgeXClient, type EdgeXClientOptions } from "../src/client.ts";
import {
  DEV_ACCOUNT,
  DEV_SIGNER_KEY,
  startEdgexSim,
  type EdgexSim,
  type EdgexSimOptions,
} from "@paradex-edgex/edgex-sim";

export type AnyEvent = VenueEvent | ErrorLine;

/** Records every event (and checks each against the sidecar's schema) and lets a test await a condition. */
export class Recorder {
  readonly events: AnyEvent[] = [];
  readonly schemaErrors: string[] = [];
  #waiters = new Set<() => void>();

  constructor(client: EdgeXClient) {
    for (const t of ["bbo", "trade", "book", "status", "order", "fill", "fill_bust", "position", "account"] as const) {
      client.on(t, (e) => this.#push(e));
    }
    client.onError((e) => this.#push(e));
  }

  #push(e: AnyEvent): void {
    const check = NormalizedEvent.safeParse(e);
    if (!check.success)
      this.schemaErrors.push(
        `${e.type}: ${check.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      );
    this.events.push(e);
    for (const w of [...this.#waiters]) w();
  }

  of<T extends AnyEvent["type"]>(type: T, from = 0): Extract<AnyEvent, { type: T }>[] {
    return this.events.slice(from).filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);
  }

  get mark(): number {
    return this.events.length;
  }

  /** Resolve with the first event (from index `from`) matching `pred`; reject after `timeoutMs`. */
  waitFor<T extends AnyEvent["type"]>(
    type: T,
    pred: (e: Extract<AnyEvent, { type: T }>) => boolean = () => true,
    { from = 0, timeoutMs = 15_000, label = type as string } = {},
  ): Promise<Extract<AnyEvent, { type: T }>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.of(type, from).find(pred);
        if (hit === undefined) return false;
        cleanup();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      this.#waiters.add(waiter);
      check();
    });
  }
}

/** Poll a condition (for state outside the event stream, e.g. the simulator's) until true or timeout. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  label = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function control(
  sim: EdgexSim,
  action: string,
  body: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim.controlUrl}/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as Record<string, unknown>;
}

export interface SimState {
  contracts: Record<
    string,
    { mid: string; version: number; book15: { bids: [string, string][]; asks: [string, string][] } }
  >;
  quote: {
    sessions: { missed_pongs: number; pongs: number; bad_pongs: number; subs: string[] }[];
    closed_for_missed_pongs: number;
  };
  private: { sessions: { accountId: string; pongs: number }[] };
  accounts: Record<
    string,
    { collateral: string; positions: Record<string, { openSize: string }>; orders: number; activeOrders: number }
  >;
}

export async function simState(sim: Pick<EdgexSim, "controlUrl">): Promise<SimState> {
  const res = await fetch(`${sim.controlUrl}/state`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as SimState;
}

export const FAST_SIM: EdgexSimOptions = { seed: 7, stepMs: 25, pingIntervalMs: 200 };

export function clientFor(
  sim: Pick<EdgexSim, "restUrl" | "quoteWsUrl" | "privateWsUrl">,
  extra: Partial<EdgeXClientOptions> = {},
  withCredentials = true,
): EdgeXClient {
  return new EdgeXClient({
    restUrl: sim.restUrl,
    quoteWsUrl: sim.quoteWsUrl,
    privateWsUrl: sim.privateWsUrl,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    lookupDelayMs: 50,
    ...(withCredentials
      ? {
          credentials: {
            accountId: DEV_ACCOUNT.accountId,
            api: { apiKey: DEV_ACCOUNT.apiKey, apiSecret: DEV_ACCOUNT.apiSecret, passphrase: DEV_ACCOUNT.passphrase },
            signerKey: DEV_SIGNER_KEY,
          },
        }
      : {}),
    ...extra,
  });
}

export { startEdgexSim, DEV_ACCOUNT, DEV_SIGNER_KEY };
export type { EdgexSim };
