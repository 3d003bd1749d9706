"""Keeps one Paradex connection alive forever and reports every step as a ``status`` event.

The loop: (auth refresh) → ``connect()`` → subscribe everything → run ``on_connected`` hooks → read until
the socket closes → back off → again. Backoff is jittered exponential (0.1 s doubling to a 10 s cap,
"equal jitter" so two attempts are never closer than 50 ms: at most 20 connects/s, Paradex's per-IP limit)
and resets after a connection that got its subscriptions acknowledged. It never gives up.

It works around paradex-py's traps (reference §14): the SDK's reconnect is off, its reader never runs,
sockets are closed with a bound (``close()`` can hang on CPython 3.10), and the final close is bounded.

Also here: staleness per market and channel (``status stale`` after ``--stale-after`` s of silence,
``status live`` when data flows again) and recovery from a book gap (``status gap`` → unsubscribe +
subscribe → fresh snapshot).

Seams for the trading module (all optional):
- ``auth``: an ``AuthProvider`` (``account`` with ``jwt_token``, ``async ensure_fresh(force)``), called
  before every connect; its account is given to ``client.init_account`` so paradex-py sends ``auth``.
- ``add_on_connected(hook)``: ``async hook(client)`` after each connect + resubscribe (re-arm
  cancel-on-disconnect, reconcile). Hooks run as tasks beside the receive loop, so RPCs get answers.
- ``connected`` (an ``asyncio.Event``), ``connection_lost()`` (a future that completes when the current
  connection ends, so an order RPC waits on it instead of polling) and ``feed.client`` for order RPCs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from paradex_ws_service import protocol as p
from paradex_ws_service.commands import CommandError
from paradex_ws_service.paradex.book import BookError
from paradex_ws_service.paradex.channels import ChannelKind, ChannelSpec, channel_spec, parse_kind
from paradex_ws_service.paradex.feed import (
    CapturingConnector,
    Feed,
    Subscription,
    SubscriptionRefused,
    close_socket,
)
from paradex_ws_service.stats import Stats

log = logging.getLogger(__name__)

BACKOFF_START_S = 0.1
BACKOFF_CAP_S = 10.0
MIN_CONNECT_INTERVAL_S = 0.05  # ≤ 20 connects/s
SUBSCRIBE_ACK_TIMEOUT_S = 5.0
AUTH_TIMEOUT_S = 30.0  # a JWT refresh (REST) that hangs must not freeze reconnection
BAD_FRAME_REPORTS_PER_S = 10

OnConnected = Callable[[Any], Awaitable[None]]  # called with the adapter's connected client


class AuthProvider(Protocol):
    """Credentials for private channels and orders (implemented by the trading module)."""

    @property
    def account(self) -> Any: ...  # a paradex-py account whose ``jwt_token`` is valid after ensure_fresh

    async def ensure_fresh(self, force: bool = False) -> None: ...


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Delay before reconnect ``attempt`` (1-based): half fixed, half random of 0.1·2^(n-1), cap 10 s."""
    base = min(BACKOFF_CAP_S, BACKOFF_START_S * (2.0 ** (attempt - 1)))
    return base / 2 + rng.uniform(0, base / 2)


class Supervisor:
    """Connection lifecycle, subscriptions and staleness; the ``Subscriptions`` of the command layer."""

    def __init__(
        self,
        feed: Feed,
        connector: CapturingConnector,
        emit: Callable[[dict[str, Any]], None],
        stats: Stats,
        book_feed: str,
        stale_after: float,
        auth: AuthProvider | None = None,
        rng: random.Random | None = None,
        sbe: bool = False,
    ) -> None:
        self.feed = feed
        feed.listener = self
        self.client = feed.client
        self._connector = connector
        self._emit = emit
        self._stats = stats
        self._book_feed = book_feed
        self._sbe = sbe  # the book's channel name depends on the session's encoding
        self._stale_after = stale_after
        self.auth = auth
        self._rng = rng or random.Random()
        self._hooks: list[OnConnected] = []
        self.connected = asyncio.Event()
        self._lost: asyncio.Future[str] | None = None  # completes when the current connection ends
        self._closing = False
        self._auth_rejected = False
        self._resubscribing: set[tuple[str, str | None]] = set()
        self._bad_frame_window = (0.0, 0)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._main: asyncio.Task[None] | None = None
        self._last_connect = 0.0
        # channel kinds acknowledged on the current connection, and a wake-up for wait_subscribed()
        self._acked: set[str] = set()
        self._acked_changed = asyncio.Event()

    # ------------------------------------------------------------------------------ seams

    def add_on_connected(self, hook: OnConnected) -> None:
        self._hooks.append(hook)

    def status(self, state: p.StatusState, **fields: Any) -> None:
        event: dict[str, Any] = {
            "type": "status",
            "seq": 0,
            "state": state,
            "ts": time.time_ns() // 1_000_000,
        }
        event.update({k: v for k, v in fields.items() if v is not None})
        self._emit(event)

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._main = loop.create_task(self._run(), name="supervisor")
        self._spawn(self._watch_staleness(), "staleness")

    async def _run(self) -> None:
        """The connection loop; a bug inside one round is reported and the loop goes on (never dies)."""
        while not self._closing:
            try:
                await self._connection_loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("supervisor round failed")
                self._emit(
                    {"type": "error", "seq": 0, "code": p.ERR_INTERNAL, "id": None,
                     "message": f"supervisor: {type(exc).__name__}: {exc}; reconnecting"}
                )  # fmt: skip
                self._disconnected("supervisor error")
                await close_socket(self.client)
                await asyncio.sleep(BACKOFF_CAP_S / 10)

    async def _connection_loop(self) -> None:
        attempt = 0
        reason: str | None = None
        while not self._closing:
            attempt += 1
            if attempt > 1:
                delay = backoff_delay(attempt - 1, self._rng)
                self.status("reconnecting", reason=reason, attempt=attempt, delay_ms=round(delay * 1000))
                await asyncio.sleep(delay)
            await self._respect_connect_rate()
            self.status("connecting", attempt=attempt)
            ok, reason = await self._connect()
            if not ok:
                log.warning("connect attempt %d failed: %s", attempt, reason)
                self.status("disconnected", reason=reason, attempt=attempt)
                continue
            self.status("connected", attempt=attempt)
            reason, healthy = await self._serve_connection()
            self._disconnected(reason)
            self.feed.fail_waiters(ConnectionError("connection lost"))
            if self._closing:
                return
            self._stats.count_reconnect()
            log.warning("disconnected: %s", reason)
            self.status("disconnected", reason=reason)
            if healthy:
                attempt = 1  # the next attempt waits the shortest backoff, not the grown one

    def connection_lost(self) -> asyncio.Future[str]:
        """A future completed (with the reason) when the current connection ends; done if there is none."""
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
            self._lost.set_result("not connected")
        return self._lost

    def _connected(self) -> None:
        self._lost = asyncio.get_running_loop().create_future()
        self.connected.set()

    def _disconnected(self, reason: str) -> None:
        self.connected.clear()
        self._acked.clear()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(reason)

    async def _respect_connect_rate(self) -> None:
        wait = self._last_connect + MIN_CONNECT_INTERVAL_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_connect = time.monotonic()

    async def _connect(self) -> tuple[bool, str]:
        if self.auth is not None:
            try:
                await asyncio.wait_for(self.auth.ensure_fresh(force=self._auth_rejected), AUTH_TIMEOUT_S)
            except Exception as exc:  # bad credentials must not kill the data feed
                message = f"authentication failed: {type(exc).__name__}: {exc}"
                self._emit(
                    {"type": "error", "seq": 0, "code": p.ERR_CREDENTIALS, "message": message, "id": None}
                )
                return False, message
            self._auth_rejected = False
            self.client.init_account(self.auth.account)
        self.feed.reset_connection_state(has_auth=self.auth is not None)
        ok = await self.client.connect()
        if not ok:
            await close_socket(self.client)
            return False, self._connector.last_error or "connect failed"
        return True, ""

    async def _serve_connection(self) -> tuple[str, bool]:
        """Subscribe, start hooks, read until closed. Returns (reason, whether it was healthy)."""
        receiver = asyncio.get_running_loop().create_task(self.feed.receive(), name="receive")
        hooks: list[asyncio.Task[None]] = []
        try:
            # A `subscribe` command may add a channel while these sends await; loop until every one was
            # sent, then mark connected with no await in between (later commands send their own).
            sent: set[int] = set()
            while pending := [s for s in self.feed.subs.values() if id(s) not in sent]:
                for sub in pending:
                    sent.add(id(sub))
                    await self.feed.send_subscribe(sub)
            self._connected()
            hooks = [asyncio.get_running_loop().create_task(self._run_hook(h)) for h in self._hooks]
            reason = await receiver
        except Exception as exc:  # a send on a dying socket: treat as a drop
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            for task in hooks:
                task.cancel()
            if not receiver.done():
                receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiver
            await close_socket(self.client)
        healthy = any(s.acked for s in self.feed.subs.values()) or not self.feed.subs
        return reason, healthy

    async def _run_hook(self, hook: OnConnected) -> None:
        try:
            await hook(self.client)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("on_connected hook %r failed", hook)

    async def close(self, timeout: float = 1.0) -> None:
        """Unsubscribe and close, every step bounded; then ``status closed`` is the caller's to emit."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self.connected.is_set():
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(self._unsubscribe_all(), timeout / 2)
        if self._main is not None:
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._main, timeout / 4)
        await close_socket(self.client, timeout / 4)
        self._disconnected("closing")
        self.feed.fail_waiters(ConnectionError("closing"))

    async def _unsubscribe_all(self) -> None:
        for sub in list(self.feed.subs.values()):
            await self.feed.send_unsubscribe(sub)

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------------------ subscriptions (commands)

    def spec_for(self, channel: str, market: str | None) -> ChannelSpec:
        try:
            kind = parse_kind(channel)
            if kind.private and self.auth is None:
                raise CommandError(
                    p.ERR_CREDENTIALS, f"channel {channel!r} needs credentials (see .env.paradex)"
                )
            return channel_spec(kind, market if kind.per_market else None, self._book_feed, self._sbe)
        except ValueError as exc:
            raise CommandError(p.ERR_BAD_PARAMS, str(exc)) from None

    def add_initial(self, spec: ChannelSpec) -> None:
        self.feed.add(spec)

    async def subscribe(self, channel: str, market: str | None) -> str:
        spec = self.spec_for(channel, market)
        if spec.key in self.feed.subs:
            return spec.name
        try:
            sub = self.feed.add(spec)
        except ValueError as exc:
            raise CommandError(p.ERR_BAD_PARAMS, str(exc)) from None
        if not self.connected.is_set():
            return spec.name  # subscribed on the next connect
        waiter = asyncio.get_running_loop().create_future()
        sub.waiters.append(waiter)
        await self.feed.send_subscribe(sub)
        try:
            await asyncio.wait_for(waiter, SUBSCRIBE_ACK_TIMEOUT_S)
        except asyncio.TimeoutError:
            raise CommandError(p.ERR_TIMEOUT, f"no acknowledgement for {spec.name} within 5 s") from None
        except SubscriptionRefused as exc:
            self.feed.remove(spec)
            raise CommandError(p.ERR_SUBSCRIBE_FAILED, f"Paradex refused {spec.name}: {exc}") from None
        except ConnectionError:
            if spec.key in self.feed.subs:
                return spec.name  # the connection dropped meanwhile: it is resubscribed on reconnect
            raise CommandError(p.ERR_BAD_PARAMS, f"{spec.name} was unsubscribed meanwhile") from None
        return spec.name

    async def unsubscribe(self, channel: str, market: str | None) -> str:
        spec = self.spec_for(channel, market)
        sub = self.feed.remove(spec)
        if sub is None:
            raise CommandError(p.ERR_BAD_PARAMS, f"not subscribed to {channel} {market or ''}".strip())
        if self.connected.is_set():
            await self.feed.send_unsubscribe(sub)
        return spec.name

    # ------------------------------------------------------------------------------ FeedListener

    async def wait_subscribed(self, kinds: set[str], timeout: float) -> bool:
        """Until every channel kind in ``kinds`` is acknowledged on the current connection (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not kinds <= self._acked:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._acked_changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._acked_changed.wait(), remaining)
        return True

    def on_subscribed(self, sub: Subscription) -> None:
        self._acked.add(sub.spec.kind.value)
        self._acked_changed.set()
        self._resubscribing.discard(sub.spec.key)
        self.status("subscribed", channel=sub.spec.kind.value, market=sub.spec.market)

    def on_subscribe_failed(self, sub: Subscription | None, code: Any, message: str) -> None:
        name = sub.spec.name if sub is not None else "a channel"
        self._emit(
            {
                "type": "error",
                "seq": 0,
                "code": p.ERR_SUBSCRIBE_FAILED,
                "message": f"Paradex refused the subscription to {name}: {code} {message}",
                "id": None,
            }
        )

    def on_live(self, sub: Subscription) -> None:
        self.status("live", channel=sub.spec.kind.value, market=sub.spec.market)

    def on_book_error(self, sub: Subscription, error: BookError) -> None:
        self.status("gap", channel=sub.spec.kind.value, market=sub.spec.market, reason=str(error))
        if sub.spec.key not in self._resubscribing:
            self._resubscribing.add(sub.spec.key)
            self._spawn(self._resnapshot(sub), f"resnapshot-{sub.spec.market}")

    async def _resnapshot(self, sub: Subscription) -> None:
        """Unsubscribe and subscribe again: Paradex starts every subscription with a snapshot."""
        try:
            if not self.connected.is_set():
                return  # the reconnect resubscribes anyway
            await self.feed.send_unsubscribe(sub)
            if self.feed.subs.get(sub.spec.key) is sub:
                await self.feed.send_subscribe(sub)
        except Exception as exc:
            log.warning("resnapshot of %s failed: %s", sub.spec.name, exc)
        finally:
            self._resubscribing.discard(sub.spec.key)

    def on_bad_frame(self, where: str, error: Exception) -> None:
        self._stats.count_bad_frame()
        now = time.monotonic()
        window_start, count = self._bad_frame_window
        if now - window_start >= 1.0:
            window_start, count = now, 0
        count += 1
        self._bad_frame_window = (window_start, count)
        if count <= BAD_FRAME_REPORTS_PER_S:  # a flood is counted in stats, not echoed line by line
            message = f"could not decode a {where}: {type(error).__name__}: {error}"
            self._emit({"type": "error", "seq": 0, "code": p.ERR_BAD_FRAME, "message": message, "id": None})

    def on_auth_rejected(self, code: Any, message: str) -> None:
        """40111 & co.: refresh the JWT and reconnect (the connection is useless for private data)."""
        self._auth_rejected = True
        self._emit(
            {
                "type": "error",
                "seq": 0,
                "code": p.ERR_CREDENTIALS,
                "message": f"Paradex rejected the token ({code}: {message}); re-authenticating",
                "id": None,
            }
        )
        if self.auth is not None:
            self._spawn(close_socket(self.client), "auth-reconnect")

    # ------------------------------------------------------------------------------ staleness

    async def _watch_staleness(self) -> None:
        period = min(max(self._stale_after / 4, 0.05), 1.0)
        while True:
            await asyncio.sleep(period)
            if not self.connected.is_set():
                continue
            now = time.monotonic()
            for sub in list(self.feed.subs.values()):
                if sub.spec.kind.private or not sub.acked or sub.stale:
                    continue  # private channels are event-driven: silence there is normal
                if now - sub.last_rx > self._stale_after:
                    sub.stale = True
                    self.status(
                        "stale",
                        channel=sub.spec.kind.value,
                        market=sub.spec.market,
                        reason=f"no data for {self._stale_after:g}s",
                    )


def initial_specs(
    channels: list[str], markets: list[str], book_feed: str, sbe: bool = False
) -> list[ChannelSpec]:
    """The subscriptions of ``--channels`` times ``--markets`` (account-wide channels once)."""
    specs: list[ChannelSpec] = []
    if "fills" in channels and "tradebusts" not in channels:
        channels = [*channels, "tradebusts"]  # a busted fill must be retracted: its channel comes with fills
    for name in channels:
        kind = parse_kind(name)
        if not kind.per_market:
            specs.append(channel_spec(kind, None, book_feed, sbe))
        elif kind.private:
            specs.append(channel_spec(kind, "ALL", book_feed, sbe))
        else:
            specs.extend(channel_spec(kind, m, book_feed, sbe) for m in markets)
    return specs


__all__ = ["AuthProvider", "ChannelKind", "OnConnected", "Supervisor", "backoff_delay", "initial_specs"]
