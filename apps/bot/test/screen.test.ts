/**
 * `make demo` in a real terminal (tmux) at 80×24 and 160×50: the header and every market row are on screen,
 * each direction says why it is or is not taken, nothing lands in the scrollback, and Ctrl-C restores the
 * terminal and prints the summary.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "@paradex-edgex/dev/testing";

const hasTmux = ((): boolean => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const tmux = (...args: string[]): string => execFileSync("tmux", args, { encoding: "utf8" });
const capture = (session: string): string => tmux("capture-pane", "-p", "-t", session);
/** The visible screen and the scrollback above it (the exit summary may be taller than 24 rows). */
const captureAll = (session: string): string => tmux("capture-pane", "-p", "-S", "-1000", "-t", session);

async function until(
  session: string,
  ok: (screen: string) => boolean,
  ms: number,
  what: string,
  grab: (session: string) => string = capture,
): Promise<string> {
  const deadline = Date.now() + ms;
  let screen = "";
  while (Date.now() < deadline) {
    screen = grab(session);
    if (ok(screen)) return screen;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not on screen within ${ms} ms; screen:\n${screen}`);
}

const MARKETS = ["BTC", "ETH", "SOL"];
/** Every market row shows a quote on both venues (a number before and after each slash). */
const quoted = (screen: string): boolean =>
  MARKETS.every((m) => new RegExp(`^${m}\\s+\\d[\\d.]*/\\d[\\d.]*\\s+\\d[\\d.]*/\\d[\\d.]*`, "m").test(screen));

async function runAt(cols: number, rows: number): Promise<void> {
  const session = `arb-screen-${cols}x${rows}-${process.pid}`;
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    String(cols),
    "-y",
    String(rows),
    "-c",
    REPO_ROOT,
    "bash",
    "--norc",
    "--noprofile",
  );
  try {
    tmux("send-keys", "-t", session, "npm run --silent demo -- --run-seconds 300", "Enter");
    await until(session, (s) => /demo: starting the Paradex and EdgeX simulators/.test(s), 30_000, "the starting line");
    const screen = await until(session, quoted, 150_000, `quotes on every market row at ${cols}×${rows}`);
    // BOT_SCREEN_DIR=dir keeps what the terminal showed (the README's captured screen comes from there).
    const keep = process.env["BOT_SCREEN_DIR"];
    if (keep) writeFileSync(join(keep, `screen-${cols}x${rows}.txt`), screen);
    const lines = screen.split("\n");
    assert.match(lines[0] ?? "", /^EdgeX–Paradex arb PAPER/, "the header is the first line");
    for (const m of MARKETS)
      assert.ok(
        lines.some((l) => l.startsWith(`${m} `)),
        `${m} row`,
      );
    // Both directions per market, each with its edge against the threshold and a word on why.
    const dirRows = lines.filter((l) => /│ buy P\/sell E .*│ buy E\/sell P/.test(l));
    assert.equal(dirRows.length, MARKETS.length, `a direction row per market:\n${screen}`);
    assert.ok(
      dirRows.some((l) => /edge below threshold|position limit|book too thin|below .* min/.test(l)),
      `a blocked direction shows its reason:\n${screen}`,
    );
    for (const l of lines) assert.ok(l.length <= cols, `line wider than the terminal: ${l}`);
    // Ctrl-C: the alternate screen is left (the shell's screen is back), the summary is printed and the
    // shell prompt returns under it (the demo has exited; its temporary journal is gone, so no path is shown).
    tmux("send-keys", "-t", session, "C-c");
    const history = await until(
      session,
      (s) => /summary: mode paper[\s\S]*\n\S*[#$] *\n*$/.test(s),
      60_000,
      "exit summary and the shell prompt",
      captureAll,
    );
    assert.match(history, /arbitrages \d+: clean/, "the summary counts the arbitrages");
    assert.doesNotMatch(history, /EdgeX–Paradex arb PAPER/, "no redraw in the main screen or its scrollback");
  } finally {
    tmux("kill-session", "-t", session);
  }
}

describe("the demo in a real terminal", { skip: hasTmux ? false : "tmux is not installed" }, () => {
  it("fits 80×24 and 160×50: header, every market row, reasons; the terminal is restored", {
    timeout: 300_000,
  }, async () => {
    await Promise.all([runAt(80, 24), runAt(160, 50)]);
  });
});
