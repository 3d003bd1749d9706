/**
 * The EdgeX simulator: one loopback HTTP server carrying the quote socket, the private socket, the REST
 * subset and the `/_sim/*` control API, plus the market loop that moves prices and books. Importable
 * (`startEdgexSim`) and runnable (`main.ts`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { canonicalQuery } from "@paradex-edgex/edgex";
import { CENSOR_FAILURES, type CensorFailure, Faults } from "./faults.ts";
import { CONTRACTS, DEV_ACCOUNT, type SimAccountConfig } from "./fixtures.ts";
import { ContractMarket, type PublicTrade } from "./market.ts";
import { Exchange, type RestReply } from "./matching.ts";
import { entryAt, loadPricePath, parsePricePath, type PathEntry } from "./pricepath.ts";
import { PRIVATE_CHANNEL, PrivateHub } from "./private.ts";
import { QuoteHub } from "./quote.ts";
import { authenticate, handleRest } from "./rest.ts";
import { Rng } from "./rng.ts";
import { SentLog } from "./sentlog.ts";

export interface EdgexSimOptions {
  readonly seed?: number;
  /** 0 = any free port. The simulator only ever listens on 127.0.0.1. */
  readonly port?: number;
  /** Market step (ms): price move, book churn, depth diff. */
  readonly stepMs?: number;
  /** Server JSON ping interval (ms) and how many unanswered pings close a socket. */
  readonly pingIntervalMs?: number;
  readonly maxMissedPongs?: number;
  /** Emit production wire quirks (mixed casing, tuple levels, numeric ids, missing best bid/ask). */
  readonly quirks?: boolean;
  /** Reference price path: a file name, or its text, or parsed entries. */
  readonly pricePath?: string | readonly PathEntry[];
  readonly pricePathText?: string;
  readonly accounts?: readonly SimAccountConfig[];
  /** Probability per step and contract of a synthetic public trade. */
  readonly tradeProbability?: number;
  /** Steps between ticker/kline/funding pushes. */
  readonly periodicEverySteps?: number;
  /** How long a fill stays at censorStatus INIT before its final status (default 30 ms). */
  readonly censorDelayMs?: number;
}

export interface EdgexSim {
  readonly port: number;
  readonly quoteWsUrl: string;
  readonly privateWsUrl: string;
  readonly restUrl: string;
  readonly controlUrl: string;
  readonly accounts: readonly SimAccountConfig[];
  stop(): Promise<void>;
}

const QUOTE_PATH = "/api/v1/public/ws";
const PRIVATE_PATH = "/api/v1/private/ws";
const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function refuseUpgrade(socket: Socket, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startEdgexSim(options: EdgexSimOptions = {}): Promise<EdgexSim> {
  const seed = options.seed ?? 1;
  const stepMs = options.stepMs ?? 100;
  const rng = new Rng(seed);
  const faults = new Faults();
  const log = new SentLog();
  const accounts = options.accounts ?? [DEV_ACCOUNT];
  const heartbeat = { intervalMs: options.pingIntervalMs ?? 10_000, maxMissed: options.maxMissedPongs ?? 5 };
  const path: readonly PathEntry[] =
    options.pricePathText !== undefined
      ? parsePricePath(options.pricePathText)
      : typeof options.pricePath === "string"
        ? loadPricePath(options.pricePath)
        : (options.pricePath ?? []);

  const markets = new Map<string, ContractMarket>();
  CONTRACTS.forEach((c, i) => {
    markets.set(c.contractId, new ContractMarket(c, rng.fork(i + 1), 90_000_000 + rng.int(0, 999_999)));
  });
  const quote = new QuoteHub(markets, faults, rng.fork(101), log, {
    heartbeat,
    quirks: options.quirks ?? true,
    maxInvalidMessages: 20,
  });
  const priv = new PrivateHub(faults, log, heartbeat);
  const pendingTrades = new Map<string, PublicTrade[]>();
  const exchange = new Exchange(
    markets,
    accounts,
    faults,
    {
      onAccount: (accountId, event, data) => priv.push(accountId, event, exchange.accountVersion(accountId), data),
      onBook: (contractId) => quote.publishDepth(contractId),
      onTrade: (contractId, t) => pendingTrades.set(contractId, [...(pendingTrades.get(contractId) ?? []), t]),
    },
    564_814_927_928_230_000n + BigInt(rng.int(0, 99_999)),
  );
  priv.exchange = exchange;
  if (options.censorDelayMs !== undefined) exchange.censorDelayMs = options.censorDelayMs;
  const flushTrades = (): void => {
    for (const [id, trades] of pendingTrades) quote.publishTrades(id, trades);
    pendingTrades.clear();
  };

  // ----------------------------------------------------------------------------------------------
  // market loop
  // ----------------------------------------------------------------------------------------------
  const startedAt = Date.now();
  let pathIndex = -1;
  const held = new Map<string, number>(); // coin → mid held by the path (or a `price` override)
  let steps = 0;
  const tradeP = options.tradeProbability ?? 0.3;
  const periodicEvery = options.periodicEverySteps ?? 10;
  const loop = setInterval(() => {
    if (faults.paused) return;
    const idx = entryAt(path, (Date.now() - startedAt) / 1000);
    if (idx > pathIndex) {
      pathIndex = idx;
      for (const [coin, mid] of path[idx]?.prices ?? []) held.set(coin, mid);
    }
    steps += 1;
    for (const [id, m] of markets) {
      m.step(stepMs / 1000, held.get(m.contract.coin));
      exchange.sweepResting(id);
      quote.publishDepth(id);
      if (rng.chance(tradeP)) {
        const t = m.randomTrade(Date.now());
        if (t !== undefined) pendingTrades.set(id, [...(pendingTrades.get(id) ?? []), t]);
      }
    }
    flushTrades();
    if (steps % periodicEvery === 0) quote.publishPeriodic();
  }, stepMs);

  // ----------------------------------------------------------------------------------------------
  // control API
  // ----------------------------------------------------------------------------------------------
  const num = (v: unknown, dflt: number): number =>
    typeof v === "number" && Number.isFinite(v)
      ? v
      : typeof v === "string" && v !== "" && Number.isFinite(Number(v))
        ? Number(v)
        : dflt;
  const findMarket = (b: Record<string, unknown>): ContractMarket | undefined => {
    const key = String(b["contractId"] ?? b["coin"] ?? b["market"] ?? "").toUpperCase();
    return (
      markets.get(key) ??
      [...markets.values()].find(
        (m) => m.contract.coin === key || m.contract.contractName === key || key.startsWith(`${m.contract.coin}-`),
      )
    );
  };
  /** EdgeX channel names pass through; the normalized names the Paradex simulator uses are translated. */
  const wireChannel = (channel: string, b: Record<string, unknown>): string | undefined => {
    const m = /^(bbo|book|trades)(?:\.(.+))?$/.exec(channel);
    if (m === null) return channel === "" ? undefined : channel;
    const market = m[2] ?? (typeof b["market"] === "string" ? b["market"] : undefined);
    const prefix = m[1] === "trades" ? "trades" : "depth";
    if (market === undefined) return prefix;
    const target = findMarket({ market });
    return target === undefined ? undefined : `${prefix}.${target.contract.contractId}`;
  };
  const control = (action: string, b: Record<string, unknown>): [number, Record<string, unknown>] => {
    switch (action) {
      case "drop":
      case "reset":
        return [200, { ok: true, dropped: quote.dropAll() + priv.dropAll() }];
      case "down": {
        const seconds = num(b["seconds"], 5);
        const keepRest = b["keep_rest"] ?? false;
        if (!(seconds > 0 && seconds <= 3600)) return [400, { ok: false, error: "seconds must be in (0, 3600]" }];
        if (typeof keepRest !== "boolean") return [400, { ok: false, error: "keep_rest must be true or false" }];
        faults.down(seconds, keepRest);
        const dropped = quote.dropAll() + priv.dropAll();
        return [200, { ok: true, keep_rest: keepRest, dropped, until: Date.now() + seconds * 1000 }];
      }
      case "silence": {
        const channel = wireChannel(typeof b["channel"] === "string" ? b["channel"] : "", b);
        if (channel === undefined)
          return [
            400,
            {
              ok: false,
              error: "silence needs a channel: EdgeX name or prefix, bbo|book|trades[.MARKET], or 'private'",
            },
          ];
        faults.silence(channel, num(b["seconds"], 5));
        return [200, { ok: true, channel }];
      }
      case "skip_seq": // the Paradex simulator's name for the same fault
      case "gap": {
        const m = findMarket(b);
        if (m === undefined) return [400, { ok: false, error: "gap needs a known contractId" }];
        const before = m.version;
        quote.publishDepth(m.contract.contractId, Math.max(1, num(b["skip"], 3)));
        return [200, { ok: true, from_version: before, to_version: m.version }];
      }
      case "duplicate": {
        const m = findMarket(b);
        if (m === undefined) return [400, { ok: false, error: "duplicate needs a known contractId" }];
        return [200, { ok: true, channels: quote.duplicateDepth(m.contract.contractId) }];
      }
      case "stray":
        return [200, { ok: true, sent: quote.injectStray(Math.max(1, num(b["count"], 1))) }];
      case "malformed": {
        const count = Math.max(1, num(b["count"], 1));
        const target = String(b["target"] ?? "quote");
        let sent = 0;
        if (target === "quote" || target === "all") sent += quote.injectMalformed(count);
        if (target === PRIVATE_CHANNEL || target === "all") sent += priv.injectMalformed(count);
        return [200, { ok: true, sent }];
      }
      case "price": {
        const m = findMarket(b);
        const mid = num(b["mid"], Number.NaN);
        if (m === undefined || !(mid > 0))
          return [400, { ok: false, error: "price needs coin|contractId and a positive mid" }];
        if (held.has(m.contract.coin)) held.set(m.contract.coin, mid);
        m.jump(mid);
        exchange.sweepResting(m.contract.contractId);
        quote.publishDepth(m.contract.contractId);
        flushTrades();
        return [200, { ok: true, mid: m.oracleText() }];
      }
      case "reject_next":
        faults.rejectNext(
          Math.max(0, num(b["count"], 1)),
          typeof b["code"] === "string" ? b["code"] : "ORDER_REJECTED",
        );
        return [200, { ok: true }];
      case "partial_next": {
        const ratio = num(b["ratio"], 0.5);
        if (!(ratio >= 0 && ratio <= 1)) return [400, { ok: false, error: "ratio must be within [0, 1]" }];
        faults.partialNext(Math.max(0, num(b["count"], 1)), ratio);
        return [200, { ok: true }];
      }
      case "no_reply_next":
        faults.noReplyNext(Math.max(0, num(b["count"], 1)));
        return [200, { ok: true }];
      case "delay_snapshot":
        faults.delaySnapshots(Math.max(0, num(b["count"], 1)), Math.max(0, num(b["ms"], 500)));
        return [200, { ok: true }];
      case "censor_fail": {
        // The next `count` fills (or the fill `fill_id`, while still at INIT) end CENSOR_FAILURE or L2_REJECT.
        const status = String(b["status"] ?? "CENSOR_FAILURE");
        if (!CENSOR_FAILURES.includes(status as CensorFailure))
          return [400, { ok: false, error: `status must be one of ${CENSOR_FAILURES.join(", ")}` }];
        if (typeof b["fill_id"] === "string" || typeof b["fill_id"] === "number") {
          const id = String(b["fill_id"]);
          if (!exchange.failCensoring(id, status as CensorFailure))
            return [409, { ok: false, error: `fill ${id} is not awaiting censoring (unknown or already censored)` }];
          return [200, { ok: true, fill_id: id, status }];
        }
        faults.censorFailNext(Math.max(0, num(b["count"], 1)), status as CensorFailure);
        return [200, { ok: true, status }];
      }
      case "censor_end": {
        // End censoring now: of `fill_id`, or of every fill still at INIT.
        const id = b["fill_id"] === undefined ? undefined : String(b["fill_id"]);
        return [200, { ok: true, ended: exchange.endCensoring(id) }];
      }
      case "censor_delay": {
        const ms = num(b["ms"], Number.NaN);
        if (!(ms >= 0 && ms <= 600_000)) return [400, { ok: false, error: "ms must be in [0, 600000]" }];
        exchange.censorDelayMs = ms;
        return [200, { ok: true, ms }];
      }
      case "skip_depth15":
        faults.holdDepth15(Math.max(0, num(b["count"], 1)));
        return [200, { ok: true }];
      case "rate_limit_next":
        faults.rateLimitNext(Math.max(0, num(b["count"], 1)));
        return [200, { ok: true }];
      case "pause":
        faults.paused = true;
        return [200, { ok: true }];
      case "resume":
        faults.paused = false;
        return [200, { ok: true }];
      default:
        return [404, { ok: false, error: `unknown action ${action}` }];
    }
  };
  const state = (): Record<string, unknown> => ({
    seed,
    uptime_ms: Date.now() - startedAt,
    faults: faults.state(),
    censoring: exchange.pendingCensoring(),
    contracts: Object.fromEntries(
      [...markets].map(([id, m]) => {
        const v = m.published(15);
        return [
          id,
          {
            coin: m.contract.coin,
            contractName: m.contract.contractName,
            mid: m.oracleText(),
            version: m.version,
            book15: {
              bids: [...v.bids].map(([t, s]) => [m.priceText(t), m.sizeText(s)]),
              asks: [...v.asks].map(([t, s]) => [m.priceText(t), m.sizeText(s)]),
            },
          },
        ];
      }),
    ),
    quote: quote.state(),
    private: priv.state(),
    accounts: exchange.state(),
  });

  // ----------------------------------------------------------------------------------------------
  // HTTP + upgrades
  // ----------------------------------------------------------------------------------------------
  const server = createServer((req, res) => {
    void (async () => {
      req.on("error", () => undefined);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const method = req.method ?? "GET";
      let body: string;
      try {
        body = await readBody(req);
      } catch {
        reply(res, 413, { code: "PAYLOAD_TOO_LARGE", data: null, msg: "body too large" });
        return;
      }
      if (url.pathname.startsWith("/_sim/")) {
        const action = url.pathname.slice("/_sim/".length);
        if (method === "GET" && action === "state") return reply(res, 200, state());
        if (method === "GET" && action === "sent") {
          const channel = url.searchParams.get("channel") ?? "";
          const limit = Math.min(Number(url.searchParams.get("limit") ?? "1000") || 1000, 5000);
          return reply(res, 200, { channel, records: channel === "" ? log.channels() : log.get(channel, limit) });
        }
        if (method !== "POST") return reply(res, 405, { ok: false, error: "control actions are POST" });
        let b: unknown = {};
        try {
          b = body === "" ? {} : JSON.parse(body);
        } catch {
          return reply(res, 400, { ok: false, error: "body is not JSON" });
        }
        try {
          const [status, out] = control(
            action,
            typeof b === "object" && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {},
          );
          return reply(res, status, out);
        } catch (err) {
          return reply(res, 500, { ok: false, error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (faults.isDown())
        return reply(res, 503, { code: "SERVICE_UNAVAILABLE", data: null, msg: "down (fault injection)" });
      let out: RestReply;
      try {
        out = await handleRest(method, url, req.headers, body, { markets, exchange, faults, quote });
      } catch (err) {
        out = {
          status: 500,
          body: { code: "INTERNAL_ERROR", data: null, msg: err instanceof Error ? err.message : "internal error" },
        };
      }
      flushTrades();
      if (out.noReply === true) {
        req.socket.destroy();
        return;
      }
      reply(res, out.status, out.body);
    })().catch(() => {
      // Last resort (e.g. the client went away mid-reply): never an unhandled rejection.
      if (!res.headersSent) reply(res, 500, { code: "INTERNAL_ERROR", data: null, msg: "internal error" });
    });
  });

  const quoteWss = new WebSocketServer({ noServer: true });
  const privateWss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => undefined);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (faults.isStreamDown()) return refuseUpgrade(socket, 503, "Service Unavailable");
    if (url.pathname === QUOTE_PATH) {
      quoteWss.handleUpgrade(req, socket, head, (ws) => quote.attach(ws));
      return;
    }
    if (url.pathname === PRIVATE_PATH) {
      const params: Record<string, string> = {};
      for (const [k, v] of url.searchParams) params[k] = v;
      const auth = authenticate(exchange, req.headers, "GET", PRIVATE_PATH, canonicalQuery(params));
      if ("status" in auth) return refuseUpgrade(socket, 401, "Unauthorized");
      if (params["accountId"] !== auth.accountId) return refuseUpgrade(socket, 403, "Forbidden");
      privateWss.handleUpgrade(req, socket, head, (ws) => priv.attach(ws, auth.accountId));
      return;
    }
    refuseUpgrade(socket, 404, "Not Found");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const base = `127.0.0.1:${port}`;
  return {
    port,
    quoteWsUrl: `ws://${base}${QUOTE_PATH}`,
    privateWsUrl: `ws://${base}${PRIVATE_PATH}`,
    restUrl: `http://${base}`,
    controlUrl: `http://${base}/_sim`,
    accounts,
    async stop(): Promise<void> {
      clearInterval(loop);
      exchange.stop();
      for (const ws of quoteWss.clients) ws.terminate();
      for (const ws of privateWss.clients) ws.terminate();
      quoteWss.close();
      privateWss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
