"""`python -m paradex_sim`: run the simulator standalone; one `sim_ready` JSON line on stdout.

Exit codes: 0 on SIGTERM/SIGINT, 2 on bad arguments or a port that cannot be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

from .server import SimConfig, SimServer

log = logging.getLogger("paradex_sim")


EPILOG = """\
ready line: once listening, one JSON line on stdout (then nothing else there; logs go to stderr):
  {"type":"sim_ready","ws_url":"ws://127.0.0.1:PORT/ws/v1","rest_url":"http://127.0.0.1:PORT/v1",
   "control_url":"http://127.0.0.1:PORT/_sim","pid":1234,"seed":1}

controls (HTTP on control_url; POST with a JSON body, GET with a query; docs/SIMULATOR.md has every body):
  market   POST price {market, mid}, rate {bbo_rate}, pause, resume, burst; GET state, sent?channel=&n=,
           sendtimes; POST record_sendtimes, sbe_layout
  faults   POST drop, down {seconds, keep_rest}, silence {seconds}, skip_seq, malformed, auth_40111 {count}
  trading  POST account {public_key}, subkey {address, public_key}, collateral {address, amount},
           jwt_lifetime {seconds}, expire_jwt, drop_after_order_received, delay_order_ack,
           duplicate_private, stale_private, rate_limit, clock_offset, bust_fill;
           GET trading, order_arrivals, fills

exit codes: 0 on SIGTERM/SIGINT; 2 on bad arguments, an unknown market, an unreadable price path or a
port that cannot be bound.

example:
  paradex-sim --port 8787 --seed 1 &
  paradex-ws --env sim --ws-url ws://127.0.0.1:8787/ws/v1 --channels bbo,trades
  curl -X POST -d '{"seconds": 3}' http://127.0.0.1:8787/_sim/silence
"""


def _prog() -> str:
    """The name it was started by: ``paradex-sim`` (the console script) or ``python -m paradex_sim``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m paradex_sim" if name in ("", "__main__.py", "-c") else name


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=_prog(),
        description="Local Paradex simulator: WebSocket JSON-RPC (JSON/SBE), public REST, /_sim control API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one; default 0)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--seed", type=int, default=1, help="seed of the market process (default 1)")
    p.add_argument("--bbo-rate", type=float, default=4.0, help="bbo frames per second per market (default 4)")
    p.add_argument(
        "--trade-rate", type=float, default=1.0, help="public trades per second per market (default 1)"
    )
    p.add_argument(
        "--markets", default=None, help="comma-separated subset of BTC-USD-PERP,ETH-USD-PERP,SOL-USD-PERP"
    )
    p.add_argument("--price-path", default=None, help='JSON lines {"t": s, "BTC": "65000.5", ...} to follow')
    p.add_argument(
        "--ping-interval", type=float, default=55.0, help="WebSocket ping interval, s (default 55)"
    )
    p.add_argument(
        "--pong-timeout", type=float, default=5.0, help="drop a client silent this long after a ping"
    )
    p.add_argument("--record-sendtimes", action="store_true", help="bench mode: record every bbo send time")
    p.add_argument(
        "--sbe-without-in-place-additions",
        action="store_true",
        help="SBE 1:2 frames in the layout without tradeIdStr and the other in-place 1:2 additions",
    )
    p.add_argument(
        "--sendtimes-file", default=None, help="write recorded send times here (JSON lines) on exit"
    )
    p.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    p.add_argument(
        "--replay",
        metavar="FILE",
        default=None,
        help="serve a recorded session (paradex-ws --record FILE) instead of simulating a market",
    )
    p.add_argument(
        "--replay-speed",
        type=float,
        default=1.0,
        help="replay pacing: recorded gaps divided by this (default 1 = as recorded)",
    )
    p.add_argument("--fast", action="store_true", help="replay as fast as the client reads")
    return p


async def _serve_replay(args: argparse.Namespace) -> int:
    from .replay import Recording, ReplayServer

    try:
        recording = Recording.load(args.replay)
        server = ReplayServer(recording, args.host, args.port, None if args.fast else args.replay_speed)
    except (OSError, ValueError) as exc:
        log.error("cannot replay %s: %s", args.replay, exc)
        return 2
    try:
        await server.start()
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = {
        "type": "sim_ready",
        "ws_url": server.ws_url,
        "rest_url": server.base_url + "/v1",
        "control_url": server.base_url + "/_sim",
        "pid": os.getpid(),
        "seed": args.seed,  # the ready line's shape is the simulator's, whatever it serves
        "replay": str(args.replay),
        "frames": len(recording.frames),
    }
    sys.stdout.buffer.write(orjson.dumps(ready) + b"\n")
    sys.stdout.flush()
    await stop.wait()
    await server.stop()
    return 0


async def _serve(config: SimConfig, sendtimes: list[tuple[str, int, int]]) -> int:
    server = SimServer(config)
    try:
        await server.start()
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = {
        "type": "sim_ready",
        "ws_url": server.ws_url,
        "rest_url": server.rest_url,
        "control_url": server.control_url,
        "pid": os.getpid(),
        "seed": config.seed,
    }
    sys.stdout.buffer.write(orjson.dumps(ready) + b"\n")
    sys.stdout.flush()
    await stop.wait()
    log.info("stopping")
    await server.stop()
    log.info("stopped")
    sendtimes.extend(server.sendtimes.records())
    return 0


def _write_sendtimes(path: str, records: list[tuple[str, int, int]]) -> None:
    lines = b"".join(orjson.dumps({"market": m, "seq_no": s, "sent_ns": t}) + b"\n" for m, s, t in records)
    Path(path).write_bytes(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.replay:
        if not args.replay_speed > 0:
            print("error: --replay-speed must be positive", file=sys.stderr)
            return 2
        _exit_now(asyncio.run(_serve_replay(args)))
    kwargs: dict[str, Any] = {}
    if args.markets:
        kwargs["markets"] = tuple(m.strip() for m in args.markets.split(",") if m.strip())
    try:
        config = SimConfig(
            seed=args.seed,
            host=args.host,
            port=args.port,
            bbo_rate=args.bbo_rate,
            trade_rate=args.trade_rate,
            price_path=args.price_path,
            ping_interval=args.ping_interval,
            pong_timeout=args.pong_timeout,
            record_sendtimes=args.record_sendtimes or bool(args.sendtimes_file),
            sbe_in_place_additions=not args.sbe_without_in_place_additions,
            **kwargs,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    sendtimes: list[tuple[str, int, int]] = []
    try:
        code = asyncio.run(_serve(config, sendtimes))
    except ValueError as exc:  # bad market list or price path found while building the server
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.sendtimes_file:
        _write_sendtimes(args.sendtimes_file, sendtimes)
    _exit_now(code)
    return code  # not reached


def _exit_now(code: int) -> None:
    """Exit without interpreter teardown. Every socket and file is closed by now; what is left is
    unloading the starknet stack the trading extension imports, which takes seconds on a busy machine
    and would break the "SIGTERM exits quickly" promise."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
