"""The Paradex simulator server: WebSocket JSON-RPC (JSON or SBE per connection), the public REST
subset, the `/_sim` control API, and the seam the trading extension plugs into — all on one
loopback aiohttp port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from . import private_sbe, sbe
from .auth import PERMISSION_DENIED, AuthedAccount, JsonRpcError, default_verifier
from .channels import Channel, parse_channel
from .config import SimConfig, validate
from .connection import Connection, SendTimes, ws_frame
from .engine import EngineSettings, Simulation
from .events import BboEvent, MarketEvent
from .faults import Faults
from .market import PricePath
from .markets import e8_str

log = logging.getLogger("paradex_sim")

_NO_OMIT: frozenset[str] = frozenset()

RestHandler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]
WsMethodHandler = Callable[["Connection", Any], Awaitable[dict[str, Any]]]
DisconnectHook = Callable[["Connection"], Awaitable[None] | None]
ControlHandler = Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: RestHandler


def _compile_path(path_pattern: str) -> re.Pattern[str]:
    """'/v1/orders/{order_id}' → a regex with named groups; segments never span '/'."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path_pattern))
    return re.compile(f"^{regex}$")


@dataclass
class _Subscribers:
    by_channel: dict[str, set[Connection]] = field(default_factory=dict)

    def add(self, name: str, conn: Connection) -> None:
        self.by_channel.setdefault(name, set()).add(conn)

    def remove(self, name: str, conn: Connection) -> None:
        subs = self.by_channel.get(name)
        if subs is not None:
            subs.discard(conn)
            if not subs:
                del self.by_channel[name]


class RestError(Exception):
    """Raised by a REST handler to answer with Paradex's error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str) -> web.Response:
    """Paradex's REST error body: `{"error": CODE, "message": ...}`."""
    return json_response({"error": code, "message": message, "data": None}, status)


class SimServer:
    """The simulator. `await start()`, read `ws_url` / `rest_url` / `control_url`, `await stop()`."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        validate(self.config)
        path = PricePath.load(self.config.price_path) if self.config.price_path else None
        self.sim = Simulation(
            EngineSettings(
                seed=self.config.seed,
                markets=tuple(self.config.markets),
                bbo_rate=self.config.bbo_rate,
                trade_rate=self.config.trade_rate,
                summary_interval=self.config.summary_interval,
                funding_interval=self.config.funding_interval,
                price_path=path,
            ),
            self._fanout,
        )
        self.market_names = frozenset(self.sim.markets)
        self.faults = Faults(self)
        self.auth_verifier: Callable[[str], AuthedAccount] = default_verifier
        self.connections: dict[int, Connection] = {}
        self.sendtimes = SendTimes()
        self._subs = _Subscribers()
        self._sent: dict[str, deque[Any]] = {}
        self._routes: list[_Route] = []
        self._ws_methods: dict[str, WsMethodHandler] = {}
        self._private_patterns: list[re.Pattern[str]] = []
        self._disconnect_hooks: list[DisconnectHook] = []
        self._next_conn_id = 1
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = self.config.port
        self.started_at = 0.0
        self.down_until: float | None = None  # whole server down (faults.down)
        self.ws_down_until: float | None = None  # WebSocket side only (faults.down keep_rest)
        self._app = self._build_app()
        from . import control, rest  # local: both modules import this one for types

        rest.install(self)
        self._control_routes = control.routes(self)
        self._extensions_installed = False

    # ── public URLs ───────────────────────────────────────────────────
    @property
    def base_url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/v1"

    @property
    def rest_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def control_url(self) -> str:
        return self.base_url + "/_sim"

    # ── lifecycle ─────────────────────────────────────────────────────
    async def start(self) -> None:
        if not self._extensions_installed:
            self._install_extensions()
        self._runner = web.AppRunner(self._app, handle_signals=False, access_log=None)
        await self._runner.setup()
        try:
            await self.start_listening()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.started_at = time.time()
        self.sim.start()
        self._spawn(self._keepalive_loop(), "paradex-sim-keepalive")
        if self.config.sbe_heartbeat_interval:
            self._spawn(self._heartbeat_loop(self.config.sbe_heartbeat_interval), "paradex-sim-heartbeat")
        log.info("paradex sim listening on %s (seed %d)", self.base_url, self.config.seed)

    async def stop(self) -> None:
        await self.sim.stop()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for conn in list(self.connections.values()):
            conn.abort()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start_listening(self) -> None:
        """Bind and listen (a no-op while already listening)."""
        assert self._runner is not None
        if self._site is not None:
            return
        site = web.TCPSite(self._runner, self.config.host, self.port, reuse_address=True)
        await site.start()
        self._site = site
        if self.port == 0:
            # aiohttp exposes no public accessor for the bound socket of a TCPSite.
            sockets = getattr(site._server, "sockets", None) or []
            if not sockets:
                raise OSError("the simulator's listening socket is not bound")
            self.port = sockets[0].getsockname()[1]

    async def stop_listening(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _install_extensions(self) -> None:
        self._extensions_installed = True
        for module_name in self.config.extensions:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue  # the extension is optional: not written yet, or not shipped
                raise
            module.install(self)
            log.info("sim extension installed: %s", module_name)

    # ── extension seam ────────────────────────────────────────────────
    def register_rest(self, method: str, path_pattern: str, handler: RestHandler) -> None:
        """Serve `method path_pattern` ('/v1/orders/{order_id}'); later registrations win."""
        self._routes.insert(0, _Route(method.upper(), _compile_path(path_pattern), handler))

    def register_ws_method(self, name: str, handler: WsMethodHandler) -> None:
        """`handler(conn, params)` returns the result object or raises JsonRpcError."""
        self._ws_methods[name] = handler

    def register_private_channel(self, regex: str) -> None:
        """Accept subscriptions to extra private channel names (full-match regex); auth required."""
        self._private_patterns.append(re.compile(regex))

    def register_control(self, method: str, action: str, handler: ControlHandler) -> None:
        """Serve `method /_sim/<action>`: `handler(request, body)` returns the fields added to `{"ok": true}`.

        Raising ValueError/KeyError/TypeError answers 400 with the message.
        """
        self._control_routes[(method.upper(), action)] = handler

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run a background task owned by the server: cancelled and awaited by `stop()`."""
        return self._spawn(coro, name)

    def on_disconnect(self, hook: DisconnectHook) -> None:
        """Called with the Connection after it closed (e.g. cancel-on-disconnect)."""
        self._disconnect_hooks.append(hook)

    def publish(self, channel: str, payload: dict[str, Any], account: str | None = None) -> int:
        """Push a JSON notification to connections subscribed to exactly `channel`.

        With `account`, only connections authenticated as that address receive it (private channels).
        Returns how many connections it was queued for.
        """
        subs = self._subs.by_channel.get(channel)
        if not subs or self.faults.is_silenced(channel):
            return 0
        frame = orjson.dumps(
            {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": payload}}
        )
        # orders/fills/positions/account go binary on SBE sessions (templates 20-23, private_sbe.py).
        encoder = private_sbe.encoder_for(channel) if account is not None else None
        binary: dict[int, bytes] = {}
        sent = 0
        for conn in list(subs):
            if account is not None and (conn.account is None or not conn.account.same_as(account)):
                continue
            version = conn.sbe_version
            if encoder is not None and version is not None:
                data = binary.get(version)
                if data is None:
                    data = binary[version] = encoder(payload, version, self.sbe_omit(version))
                conn.enqueue(data, True)
                conn.private_sbe_frames += 1
            else:
                conn.enqueue(frame)
            sent += 1
        if sent:
            self._remember(channel, payload)
        return sent

    def sbe_omit(self, version: int) -> frozenset[str]:
        """Fields left out of a frame at `version`: the in-place 1:2 additions, in the layout without them."""
        if version == 2 and not self.config.sbe_in_place_additions:
            return sbe.IN_PLACE_1_2
        return _NO_OMIT

    def market(self, symbol: str) -> Any:
        """The MarketProcess of `symbol`: `levels(side, depth)`, `best_prices()`, `mid_e8()`, `consume()`."""
        return self.sim.market(symbol)

    def emit_trade(self, symbol: str, taker_side: str, price_e8: int, size_e8: int) -> None:
        """Print a public trade (e.g. a simulated user's fill) on trades channels and in the history."""
        proc = self.sim.market(symbol)
        proc.bump_seq()
        event = proc.record_trade(taker_side, price_e8, size_e8, time.time_ns() // 1000)
        self._fanout(event, (f"trades.{symbol}", "trades.ALL"))
        self._fanout(proc.bbo(event.ts_us), (f"bbo.{symbol}", "bbo.ALL"))

    # ── fan-out ───────────────────────────────────────────────────────
    def _remember(self, channel: str, payload: Any) -> None:
        history = self._sent.get(channel)
        if history is None:
            history = self._sent[channel] = deque(maxlen=self.config.sent_history)
        history.append(payload)

    def sent(self, channel: str, n: int) -> list[Any]:
        """The last `n` payloads sent on `channel`, in their JSON form, oldest first."""
        history = self._sent.get(channel)
        if not history or n <= 0:
            return []
        # Market events are kept as objects and rendered on demand: the hot path never pays for it.
        return [item.json() if hasattr(item, "sbe") else item for item in list(history)[-n:]]

    def _fanout(self, event: MarketEvent, channels: tuple[str, ...]) -> None:
        """Encode and frame once per wire form, queue for every subscriber of each channel name."""
        payload: dict[str, Any] | None = None
        sbe_frames: dict[int, bytes] = {}
        omit_in_place = not self.config.sbe_in_place_additions
        stamp = (event.market, event.seq_no) if isinstance(event, BboEvent) else None
        faults = self.faults
        for name in channels:
            if faults.is_silenced(name):
                continue
            # Kept whether or not anyone listens: tests ask "what did bbo.X carry" whatever name
            # (bbo.X or bbo.ALL) their client subscribed with.
            self._remember(name, event)
            subs = self._subs.by_channel.get(name)
            if not subs:
                continue
            json_frame: bytes | None = None
            for conn in subs:
                version = conn.sbe_version
                if version is not None:
                    frame = sbe_frames.get(version)
                    if frame is None:
                        omit = sbe.IN_PLACE_1_2 if omit_in_place and version == 2 else _NO_OMIT
                        frame = sbe_frames[version] = ws_frame(event.sbe(version, omit), binary=True)
                    conn.enqueue_framed(frame, stamp)
                else:
                    if json_frame is None:
                        if payload is None:
                            payload = event.json()
                        notification = {"channel": name, "data": payload}
                        json_frame = ws_frame(
                            orjson.dumps({"jsonrpc": "2.0", "method": "subscription", "params": notification})
                        )
                    conn.enqueue_framed(json_frame, stamp)

    def send_event(self, conn: Connection, channel: str, event: MarketEvent) -> None:
        """One market event to one connection in its encoding (a deltas feed's opening snapshot)."""
        if conn.sbe_version is not None:
            conn.enqueue(event.sbe(conn.sbe_version, self.sbe_omit(conn.sbe_version)), True)
        else:
            conn.send_json(
                {
                    "jsonrpc": "2.0",
                    "method": "subscription",
                    "params": {"channel": channel, "data": event.json()},
                }
            )
        self._remember(channel, event)

    # ── aiohttp app ───────────────────────────────────────────────────
    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors_middleware], client_max_size=1024**2)
        app.router.add_route("*", "/_sim/{action}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    @web.middleware
    async def _errors_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return error_response(500, "INTERNAL_ERROR", "internal error in the simulator")

    async def _control(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        handler = self._control_routes.get((request.method, action))
        if handler is None:
            known = sorted(f"{m} /_sim/{a}" for m, a in self._control_routes)
            return json_response(
                {"ok": False, "error": f"unknown control {request.method} /_sim/{action}", "known": known},
                404,
            )
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    parsed = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return json_response({"ok": False, "error": "body is not JSON"}, 400)
                if not isinstance(parsed, dict):
                    return json_response({"ok": False, "error": "body must be a JSON object"}, 400)
                body = parsed
        try:
            result = await handler(request, body)
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            return json_response({"ok": False, "error": str(exc).strip("'\"") or type(exc).__name__}, 400)
        return json_response({"ok": True, **result})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._ws_handler(request)
        if self.down_until is not None:
            return web.Response(status=503, headers={"Connection": "close"}, text="simulated downtime")
        path = request.path
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method != request.method and not (route.method == "GET" and request.method == "HEAD"):
                allowed.append(route.method)
                continue
            try:
                return await route.handler(request, match.groupdict())
            except RestError as err:
                return error_response(err.status, err.code, err.message)
        if allowed:
            return error_response(405, "METHOD_NOT_ALLOWED", f"{request.method} not allowed on {path}")
        return error_response(404, "NOT_FOUND", f"no such endpoint: {request.method} {path}")

    # ── WebSocket ─────────────────────────────────────────────────────
    def _negotiate_sbe(self, request: web.Request) -> int | None:
        query = request.query
        if "sbeSchemaId" not in query and "sbeSchemaVersion" not in query:
            return None
        schema_id, version = query.get("sbeSchemaId"), query.get("sbeSchemaVersion")
        if schema_id != str(sbe.SCHEMA_ID) or version not in {str(v) for v in sbe.SUPPORTED_VERSIONS}:
            raise web.HTTPBadRequest(text=f"unsupported SBE schema {schema_id}:{version}")
        return int(version)

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        if self.down_until is not None or self.ws_down_until is not None:
            raise web.HTTPServiceUnavailable(text="simulated downtime")
        sbe_version = self._negotiate_sbe(request)
        ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=1024**2)
        await ws.prepare(request)
        conn = Connection(self, self._next_conn_id, ws, request)
        self._next_conn_id += 1
        conn.sbe_version = sbe_version
        self.connections[conn.id] = conn
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            with contextlib.suppress(JsonRpcError):
                conn.account = self.auth_verifier(header[7:].strip())
        sender = asyncio.create_task(conn.run_sender(), name=f"paradex-sim-send-{conn.id}")
        log.info("ws connection %d opened (sbe=%s)", conn.id, sbe_version)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    conn.last_pong = time.monotonic()
                elif msg.type == WSMsgType.BINARY:
                    self._reply_error(
                        conn, None, JsonRpcError(-32700, "parse error", "binary frames are not requests")
                    )
                elif msg.type == WSMsgType.ERROR:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            conn.closed = True
            conn._wake.set()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            self._drop_connection(conn)
            await self._run_disconnect_hooks(conn)
            log.info("ws connection %d closed", conn.id)
        return ws

    def _drop_connection(self, conn: Connection) -> None:
        self.connections.pop(conn.id, None)
        for name in list(conn.subscriptions):
            self._release(name, conn)
        conn.subscriptions.clear()

    async def _run_disconnect_hooks(self, conn: Connection) -> None:
        for hook in self._disconnect_hooks:
            try:
                result = hook(conn)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("disconnect hook failed")

    @staticmethod
    def _us_now() -> int:
        return time.time_ns() // 1000

    def _reply(self, conn: Connection, req_id: Any, result: dict[str, Any], us_in: int) -> None:
        us_out = self._us_now()
        frame = {
            "jsonrpc": "2.0",
            "result": result,
            "usIn": us_in,
            "usOut": us_out,
            "usDiff": us_out - us_in,
            "id": req_id,
        }
        delay, conn.reply_delay_s = conn.reply_delay_s, 0.0
        if delay > 0:  # a slow gateway: later requests and the order's updates are not held up by it
            asyncio.get_running_loop().call_later(delay, conn.send_json, frame)
        else:
            conn.send_json(frame)

    def _reply_error(
        self, conn: Connection, req_id: Any, err: JsonRpcError, us_in: int | None = None
    ) -> None:
        us_out = self._us_now()
        us_in = us_out if us_in is None else us_in
        conn.send_json(
            {
                "jsonrpc": "2.0",
                "error": err.to_dict(),
                "usIn": us_in,
                "usOut": us_out,
                "usDiff": us_out - us_in,
                "id": req_id,
            }
        )

    async def _on_text(self, conn: Connection, text: str) -> None:
        us_in = self._us_now()
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._reply_error(conn, None, JsonRpcError(-32700, "parse error"), us_in)
            return
        if not isinstance(msg, dict):
            self._reply_error(
                conn, None, JsonRpcError(-32600, "invalid request", "request must be an object"), us_in
            )
            return
        req_id = msg.get("id")
        method = msg.get("method")
        if msg.get("jsonrpc") != "2.0" or not isinstance(method, str):
            self._reply_error(conn, req_id, JsonRpcError(-32600, "invalid request"), us_in)
            return
        params = msg.get("params", {})
        try:
            result = await self._call(conn, method, params)
        except JsonRpcError as err:
            conn._after_reply.clear()  # a refused request has no follow-up frames
            self._reply_error(conn, req_id, err, us_in)
            return
        except Exception:
            conn._after_reply.clear()
            log.exception("ws method %s failed", method)
            self._reply_error(conn, req_id, JsonRpcError(-32603, "internal error"), us_in)
            return
        self._reply(conn, req_id, result, us_in)
        self._run_after_reply(conn)

    @staticmethod
    def _run_after_reply(conn: Connection) -> None:
        callbacks, conn._after_reply = conn._after_reply, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-reply callback failed")

    async def _call(self, conn: Connection, method: str, params: Any) -> dict[str, Any]:
        if method == "auth":
            return self._auth(conn, params)
        if method == "subscribe":
            return self._subscribe(conn, params)
        if method == "unsubscribe":
            return self._unsubscribe(conn, params)
        handler = self._ws_methods.get(method)
        if handler is None:
            raise JsonRpcError(-32601, "method does not exist", method)
        result = await handler(conn, params)
        if not isinstance(result, dict):
            # A non-object result on a frame with an id crashes the SDK's reader (reference §0.8).
            raise JsonRpcError(-32603, "internal error", f"{method} returned a non-object result")
        return result

    def _auth(self, conn: Connection, params: Any) -> dict[str, Any]:
        bearer = params.get("bearer") if isinstance(params, dict) else None
        if not isinstance(bearer, str) or not bearer:
            raise JsonRpcError(-32602, "invalid params", "bearer is required")
        if self.faults.take_auth_failure():
            raise JsonRpcError(40111, "invalid bearer token")
        conn.account = self.auth_verifier(bearer)
        return {"node_id": f"sim-{os.getpid():x}-{conn.id}"}

    def _channel(self, params: Any) -> str:
        if not isinstance(params, dict) or not isinstance(params.get("channel"), str):
            raise JsonRpcError(-32602, "invalid params", "channel is required")
        channel: str = params["channel"]
        return channel

    def _classify(self, name: str) -> Channel | None:
        channel = parse_channel(name, self.market_names)
        if channel is None and any(p.fullmatch(name) for p in self._private_patterns):
            channel = Channel(name, name.split(".")[0], None, True)
        return channel

    def _subscribe(self, conn: Connection, params: Any) -> dict[str, Any]:
        name = self._channel(params)
        channel = self._classify(name)
        if channel is None:
            raise JsonRpcError(-32600, "invalid subscribe request", "invalid channel")
        if channel.private and conn.account is None:
            raise JsonRpcError(PERMISSION_DENIED, "permission denied", "authentication required")
        if name in conn.subscriptions:
            raise JsonRpcError(-32600, "invalid subscribe request", "already subscribed")
        if channel.kind == "order_book" and conn.sbe_version is not None:
            self._check_sbe_book(conn, channel)
        conn.subscriptions.add(name)
        self._subs.add(name, conn)
        feed = self.sim.feeds.get(name)
        if feed is not None and feed.deltas:
            # A deltas subscriber first gets the book as of the feed's current seq_no, after the ack.
            conn.after_reply(lambda: self.send_event(conn, name, feed.snapshot_event(self._us_now())))
        stream = self.sim.deltas.get(name)
        if stream is not None:
            if not stream.active:
                stream.start()
            # Then the whole book as of the market's current sequence, after the ack (§0a.2).
            conn.after_reply(lambda: self.send_event(conn, name, stream.snapshot_event(self._us_now())))
        return {"channel": name}

    @staticmethod
    def _check_sbe_book(conn: Connection, channel: Channel) -> None:
        """What production refuses on an SBE session (reference §0a.1-2, captured refusals): a deltas
        name with `@15@{rate}` parameters, and a second order_book channel of one market."""
        if channel.feed == "deltas" and channel.params:
            raise JsonRpcError(
                -32600, "invalid subscribe request", "no parameters expected for deltas topic."
            )
        prefix = f"order_book.{channel.market}."
        for other in conn.subscriptions:
            if other.startswith(prefix):
                # The capture's text is cut short after the other channel's first characters; the code is
                # the -32600 every other subscribe refusal carries.
                raise JsonRpcError(
                    -32600,
                    "invalid subscribe request",
                    f"channel '{channel.name}' cannot share an SBE session with '{other}'",
                )

    def _release(self, name: str, conn: Connection) -> None:
        """Forget one subscription; a bare deltas stream nobody listens to any more stops tracking."""
        self._subs.remove(name, conn)
        stream = self.sim.deltas.get(name)
        if stream is not None and not any(n in self._subs.by_channel for n in stream.channels):
            stream.stop()

    def _unsubscribe(self, conn: Connection, params: Any) -> dict[str, Any]:
        name = self._channel(params)
        if name not in conn.subscriptions:
            raise JsonRpcError(-32600, "invalid unsubscribe request", "not subscribed")
        conn.subscriptions.discard(name)
        self._release(name, conn)
        return {"channel": name}

    # ── keep-alive ────────────────────────────────────────────────────
    async def _keepalive_loop(self) -> None:
        """Ping every `ping_interval`; a client silent for `pong_timeout` after a ping is dropped."""
        interval, timeout = self.config.ping_interval, self.config.pong_timeout
        while True:
            await asyncio.sleep(interval)
            pinged_at = time.monotonic()
            conns = [c for c in self.connections.values() if not c.closed]
            for conn in conns:
                with contextlib.suppress(Exception):
                    await conn.ws.ping()
            await asyncio.sleep(timeout)
            for conn in conns:
                if not conn.closed and conn.last_pong < pinged_at:
                    log.info(
                        "connection %d did not answer a ping within %.1fs, dropping it", conn.id, timeout
                    )
                    conn.abort()

    async def _heartbeat_loop(self, interval: float) -> None:
        """SBE HeartbeatEvent (template 40) to binary connections idle for `interval` (schema: 20 s)."""
        seq = 0
        tick = min(interval, 1.0)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            idle = [
                c
                for c in self.connections.values()
                if c.sbe_version is not None and now - c.last_sent >= interval
            ]
            if not idle:
                continue
            seq += 1
            ts = self._us_now()
            for conn in idle:
                assert conn.sbe_version is not None
                conn.enqueue(sbe.encode_heartbeat(seq, ts, conn.sbe_version), True)

    # ── state ─────────────────────────────────────────────────────────
    def state(self) -> dict[str, Any]:
        markets = {}
        for m, proc in self.sim.markets.items():
            bid, ask = proc.best_prices()
            markets[m] = {
                "mid": e8_str(proc.mid_e8()),
                "bid": e8_str(bid),
                "ask": e8_str(ask),
                "seq_no": proc.seq_no,
                "steps": proc.steps,
                "bbo_per_s": self.sim.rates[m],
                "trades": len(proc.trades),
            }
        return {
            "seed": self.config.seed,
            "paused": self.sim.paused,
            "down": self.down_until is not None,
            "ws_down": self.ws_down_until is not None,
            "uptime_s": round(time.time() - self.started_at, 3),
            "markets": markets,
            "book_feeds": {
                **{name: feed.seq_no for name, feed in self.sim.feeds.items()},
                **{name: stream.seq_no for name, stream in self.sim.deltas.items()},
            },
            "connections": [
                {
                    "id": c.id,
                    "sbe_version": c.sbe_version,
                    "authed": c.account is not None,
                    "subscriptions": sorted(c.subscriptions),
                    "private_sbe_frames": c.private_sbe_frames,
                }
                for c in self.connections.values()
            ],
            "faults": self.faults.describe(),
        }


__all__ = ["Connection", "RestError", "SimConfig", "SimServer", "error_response", "json_response", "ws_frame"]
