"""``make bench``: every benchmark of the project; each writes ``bench/results/<name>.json`` and a table.

Python benchmarks are functions called in-process (``bench/sidecar.py``); benchmarks in other languages
are commands listed in ``EXTERNAL_BENCHES`` (run only when their entry file exists), each responsible for
its own results file. Add a line there rather than a new entry point.

Every table printed is also written to ``docs/BENCHMARKS.md`` (with the date and the machine's load), the one
place the READMEs take figures from.

Usage: ``.venv/bin/python bench/run.py [--quick] [--only sidecar|<external name>]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
REPORT = REPO / "docs" / "BENCHMARKS.md"
sys.path.insert(0, str(BENCH))

import sidecar  # noqa: E402  (a sibling module of this script, found through sys.path above)

# name → (entry file that must exist, command). Each writes its own bench/results/<name>.json.
# To add a benchmark: one line here (run from the repository root).
EXTERNAL_BENCHES: dict[str, tuple[Path, list[str]]] = {
    "bridge": (
        BENCH / "bridge_latency.ts",
        ["npm", "run", "--silent", "tsx", "--", "bench/bridge_latency.ts"],
    ),
    "place": (BENCH / "place_latency.py", [sys.executable, "bench/place_latency.py"]),
    "startup": (BENCH / "startup.py", [sys.executable, "bench/startup.py"]),
    "edgex": (BENCH / "edgex_latency.ts", ["npm", "run", "--silent", "tsx", "--", "bench/edgex_latency.ts"]),
    "bot": (BENCH / "bot_latency.ts", ["npm", "run", "--silent", "tsx", "--", "bench/bot_latency.ts"]),
    "restart": (BENCH / "restart.ts", ["npm", "run", "--silent", "tsx", "--", "bench/restart.ts"]),
    "faults": (BENCH / "faults.py", [sys.executable, "bench/faults.py"]),
}


def run_sidecar(quick: bool) -> str:
    started = time.time()
    results = sidecar.run_all(quick=quick)
    results["duration_s"] = round(time.time() - started, 1)
    results["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sidecar.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print("\nPython sidecar (bench/results/sidecar.json)")
    table = sidecar.table(results)
    print(table)
    return table


def run_external(name: str, entry: Path, command: list[str]) -> tuple[int, str]:
    """Runs one benchmark, echoing its output as it comes; returns its exit code and that output."""
    if not entry.exists():
        print(f"\n{name}: {entry.relative_to(REPO)} not present, skipped")
        return 0, ""
    if shutil.which(command[0]) is None:
        print(f"\n{name}: {command[0]} not found, skipped")
        return 0, ""
    print(f"\n{name}: {' '.join(command)}", flush=True)
    out: list[str] = []
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            out.append(line)
    return proc.returncode, "".join(out)


def write_report(sections: dict[str, str], started: float) -> None:
    """docs/BENCHMARKS.md: this run's tables, verbatim, with when and on what load they were measured."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand.",
        "Figures quoted in the READMEs come from here.",
        "",
        f"- run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))},"
        f" {round(time.time() - started)} s",
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()},"
        f" load average at the end {load} (1/5/15 min)",
        "- raw results: `bench/results/<name>.json`",
        "",
    ]
    for name, text in sections.items():
        lines += [f"## {name}", "", "```", text.rstrip(), "```", ""]
    REPORT.write_text("\n".join(lines))
    print(f"\nwritten: {REPORT.relative_to(REPO)}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs of the Python sidecar benchmark")
    parser.add_argument("--only", help="run one benchmark: sidecar or one of " + ", ".join(EXTERNAL_BENCHES))
    args = parser.parse_args()
    status = 0
    started = time.time()
    sections: dict[str, str] = {}
    if args.only in (None, "sidecar"):
        sections["sidecar"] = run_sidecar(args.quick)
    for name, (entry, command) in EXTERNAL_BENCHES.items():
        if args.only in (None, name):
            code, text = run_external(name, entry, command)
            status |= code
            if text:
                sections[name] = text
    if args.only is None and not args.quick:
        write_report(sections, started)
    return status


if __name__ == "__main__":
    sys.exit(main())
