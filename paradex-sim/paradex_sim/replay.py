"""``paradex-sim --replay FILE``: serve a recorded session to a WebSocket client, paced as recorded or at full
speed, so a capture from testnet or prod (``paradex-ws --record FILE``, or a public capture in the same
format) becomes a regression test.

File format (one JSON object per line): frames ``{"t_ns", "opcode": "text", "text"}`` or ``{"t_ns", "opcode":
"binary", "b64"}``; any line without ``opcode`` (the recorder's header, a fixture's ``source`` line) is
metadata. This is the format of FueledByChai/fueledbychai-rs ``fixtures/paradex/md/*.jsonl``.

What the client gets: the control plane is answered live, as Paradex answers it (``auth`` → ``node_id``,
``subscribe``/``unsubscribe`` echo the channel, anything else -32601); recorded answers (frames with an
``id``) are not replayed. Recorded notifications and binary frames go out in their recorded order, each only
if the client subscribed to its channel (a bare SBE book name matches its suffixed subscription, per-market
SBE names match a ``.ALL`` one), starting once the subscriptions settle (every recorded channel subscribed,
or ``SETTLE_S`` without a new one). Pacing: the recorded gaps divided by ``speed``; ``speed=None`` sends as
fast as the socket takes them. After the last frame the connection stays open and silent.

A recording with binary (SBE) frames is refused with HTTP 400 to a client that did not negotiate SBE (the
frames would mean nothing to it). ``GET /v1/markets``, ``/v1/system/config``, ``POST /v1/onboarding`` and
``/v1/auth`` answer as the simulator does (any auth gets a token), so a sidecar starts as it does against the
simulator; ``GET /_sim/replay`` reports what was sent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from .auth import mint_unsigned_jwt
from .markets import MARKETS, system_config

log = logging.getLogger("paradex_sim.replay")

SETTLE_S = 0.3  # quiet time after the last subscribe before the replay starts
SETTLE_MAX_S = 3.0


@dataclass(frozen=True)
class Frame:
    t_ns: int
    payload: str | bytes
    channel: str | None  # None: not a notification (a heartbeat, an undecodable frame): sent to everyone


@dataclass
class Recording:
    frames: list[Frame]
    meta: list[dict[str, Any]] = field(default_factory=list)

    @property
    def binary(self) -> bool:
        return any(isinstance(f.payload, bytes) for f in self.frames)

    @property
    def channels(self) -> set[str]:
        return {f.channel for f in self.frames if f.channel is not None}

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Parse a recording; raises ``ValueError`` naming the line of anything malformed."""
        frames: list[Frame] = []
        meta: list[dict[str, Any]] = []
        for number, line in enumerate(Path(path).read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                opcode = obj.get("opcode") if isinstance(obj, dict) else None
                if opcode is None:
                    meta.append(obj)
                    continue
                t_ns = int(obj["t_ns"])
                if opcode == "text":
                    frame = _text_frame(t_ns, str(obj["text"]))
                    if frame is not None:
                        frames.append(frame)
                elif opcode == "binary":
                    raw = base64.b64decode(obj["b64"], validate=True)
                    frames.append(Frame(t_ns, raw, _sbe_channel(raw)))
                else:
                    raise ValueError(f"unknown opcode {opcode!r}")
            except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
        return cls(frames, meta)


def _text_frame(t_ns: int, text: str) -> Frame | None:
    """A recorded text frame to replay, or None for a recorded answer (the server answers live)."""
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        return Frame(t_ns, text, None)  # garbage as recorded: the client's problem, as it was then
    if isinstance(msg, dict) and "id" in msg and "method" not in msg:
        return None
    params = msg.get("params") if isinstance(msg, dict) else None
    channel = params.get("channel") if isinstance(params, dict) else None
    return Frame(t_ns, text, channel if isinstance(channel, str) else None)


def _sbe_channel(raw: bytes) -> str | None:
    from paradex_py.api.sbe import decode_frame

    try:
        channel, _ = decode_frame(raw)
    except Exception:  # an undecodable frame is replayed as recorded
        return None
    return channel


def wanted(channel: str | None, subscriptions: Iterable[str]) -> bool:
    """Does a frame on ``channel`` go to a client with these subscriptions?"""
    if channel is None:
        return True
    for sub in subscriptions:
        if sub == channel or sub.startswith(channel + "."):  # order_book.M vs order_book.M.deltas@15@50ms
            return True
        if sub.endswith(".ALL") and channel.startswith(sub[:-3]):  # SBE orders.BTC-USD-PERP for orders.ALL
            return True
    return False


class ReplayServer:
    """One port: WebSocket replay on any path, the REST reads a client needs at start, ``/_sim/replay``."""

    def __init__(
        self, recording: Recording, host: str = "127.0.0.1", port: int = 0, speed: float | None = 1.0
    ):
        if speed is not None and speed <= 0:
            raise ValueError("replay speed must be positive")
        self.recording = recording
        self.host, self.port, self.speed = host, port, speed
        self.sent = 0
        self.connections = 0
        self.finished = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/markets", self._markets)
        app.router.add_get("/v1/system/config", self._config)
        app.router.add_post("/v1/onboarding", self._onboarding)
        app.router.add_post("/v1/auth", self._auth)
        app.router.add_post("/v1/auth/{public_key}", self._auth)
        app.router.add_get("/_sim/replay", self._state)
        app.router.add_get("/{tail:.*}", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _markets(self, request: web.Request) -> web.StreamResponse:
        wanted_market = request.query.get("market")
        results = [s.market_resp() for m, s in MARKETS.items() if wanted_market in (None, "", m)]
        return web.json_response({"results": results}, dumps=lambda o: orjson.dumps(o).decode())

    async def _config(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(system_config(), dumps=lambda o: orjson.dumps(o).decode())

    async def _onboarding(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    async def _auth(self, request: web.Request) -> web.StreamResponse:
        """Any signed auth request gets a token (nothing private is served live; a recorded private stream
        is replayed to whoever subscribes): a sidecar with (paper) credentials starts as against the sim."""
        account = request.headers.get("PARADEX-STARKNET-ACCOUNT", "0x0")
        return web.json_response({"jwt_token": mint_unsigned_jwt(account)})

    async def _state(self, request: web.Request) -> web.StreamResponse:
        state = {
            "ok": True,
            "frames": len(self.recording.frames),
            "sent": self.sent,
            "connections": self.connections,
            "finished": self.finished,
            "speed": self.speed,
        }
        return web.json_response(state)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        sbe = "sbeSchemaId" in request.query
        if self.recording.binary and not sbe:
            return web.Response(status=400, text="this recording has SBE frames: connect with ?sbeSchemaId=1")
        ws = web.WebSocketResponse(autoping=True, compress=False)
        await ws.prepare(request)
        self.connections += 1
        subscriptions: list[str] = []
        subscribed = asyncio.Event()
        last_subscribe = [0.0]
        player = asyncio.ensure_future(self._play(ws, subscriptions, subscribed, last_subscribe))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                count = len(subscriptions)
                await ws.send_str(self._answer(msg.data, subscriptions))
                if len(subscriptions) > count:
                    last_subscribe[0] = time.monotonic()
                    subscribed.set()
        finally:
            player.cancel()
        return ws

    def _answer(self, text: str, subscriptions: list[str]) -> str:
        us_in = time.time_ns() // 1000
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            req = None
        if not isinstance(req, dict):
            return _reply(None, us_in, error={"code": -32700, "message": "parse error"})
        method, params, req_id = req.get("method"), req.get("params") or {}, req.get("id")
        channel = params.get("channel") if isinstance(params, dict) else None
        if method == "auth":
            return _reply(req_id, us_in, result={"node_id": "replay"})
        if method in ("subscribe", "unsubscribe") and isinstance(channel, str):
            if method == "subscribe" and channel not in subscriptions:
                subscriptions.append(channel)
            elif method == "unsubscribe" and channel in subscriptions:
                subscriptions.remove(channel)
            return _reply(req_id, us_in, result={"channel": channel})
        error = {
            "code": -32601,
            "message": "method does not exist",
            "data": "replay: auth and subscriptions only",
        }
        return _reply(req_id, us_in, error=error)

    async def _play(
        self,
        ws: web.WebSocketResponse,
        subscriptions: list[str],
        subscribed: asyncio.Event,
        last: list[float],
    ) -> None:
        await subscribed.wait()
        recorded = self.recording.channels
        deadline = time.monotonic() + SETTLE_MAX_S
        while time.monotonic() < deadline and not all(wanted(c, subscriptions) for c in recorded):
            quiet = time.monotonic() - last[0]
            if quiet >= SETTLE_S:
                break
            await asyncio.sleep(SETTLE_S - quiet)
        frames = self.recording.frames
        if not frames:
            return
        t0, start = frames[0].t_ns, time.monotonic()
        for frame in frames:
            if self.speed is not None:
                delay = (frame.t_ns - t0) / 1e9 / self.speed - (time.monotonic() - start)
                if delay > 0:
                    await asyncio.sleep(delay)
            if not wanted(frame.channel, subscriptions):
                continue
            if isinstance(frame.payload, bytes):
                await ws.send_bytes(frame.payload)
            else:
                await ws.send_str(frame.payload)
            self.sent += 1
        self.finished += 1
        log.info("replay finished: %d frame(s) sent", self.sent)


def _reply(req_id: Any, us_in: int, result: Any = None, error: Any = None) -> str:
    us_out = time.time_ns() // 1000
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": req_id, "usIn": us_in, "usOut": us_out}
    body["usDiff"] = us_out - us_in
    if error is not None:
        body["error"] = error
    else:
        body["result"] = result
    return orjson.dumps(body).decode()
