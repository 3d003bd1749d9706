"""Faults and soak: fills recovered per outage, and the sidecar's memory per order up to its caches' cap.

Two processes, as in production: the simulator and the CLI pointed at it (``--env sim``, paper key, private
channels), stdout read by a thread of this process.

- **Outages.** Each round rests a BUY and a SELL LIMIT, cuts the stream (in turn: a stream-only outage
  with REST up, a network cut without close frame, the whole server down), moves the market through both
  orders while the stream is down and places a MARKET meanwhile. The simulator's record (``GET
  /_sim/fills``) is the truth: per outage, the fills it made while the stream was down, how many reached
  stdout (live or marked ``recovered`` by the catch-up after reconnect), how many never did, and the time
  from the stream's return (all private channels subscribed again) to the last of them on stdout.
- **Memory soak.** ``--orders`` MARKET orders (BUY and SELL in turn, each filled), in batches under the
  simulator's rate limit; the sidecar's VmRSS (``/proc``) is sampled every ``--every`` orders. Per-order
  memory is the RSS slope from the first sample after warm-up to the cap (10,000 remembered orders), and
  beyond the cap (where it should be flat).

Usage: ``.venv/bin/python bench/faults.py [--outages 6] [--orders 14000] [--quick] [--soak-only]``
→ ``bench/results/faults.json`` and a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from paradex_sim.testing import SimProcess

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
MARKET = "BTC-USD-PERP"
PRIVATE = {"orders", "fills", "positions", "account"}
CAP = 10_000  # the sidecar's dedupe caps (memo.DEFAULT_CAP, private.DEDUPE_WINDOW)
TIMEOUT_S = 60.0


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARADEX_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Car:
    """The sidecar; a thread keeps results by id, fills, orders' ends and status lines (with read times)."""

    def __init__(self, sim: SimProcess) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "paradex_ws_service", "--env", "sim", "--ws-url", sim.ws_url,
             "--rest-url", sim.rest_url, "--markets", MARKET,
             "--channels", "bbo,orders,fills,positions,account",
             "--log-level", "WARNING", "--stats-interval", "3600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(), cwd=REPO,
        )  # fmt: skip
        self.results: dict[Any, dict[str, Any]] = {}
        self.fills: dict[str, tuple[float, bool]] = {}  # fill id → (read time, recovered)
        self.subscribed: list[tuple[float, str]] = []  # (read time, channel)
        self.disconnects: list[float] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if b'"type":"bbo"' in line or b'"type":"position"' in line or b'"type":"account"' in line:
                continue
            event, now = orjson.loads(line), time.monotonic()
            with self.changed:
                kind = event.get("type")
                if kind == "result":
                    self.results[event["id"]] = event
                elif kind == "fill":
                    self.fills.setdefault(event["fill_id"], (now, bool(event.get("recovered"))))
                elif kind == "status" and event.get("state") == "subscribed":
                    self.subscribed.append((now, event.get("channel", "")))
                elif kind == "status" and event.get("state") == "disconnected":
                    self.disconnects.append(now)
                self.changed.notify_all()

    def wait(self, pred: Any, what: str, timeout: float = TIMEOUT_S) -> None:
        with self.changed:
            if not self.changed.wait_for(pred, timeout):
                raise RuntimeError(f"no {what} within {timeout} s")

    def send(self, *commands: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(orjson.dumps(c) + b"\n" for c in commands))
        self.proc.stdin.flush()

    def result(self, cid: Any) -> dict[str, Any]:
        self.wait(lambda: cid in self.results, f"result {cid}")
        return self.results[cid]

    def all_subscribed_after(self, since: float) -> float:
        """When every private channel was subscribed again after ``since``."""

        def done() -> bool:
            return PRIVATE <= {c for t, c in self.subscribed if t > since}

        self.wait(done, "resubscription")
        return max(t for t, c in self.subscribed if t > since and c in PRIVATE)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _mid(sim: SimProcess) -> Decimal:
    with urllib.request.urlopen(f"{sim.rest_url}/bbo/{MARKET}", timeout=10) as response:
        bbo = orjson.loads(response.read())
    return ((Decimal(bbo["bid"]) + Decimal(bbo["ask"])) / 2).quantize(Decimal("0.1"))


def _sim_fills(sim: SimProcess) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in sim.get("fills")["fills"]}


def _await_sim_fills(sim: SimProcess, order_ids: set[str]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not order_ids <= {f["order_id"] for f in _sim_fills(sim).values()}:
        if time.monotonic() > deadline:
            raise RuntimeError("the simulator did not fill the resting orders")
        time.sleep(0.05)


def outages(rounds: int) -> dict[str, Any]:
    sim = SimProcess("--log-level", "WARNING", env=_env(), cwd=REPO)
    car = Car(sim)
    per_outage: list[dict[str, Any]] = []
    n = 0
    try:
        car.all_subscribed_after(0.0)
        for r in range(rounds):
            kind = ("stream", "cut", "server")[r % 3]
            mid = _mid(sim)
            ids = []
            for side, price in (("BUY", mid - 30), ("SELL", mid + 30)):
                n += 1
                car.send({"id": n, "op": "place", "market": MARKET, "side": side, "type": "LIMIT",
                          "size": "0.001", "price": str(price)})  # fmt: skip
                res = car.result(n)
                if not res["ok"]:
                    raise RuntimeError(f"resting order refused: {res}")
                ids.append(res["data"]["order_id"])
            before = set(_sim_fills(sim))
            cut = time.monotonic()
            if kind == "server":  # the controls go down too: cross first, then down at once
                sim.control("price", {"market": MARKET, "mid": str(mid - 70)})
                sim.control("down", {"seconds": 2.0})
            else:
                if kind == "stream":
                    sim.control("down", {"seconds": 3.0, "keep_rest": True})
                else:
                    sim.control("drop")
                sim.control("price", {"market": MARKET, "mid": str(mid - 70)})
                _await_sim_fills(sim, {ids[0]})
                n += 1
                car.send({"id": n, "op": "place", "market": MARKET, "side": "BUY", "type": "MARKET",
                          "size": "0.001"})  # fmt: skip
                sim.control("price", {"market": MARKET, "mid": str(mid + 70)})
                _await_sim_fills(sim, {ids[1]})
            back = car.all_subscribed_after(cut)
            if kind == "server":  # the SELL is crossed once the server is back
                sim.control("price", {"market": MARKET, "mid": str(mid + 70)})
                _await_sim_fills(sim, {ids[1]})
                car.result(n)
            else:
                car.result(n)
            made = set(_sim_fills(sim)) - before
            try:
                car.wait(lambda made=made: made <= set(car.fills), "every fill on stdout", 30)
            except RuntimeError:
                pass
            with car.changed:
                seen = {f: car.fills[f] for f in made if f in car.fills}
            recovered = sum(1 for _, rec in seen.values() if rec)
            last = max((t for t, _ in seen.values()), default=back)
            per_outage.append(
                {
                    "kind": kind,
                    "fills_made": len(made),
                    "on_stdout": len(seen),
                    "recovered": recovered,
                    "missing": len(made) - len(seen),
                    "back_to_last_fill_ms": round(max(0.0, last - back) * 1000),
                }
            )
            print("   ", per_outage[-1], flush=True)
    finally:
        car.stop()
        sim.stop()
    return {
        "outages": per_outage,
        "fills_made": sum(o["fills_made"] for o in per_outage),
        "recovered": sum(o["recovered"] for o in per_outage),
        "missing": sum(o["missing"] for o in per_outage),
        "recovered_per_outage_mean": round(statistics.mean(o["recovered"] for o in per_outage), 2),
        "back_to_last_fill_ms_median": statistics.median(o["back_to_last_fill_ms"] for o in per_outage),
    }


def soak(orders: int, every: int, batch: int = 100) -> dict[str, Any]:
    """MARKET orders in batches; VmRSS sampled every ``every`` orders."""
    sim = SimProcess("--log-level", "WARNING", "--bbo-rate", "5", env=_env(), cwd=REPO)
    car = Car(sim)
    samples: list[tuple[int, int]] = []
    refused = 0
    started = time.monotonic()
    try:
        car.all_subscribed_after(0.0)
        samples.append((0, car.rss_kib()))
        for first in range(0, orders, batch):
            window = time.monotonic()
            ids = list(range(first, min(first + batch, orders)))
            car.send(*({"id": i, "op": "place", "market": MARKET, "side": ("BUY", "SELL")[i % 2],
                        "type": "MARKET", "size": "0.001"} for i in ids))  # fmt: skip
            car.wait(lambda ids=ids: all(i in car.results for i in ids), f"results of {ids[0]}…{ids[-1]}")
            refused += sum(1 for i in ids if not car.results[i]["ok"])
            with car.changed:
                for i in ids:
                    car.results.pop(i, None)  # this process's memory is not the point
            if (first + batch) % every == 0:
                samples.append((first + batch, car.rss_kib()))
            # The simulator counts 800 order requests a second per account (Paradex's limit): stay under.
            pause = batch / 600 - (time.monotonic() - window)
            if pause > 0:
                time.sleep(pause)
    finally:
        car.stop()
        sim.stop()
    warm = next((s for s in samples if s[0] >= 2_000), samples[0])
    first = samples[1] if len(samples) > 1 else samples[0]
    at_cap = max((s for s in samples if s[0] <= CAP), key=lambda s: s[0])
    last = samples[-1]
    slope = (at_cap[1] - warm[1]) * 1024 / max(1, at_cap[0] - warm[0])
    beyond = (last[1] - at_cap[1]) * 1024 / max(1, last[0] - at_cap[0]) if last[0] > at_cap[0] else None
    return {
        "orders": orders,
        "refused": refused,
        "seconds": round(time.monotonic() - started, 1),
        "rss_samples_kib": samples,
        "bytes_per_order_to_cap": round(slope),
        "bytes_per_order_beyond_cap": None if beyond is None else round(beyond),
        "rss_growth_to_cap_mib": round((at_cap[1] - samples[0][1]) / 1024, 1),
        # what the first sample after start adds: one-time (imports and caches of the first orders)
        "rss_first_sample_mib": round((first[1] - samples[0][1]) / 1024, 1),
        "first_sample_orders": first[0],
        "per_order_state_at_cap_mib": round(slope * CAP / 2**20, 1),
    }


def table(result: dict[str, Any]) -> str:
    out = result.get("outages")
    soak_ = result["soak"]
    rows: list[tuple[str, str, str]] = []
    if out is not None:
        kinds = ", ".join(f"{o['kind']} {o['recovered']}/{o['fills_made']}" for o in out["outages"])
        rows += [
            (f"fills recovered per outage ({len(out['outages'])} outages)",
             f"{out['recovered_per_outage_mean']} (recovered/made: {kinds})", "0 missing"),
            ("fills missing from stdout", f"{out['missing']} of {out['fills_made']}", "0"),
            ("stream back → last outage fill on stdout (median)", f"{out['back_to_last_fill_ms_median']} ms",
             ""),
        ]  # fmt: skip
    rows += [
        (f"sidecar RSS per order, warm-up → cap ({soak_['orders']:,} MARKETs)",
         f"{soak_['bytes_per_order_to_cap']} B, times {CAP:,}: {soak_['per_order_state_at_cap_mib']} MiB",
         "a few MB at the cap"),
        ("sidecar RSS, start → cap",
         f"+{soak_['rss_growth_to_cap_mib']} MiB, of which +{soak_['rss_first_sample_mib']} MiB in the first "
         f"{soak_['first_sample_orders']:,} orders (first-use imports and caches)", ""),
    ]  # fmt: skip
    if soak_["bytes_per_order_beyond_cap"] is not None:
        rows.append(
            ("sidecar RSS per order beyond the cap", f"{soak_['bytes_per_order_beyond_cap']} B", "≈ 0")
        )
    load = result["load_average"]
    rows.append(("load average before → after", f"{load[0]} → {load[1]}", f"{os.cpu_count()} CPUs"))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<{vwidth}}  {c}" for a, b, c in rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outages", type=int, default=6)
    parser.add_argument("--orders", type=int, default=14_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="3 outages, 2,000 orders (a smoke test)")
    parser.add_argument("--soak-only", action="store_true", help="the memory soak alone (no outages)")
    args = parser.parse_args()
    if args.quick:
        args.outages, args.orders, args.every = 3, 2_000, 500
    load_before = [round(x, 2) for x in os.getloadavg()]
    result: dict[str, Any] = {}
    if not args.soak_only:
        print("outages …", flush=True)
        result["outages"] = outages(args.outages)
    print(f"memory soak, {args.orders:,} orders …", flush=True)
    result["soak"] = soak(args.orders, args.every)
    result["load_average"] = [load_before, [round(x, 2) for x in os.getloadavg()]]
    result["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "faults.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(table(result))
    return 1 if result.get("outages", {}).get("missing") else 0


if __name__ == "__main__":
    sys.exit(main())
