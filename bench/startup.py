"""Start-up: spawn → first ``bbo`` line on stdout, the median of several spawns, with the machine's load.

The standalone simulator runs already (200 bbo/s, so at most 5 ms of waiting for a frame); each run is a fresh
``paradex-ws`` process: ``--env testnet --ws-url <sim>`` (public channels, no credentials: what a market-data
consumer starts) and ``--env sim --ws-url <sim>`` (the simulator's settings, no private channel). Writes
``bench/results/startup.json``. Target: ≤ 1,000 ms.

Usage: ``.venv/bin/python bench/startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from sidecar import MARKET, Sidecar, Sim  # noqa: E402  (a sibling module of this script)

TARGET_MS = 1000
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _first_bbo(*args: str) -> tuple[float, float]:
    """(wall ms from Popen to the first bbo line read, the sidecar's CPU ms by then). The CPU time does not
    grow with the machine's load the way the wall time does."""
    car = Sidecar(*args, "--markets", MARKET, "--channels", "bbo")
    try:
        first = car.reader.wait_for_ts(lambda e: e["type"] == "bbo", 60)
        if first is None:
            raise RuntimeError("no bbo within 60 s")
        fields = Path(f"/proc/{car.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu_ms = (int(fields[11]) + int(fields[12])) * TICK_MS  # utime + stime
        return (first[0] - car.started_ns) / 1e6, cpu_ms
    finally:
        car.stop()


def measure(runs: int) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    sim = Sim("--bbo-rate", "200", "--markets", MARKET)
    try:
        target = ("--ws-url", sim.ws_url, "--rest-url", sim.rest_url)
        public = [_first_bbo("--env", "testnet", *target) for _ in range(runs)]
        sim_env = [_first_bbo("--env", "sim", *target) for _ in range(runs)]
    finally:
        sim.stop()
    return {
        "runs": runs,
        "public_ms_median": round(statistics.median(w for w, _ in public), 1),
        "public_cpu_ms_median": round(statistics.median(c for _, c in public), 1),
        "public_ms_all": [round(w, 1) for w, _ in public],
        "sim_env_ms_median": round(statistics.median(w for w, _ in sim_env), 1),
        "sim_env_cpu_ms_median": round(statistics.median(c for _, c in sim_env), 1),
        "sim_env_ms_all": [round(w, 1) for w, _ in sim_env],
        "target_ms": TARGET_MS,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    result = measure(args.runs)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(
        f"spawn → first bbo, median of {args.runs}: public {result['public_ms_median']} ms "
        f"({result['public_cpu_ms_median']} ms CPU), --env sim {result['sim_env_ms_median']} ms "
        f"({result['sim_env_cpu_ms_median']} ms CPU) (target ≤ {TARGET_MS} ms; load average "
        f"{result['load_average_before']} → {result['load_average_after']} on {result['cpus']} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
