"""The single writer: every stdout line goes through one bounded queue and one task that numbers it.

Producers call ``emit(event)``: synchronous, never blocking, safe on the WebSocket reader's path. The
writer task takes whatever is queued, assigns ``seq`` (1, 2, 3… in write order, so a consumer can prove
nothing was lost), serialises with orjson and writes all of it in one ``write`` — one line when idle (no
added delay), many when a burst queued them. Two shortcuts keep the numbering and order: an event emitted
while the writer is idle is written by ``emit`` at once (no loop iteration of delay; further events of
the same iteration batch in the task), and a full batch queued before the task got a turn (the WebSocket
reader drains buffered frames without yielding) is written by ``emit`` too.

Backpressure (Paradex drops clients that leave 2000 frames unread, so the reader must never wait on a
slow stdout): when the stdout reader falls behind (the pipe transport is over its high-water mark) or
the queue is deeper than ``pressure_depth``, a new ``bbo``/``book`` replaces the still-queued one of the
same market in place (latest wins; counted as ``coalesced``). Every other event — trades above all — is
always queued: the ``capacity`` bound is enforced by coalescing, and events that must not be lost may
exceed it (a warning says so) rather than be dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

import orjson

from paradex_ws_service.protocol import COALESCIBLE
from paradex_ws_service.stats import Stats
from paradex_ws_service.transport import StdoutSink

log = logging.getLogger(__name__)

_MAX_BATCH = 512  # lines per write: bounds the time one write takes and the size of one join


class Writer:
    """One queue, one task, one sequence counter. See the module docstring for the rules."""

    def __init__(
        self, sink: StdoutSink, stats: Stats, capacity: int = 65536, pressure_depth: int = 2048
    ) -> None:
        self._sink = sink
        self._stats = stats
        self._capacity = capacity
        self._pressure_depth = pressure_depth
        self._queue: deque[dict[str, Any]] = deque()
        # (type, market) → the coalescible event of that key still waiting in the queue
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._waiter: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._seq = 0
        self._closing = False
        self._over_capacity_warned = False
        self._wrote_this_turn = False  # an idle-path write already happened in this loop iteration

    # -------------------------------------------------------------------------------- producers

    def emit(self, event: dict[str, Any]) -> None:
        """Queue one event (a fresh dict the writer may mutate). Never blocks, never raises on pressure."""
        etype = event["type"]
        if etype in COALESCIBLE:
            key = (etype, event["market"])
            queued = self._pending.get(key)
            if queued is not None and self._under_pressure():
                queued.clear()
                queued.update(event)  # latest wins, in the queued one's place
                self._stats.coalesced += 1
                self._stats.total_coalesced += 1
                return
            self._pending[key] = event
        elif len(self._queue) >= self._capacity and not self._over_capacity_warned:
            self._over_capacity_warned = True
            log.warning("writer queue over capacity (%d): stdout reader is far behind", self._capacity)
        self._queue.append(event)
        waiter = self._waiter
        if not self._sink.paused:
            if waiter is not None and not self._wrote_this_turn:
                # Idle: the queue held nothing before this event. Write it now instead of waking the task
                # (saves a loop iteration of latency); later events of this iteration batch in the task.
                self._wrote_this_turn = True
                asyncio.get_running_loop().call_soon(self._end_turn)
                self._write_batch()
                return
            if len(self._queue) >= _MAX_BATCH:
                # The reader can process many buffered frames without yielding to the loop; write a full
                # batch here rather than let the queue grow into coalescing while stdout is in fact fine.
                self._write_batch()
                return
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _end_turn(self) -> None:
        self._wrote_this_turn = False

    def _under_pressure(self) -> bool:
        return self._sink.paused or len(self._queue) >= self._pressure_depth

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def last_seq(self) -> int:
        return self._seq

    # -------------------------------------------------------------------------------- the task

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="writer")

    async def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._closing:
                    return
                self._waiter = asyncio.get_running_loop().create_future()
                await self._waiter
                continue
            if self._sink.paused:
                await self._sink.writable()
                if self._sink.closed:
                    queue.clear()
                    continue
            self._write_batch()

    def _write_batch(self) -> None:
        queue, pending, stats = self._queue, self._pending, self._stats
        counts = stats.events
        lag = stats.lag
        now_us = time.time_ns() // 1000
        dumps = orjson.dumps
        opt = orjson.OPT_APPEND_NEWLINE
        parts: list[bytes] = []
        append = parts.append
        seq = self._seq
        for _ in range(min(len(queue), _MAX_BATCH)):
            event = queue.popleft()
            etype = event["type"]
            if etype in COALESCIBLE:
                key = (etype, event["market"])
                if pending.get(key) is event:
                    del pending[key]
            seq += 1
            event["seq"] = seq
            append(dumps(event, option=opt))
            counts[etype] += 1
            recv_us = event.get("recv_us")
            if recv_us is not None:
                lag.add(now_us - recv_us)
        stats.total_events += len(parts)
        self._seq = seq
        self._sink.write(parts[0] if len(parts) == 1 else b"".join(parts))

    # -------------------------------------------------------------------------------- shutdown

    async def close(self, timeout: float = 1.0) -> None:
        """Write what is queued, flush the descriptor (both bounded by ``timeout``), then stop."""
        self._closing = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), max(0.05, deadline - loop.time()))
            if not self._task.done():
                self._task.cancel()
        await self._sink.drain(max(0.05, deadline - loop.time()))
        self._sink.close()
