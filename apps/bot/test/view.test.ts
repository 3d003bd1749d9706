/**
 * The screen says why: both directions against the threshold, a block reason that clears when it stops being
 * true, the plausibility guard, and a layout that keeps the header and every market row from 80×24 up.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderScreen } from "../src/view.ts";
import { quote, rig } from "./helpers.ts";

const T = { timeout: 10_000 };
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes, which start with ESC.
const plain = (l: string): string => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
const visible = (lines: string[]): string[] => lines.map(plain);

describe("the bot's screen", () => {
  it("a position-limited direction keeps its edge and says why, at 80×24 and 160×50", T, async () => {
    const r = rig(["--max-position", "BTC=0.01"]);
    await r.bot.start();
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done");
    quote(r, 65000, 65101); // the same spread: now the position limit blocks that direction
    const s = r.bot.status();
    await r.bot.stop();
    const m = s.markets[0];
    assert.ok(m !== undefined);
    const limited = m.directions.find((d) => d.direction === "buy paradex / sell edgex");
    assert.equal(limited?.reason, "position limit");
    assert.ok(limited?.edgeBps !== null && Number(limited?.edgeBps) > 5, `edge kept: ${JSON.stringify(limited)}`);
    assert.equal(m.directions.find((d) => d.direction === "buy edgex / sell paradex")?.ok, false);
    for (const [rows, cols] of [
      [24, 80],
      [50, 160],
    ] as const) {
      const screen = visible(
        renderScreen(
          s,
          Array.from({ length: 300 }, (_, i) => `event ${i}`),
          rows,
          cols,
        ),
      );
      assert.ok(screen.length <= rows, `${screen.length} lines on ${rows} rows`);
      for (const l of screen) assert.ok(l.length <= cols, `line wider than ${cols}: ${l}`);
      assert.match(screen[0] ?? "", /EdgeX–Paradex arb .*PAPER/);
      assert.ok(
        screen.some((l) => l.startsWith("BTC ")),
        "market row",
      );
      assert.ok(
        screen.some((l) => l.includes("position limit")),
        "the reason is on screen",
      );
      assert.ok(screen.includes("event 299"), "the newest events take the rows left");
    }
  });

  it("'in flight' is cleared the moment the arbitrage settles (never sticky)", T, async () => {
    const r = rig(["--max-position", "BTC=0.01"]); // one arbitrage, then no other can start
    await r.bot.start();
    quote(r, 65000, 65100);
    await r.tap.wait("arb_done");
    quote(r, 65000, 65001);
    const s = r.bot.status();
    await r.bot.stop();
    assert.equal(s.markets[0]?.inFlight, false);
    assert.notEqual(s.markets[0]?.block, "in-flight arbitrage");
  });

  it("venue mids far apart block entries loudly, and nothing is sent", T, async () => {
    const r = rig();
    await r.bot.start();
    quote(r, 65000, 95000); // two simulators on unrelated price walks: ≈4,600 bps
    const loud = await r.tap.wait("IMPLAUSIBLE");
    assert.match(String(loud.fields["reason"]), /mids \d+ bps apart/);
    const s = r.bot.status();
    assert.match(s.markets[0]?.block ?? "", /^implausible/);
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
    quote(r, 65000, 65100); // back to a plausible spread: the block clears and the arbitrage is taken
    await r.tap.wait("arb_done");
    await r.bot.stop();
    assert.equal(r.p.placed.length, 1);
  });

  it("an edge beyond --max-edge-bps blocks entries even when the mids are close enough", T, async () => {
    const r = rig(["--max-edge-bps", "20"]);
    await r.bot.start();
    quote(r, 65000, 65300); // ≈46 bps gross, well under the 100 bps mid gap, above the 20 bps edge bound
    const loud = await r.tap.wait("IMPLAUSIBLE");
    assert.match(String(loud.fields["reason"]), /^implausible: edge .* \(max 20\)/);
    await r.bot.stop();
    assert.equal(r.p.placed.length + r.e.placed.length, 0);
  });
});
