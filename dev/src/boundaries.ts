/**
 * @module boundaries — the package arrows of this repository, checked from every file's imports.
 *
 *   npm run --silent tsx dev/src/boundaries.ts      # prints violations, exits 1 if any
 *
 * Each workspace may import only the workspaces its rule names (separately for shipped code — `src/`,
 * `bin/` — and for its tests and benchmarks), only through the target's `exports` map (never a relative
 * path out of its own folder, never `…/src/…`), and shipped code only what its package.json declares.
 * The workspaces' own package.json dependencies must respect the same arrows. `dev/test/boundaries.test.ts`
 * runs this on the repository and on a planted violation.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SCOPE = "@paradex-edgex/";

export interface Rule {
  /** Workspaces (short names, e.g. "core") that shipped code (`src/`, `bin/`) may import. */
  ships: string[];
  /** Extra workspaces that tests and benchmarks of this workspace may import. */
  tests?: string[];
}

/**
 * The allowed arrows. Product packages never import a simulator or `dev` from shipped code, and
 * paradex and edgex never import each other (not even in tests).
 */
export const RULES: Record<string, Rule> = {
  core: { ships: [] },
  paradex: { ships: ["core"], tests: ["dev"] },
  edgex: { ships: ["core"], tests: ["edgex-sim", "dev"] },
  toolkit: { ships: ["core", "paradex", "edgex"], tests: ["edgex-sim", "dev"] },
  // The EdgeX simulator speaks the wire through @paradex-edgex/edgex's public wire primitives (schemas,
  // signing payloads) so that the simulator and the client cannot drift apart: an explicit exception to
  // "simulators → core".
  "edgex-sim": { ships: ["core", "edgex"] },
  bot: { ships: ["core", "paradex", "edgex", "toolkit"], tests: ["edgex-sim", "dev"] },
  dev: { ships: ["core", "paradex", "edgex", "toolkit", "edgex-sim", "bot"] },
};

export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

interface Workspace {
  short: string;
  name: string;
  dir: string;
  private: boolean;
  exports: string[];
  deps: Set<string>;
}

interface PackageJson {
  name?: string;
  private?: boolean;
  workspaces?: string[];
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, "utf8")) as PackageJson;

function loadWorkspace(root: string, rel: string): Workspace {
  const dir = resolve(root, rel);
  const pkg = readJson(join(dir, "package.json"));
  const name = pkg.name ?? rel;
  const exp = pkg.exports;
  const exports =
    typeof exp === "object" && exp !== null && Object.keys(exp)[0]?.startsWith(".") ? Object.keys(exp) : ["."];
  return {
    short: name.startsWith(SCOPE) ? name.slice(SCOPE.length) : name,
    name,
    dir,
    private: pkg.private === true,
    exports,
    deps: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]),
  };
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) yield path;
  }
}

/** `@scope/name/sub` → ["@scope/name", "./sub"]; `viem/accounts` → ["viem", "./accounts"]. */
function splitSpecifier(spec: string): [string, string] {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  const rest = parts.slice(n).join("/");
  return [parts.slice(0, n).join("/"), rest === "" ? "." : `./${rest}`];
}

function exportsAllow(patterns: string[], sub: string): boolean {
  return patterns.some((p) => {
    if (!p.includes("*")) return p === sub;
    const [head = "", tail = ""] = p.split("*");
    return sub.startsWith(head) && sub.endsWith(tail) && sub.length >= head.length + tail.length;
  });
}

const BUILTINS = new Set(builtinModules);

/** Every violation of the arrows under `root` (a checkout, or a planted tree in a test). */
export function checkBoundaries(root: string, rules: Record<string, Rule> = RULES): Violation[] {
  const rootPkg = readJson(join(root, "package.json"));
  const rootDevDeps = new Set(Object.keys(rootPkg.devDependencies ?? {}));
  const spaces = (rootPkg.workspaces ?? []).map((w) => loadWorkspace(root, w));
  const byName = new Map(spaces.map((w) => [w.name, w]));
  const out: Violation[] = [];

  for (const ws of spaces) {
    const rule = rules[ws.short];
    const pkgFile = relative(root, join(ws.dir, "package.json"));
    if (rule === undefined) {
      out.push({ file: pkgFile, specifier: ws.name, reason: "workspace without a boundary rule" });
      continue;
    }
    for (const dep of ws.deps) {
      const target = byName.get(dep);
      if (target !== undefined && !rule.ships.includes(target.short))
        out.push({
          file: pkgFile,
          specifier: dep,
          reason: `dependency ${ws.short} → ${target.short} is not an allowed arrow`,
        });
    }
    for (const file of tsFiles(ws.dir)) {
      const relFile = relative(ws.dir, file);
      const ships = relFile.startsWith(`src${sep}`) || relFile.startsWith(`bin${sep}`);
      const allowed = ships ? rule.ships : [...rule.ships, ...(rule.tests ?? [])];
      const imports = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
      for (const spec of imports) {
        const v = (reason: string) => out.push({ file: relative(root, file), specifier: spec, reason });
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (target !== ws.dir && !target.startsWith(ws.dir + sep))
            v("relative import out of its package (deep import)");
          continue;
        }
        if (spec.startsWith("node:") || BUILTINS.has(spec)) continue;
        const [pkgName, sub] = splitSpecifier(spec);
        const target = byName.get(pkgName);
        if (target !== undefined) {
          if (!allowed.includes(target.short)) v(`${ws.short} → ${target.short} is not an allowed arrow`);
          if (sub.includes("/src/") || sub === "./src" || !exportsAllow(target.exports, sub))
            v(`deep import into ${target.name} (not in its exports)`);
          if (ships && !ws.deps.has(pkgName)) v(`${pkgName} is not declared in ${pkgFile}`);
          continue;
        }
        if (pkgName.startsWith(SCOPE)) {
          v(`unknown package ${pkgName}`);
          continue;
        }
        // Third-party: shipped code of a published package uses only what it declares; private workspaces
        // and tests may also use the repository's dev dependencies.
        const declared = ws.deps.has(pkgName) || ((!ships || ws.private) && rootDevDeps.has(pkgName));
        if (!declared) v(`${pkgName} is not declared in ${pkgFile}`);
      }
    }
  }
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const found = checkBoundaries(root);
  for (const x of found) console.error(`${x.file}: ${x.specifier}: ${x.reason}`);
  if (found.length > 0) process.exit(1);
  console.log("boundaries: ok");
}
