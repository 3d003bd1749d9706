/** The zod schemas accept the shared example corpus: the Python side tests the same files. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, SidecarLine } from "../src/schema.ts";

const examples = (name: string): Record<string, unknown>[] =>
  readFileSync(fileURLToPath(new URL(`../../../paradex_ws_service/protocol_examples/${name}`, import.meta.url)), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("every example event parses", () => {
  for (const ev of examples("events.jsonl")) {
    const r = SidecarLine.safeParse(ev);
    assert.ok(r.success, `${JSON.stringify(ev)}: ${r.success ? "" : r.error.message}`);
  }
});

test("every event type of the schema has an example", () => {
  const seen = new Set(examples("events.jsonl").map((e) => e["type"]));
  const declared = SidecarLine.options.map((o) => o.shape.type.value);
  assert.deepEqual([...seen].sort(), [...declared].sort());
});

test("an added field passes through (a newer minor); a renamed field is refused", () => {
  for (const ev of examples("events.jsonl")) {
    const r = SidecarLine.safeParse({ ...ev, surprise: 1 });
    assert.ok(r.success, `added field refused on ${String(ev["type"])}`);
    assert.equal((r.data as Record<string, unknown>)["surprise"], 1, `added field dropped on ${String(ev["type"])}`);
  }
  const bbo = examples("events.jsonl").find((e) => e["type"] === "bbo")!;
  const { bid, ...renamed } = bbo;
  assert.equal(SidecarLine.safeParse({ ...renamed, best_bid: bid }).success, false);
});

test("decimals must be canonical strings, never numbers", () => {
  const bbo = examples("events.jsonl").find((e) => e["type"] === "bbo")!;
  for (const bad of [65000.5, "65000.50", "6.5E+4", "-0", ""]) {
    assert.equal(SidecarLine.safeParse({ ...bbo, bid: bad }).success, false, `accepted ${String(bad)}`);
  }
});

test("every example command parses", () => {
  for (const c of examples("commands.jsonl")) {
    const r = Command.safeParse(c);
    assert.ok(r.success, `${JSON.stringify(c)}: ${r.success ? "" : r.error.message}`);
  }
});

test("every refused example command is refused (the Python validator refuses the same corpus)", () => {
  for (const c of examples("commands_refused.jsonl")) {
    const r = Command.safeParse(c["command"]);
    assert.equal(
      r.success,
      false,
      `accepted ${JSON.stringify(c["command"])}, which is refused (${String(c["code"])}: ${String(c["why"])})`,
    );
  }
});
