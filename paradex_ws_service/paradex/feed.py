"""paradex-py's WebSocket client, driven by the service's own receive loop, routing frames to normalizers.

Connecting, authenticating, subscribing and order RPCs are paradex-py's (``ParadexWebsocketClient``:
``connect()``, ``subscribe_by_name``, ``submit_order``…). Reading is ours: ``await client.ws.recv()``,
text frames parsed with orjson, binary frames with ``paradex_py.api.sbe.decode_frame``, notifications
routed by one dict lookup on the exact channel name. Frames with an ``id`` go back to the SDK first
(sdk_compat.deliver_response), so its request/response matching for order RPCs keeps working. The
SDK's reader task is never started (``auto_start_reader=False``) and its reconnect is off
(``disable_reconnect=True``): the supervisor owns reconnection. Why: docs/SIDECAR.md (the SDK reader
costs ≈17 µs per frame in ``asyncio.wait_for`` alone and has the traps of reference §14).

The receive path does only: stamp ``recv_us``, normalize, ``emit`` (a non-blocking enqueue).

Extension seams (used by the trading module):
- ``Feed.register_normalizer(kind, json_fn, sbe_fn)``: how payloads of a channel kind become events;
  ``fn(payload, recv_us) -> event | None`` (None: nothing to emit, e.g. a duplicate ``seq_no``).
- ``Feed.client``: the live ``ParadexWebsocketClient`` (order RPCs: ``submit_order``, ``cancel_order``…).
- ``Feed.touch``: market → (bid, ask) of the last ``bbo`` event (prices MARKET orders without REST).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import orjson
import websockets
from websockets.exceptions import ConnectionClosed

from paradex_ws_service.paradex import normalize as nz
from paradex_ws_service.paradex import sdk_compat
from paradex_ws_service.paradex.book import BookError, OrderBook
from paradex_ws_service.paradex.channels import ChannelKind, ChannelSpec, sbe_aliases
from paradex_ws_service.paradex.sdk_compat import ParadexWebsocketClient, decode_frame

log = logging.getLogger(__name__)

YIELD_EVERY = 128  # frames read back to back before the receive loop lets the event loop poll (power of 2)

Emit = Callable[[dict[str, Any]], None]
JsonNormalizer = Callable[[dict[str, Any], int], "Mapping[str, Any] | None"]
SbeNormalizer = Callable[[Any, int], "Mapping[str, Any] | None"]


@dataclass(frozen=True)
class Normalizer:
    """How one channel kind's payloads become events (JSON ``data`` dict or decoded SBE model)."""

    json: JsonNormalizer
    sbe: SbeNormalizer | None = None


DEFAULT_NORMALIZERS: dict[ChannelKind, Normalizer] = {
    ChannelKind.BBO: Normalizer(nz.bbo_json, nz.bbo_sbe),
    ChannelKind.TRADES: Normalizer(nz.trade_json, nz.trade_sbe),
    ChannelKind.SUMMARY: Normalizer(nz.summary_json, nz.summary_sbe),
    ChannelKind.FUNDING: Normalizer(nz.funding_json, nz.funding_sbe),
}


class SubscriptionRefused(Exception):
    """Paradex answered a subscribe with an error (unknown market, invalid channel…)."""


class FeedListener(Protocol):
    """What the feed reports upward (the supervisor implements it)."""

    def on_subscribed(self, sub: Subscription) -> None: ...
    def on_subscribe_failed(self, sub: Subscription | None, code: Any, message: str) -> None: ...
    def on_live(self, sub: Subscription) -> None: ...
    def on_book_error(self, sub: Subscription, error: BookError) -> None: ...
    def on_bad_frame(self, where: str, error: Exception) -> None: ...
    def on_auth_rejected(self, code: Any, message: str) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One subscribed channel and its per-connection state."""

    spec: ChannelSpec
    handle_json: JsonNormalizer
    handle_sbe: SbeNormalizer | None
    book: OrderBook | None = None
    acked: bool = False
    stale: bool = False
    last_rx: float = 0.0  # time.monotonic() of the last frame (or of the ack)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class Feed:
    """Subscriptions, routing table and the receive loop around one ``ParadexWebsocketClient``."""

    def __init__(
        self,
        client: ParadexWebsocketClient,
        emit: Emit,
        book_feed: str,
        markets: list[str],
        listener: FeedListener | None = None,
    ) -> None:
        self.client = client
        self._emit = emit
        # Who hears about acks, gaps, bad frames…: the supervisor, which attaches itself (it is built
        # around this feed, so it cannot be passed in here).
        self.listener: FeedListener = listener if listener is not None else _NullListener()
        self._book_feed = book_feed
        self._markets = list(markets)
        self.normalizers: dict[ChannelKind, Normalizer] = dict(DEFAULT_NORMALIZERS)
        self.subs: dict[tuple[str, str | None], Subscription] = {}
        self._routes: dict[str, Subscription] = {}  # exact JSON channel name → subscription
        self._sbe_routes: dict[str, Subscription] = {}  # bare SBE channel name → subscription
        # Requests whose replies carry SDK-chosen ids we cannot know in advance; Paradex answers in
        # order, so replies that are not order-RPC responses are matched first-in first-out.
        self._outstanding: deque[tuple[str, Subscription | None]] = deque()
        self.unrouted = 0
        # ``--record``: called with every raw frame and its receive time (recorder.py); None when not
        # recording, so the receive loop pays one test per frame for the feature.
        self.record: Callable[[Any, int], None] | None = None
        self.touch: dict[str, tuple[str | None, str | None]] = {}  # market → (bid, ask) from the bbo stream

    # ------------------------------------------------------------------------------ registry

    def register_normalizer(
        self, kind: ChannelKind, json_fn: JsonNormalizer, sbe_fn: SbeNormalizer | None = None
    ) -> None:
        """Register (or replace) how payloads of ``kind`` become events. See the module docstring."""
        self.normalizers[kind] = Normalizer(json_fn, sbe_fn)
        for sub in self.subs.values():
            if sub.spec.kind is kind:
                fresh = self._make_subscription(sub.spec)
                sub.handle_json, sub.handle_sbe = fresh.handle_json, fresh.handle_sbe

    def add(self, spec: ChannelSpec) -> Subscription:
        """Register a subscription (idempotent) and its routes; does not send anything."""
        existing = self.subs.get(spec.key)
        if existing is not None:
            return existing
        sub = self._make_subscription(spec)
        self.subs[spec.key] = sub
        self._rebuild_routes()
        return sub

    def remove(self, spec: ChannelSpec) -> Subscription | None:
        sub = self.subs.pop(spec.key, None)
        if sub is not None:
            self._rebuild_routes()
            for waiter in sub.waiters:
                if not waiter.done():
                    waiter.set_exception(ConnectionError("unsubscribed"))
        return sub

    def set_markets(self, markets: list[str]) -> None:
        """Known markets changed (metadata arrived): SBE aliases of ``.ALL`` subscriptions follow."""
        self._markets = sorted(set(self._markets) | set(markets))
        self._rebuild_routes()

    def _make_subscription(self, spec: ChannelSpec) -> Subscription:
        if spec.kind is ChannelKind.BOOK:
            sub = Subscription(spec, _unset, _unset, book=OrderBook(spec.market or ""))
            sub.handle_json = self._book_handler(sub, nz.book_json)
            sub.handle_sbe = self._book_handler(sub, nz.book_sbe)
            return sub
        normalizer = self.normalizers.get(spec.kind)
        if normalizer is None:
            raise ValueError(f"no normalizer for channel {spec.kind.value!r} (is trading enabled?)")
        if spec.kind is ChannelKind.BBO:
            return Subscription(
                spec,
                self._touch_tracking(normalizer.json),
                None if normalizer.sbe is None else self._touch_tracking(normalizer.sbe),
            )
        return Subscription(spec, normalizer.json, normalizer.sbe)

    def _touch_tracking(self, fn: Callable[[Any, int], Mapping[str, Any] | None]) -> JsonNormalizer:
        """A bbo normalizer that also remembers each market's touch: on the hot path of every bbo frame, so
        only a dict store (the arithmetic waits for a MARKET order that needs it)."""
        touch = self.touch

        def handle(payload: Any, recv_us: int) -> Mapping[str, Any] | None:
            event = fn(payload, recv_us)
            if event is not None:
                touch[event["market"]] = (event["bid"], event["ask"])
            return event

        return handle

    def _book_handler(self, sub: Subscription, parse: Callable[[Any, int], nz.BookUpdate]) -> JsonNormalizer:
        check_seq = self._book_feed == "deltas"
        book = sub.book
        assert book is not None

        def handle(payload: Any, recv_us: int) -> Mapping[str, Any] | None:
            update = parse(payload, recv_us)
            try:
                changed = book.apply(update, check_seq)
            except BookError as exc:
                self.listener.on_book_error(sub, exc)
                return None
            return book.render() if changed else None

        return handle

    def _rebuild_routes(self) -> None:
        routes: dict[str, Subscription] = {}
        sbe_routes: dict[str, Subscription] = {}
        for sub in self.subs.values():
            routes[sub.spec.name] = sub
            for name in sbe_aliases(sub.spec, self._markets):
                sbe_routes[name] = sub
        self._routes, self._sbe_routes = routes, sbe_routes

    # ------------------------------------------------------------------------------ requests

    async def send_subscribe(self, sub: Subscription) -> None:
        sub.acked = False
        self._outstanding.append(("subscribe", sub))
        await self.client.subscribe_by_name(sub.spec.name)

    async def send_unsubscribe(self, sub: Subscription) -> None:
        self._outstanding.append(("unsubscribe", sub))
        await self.client.unsubscribe_by_name(sub.spec.name)

    def reset_connection_state(self, has_auth: bool) -> None:
        """A new connection: nothing is acknowledged, every book needs a new snapshot."""
        self._outstanding.clear()
        if has_auth:
            self._outstanding.append(("auth", None))  # connect() sent `auth` before anything else
        for sub in self.subs.values():
            sub.acked = False
            sub.stale = False
            if sub.book is not None:
                sub.book.invalidate()

    def fail_waiters(self, exc: Exception) -> None:
        for sub in self.subs.values():
            for waiter in sub.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            sub.waiters.clear()

    # ------------------------------------------------------------------------------ receive loop

    async def receive(self) -> str:
        """Read the current connection until it closes; returns why it closed."""
        ws = self.client.ws
        if ws is None:
            return "no connection"
        recv = ws.recv
        loads = orjson.loads
        time_ns = time.time_ns
        monotonic = time.monotonic
        emit = self._emit
        record = self.record
        frames = 0
        while True:
            frames += 1
            if not frames & (YIELD_EVERY - 1):
                # recv() returns without suspending while websockets has frames queued, so a burst can
                # hold the loop; let it poll once so stdout's buffered bytes reach the pipe meanwhile.
                await asyncio.sleep(0)
            try:
                raw = await recv()
            except ConnectionClosed as exc:
                return _close_reason(exc)
            recv_us = time_ns() // 1000
            if record is not None:
                record(raw, recv_us)
            try:
                if raw.__class__ is str:
                    msg = loads(raw)
                    params = msg.get("params")
                    if params is None:
                        if "id" in msg:
                            self._on_response(msg)
                        continue
                    sub = self._routes.get(params["channel"])
                    if sub is None:
                        self.unrouted += 1
                        continue
                    event = sub.handle_json(params["data"], recv_us)
                else:
                    # bytes: str took the branch above (`__class__ is` is the hot path's cheaper test, which
                    # mypy does not narrow on)
                    channel, model = decode_frame(raw)  # type: ignore[arg-type]
                    if channel is None:
                        continue  # heartbeat / subscribed ack (template 40/41)
                    sub = self._sbe_routes.get(channel)
                    if sub is None or sub.handle_sbe is None:
                        self.unrouted += 1
                        continue
                    event = sub.handle_sbe(model, recv_us)
                sub.last_rx = monotonic()
                if sub.stale:
                    sub.stale = False
                    self.listener.on_live(sub)
                if event is not None:
                    # A normalizer builds a protocol TypedDict (protocol.py); the writer takes it as the plain
                    # mutable dict it is at run time (it stamps seq and coalesces in place): no copy here.
                    emit(cast("dict[str, Any]", event))
            except Exception as exc:
                # Whatever one frame does to a parser or normalizer (orjson.JSONDecodeError, SbeDecodeError,
                # a missing key, a bug in an extension's normalizer) concerns that frame only: it is counted
                # and reported, and the connection goes on.
                log.debug("bad frame", exc_info=True)
                self.listener.on_bad_frame(_describe_frame(raw), exc)

    def _on_response(self, msg: dict[str, Any]) -> None:
        """A reply with an ``id``: order RPCs and acks go to the SDK; ours to the subscription."""
        msg_id = msg["id"]
        if sdk_compat.is_pending_request(self.client, msg_id):
            sdk_compat.deliver_response(self.client, msg)
            return
        result = msg.get("result")
        if isinstance(result, dict):
            # The SDK records acks in subscribed_channels; a non-object result would crash it (§0.8).
            sdk_compat.deliver_response(self.client, msg)
        kind, sub = self._outstanding.popleft() if self._outstanding else ("unknown", None)
        error = msg.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            text = str(error.get("message", error)) if isinstance(error, dict) else str(error)
            if code in (40110, 40111) or "bearer token" in text.lower():
                self.listener.on_auth_rejected(code, text)
            if kind == "subscribe":
                if sub is not None and sub.waiters:  # a command is waiting: its result reports it
                    self._resolve_waiters(sub, SubscriptionRefused(f"{code}: {text}"))
                else:
                    self.listener.on_subscribe_failed(sub, code, text)
            elif kind != "auth":
                log.warning("Paradex error reply to %s: %s %s", kind, code, text)
            return
        channel = result.get("channel") if isinstance(result, dict) else None
        if channel is not None:
            acked = self._routes.get(channel)
            if acked is not None and (kind == "subscribe" or not acked.acked):
                acked.acked = True
                acked.last_rx = time.monotonic()
                self._resolve_waiters(acked, None)
                self.listener.on_subscribed(acked)

    @staticmethod
    def _resolve_waiters(sub: Subscription | None, exc: Exception | None) -> None:
        if sub is None:
            return
        for waiter in sub.waiters:
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)
        sub.waiters.clear()


class _NullListener:
    """Ignores every report: a feed without a supervisor (unit tests, tools)."""

    def on_subscribed(self, sub: Subscription) -> None: ...
    def on_subscribe_failed(self, sub: Subscription | None, code: Any, message: str) -> None: ...
    def on_live(self, sub: Subscription) -> None: ...
    def on_book_error(self, sub: Subscription, error: BookError) -> None: ...
    def on_bad_frame(self, where: str, error: Exception) -> None: ...
    def on_auth_rejected(self, code: Any, message: str) -> None: ...


def _unset(payload: Any, recv_us: int) -> None:
    raise AssertionError("handler not set")


def _close_reason(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection lost (no close frame)"
    return f"connection closed ({frame.code}{': ' + frame.reason if frame.reason else ''})"


def _describe_frame(raw: Any) -> str:
    if isinstance(raw, bytes):
        return f"binary frame of {len(raw)} bytes"
    text = str(raw)
    return f"text frame {text[:80]!r}{'…' if len(text) > 80 else ''}"


# ----------------------------------------------------------------------------------------------------
# building the client
# ----------------------------------------------------------------------------------------------------


class CapturingConnector:
    """``websockets.connect`` with our settings, remembering why the last attempt failed.

    paradex-py's ``connect()`` logs and swallows connection errors and returns False; passing this as its
    ``connector`` seam lets the supervisor report the reason in ``status`` events. permessage-deflate is
    off (reference §14: it slows every consumer and saves nothing on loopback or in Tokyo).
    """

    def __init__(self, open_timeout: float = 5.0) -> None:
        self.last_error: str | None = None
        self._open_timeout = open_timeout

    async def __call__(self, url: str, headers: dict[str, str]) -> Any:
        self.last_error = None
        try:
            return await websockets.connect(
                url,
                additional_headers=headers,
                compression=None,
                open_timeout=self._open_timeout,
                max_size=4 * 1024 * 1024,
                # websockets stops reading the socket when 16 frames wait (its default); at tens of
                # thousands of frames/s a deeper buffer means fewer pause/resume cycles, same memory scale.
                max_queue=1024,
                ping_interval=20,
                ping_timeout=20,
                close_timeout=1,
            )
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise


def build_client(
    env: str, ws_url: str | None, sbe: bool, connector: CapturingConnector
) -> ParadexWebsocketClient:
    """A ``ParadexWebsocketClient`` configured for our own receive loop and supervisor.

    nightly uses the documented ``ws.api.nightly…`` host: paradex-py's default public host
    ``ws-public.api.nightly…`` has no DNS record (a comment in paradex-py's integration tests), so nightly
    never connected. prod and testnet keep the SDK's public host.
    """
    sdk_logger = logging.getLogger("paradex_ws_service.sdk")
    return ParadexWebsocketClient(
        direct=env == "nightly",
        env=env if env in ("prod", "testnet", "nightly") else "testnet",  # type: ignore[arg-type]
        logger=sdk_logger,
        auto_start_reader=False,
        connector=connector,
        ws_url_override=ws_url,
        disable_reconnect=True,
        enable_compression=False,
        sbe_enabled=sbe,
    )


async def close_socket(client: ParadexWebsocketClient, timeout: float = 1.0) -> None:
    """Close the current socket, bounded: ``close()`` can hang on CPython 3.10 (reference §14.4)."""
    ws = client.ws
    if ws is None:
        return
    with contextlib.suppress(Exception, asyncio.TimeoutError):
        await asyncio.wait_for(ws.close(), timeout)
