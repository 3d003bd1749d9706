/**
 * The package arrows hold in this repository, and the checker fails on each kind of planted violation
 * (a forbidden arrow, a deep relative import, a `src/` import through the package name, an undeclared
 * dependency, a product package depending on a simulator).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkBoundaries } from "../src/boundaries.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("the repository respects the package arrows", () => {
  assert.deepEqual(checkBoundaries(ROOT), []);
});

function write(root: string, path: string, content: unknown): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, typeof content === "string" ? content : JSON.stringify(content));
}

test("planted violations are each reported", (t) => {
  const root = mkdtempSync(join(tmpdir(), "boundaries-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const pkg = (name: string, deps: Record<string, string> = {}, extra: object = {}) => ({
    name: `@paradex-edgex/${name}`,
    exports: { ".": "./src/index.ts" },
    dependencies: deps,
    ...extra,
  });
  write(root, "package.json", {
    workspaces: ["packages/core", "packages/paradex", "packages/edgex", "packages/edgex-sim"],
    devDependencies: { typescript: "*" },
  });
  write(root, "packages/core/package.json", pkg("core", { zod: "*" }));
  write(root, "packages/core/src/index.ts", 'import { z } from "zod";\nexport const x = z;\n');
  write(root, "packages/edgex/package.json", pkg("edgex", { "@paradex-edgex/core": "*" }));
  write(root, "packages/edgex/src/index.ts", 'export * from "@paradex-edgex/core";\n');
  write(root, "packages/edgex-sim/package.json", pkg("edgex-sim", { "@paradex-edgex/core": "*" }, { private: true }));
  write(root, "packages/edgex-sim/src/index.ts", "export {};\n");
  write(root, "packages/paradex/package.json", pkg("paradex", { "@paradex-edgex/edgex-sim": "*" }));
  write(
    root,
    "packages/paradex/src/index.ts",
    [
      'import { z } from "zod";', // undeclared third-party dependency
      'import { a } from "@paradex-edgex/edgex";', // paradex → edgex
      'import { b } from "../../edgex/src/wire.ts";', // relative import out of the package
      'import { c } from "@paradex-edgex/core/src/decimal.ts";', // deep import through the name, undeclared
      "",
    ].join("\n"),
  );
  const found = checkBoundaries(root).map((v) => `${v.file} ${v.specifier}: ${v.reason}`);
  const expect = (re: RegExp) =>
    assert.ok(
      found.some((f) => re.test(f)),
      `${re} in\n${found.join("\n")}`,
    );
  expect(/paradex\/package\.json @paradex-edgex\/edgex-sim: dependency paradex → edgex-sim is not an allowed arrow/);
  expect(/paradex\/src\/index\.ts zod: zod is not declared/);
  expect(/@paradex-edgex\/edgex: paradex → edgex is not an allowed arrow/);
  expect(/\.\.\/\.\.\/edgex\/src\/wire\.ts: relative import out of its package/);
  expect(/@paradex-edgex\/core\/src\/decimal\.ts: deep import into @paradex-edgex\/core/);
  expect(/@paradex-edgex\/core\/src\/decimal\.ts: @paradex-edgex\/core is not declared/);
  assert.equal(found.length, 7, found.join("\n")); // paradex → edgex is also undeclared
});
