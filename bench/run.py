"""``make bench``: every benchmark of the project; each writes ``bench/results/<name>.json`` and a table.

Python benchmarks are functions called in-process (``bench/sidecar.py``); benchmarks in other languages
are commands listed in ``EXTERNAL_BENCHES`` (run only when their entry file exists), each responsible for
its own results file. Add a line there rather than a new entry point.

Usage: ``.venv/bin/python bench/run.py [--quick] [--only sidecar|<external name>]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

import sidecar  # noqa: E402  (a sibling module of this script, found through sys.path above)

# name → (entry file that must exist, command). Each writes its own bench/results/<name>.json.
# To add a benchmark: one line here (run from the repository root).
EXTERNAL_BENCHES: dict[str, tuple[Path, list[str]]] = {
    "bridge": (BENCH / "bridge_latency.ts", ["npx", "tsx", "bench/bridge_latency.ts"]),
    "place": (BENCH / "place_latency.py", [sys.executable, "bench/place_latency.py"]),
    "edgex": (BENCH / "edgex_latency.ts", ["npx", "tsx", "bench/edgex_latency.ts"]),
    "bot": (BENCH / "bot_latency.ts", ["npx", "tsx", "bench/bot_latency.ts"]),
    "restart": (BENCH / "restart.ts", ["npx", "tsx", "bench/restart.ts"]),
}


def run_sidecar(quick: bool) -> None:
    started = time.time()
    results = sidecar.run_all(quick=quick)
    results["duration_s"] = round(time.time() - started, 1)
    results["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sidecar.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print("\nPython sidecar (bench/results/sidecar.json)")
    print(sidecar.table(results))


def run_external(name: str, entry: Path, command: list[str]) -> int:
    if not entry.exists():
        print(f"\n{name}: {entry.relative_to(REPO)} not present, skipped")
        return 0
    if shutil.which(command[0]) is None:
        print(f"\n{name}: {command[0]} not found, skipped")
        return 0
    print(f"\n{name}: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=REPO).returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs of the Python sidecar benchmark")
    parser.add_argument("--only", help="run one benchmark: sidecar or one of " + ", ".join(EXTERNAL_BENCHES))
    args = parser.parse_args()
    status = 0
    if args.only in (None, "sidecar"):
        run_sidecar(args.quick)
    for name, (entry, command) in EXTERNAL_BENCHES.items():
        if args.only in (None, name):
            status |= run_external(name, entry, command)
    return status


if __name__ == "__main__":
    sys.exit(main())
