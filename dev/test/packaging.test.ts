/**
 * The user's path, outside this checkout: every publishable package packed with `npm pack`, the sidecar's
 * two wheels installed into a fresh venv, the tarballs installed into a fresh project with `npm install`,
 * `examples/*.ts` type-checked there against the installed `.d.ts` (module nodenext) and compiled, and the
 * BBO example run with plain `node` against `paradex-ws --env sim` from that venv's PATH: typed BBO lines
 * arrive, and after `close()` the sidecar's whole process group is gone.
 *
 * The consumer never sees the repository's `@paradex-edgex/source` condition (NODE_OPTIONS is cleared) nor
 * its `.venv` (not on PATH). The venv is cached outside the repository, keyed on the sidecar's sources, so
 * only the first run after a Python change pays for the install.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { groupAlive, REPO_ROOT } from "../src/testing.ts";

const run = promisify(execFile);
const PUBLISHED = ["core", "paradex", "edgex", "toolkit"];

/** The parent's environment without the repository's source condition or its venv. */
function consumerEnv(extraPath: string[] = []): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const path = (env.PATH ?? "").split(delimiter).filter((p) => !p.startsWith(join(REPO_ROOT, ".venv")));
  return { ...env, PATH: [...extraPath, ...path].join(delimiter) };
}

async function sh(cmd: string, args: string[], cwd: string, env = consumerEnv(), timeout = 600_000) {
  try {
    return await run(cmd, args, { cwd, env, timeout, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

/** Content hash of what goes into the sidecar wheels: a changed source means a new venv. */
function sidecarSourceKey(): string {
  const h = createHash("sha256");
  const walk = (rel: string): void => {
    const full = join(REPO_ROOT, rel);
    if (statSync(full).isDirectory()) {
      for (const e of readdirSync(full).sort()) if (e !== "__pycache__" && !e.endsWith(".egg-info")) walk(join(rel, e));
    } else {
      h.update(rel).update("\0").update(readFileSync(full)).update("\0");
    }
  };
  for (const rel of ["pyproject.toml", "paradex_ws_service", "paradex-sim", "scripts/install-sidecar-venv.sh"])
    walk(rel);
  return h.digest("hex").slice(0, 16);
}

async function sidecarVenv(): Promise<string> {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "paradex-edgex");
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, `sidecar-venv-${sidecarSourceKey()}`);
  // Under a lock (other checkouts may run this test at once); `.complete` is written last, so a run killed
  // half-way leaves a venv the next run rebuilds (the script starts from an empty directory).
  const script = join(REPO_ROOT, "scripts", "install-sidecar-venv.sh");
  const body = `[ -f "$1/.complete" ] || { bash "$2" "$1" >/dev/null && touch "$1/.complete"; }`;
  await sh("flock", [`${dir}.lock`, "bash", "-c", body, "install", dir, script], cache, consumerEnv(), 1_200_000);
  return dir;
}

test("packed packages install into a fresh project; the examples type-check there and the BBO example runs on plain node", {
  timeout: 1_500_000,
}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "paradex-edgex-consumer-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const venv = sidecarVenv(); // in parallel with the npm side

  // 1. Build and pack every publishable package; a tarball holds dist + README + package.json only.
  await sh("npx", ["tsc", "-b", "tsconfig.build.json"], REPO_ROOT);
  const tarballs: Record<string, string> = {};
  const sizes: string[] = [];
  for (const name of PUBLISHED) {
    const { stdout } = await sh(
      "npm",
      ["pack", "--json", "--pack-destination", work],
      join(REPO_ROOT, "packages", name),
    );
    const [info] = JSON.parse(stdout) as { filename: string; size: number; files: { path: string }[] }[];
    assert.ok(info !== undefined);
    const stray = info.files
      .map((f) => f.path)
      .filter((p) => !(p.startsWith("dist/") || p === "README.md" || p === "package.json"));
    assert.deepEqual(stray, [], `${name}: only dist, README and package.json are packed`);
    assert.ok(!info.files.some((f) => f.path.endsWith(".tsbuildinfo")), `${name}: no tsbuildinfo packed`);
    assert.ok(
      info.files.some((f) => f.path === "README.md"),
      `${name}: README packed`,
    );
    tarballs[`@paradex-edgex/${name}`] = `file:${join(work, info.filename)}`;
    sizes.push(`${info.filename} ${info.size} B`);
  }
  t.diagnostic(`packed: ${sizes.join(", ")}`);

  // 2. A user's project: the examples, their tsconfig, the tarballs instead of registry versions.
  const app = join(work, "app");
  mkdirSync(app);
  for (const f of readdirSync(join(REPO_ROOT, "examples")))
    if (f.endsWith(".ts") || f === "tsconfig.json") cpSync(join(REPO_ROOT, "examples", f), join(app, f));
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "examples", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  manifest.dependencies = { ...manifest.dependencies, ...tarballs };
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2));
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], app);
  assert.ok(
    !existsSync(join(app, "node_modules", "@paradex-edgex", "paradex", "src")),
    "installed package carries no sources",
  );

  // 3. Type-check and compile against the installed .d.ts (module nodenext, no source condition).
  await sh(join(app, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], app);

  // 4. Plain node, sidecar from the fresh venv's PATH, the application's directory as cwd.
  const bin = join(await venv, "bin");
  const { stdout } = await sh(
    process.execPath,
    [join(app, "dist", "bbo.js"), "5", "sim"],
    app,
    consumerEnv([bin]),
    300_000,
  );
  const lines = stdout.trim().split("\n");
  const hello = /^hello pid=(\d+) protocol=1 env=sim$/.exec(lines[0] ?? "");
  assert.ok(hello !== null, stdout);
  const bbos = lines.filter((l) => l.startsWith("bbo "));
  assert.equal(bbos.length, 5, stdout);
  for (const l of bbos) assert.match(l, /^bbo (BTC|ETH)-USD-PERP (-|\d+(\.\d+)?) \/ (-|\d+(\.\d+)?)$/);
  assert.equal(lines.at(-1), "closed");
  // The sidecar led its own process group (its simulator child included): nothing of it is left.
  assert.equal(groupAlive(Number(hello[1])), false, "the sidecar's process group is gone after close()");
});
