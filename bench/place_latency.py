"""Place latency: a ``place`` line on the sidecar's stdin → its ``order.create`` frame at the simulator.

Two processes, as in production: the simulator (``python -m paradex_sim``) and the CLI pointed at
it (``--env sim --ws-url … --rest-url …``, paper key). The benchmark stamps the wall clock just before it
writes each line; the simulator stamps each order request when it reaches its ``order.create`` handler
(``GET /_sim/order_arrivals``); the difference, matched by client id, is the place → wire latency. Orders
are IOC limits far from the market (never filled, never resting), sent one at a time after the previous
result so no queueing is measured. It runs with the default backend (the native library when it is
installed) in both ``--signing`` modes, with the ``starknet_crypto_py`` fallback (``bench/without_native.py``
hides the native one), and, for comparison, with paradex-py alone in this process (its WebSocket client's
``submit_order`` and its own signer: what a bot calling the SDK directly gets).

Also reported, in this process: the signer alone on each backend, cold (all nine Pedersen hashes) and as
the sidecar signs a repeated kind of order (prefix and size precomputed: four hashes), beside paradex-py's
``sign_order`` on the same orders; and the machine's load average, which these figures depend on.

Usage: ``.venv/bin/python bench/place_latency.py [--orders 300] [--quick]``
→ ``bench/results/place_latency.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import orjson

from paradex_sim.testing import SimProcess

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
MARKET = "BTC-USD-PERP"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARADEX_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Lines:
    """stdout of a child, line by line, on a thread."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.queue: Queue[dict[str, Any]] = Queue()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.queue.put(orjson.loads(line))

    def wait(self, pred: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except Empty:
                raise TimeoutError("no matching line in time") from None
            if pred(event):
                return event


def _latencies(control: str, stamps: dict[str, int]) -> list[float]:
    """µs from the stamp before sending to the simulator's arrival, matched by client id."""
    with urllib.request.urlopen(f"{control}/order_arrivals", timeout=10) as response:
        arrivals = {a[0]: a[1] for a in orjson.loads(response.read())["arrivals"]}
    return [(arrivals[c] - t0) / 1000 for c, t0 in stamps.items() if c in arrivals]


def _wire_figures(latencies: list[float], backend: str, signing_mode: str, rounds: int) -> dict[str, Any]:
    return {
        "rounds": rounds,
        "backend": backend,
        "signing": signing_mode,
        "orders": len(latencies),
        "p50_us": round(_pct(latencies, 0.50), 1),
        "p90_us": round(_pct(latencies, 0.90), 1),
        "p99_us": round(_pct(latencies, 0.99), 1),
        "mean_us": round(statistics.fmean(latencies), 1),
        "min_us": round(min(latencies), 1),
    }


def measure_wire(orders: int, fallback: bool = False, signing_mode: str = "deterministic") -> list[float]:
    """place → wire percentiles with the default signer backend, or (``fallback``) without the native one;
    ``signing_mode`` is the sidecar's ``--signing``."""
    sim = SimProcess("--bbo-rate", "2", "--log-level", "WARNING", env=_env(), cwd=REPO)
    sidecar: subprocess.Popen[bytes] | None = None
    try:
        ready = sim.ready
        control = ready["control_url"].rstrip("/")
        # PLACE_BENCH_WRAPPER="/path/to/script.py": run the sidecar through it (e.g. a profiler harness).
        wrapper = [os.environ["PLACE_BENCH_WRAPPER"]] if os.environ.get("PLACE_BENCH_WRAPPER") else ["-m"]
        if fallback:
            wrapper = [str(BENCH / "without_native.py")]
        sidecar = subprocess.Popen(
            [
                sys.executable,
                *wrapper,
                "paradex_ws_service",
                "--env",
                "sim",
                "--ws-url",
                ready["ws_url"],
                "--rest-url",
                ready["rest_url"],
                "--markets",
                MARKET,
                "--channels",
                # A private channel: the session logs in at start and orders go over the WebSocket (a
                # public-only feed logs in at its first trading command, and that order goes over REST).
                "bbo,orders",
                "--log-level",
                "WARNING",
                "--stats-interval",
                "3600",
                "--signing",
                signing_mode,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
            cwd=REPO,
        )
        lines = Lines(sidecar)
        lines.wait(lambda e: e.get("type") == "status" and e.get("state") == "subscribed", 120)
        assert sidecar.stdin is not None
        stamps: dict[str, int] = {}
        warmup = 20
        for n in range(warmup + orders):
            cid = f"bench-{n}"
            line = (
                orjson.dumps(
                    {
                        "id": n,
                        "op": "place",
                        "market": MARKET,
                        "side": "BUY",
                        "type": "LIMIT",
                        "tif": "IOC",
                        "size": "0.001",
                        "price": "20000",
                        "client_id": cid,
                    }
                )
                + b"\n"
            )
            t0 = time.time_ns()
            sidecar.stdin.write(line)
            sidecar.stdin.flush()
            result = lines.wait(lambda e, n=n: e.get("type") == "result" and e.get("id") == n, 30)
            if not result["ok"]:
                raise RuntimeError(f"place refused: {result}")
            if result["data"].get("via") != "ws":
                raise RuntimeError(f"order went over {result['data'].get('via')}, not the WebSocket")
            if n >= warmup:
                stamps[cid] = t0
            time.sleep(0.002)  # let the simulator's updates drain: measure placing, not a queue
        return _latencies(control, stamps)
    finally:
        if sidecar is not None and sidecar.stdin is not None:
            sidecar.stdin.close()  # end of stdin: a clean exit (and a written profile)
            with contextlib.suppress(subprocess.TimeoutExpired):
                sidecar.wait(10)
        if sidecar is not None and sidecar.poll() is None:
            sidecar.terminate()
            try:
                sidecar.wait(5)
            except subprocess.TimeoutExpired:
                sidecar.kill()
        sim.stop()


def measure_sdk_wire(orders: int) -> list[float]:
    """The same orders placed with paradex-py alone, in this process: its ``ParadexWebsocketClient``
    (authenticated, its own reader task) and ``submit_order`` with the account's own signer, stamped before
    the call and matched with the simulator's arrivals as above. What a bot calling the SDK directly gets,
    with no pipe in between; the sidecar's figure includes its stdin."""
    import asyncio
    import secrets

    from paradex_py import Paradex
    from paradex_py.common.order import Order, OrderSide, OrderType

    from paradex_ws_service.paradex.signing import EC_ORDER

    sim = SimProcess("--bbo-rate", "2", "--log-level", "WARNING", env=_env(), cwd=REPO)
    try:
        control = sim.ready["control_url"].rstrip("/")
        paradex = Paradex(
            env="testnet",  # type: ignore[arg-type]
            l1_address="0x" + secrets.token_hex(20),
            l2_private_key=hex(secrets.randbelow(EC_ORDER - 1) + 1),
            api_base_url=sim.rest_url,
            ws_url_override=sim.ws_url,
            retry_strategy=None,
        )
        stamps: dict[str, int] = {}

        async def place_all() -> None:
            ws = paradex.ws_client
            if not await ws.connect():
                raise RuntimeError("paradex-py could not connect to the simulator")
            try:
                warmup = 20
                for n in range(warmup + orders):
                    cid = f"sdk-{n}"
                    order = Order(
                        MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("20000"),
                        client_id=cid, instruction="IOC",
                    )  # fmt: skip
                    t0 = time.time_ns()
                    await asyncio.wait_for(ws.submit_order(order), 30)
                    if n >= warmup:
                        stamps[cid] = t0
                    await asyncio.sleep(0.002)  # as above: measure placing, not a queue
            finally:
                await ws.close()

        asyncio.run(place_all())
        return _latencies(control, stamps)
    finally:
        sim.stop()


def measure_wire_rounds(orders: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Every place → wire configuration, ``orders`` each, in ``rounds`` interleaved rounds (each a fresh
    simulator and process), the samples of a configuration pooled: this VM's speed drifts by a millisecond
    from one minute to the next, and back-to-back runs would put that drift between the configurations."""
    native = _default_backend()
    runs: dict[str, tuple[Any, str, str]] = {
        "place_to_wire": (lambda n: measure_wire(n), native, "deterministic"),
        "place_to_wire_pooled": (lambda n: measure_wire(n, signing_mode="pooled"), native, "pooled"),
        "place_to_wire_fallback": (
            lambda n: measure_wire(n, fallback=True),
            "starknet_crypto_py",
            "deterministic",
        ),
        "place_to_wire_sdk": (measure_sdk_wire, "paradex-py alone", "its sign_order"),
    }
    samples: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(rounds):
        for key, (run, _backend, _mode) in runs.items():
            samples[key] += run(max(1, orders // rounds))
    return {key: _wire_figures(samples[key], b, mode, rounds) for key, (_, b, mode) in runs.items()}


def _default_backend() -> str:
    from paradex_ws_service.paradex import signing

    return signing.backend()


def measure_signing(orders: int) -> dict[str, Any]:
    """The signer alone on each backend vs paradex-py's sign_order, on IOC limit orders like the ones above,
    interleaved order by order so that load affects all alike. Every signature is checked equal."""
    from paradex_py.account.subkey_account import SubkeyAccount
    from paradex_py.api.models import SystemConfigSchema
    from paradex_py.common.order import Order, OrderSide, OrderType

    from paradex_sim.markets import system_config
    from paradex_ws_service.paradex import signing

    key, address = 0x1234567, 0x89ABCDEF
    chain = "PRIVATE_SN_POTC_SEPOLIA"
    account = SubkeyAccount(
        config=SystemConfigSchema().load(system_config(chain), unknown="exclude"),
        l2_private_key=hex(key),
        l2_address=hex(address),
    )
    backends = [b for b in (signing.NATIVE, signing.FALLBACK) if b is not None]
    signers = {
        b.name: signing.FastOrderSigner(signing.chain_id_from_name(chain), address, key, b) for b in backends
    }
    built = [
        Order(
            MARKET,
            OrderType.Limit,
            OrderSide.Buy,
            Decimal("0.001"),
            Decimal(20000 + n % 50),
            client_id=f"s{n}",
            signature_timestamp=1_795_000_000_000 + n,
            instruction="IOC",
        )
        for n in range(orders)
    ]
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}  # this thread's CPU time: what a busy machine's waiting does not add

    def timed(name: str, fn: Any, *args: Any) -> Any:
        c, t = time.thread_time_ns(), time.perf_counter_ns()
        out = fn(*args)
        wall.setdefault(name, []).append((time.perf_counter_ns() - t) / 1000)
        cpu.setdefault(name, []).append((time.thread_time_ns() - c) / 1000)
        return out

    pooled = {
        b.name: signing.FastOrderSigner(signing.chain_id_from_name(chain), address, key, b) for b in backends
    }
    for b in backends:
        pooled[b.name].nonces = signing.NoncePool(b, size=1)
    public = signing.public_key(key)
    native = signing.NATIVE
    hasher = signing.OrderHasher(signing.chain_id_from_name(chain), address)
    try:
        import fast_stark_crypto
    except ImportError:  # no native wheel here: no library floor to report
        fast_stark_crypto = None
    for order in built:
        wire = order.dump_to_dict()
        theirs = timed("paradex_py_sign_order", account.sign_order, order)
        for name, signer in signers.items():
            cold = timed(f"{name} cold", signer.signature, wire)
            # As the sidecar signs a repeated kind of order: prefix and size hashed while idle.
            signer.precompute(wire["signature_timestamp"], MARKET, "BUY", "LIMIT", wire["size"])
            warm = timed(f"{name} precomputed", signer.signature, wire)
            signer.forget_prefixes(older_than=wire["signature_timestamp"] + 1)
            if not cold == warm == theirs:
                raise AssertionError(f"{name} signer disagrees with paradex-py")
            # --signing pooled: the nonce's k·G drawn while idle too (here, untimed, before the order).
            other = pooled[name]
            assert other.nonces is not None
            other.nonces.refill_one()
            other.precompute(wire["signature_timestamp"], MARKET, "BUY", "LIMIT", wire["size"])
            r, s = signing.parse_signature(timed(f"{name} precomputed, pooled nonce", other.signature, wire))
            other.forget_prefixes(older_than=wire["signature_timestamp"] + 1)
            if not signing.verify_signature(public, hasher.hash_order_dict(wire), f'["{r}","{s}"]'):
                raise AssertionError(f"{name}: a pooled signature does not verify")
        if native is not None and fast_stark_crypto is not None:
            # The library's own floor on this machine, which no code around it can go below: its whole
            # ECDSA (its own nonce), its k·G, one of its Pedersen hashes (an order needs four after the size).
            z = hasher.hash_order_dict(wire)
            timed("library: fast_stark_crypto.sign alone", fast_stark_crypto.sign, key, z)
            timed("library: fast_stark_crypto k·G alone", native.point_x, z)
            timed("library: fast_stark_crypto one Pedersen hash", native.pedersen, z, 7)
    return {
        "default_backend": signing.backend(),
        **{
            name: {
                "p50_us": round(_pct(v, 0.5), 1),
                "p99_us": round(_pct(v, 0.99), 1),
                "cpu_p50_us": round(_pct(cpu[name], 0.5), 1),
            }
            for name, v in wall.items()
        },
    }


def measure_pipeline(orders: int) -> dict[str, Any]:
    """CPU cost of the sidecar's own work per order, in-process and without the event loop: validate,
    sign (prefix and size link precomputed between orders, as the sidecar does while idle for a repeated
    size), build the JSON-RPC frame."""
    import json

    from paradex_py.common.order import Order, OrderSide, OrderType

    from paradex_sim.markets import MARKETS
    from paradex_ws_service.order_params import parse_place
    from paradex_ws_service.paradex import signing
    from paradex_ws_service.paradex.validate import check_market_rules

    meta = {symbol: spec.market_resp() for symbol, spec in MARKETS.items()}
    signer = signing.FastOrderSigner(
        signing.chain_id_from_name("PRIVATE_SN_POTC_SEPOLIA"), 0x89ABCDEF, 0x1234567
    )
    params = {
        "market": MARKET,
        "side": "BUY",
        "type": "LIMIT",
        "tif": "IOC",
        "size": "0.001",
        "price": "20000",
    }
    costs = []
    for n in range(orders):
        ts = 1_795_000_000_000 + n
        signer.precompute(ts, MARKET, "BUY", "LIMIT", "0.001")  # done while idle, before the order arrives
        t = time.perf_counter_ns()
        req = parse_place({**params, "client_id": f"p{n}"})
        check_market_rules(req, meta)
        order = Order(
            req.market,
            OrderType.Limit,
            OrderSide.Buy,
            req.size,
            req.price or Decimal(0),
            client_id=req.client_id,
            signature_timestamp=ts,
            instruction=req.tif,
        )
        wire = signer.sign_order(order.dump_to_dict())
        json.dumps({"id": n, "jsonrpc": "2.0", "method": "order.create", "params": wire})
        costs.append((time.perf_counter_ns() - t) / 1000)
    return {"p50_us": round(_pct(costs, 0.5), 1), "p99_us": round(_pct(costs, 0.99), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the place → wire runs")
    parser.add_argument("--quick", action="store_true", help="50 orders in one round (a smoke test)")
    args = parser.parse_args()
    orders = 50 if args.quick else args.orders
    load_before = os.getloadavg()
    result = {
        **measure_wire_rounds(orders, 1 if args.quick else args.rounds),
        "signing": measure_signing(min(orders, 200)),
        "pipeline_cpu": measure_pipeline(orders),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "target_place_to_wire_p50_us": 500,
        "target_signing_p50_us": 300,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "place_latency.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(table(result))
    return 0


def table(result: dict[str, Any]) -> str:
    rows: list[tuple[str, Any, Any, Any]] = [("measure", "p50 µs", "p99 µs", "CPU p50 µs")]
    for key in ("place_to_wire", "place_to_wire_pooled", "place_to_wire_fallback", "place_to_wire_sdk"):
        wire = result.get(key)
        if wire is None:
            continue
        label = f"place → order.create, {wire['orders']} orders ({wire['backend']}, {wire['signing']})"
        if wire.get("rounds", 1) > 1:
            label += f", {wire['rounds']} rounds"
        if key == "place_to_wire_sdk":
            label = f"paradex-py submit_order → order.create, {wire['orders']} orders (no sidecar)"
            if wire.get("rounds", 1) > 1:
                label += f", {wire['rounds']} rounds"
        rows.append((label, wire["p50_us"], wire["p99_us"], ""))
    pipe = result["pipeline_cpu"]
    label = "sidecar work per order (validate, sign precomputed, frame)"
    rows.append((label, pipe["p50_us"], pipe["p99_us"], ""))
    for name, figures in result["signing"].items():
        if isinstance(figures, dict):
            label = name
            if name == "paradex_py_sign_order":
                label = "paradex-py sign_order"
            elif not name.startswith("library:"):
                label = f"signing: {name}"
            rows.append((label, figures["p50_us"], figures["p99_us"], figures["cpu_p50_us"]))
    width = max(len(r[0]) for r in rows)
    lines = [f"{r[0]:<{width}}  {r[1]!s:>8}  {r[2]!s:>8}  {r[3]!s:>10}" for r in rows]
    before, after = result["load_average_before"], result["load_average_after"]
    lines.append(
        f"targets: place → wire p50 ≤ {result['target_place_to_wire_p50_us']} µs, signing p50 ≤ "
        f"{result['target_signing_p50_us']} µs; load average (1/5/15 min) {before} before, {after} after, "
        f"{result['cpus']} CPUs"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
