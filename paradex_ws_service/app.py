"""Wiring of the data path: paradex/feed → paradex/normalize → writer → transport → stdout, and back:
stdin → transport → commands → handlers.

Shutdown order (stdin EOF, ``shutdown``, SIGTERM/SIGINT, stdout gone), every step bounded so the process
exits within 2 s: running commands are answered and cancelled → the supervisor unsubscribes and closes
the socket → ``status closed`` → the writer flushes → the embedded simulator stops.

Trading is wired explicitly: this module awaits ``trading.install(services)`` before connecting. It sets
``services.supervisor.auth``, registers the order commands, the private normalizers and an on-connected
hook, and raises ``StartupError`` to stop with an ``error`` event and an exit code (3 for credentials).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import random
import signal
import time
from collections.abc import Callable
from typing import Any

import orjson

from paradex_ws_service import __version__, trading
from paradex_ws_service import protocol as p
from paradex_ws_service.commands import CommandError, Context, Dispatcher
from paradex_ws_service.config import Config
from paradex_ws_service.paradex.feed import CapturingConnector, Feed, build_client
from paradex_ws_service.recorder import Recorder
from paradex_ws_service.services import Services, StartupError
from paradex_ws_service.sim_launcher import SimLauncher, SimNotInstalled, SimStartError, start_embedded
from paradex_ws_service.stats import Stats
from paradex_ws_service.supervisor import Supervisor, initial_specs
from paradex_ws_service.transport import StdoutSink, command_channel, readable_once, start_stdin_reader
from paradex_ws_service.writer import Writer

log = logging.getLogger(__name__)

METADATA_TIMEOUT_S = 5.0
# The simulator is started before paradex-py is imported and is usually ready first (~1 s); a loaded
# 2-core machine has been seen taking 15 s.
SIM_READY_TIMEOUT_S = 30.0


__all__ = ["Services", "StartupError", "run"]


def run(config: Config, sim: SimLauncher | None = None) -> int:
    """Run until shutdown on uvloop (when installed); returns the process exit code.

    Unlike ``asyncio.run`` this does not wait for the default executor's threads at the end: a thread the
    trading side started (a signer warming up, a REST call) must not hold the exit past the 2 s promise. The
    caller ends the process with ``os._exit`` once stdout is flushed, so such threads are not joined.
    """
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(_main(config, sim))
    finally:
        _cancel_leftovers(loop)
        loop.close()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel tasks still pending after the shutdown sequence and give them one bounded turn to unwind."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait(pending, timeout=0.2))


async def _main(config: Config, sim: SimLauncher | None) -> int:
    loop = asyncio.get_running_loop()
    stats = Stats()
    sink = StdoutSink.claim()
    await sink.start()
    writer = Writer(sink, stats)
    writer.start()
    emit = writer.emit
    emit(_hello(config))

    shutdown = asyncio.Event()
    reasons: list[str] = []
    failures: list[StartupError] = []

    def request_shutdown(reason: str) -> None:
        if not reasons:
            reasons.append(reason)
        shutdown.set()

    def fail(exc: StartupError) -> None:
        """A configuration error found after start (an unknown market): stop with its exit code."""
        failures.append(exc)
        shutdown.set()

    sink.on_lost = lambda exc: request_shutdown("stdout closed")
    for sig, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
        loop.add_signal_handler(sig, request_shutdown, name)

    ws_url, rest_url = config.ws_url, config.default_rest_url()
    exit_code = p.EXIT_OK
    services: Services | None = None
    # Until the stream starts, a line every STARTUP_BEAT_S says the process is alive (a loaded machine can
    # take longer than a consumer's silence window to start the embedded simulator or import the signer).
    phase = ["starting"]
    beat = loop.create_task(_startup_beat(emit, phase), name="startup-beat")
    try:
        if config.embedded_sim:
            sim = sim or _start_sim(config)
            phase[0] = "waiting for the embedded simulator"
            ws_url, rest_url = await _sim_urls(sim)
            phase[0] = "starting"
        services = _build(config, emit, stats, writer, request_shutdown, ws_url, rest_url)
        await trading.install(services)
        _check_credentials(services)
        if services.markets_meta:  # already fetched (trading loads it): refuse before subscribing anything
            _refuse_unknown_markets(services)
        for spec in initial_specs(list(config.channels), list(config.markets), config.book_feed, config.sbe):
            services.supervisor.add_initial(spec)
        beat.cancel()
        services.supervisor.start()
        background = [
            loop.create_task(_stats_loop(services), name="stats"),
            loop.create_task(_check_markets(services, fail), name="metadata"),
        ]
        if config.commands and command_channel(0):
            eof = _EndOfInput(services, request_shutdown)
            services.dispatcher.on_eof = eof.start
            start_stdin_reader(loop, services.dispatcher.deliver)
        else:
            # No command channel (--no-commands, /dev/null, a file, a terminal we are in the background of):
            # nothing on stdin ends the feed; only a signal, "stdout closed" or an error does.
            reader = start_stdin_reader if config.commands and readable_once(0) else None
            if reader is not None:  # a regular file of commands: answer them, then keep streaming
                reader(loop, services.dispatcher.deliver)
            log.info("no command channel on stdin: streaming until SIGTERM/SIGINT")
        await shutdown.wait()
        for task in background:
            task.cancel()
        if failures:
            raise failures[0]
    except StartupError as exc:
        log.error("%s", exc.message)
        emit(p.error_event(exc.code, exc.message))
        reasons.append(exc.message)
        exit_code = exc.exit_code
    except Exception as exc:
        log.exception("internal error")
        emit(p.error_event(p.ERR_INTERNAL, f"{type(exc).__name__}: {exc}"))
        reasons.append("internal error")
        exit_code = p.EXIT_INTERNAL
    finally:
        beat.cancel()
        await _shutdown(services, sim, writer, emit, reasons[0] if reasons else "shutdown")
    return exit_code


EOF_COMMANDS_TIMEOUT_S = 15.0  # commands still running at end of stdin: longest wait for their results
EOF_QUIET_S = 0.3  # then private events (a placed order's own) must be quiet this long …
EOF_GRACE_S = 2.0  # … within at most this long


class _EndOfInput:
    """End of stdin: commands already received finish (their results, then their orders' own events within a
    short grace), then the process stops. The bridge's pipe closing when its parent dies is this path too."""

    def __init__(self, services: Services, request_shutdown: Callable[[str], None]) -> None:
        self._services = services
        self._request_shutdown = request_shutdown
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="end-of-stdin")

    async def _run(self) -> None:
        services = self._services
        placed = services.dispatcher.handled.get("place", 0)
        await services.dispatcher.wait_idle(EOF_COMMANDS_TIMEOUT_S)
        if services.dispatcher.handled.get("place", 0) or placed:
            await self._quiet_private_events()
        self._request_shutdown("stdin closed")

    async def _quiet_private_events(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EOF_GRACE_S
        while loop.time() < deadline:
            quiet_for = time.monotonic() - self._services.last_private_event
            if self._services.last_private_event and quiet_for >= EOF_QUIET_S:
                return
            await asyncio.sleep(EOF_QUIET_S / 3)


async def _shutdown(
    services: Services | None,
    sim: SimLauncher | None,
    writer: Writer,
    emit: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    log.info("shutting down: %s", reason)
    if services is not None:
        await services.dispatcher.cancel_all(timeout=0.2)
        await services.supervisor.close(timeout=0.6)
        if services.recorder is not None:
            services.recorder.close()
    emit(p.status_closed(_now_ms(), reason))
    await writer.close(timeout=0.5)
    if sim is not None:
        sim.stop(grace=0.3)  # it exits at once on SIGTERM; SIGKILL after that


def _build(
    config: Config,
    emit: Callable[[dict[str, Any]], None],
    stats: Stats,
    writer: Writer,
    request_shutdown: Callable[[str], None],
    ws_url: str | None,
    rest_url: str | None,
) -> Services:
    connector = CapturingConnector()
    client = build_client(config.env, ws_url, config.sbe, connector)
    log.info("Paradex WebSocket %s", client.api_url)
    feed = Feed(client, emit, config.book_feed, list(config.markets))
    supervisor = Supervisor(
        feed,
        connector,
        emit,
        stats,
        config.book_feed,
        config.stale_after,
        rng=random.Random(),
        sbe=config.sbe,
    )

    def stats_now() -> dict[str, Any]:
        snapshot: dict[str, Any] = dict(stats.snapshot(config.stats_interval, writer.depth, reset=False))
        snapshot.pop("type")
        snapshot.pop("seq")
        snapshot.update(stats.totals())
        return snapshot

    dispatcher = Dispatcher(Context(emit, supervisor, stats_now, request_shutdown))
    services = Services(
        config, emit, stats, writer, feed, supervisor, dispatcher, request_shutdown, ws_url, rest_url
    )
    dispatcher.ctx.services = services
    dispatcher.register("markets", lambda command, ctx: _markets(services))
    if config.record:
        services.recorder = _open_recording(config)
        feed.record = services.recorder.write
    return services


def _open_recording(config: Config) -> Recorder:
    header = {
        "env": config.env,
        "sbe": config.sbe,
        "markets": list(config.markets),
        "channels": list(config.channels),
    }
    try:
        return Recorder.open(str(config.record), header)
    except OSError as exc:
        raise StartupError(
            p.ERR_BAD_PARAMS, f"--record: cannot write {config.record}: {exc}", p.EXIT_USAGE
        ) from None


async def _markets(services: Services) -> dict[str, Any]:
    """The ``markets`` command: the venue's market rules as ``GET /markets`` lists them (fetched if not yet).

    Consumers ask the sidecar instead of Paradex REST so they need no REST address of their own (the embedded
    simulator's port is only known to this process) and see exactly the metadata orders are validated against.
    """
    if not services.markets_meta:
        await _fetch_metadata(services)
    if not services.markets_meta:
        raise CommandError(p.ERR_NOT_CONNECTED, "market metadata is unavailable: Paradex REST did not answer")
    return {"markets": list(services.markets_meta.values())}


def _check_credentials(services: Services) -> None:
    kinds = ("orders", "fills", "positions", "account", "tradebusts")
    private = [c for c in services.config.channels if c in kinds]
    if private and services.supervisor.auth is None:
        raise StartupError(
            p.ERR_CREDENTIALS,
            f"channels {', '.join(private)} need credentials: set PARADEX_L1_ADDRESS and "
            "PARADEX_L2_PRIVATE_KEY (or PARADEX_L1_PRIVATE_KEY) in the environment or .env.paradex",
            p.EXIT_CREDENTIALS,
        )


STARTUP_BEAT_S = 2.0


async def _startup_beat(emit: Callable[[dict[str, Any]], None], phase: list[str]) -> None:
    """``status connecting`` naming what start-up waits for, every STARTUP_BEAT_S until the stream starts."""
    while True:
        await asyncio.sleep(STARTUP_BEAT_S)
        status: p.Status = {
            "type": "status",
            "seq": 0,
            "state": "connecting",
            "ts": time.time_ns() // 1_000_000,
            "reason": phase[0],
        }
        emit(p.wire(status))


def _hello(config: Config) -> dict[str, Any]:
    hello: p.Hello = {
        "type": "hello",
        "seq": 0,
        "protocol": p.PROTOCOL_VERSION,
        "protocol_minor": p.PROTOCOL_MINOR,
        "version": __version__,
        "pid": os.getpid(),
        "env": config.env,
        "markets": list(config.markets),
        "channels": list(config.channels),
        "sbe": config.sbe,
    }
    return p.wire(hello)


def _start_sim(config: Config) -> SimLauncher:
    """The simulator child when ``run`` was given none (``paradex-ws`` starts it earlier: entry.py)."""
    try:
        return start_embedded(config.sim_seed, config.log_level)
    except SimNotInstalled as exc:
        raise StartupError(p.ERR_INTERNAL, str(exc), p.EXIT_USAGE) from None


async def _sim_urls(sim: SimLauncher) -> tuple[str, str]:
    """Wait for the child's ``sim_ready`` line off the event loop (hello is already being written)."""
    try:
        ready = await asyncio.to_thread(sim.wait_ready, SIM_READY_TIMEOUT_S)
    except SimStartError as exc:
        raise StartupError(p.ERR_INTERNAL, f"{exc} (its log is on stderr above)", p.EXIT_INTERNAL) from None
    log.info("embedded simulator on %s (pid %d)", ready["ws_url"], ready["pid"])
    return ready["ws_url"], ready["rest_url"]


async def _stats_loop(services: Services) -> None:
    interval = services.config.stats_interval
    while True:
        await asyncio.sleep(interval)
        services.emit(dict(services.stats.snapshot(interval, services.writer.depth, reset=True)))


async def _fetch_metadata(services: Services) -> None:
    """``GET /markets`` when a REST URL is known; failure is a warning: public data needs no REST."""
    base = services.rest_url
    if not base:
        return
    url = base.rstrip("/") + "/markets"
    try:
        # aiohttp serves only this request: imported off the event loop, so the stream starts without it
        aiohttp = await asyncio.to_thread(importlib.import_module, "aiohttp")
        timeout = aiohttp.ClientTimeout(total=METADATA_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            response.raise_for_status()
            body = orjson.loads(await response.read())
        results = body["results"]
        services.markets_meta.update({m["symbol"]: m for m in results})
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("market metadata unavailable (%s: %s); streaming without it", url, exc)
        return
    services.feed.set_markets(sorted(services.markets_meta))


async def _check_markets(services: Services, fail: Callable[[StartupError], None]) -> None:
    """Fetch ``GET /markets`` and refuse markets it does not list (exit 2, naming the valid ones): a
    subscription to a market Paradex does not list streams nothing, forever. Without REST (a bare
    ``--ws-url``, or REST down) nothing can be checked and streaming goes on."""
    await _fetch_metadata(services)
    try:
        _refuse_unknown_markets(services)
    except StartupError as exc:
        fail(exc)


def _refuse_unknown_markets(services: Services) -> None:
    known = services.markets_meta
    unknown = [m for m in services.config.markets if m not in known]
    if known and unknown:
        raise StartupError(
            p.ERR_UNKNOWN_MARKET,
            f"unknown market{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid markets: {', '.join(sorted(known))}",
            p.EXIT_USAGE,
        )


def _now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000
