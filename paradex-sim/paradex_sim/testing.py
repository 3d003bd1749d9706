"""Helpers for tests that talk to the simulator over real sockets: a raw JSON-RPC WebSocket client that
keeps requests and notifications apart, and the standalone process with its control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import aiohttp
import orjson
from paradex_py.api.sbe import decode_frame

from paradex_ws_service.sim_launcher import SimLauncher, SimReady, SimStartError

from .config import SimConfig
from .server import SimServer

# Generous: the simulator imports the starknet stack (~1 s alone, 15 s seen on a loaded 2-core machine).
READY_TIMEOUT_S = 30.0


def canon(value: str) -> str:
    """Canonical decimal string: no exponent, no trailing zeros ("95000.10000000" → "95000.1")."""
    d = Decimal(value)
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


class RawClient:
    """A minimal JSON-RPC client over aiohttp, to see exactly what the simulator sends."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse[bool], session: aiohttp.ClientSession) -> None:
        self.ws = ws
        self.session = session
        self._ids = itertools.count(1)
        self._responses: dict[Any, dict[str, Any]] = {}
        self.notifications: deque[tuple[str | None, dict[str, Any], bytes | None]] = deque()
        self.garbage: list[str | bytes] = []
        self.closed = False
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls, url: str, headers: dict[str, str] | None = None, autoping: bool = True
    ) -> RawClient:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, headers=headers, autoping=autoping, max_msg_size=0)
        except BaseException:
            await session.close()
            raise
        return cls(ws, session)

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._on_text(msg.data)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    self._on_binary(msg.data)
                self._arrived.set()
        finally:
            self.closed = True
            self._arrived.set()

    def _on_text(self, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            self.garbage.append(text)
            return
        if not isinstance(msg, dict):
            self.garbage.append(text)
        elif "id" in msg and ("result" in msg or "error" in msg):
            self._responses[_id_key(msg["id"])] = msg
        elif isinstance(msg.get("params"), dict):
            self.notifications.append((msg["params"].get("channel"), msg["params"].get("data"), None))
        else:
            self.garbage.append(text)

    def _on_binary(self, data: bytes) -> None:
        try:
            channel, model = decode_frame(data)
        except Exception:
            self.garbage.append(data)
            return
        if model is not None:
            self.notifications.append((channel, model.model_dump(), data))
        else:
            self.notifications.append(("_control", {}, data))

    async def _wait(self, predicate: Any, timeout: float) -> None:
        async def loop() -> None:
            while not predicate():
                if self.closed:
                    raise ConnectionError("connection closed")
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(loop(), timeout)

    async def request(
        self, method: str, params: Any = None, req_id: Any = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        req_id = next(self._ids) if req_id is None else req_id
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": req_id}
        if params is not None:
            frame["params"] = params
        await self.ws.send_str(orjson.dumps(frame).decode())
        key = _id_key(req_id)
        await self._wait(lambda: key in self._responses, timeout)
        return self._responses.pop(key)

    async def send_raw(self, text: str) -> None:
        await self.ws.send_str(text)

    async def response_for(self, req_id: Any, timeout: float = 5.0) -> dict[str, Any]:
        key = _id_key(req_id)
        await self._wait(lambda: key in self._responses, timeout)
        return self._responses.pop(key)

    async def subscribe(self, channel: str) -> dict[str, Any]:
        return await self.request("subscribe", {"channel": channel})

    async def collect(self, channel: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait for `count` notifications on `channel` (taken from the buffer, in order)."""
        out: list[dict[str, Any]] = []

        def enough() -> bool:
            kept: deque[tuple[str | None, dict[str, Any], bytes | None]] = deque()
            while self.notifications and len(out) < count:
                item = self.notifications.popleft()
                if item[0] == channel:
                    out.append(item[1])
                else:
                    kept.append(item)
            self.notifications.extendleft(reversed(kept))
            return len(out) >= count

        await self._wait(enough, timeout)
        return out

    async def wait_closed(self, timeout: float = 5.0) -> None:
        await self._wait(lambda: self.closed, timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 2)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        await self.session.close()


def _id_key(value: Any) -> tuple[str, Any]:
    """Keep 1 and "1" apart: the SDK matches ids by type as well as value."""
    return (type(value).__name__, value)


class SimProcess:
    """`paradex-sim --port 0` as a child process, started by the product's one launcher
    (``paradex_ws_service.sim_launcher``), and its ``/_sim`` control API. ``ready`` is its sim_ready line.

    Used by the tests' fixtures and the benchmarks. stderr goes to a file, not a pipe: an unread pipe would
    block the simulator's logging."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        stderr_path: Path | None = None,
        timeout: float = READY_TIMEOUT_S,
    ) -> None:
        self._stderr: IO[bytes] = open(stderr_path, "w+b") if stderr_path else tempfile.TemporaryFile()
        self._launcher = SimLauncher(*args, env=env, cwd=cwd, stderr=self._stderr, new_session=True)
        self.proc = self._launcher.proc
        try:
            self.ready: SimReady = self._launcher.wait_ready(timeout)
        except SimStartError as exc:
            raise RuntimeError(f"{exc}: {self.stderr()}") from None
        self.ws_url = self.ready["ws_url"]
        self.rest_url = self.ready["rest_url"]
        self.control_url = self.ready["control_url"].rstrip("/")

    def stderr(self) -> str:
        """Everything the simulator logged so far."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def control(self, action: str, body: Mapping[str, Any] | None = None, timeout: float = 60.0) -> Any:
        """``POST /_sim/<action>`` with a JSON body; returns the JSON answer."""
        request = urllib.request.Request(
            f"{self.control_url}/{action}",
            data=orjson.dumps(body or {}),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return orjson.loads(response.read())

    post = control

    def get(self, action: str, timeout: float = 60.0, **query: Any) -> Any:
        """``GET /_sim/<action>?query``; returns the JSON answer."""
        url = f"{self.control_url}/{action}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return orjson.loads(response.read())

    def sent(self, channel: str, n: int = 1000) -> list[dict[str, Any]]:
        """The last ``n`` payloads the simulator sent on ``channel`` (JSON form), oldest first."""
        payloads: list[dict[str, Any]] = self.get("sent", channel=channel, n=n)["payloads"]
        return payloads

    def terminate(self, timeout: float = 5.0) -> int:
        """SIGTERM, wait, and return the exit code (SIGKILL if it does not stop within `timeout`)."""
        return self._launcher.stop(timeout)

    def stop(self) -> None:
        self.terminate()


def run_in_sim(
    test: Callable[[SimServer], Awaitable[None]], *, seed: int, timeout: float = 20.0, **config: Any
) -> None:
    """Run ``test`` against an in-process simulator (``SimConfig(seed=seed, **config)``), within ``timeout``
    seconds, and stop the simulator whatever happens."""

    async def main() -> None:
        async with SimServer(SimConfig(seed=seed, **config)) as server:
            await asyncio.wait_for(test(server), timeout)

    asyncio.run(main())
