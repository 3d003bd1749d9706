/**
 * @module main — `npm run bot -- [flags]`: config → venues → ArbBot → view; summary on exit.
 *
 * Paper mode unless `--live`. Exit codes: 0 clean stop (SIGINT/SIGTERM/--run-seconds), 1 failure at start-up
 * or at run time, 2 bad configuration. Secrets are read from the environment by the venue clients and are
 * never printed; the config we log holds no credentials.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ArbBot, type LogFn } from "./bot.ts";
import { ConfigError, helpText, loadConfig, type BotConfig } from "./config.ts";
import { buildVenues } from "./venues.ts";
import { JsonView, TtyView, summaryLines, type View } from "./view.ts";
import type { Venue, VenueName } from "@paradex-edgex/core";

export interface RunOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  /** Venues to use instead of building them from the config (the demo passes simulator-backed ones). */
  venues?: (cfg: BotConfig, log: LogFn) => Record<VenueName, Venue>;
  /** The journal is a temporary file the caller removes (the demo): the summary does not point at it. */
  ephemeralJournal?: boolean;
  /** Called once the bot has started (the demo uses it to narrate). */
  onStarted?: (bot: ArbBot, log: LogFn) => void;
}

const LIVE_BANNER = [
  "",
  "################################################################",
  "#  LIVE TRADING: --live was given. Orders WILL be sent to the  #",
  "#  venues with the configured credentials. Ctrl-C to stop.     #",
  "################################################################",
  "",
].join("\n");

/** Run the bot until a signal or --run-seconds; resolves with the process exit code. */
export async function run(o: RunOptions): Promise<number> {
  if (o.argv.includes("--help") || o.argv.includes("-h")) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  let cfg: BotConfig;
  try {
    cfg = loadConfig(o.argv, o.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bot: ${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  const tty = process.stdout.isTTY === true && !cfg.json;
  const view: View = tty ? new TtyView() : new JsonView();
  const log: LogFn = (event, fields) => view.event(event, fields);
  if (cfg.live) {
    process.stderr.write(LIVE_BANNER);
    log("LIVE_TRADING", { warning: "orders will be sent to the venues" });
  } else {
    log("paper_mode", {
      note: "orders are validated and filled against the live books; nothing is sent (use --live to trade)",
    });
  }
  let venues: Record<VenueName, Venue>;
  try {
    venues = o.venues ? o.venues(cfg, log) : buildVenues(cfg, o.env, log);
  } catch (err) {
    view.close();
    process.stderr.write(`bot: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
  const bot = new ArbBot({ cfg, venues, log });
  let stopping: Promise<number> | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  const stop = (why: string, code: number): Promise<number> => {
    if (stopping !== null) return stopping;
    stopping = (async () => {
      if (statusTimer) clearInterval(statusTimer);
      log("stopping", { why });
      const summary = await bot.stop();
      view.close();
      if (tty)
        process.stderr.write(
          `${summaryLines(summary).join("\n")}${o.ephemeralJournal ? "" : `\n  journal: ${cfg.journalPath}`}\n`,
        );
      else view.event("summary", { ...summary, journal: o.ephemeralJournal ? null : cfg.journalPath });
      return code;
    })();
    return stopping;
  };
  const done = new Promise<number>((resolve) => {
    // `on`, not `once`: our listener must stay registered so the bridge's last-resort handler sees that
    // someone owns shutdown and does not re-raise the signal. A second signal forces the exit.
    // Ctrl-C reaches us twice at once (from the terminal's process group and relayed by npx/tsx), so only
    // a signal more than a second after the first counts as "second".
    let firstAt: number | null = null;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (firstAt !== null && performance.now() - firstAt < 1000) return;
      if (firstAt !== null) {
        process.stderr.write(`bot: second ${sig}, exiting without waiting for in-flight work (the journal has it)\n`);
        process.exit(130);
      }
      firstAt = performance.now();
      void stop(sig, 0).then(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    if (cfg.runSeconds !== null)
      setTimeout(() => void stop("--run-seconds elapsed", 0).then(resolve), cfg.runSeconds * 1000).unref();
  });
  try {
    await bot.start();
  } catch (err) {
    log("start_failed", { error: (err as Error).message });
    await stop("start-up failed", 1);
    process.stderr.write(`bot: start-up failed: ${(err as Error).message}\n`);
    return 1;
  }
  statusTimer = setInterval(() => view.status(bot.status()), cfg.statusIntervalMs);
  o.onStarted?.(bot, log);
  return done;
}

/** Load `.env` from the working directory without overriding the real environment. */
export function loadDotEnv(): void {
  if (existsSync(".env")) process.loadEnvFile(".env");
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  loadDotEnv();
  run({ argv: process.argv.slice(2), env: process.env }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bot: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
