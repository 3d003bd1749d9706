"""Fault injection: what a flaky exchange does to a client, on demand, in-process or over `/_sim`.

Each fault is a method on `server.faults`; the HTTP control API calls the same methods.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import SimServer

log = logging.getLogger("paradex_sim.faults")

# Frames no JSON-RPC or SBE parser accepts: broken JSON, a JSON non-object, a truncated SBE header,
# an SBE header announcing a block longer than the frame, and an unknown template id.
_GARBAGE_TEXT = (b'{"jsonrpc": "2.0", "method": "subscription", "params": {', b"\x00not json", b"[1, 2, 3]")
_GARBAGE_BINARY = (
    b"\x30\x00\x02",
    b"\x30\x00\x02\x00\x01\x00\x02\x00\x01\x02",
    b"\x08\x00\xc8\x00\x01\x00\x02\x00" + bytes(8),
)


class Faults:
    """The fault switches of one SimServer."""

    def __init__(self, server: SimServer) -> None:
        self._server = server
        self._silenced: dict[str, float] = {}  # channel (or prefix) → monotonic deadline
        self._auth_failures = 0
        self._down_task: asyncio.Task[None] | None = None
        self.counters: dict[str, int] = {}

    def _count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    # ── connections ───────────────────────────────────────────────────
    def drop_all(self, clean: bool = False) -> int:
        """Cut every WebSocket connection; the server stays up.

        Default: at the TCP level, no close frame (a network cut; clients see 1006). With `clean`, a
        close handshake with 1001 "going away" instead (a server restart; paradex-py's own reconnect
        handles that one, §2.7).
        """
        conns = list(self._server.connections.values())
        for conn in conns:
            if clean:
                self._server.spawn(conn.close_going_away(), f"paradex-sim-close-{conn.id}")
            else:
                conn.abort()
        self._count("drop")
        log.info("fault: dropped %d connection(s)%s", len(conns), " cleanly" if clean else "")
        return len(conns)

    async def down(self, seconds: float, keep_rest: bool = False) -> float:
        """Take the simulator down for `seconds`, then bring it back; returns the wall-clock deadline.

        Default: stop listening and drop everyone (connects are refused; REST on surviving keep-alive
        connections answers 503). With `keep_rest`, only the WebSocket side goes down (a stream outage:
        connections cut, upgrades answered 503) while REST keeps answering, which is what a client's REST
        fallback must ride through. A new `down` replaces one in progress.
        """
        if not 0 < seconds <= 3600:
            raise ValueError("seconds must be in (0, 3600]")
        server = self._server
        if self._down_task is not None and not self._down_task.done():
            self._down_task.cancel()
        until = time.time() + seconds
        if keep_rest:
            server.down_until = None
            server.ws_down_until = until
            await self._relisten()  # a full outage in progress gives way to the stream-only one
        else:
            server.ws_down_until = None
            server.down_until = until
            await server.stop_listening()
        self.drop_all()
        self._count("ws_down" if keep_rest else "down")
        # Owned by the server, so stop() during downtime cancels the come-back instead of racing it.
        self._down_task = server.spawn(self._come_back(seconds), "paradex-sim-down")
        log.info("fault: %s down for %.2fs", "websocket" if keep_rest else "server", seconds)
        return until

    async def _come_back(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._relisten()
        self._server.down_until = None
        self._server.ws_down_until = None
        log.info("fault: back up")

    async def _relisten(self) -> None:
        """Listen again if a full outage stopped it; the port can linger for a moment after close."""
        server = self._server
        for attempt in range(50):
            try:
                await server.start_listening()
                return
            except OSError as exc:
                log.warning("fault: relisten attempt %d failed: %s", attempt + 1, exc)
                await asyncio.sleep(0.05)

    def malformed(self, count: int = 1) -> int:
        """Send `count` garbage frames to every connection (binary ones too on SBE connections)."""
        if not 0 < count <= 10_000:
            raise ValueError("count must be in [1, 10000]")
        conns = list(self._server.connections.values())
        for conn in conns:
            for i in range(count):
                if conn.sbe_version is not None and i % 2 == 1:
                    conn.enqueue(_GARBAGE_BINARY[(i // 2) % len(_GARBAGE_BINARY)], True)
                else:
                    conn.enqueue(_GARBAGE_TEXT[(i // 2) % len(_GARBAGE_TEXT)])
        self._count("malformed", count)
        return len(conns)

    # ── channels ──────────────────────────────────────────────────────
    def silence(self, channel: str, seconds: float) -> None:
        """Publish nothing on `channel` for `seconds`. A bare prefix ("bbo") silences all its channels."""
        if not channel or not 0 < seconds <= 3600:
            raise ValueError("channel and seconds in (0, 3600] are required")
        self._silenced[channel] = time.monotonic() + seconds
        self._count("silence")

    def is_silenced(self, channel: str) -> bool:
        if not self._silenced:
            return False
        now = time.monotonic()
        for key, deadline in list(self._silenced.items()):
            if deadline <= now:
                del self._silenced[key]
            elif channel == key or channel.startswith(key + "."):
                return True
        return False

    def skip_seq(self, market: str) -> int:
        """The next message of every deltas feed of `market` jumps one seq_no (a gap to detect)."""
        self._server.market(market)
        feeds: list[Any] = [
            f for f in self._server.sim.feeds.values() if f.deltas and f.market.symbol == market
        ]
        # The bare (SBE) deltas stream numbers frames with the market's sequence: its next frame is lost.
        # Its two names (deltas, interactive_deltas) share one stream: count it once.
        streams = {id(s): s for s in self._server.sim.deltas.values() if s.market.symbol == market}
        feeds += streams.values()
        for feed in feeds:
            feed.skip_next = True
        self._count("skip_seq")
        return len(feeds)

    # ── auth ──────────────────────────────────────────────────────────
    def auth_40111(self, count: int = 1) -> None:
        """Answer the next `count` `auth` requests with 40111 invalid bearer token."""
        if not 0 < count <= 10_000:
            raise ValueError("count must be in [1, 10000]")
        self._auth_failures += count

    def take_auth_failure(self) -> bool:
        if self._auth_failures > 0:
            self._auth_failures -= 1
            self._count("auth_40111")
            return True
        return False

    def describe(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "silenced": {k: round(v - now, 3) for k, v in self._silenced.items() if v > now},
            "auth_failures_pending": self._auth_failures,
            "down_until": self._server.down_until,
            "ws_down_until": self._server.ws_down_until,
            "counters": dict(self.counters),
        }
