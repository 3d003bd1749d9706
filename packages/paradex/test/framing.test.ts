/** LineFramer under adversarial chunking: every split point, one byte at a time, UTF-8 cut mid-character. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LineFramer, type FramedItem } from "../src/framing.ts";

const LINES = [
  '{"type":"bbo","seq":1,"market":"BTC-USD-PERP","bid":"65000.5","bid_size":"0.125"}',
  '{"type":"trade","seq":2,"market":"ETH-USD-PERP","note":"é → ✓ 😀"}',
  "",
  '{"type":"status","seq":3,"state":"live"}',
];
const STREAM = Buffer.from(LINES.map((l) => `${l}\n`).join(""), "utf8");

function frame(chunks: readonly Buffer[], framer = new LineFramer()): FramedItem[] {
  const items: FramedItem[] = [];
  for (const c of chunks) framer.push(c, (i) => items.push(i));
  framer.end((i) => items.push(i));
  return items;
}

const lines = (items: FramedItem[]): string[] =>
  items.map((i) => (i.kind === "line" ? i.line : `<oversize ${i.length}>`));

test("every two-way split of the stream, including inside multi-byte characters, yields the same lines", () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const got = lines(frame([STREAM.subarray(0, cut), STREAM.subarray(cut)]));
    assert.deepEqual(got, LINES, `split at byte ${cut}`);
  }
});

test("one byte per chunk yields the same lines", () => {
  const chunks = [...STREAM].map((b) => Buffer.from([b]));
  assert.deepEqual(lines(frame(chunks)), LINES);
});

test("random chunkings of a long stream lose, merge and reorder nothing", () => {
  let state = 12345;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const many = Array.from({ length: 2000 }, (_, i) =>
    JSON.stringify({ type: "bbo", seq: i + 1, pad: "ü".repeat(i % 37) }),
  );
  const stream = Buffer.from(many.map((l) => `${l}\n`).join(""), "utf8");
  for (let round = 0; round < 20; round++) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + rand(round % 2 === 0 ? 7 : 5000);
      chunks.push(stream.subarray(at, at + size));
      at += size;
    }
    assert.deepEqual(lines(frame(chunks)), many, `round ${round}`);
  }
});

test("CRLF endings are stripped; a last line without newline is delivered at end()", () => {
  const got = lines(frame([Buffer.from('{"a":1}\r\n{"b":2}\r'), Buffer.from('\n{"c":3}')]));
  assert.deepEqual(got, ['{"a":1}', '{"b":2}', '{"c":3}']);
});

test("string chunks work too", () => {
  const framer = new LineFramer();
  const got: FramedItem[] = [];
  framer.push('{"a"', (i) => got.push(i));
  assert.equal(got.length, 0);
  assert.equal(framer.pending, 4);
  framer.push(":1}\n", (i) => got.push(i));
  assert.deepEqual(lines(got), ['{"a":1}']);
});

test("a line over the cap is reported once, not buffered, and the next line is intact", () => {
  const framer = new LineFramer({ maxLineLength: 50 });
  const big = "x".repeat(500);
  // The big line arrives in pieces, so the cap trips while it is still unfinished.
  const chunks = [
    Buffer.from(`{"ok":1}\n${big.slice(0, 200)}`),
    Buffer.from(big.slice(200)),
    Buffer.from('\n{"ok":2}\n'),
  ];
  const items = frame(chunks, framer);
  assert.deepEqual(lines(items), ['{"ok":1}', "<oversize 500>", '{"ok":2}']);
  const over = items[1];
  assert.ok(over?.kind === "oversize" && over.prefix.startsWith("xxxx"));
  assert.equal(framer.oversizeCount, 1);
  assert.equal(framer.lineCount, 2);
});

test("a line over the cap inside a single chunk is reported too", () => {
  const items = frame([Buffer.from(`${"y".repeat(80)}\n{"ok":3}\n`)], new LineFramer({ maxLineLength: 50 }));
  assert.deepEqual(lines(items), ["<oversize 80>", '{"ok":3}']);
});
