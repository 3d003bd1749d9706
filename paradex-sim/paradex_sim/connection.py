"""One WebSocket client of the simulator: its encoding, account, subscriptions and a bounded send
queue written to the socket in batches; plus bench mode's record of send times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from array import array
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from websockets.frames import Frame, Opcode

from .auth import AuthedAccount

if TYPE_CHECKING:
    from .server import SimServer

log = logging.getLogger("paradex_sim")

_MAX_WRITE_BATCH = 4096  # frames joined into one socket write
_WRITE_HIGH_WATER = 256 * 1024  # bytes buffered for a client before its sender waits


class SendTimes:
    """Bench mode's record of when each bbo frame was written: per market, (seq_no, time_ns) pairs
    in two compact int64 arrays, so minutes at 50k frames/s stay in tens of MB."""

    LIMIT = 20_000_000  # records; beyond it recording stops (with one warning) rather than grow forever

    def __init__(self) -> None:
        self._by_market: dict[str, tuple[array[int], array[int]]] = {}
        self._count = 0
        self._warned = False

    def append(self, market: str, seq_no: int, sent_ns: int) -> None:
        if self._count >= self.LIMIT:
            if not self._warned:
                log.warning("send-time record is full (%d); not recording more", self.LIMIT)
                self._warned = True
            return
        arrays = self._by_market.get(market)
        if arrays is None:
            arrays = self._by_market[market] = (array("q"), array("q"))
        arrays[0].append(seq_no)
        arrays[1].append(sent_ns)
        self._count += 1

    def records(self, market: str | None = None) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        for m, (seqs, times) in self._by_market.items():
            if market in (None, m):
                out.extend((m, s, t) for s, t in zip(seqs, times, strict=True))
        return out

    def clear(self) -> None:
        self._by_market.clear()
        self._count = 0
        self._warned = False

    def __len__(self) -> int:
        return self._count


class Connection:
    """One WebSocket client: its encoding, account, subscriptions and a bounded send queue."""

    def __init__(
        self, server: SimServer, conn_id: int, ws: web.WebSocketResponse, request: web.Request
    ) -> None:
        self.server = server
        self.id = conn_id
        self.ws = ws
        self.transport = request.transport
        self.sbe_version: int | None = None
        self.account: AuthedAccount | None = None
        self.subscriptions: set[str] = set()
        self.state: dict[str, Any] = {}  # free space for extensions (e.g. cancel-on-disconnect)
        self.last_pong = time.monotonic()
        self.last_sent = time.monotonic()  # the SBE heartbeat goes to idle connections only
        self._after_reply: list[Callable[[], None]] = []
        # The answer to the request being handled leaves this much later (a slow gateway); set by a fault.
        self.reply_delay_s = 0.0
        self._queue: deque[tuple[bytes, tuple[str, int] | None]] = deque()
        self._wake = asyncio.Event()
        self.closed = False
        self.private_sbe_frames = 0  # orders/fills/positions/account sent as SBE (tests read it in state)

    def __repr__(self) -> str:
        return f"<Connection {self.id} sbe={self.sbe_version} authed={self.account is not None}>"

    def enqueue(self, payload: bytes, binary: bool = False, stamp: tuple[str, int] | None = None) -> None:
        """Queue one message (JSON text or SBE binary) for this client."""
        self.enqueue_framed(ws_frame(payload, binary), stamp)

    def enqueue_framed(self, frame: bytes, stamp: tuple[str, int] | None = None) -> None:
        """Queue an already framed message; a client `max_queue` behind is dropped, like on Paradex."""
        if self.closed:
            return
        if len(self._queue) >= self.server.config.max_queue:
            log.warning("connection %d: %d frames unread, dropping it", self.id, len(self._queue))
            self.abort()
            return
        self._queue.append((frame, stamp))
        if not self._wake.is_set():
            self._wake.set()

    def send_json(self, obj: dict[str, Any]) -> None:
        self.enqueue(orjson.dumps(obj))

    def after_reply(self, callback: Callable[[], None]) -> None:
        """Run `callback` right after the answer to the request being handled is queued.

        For frames that must follow the acknowledgement on the wire: a deltas feed's opening snapshot,
        or the order updates that follow an `order.create` result.
        """
        self._after_reply.append(callback)

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake (what a crash or network cut looks like)."""
        self.closed = True
        self._queue.clear()
        self._wake.set()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    async def close_going_away(self) -> None:
        """Close with 1001 and a close handshake (bounded: a silent client is cut after 2 s)."""
        try:
            await asyncio.wait_for(self.ws.close(code=1001, message=b"going away"), 2.0)
        except (asyncio.TimeoutError, ConnectionError):
            self.abort()

    async def run_sender(self) -> None:
        """Write queued frames straight to the socket, everything pending in one write.

        One write per batch instead of one per frame is what lets a single Python process push
        50k+ frames/s; frames are complete and in order, so interleaving with aiohttp's own
        ping/pong/close writes stays valid.
        """
        transport = self.transport
        config = self.server.config
        sendtimes = self.server.sendtimes
        queue = self._queue
        while not self.closed:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            if transport is None or transport.is_closing():
                self.abort()
                return
            count = min(len(queue), _MAX_WRITE_BATCH)
            batch = [queue.popleft() for _ in range(count)]
            if config.record_sendtimes:
                sent_ns = time.time_ns()
                for _, stamp in batch:
                    if stamp is not None:
                        sendtimes.append(stamp[0], stamp[1], sent_ns)
            transport.write(b"".join(frame for frame, _ in batch))
            self.last_sent = time.monotonic()
            # A client that stops reading fills the kernel buffer, then ours: wait for it to drain
            # (its queue keeps growing meanwhile, and max_queue drops it like Paradex would). A raw
            # transport offers no public drain future, hence the short poll.
            while transport.get_write_buffer_size() > _WRITE_HIGH_WATER and not self.closed:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            if count == _MAX_WRITE_BATCH:
                await asyncio.sleep(0)


def ws_frame(payload: bytes, binary: bool = False) -> bytes:
    """A complete, unmasked, uncompressed server-to-client WebSocket frame (RFC 6455 §5.2)."""
    return Frame(Opcode.BINARY if binary else Opcode.TEXT, payload).serialize(mask=False, extensions=[])
