"""stdin line → typed command → handler → exactly one ``result`` per command line.

This is the one place where an exception becomes an error reply. A line that is not JSON, not an object,
has no usable ``id`` (string or integer) or is too long is answered with an ``error`` event; a line with
an ``id`` but no ``op``, an unknown ``op`` or bad parameters gets ``result ok:false``; either way the
process keeps running. Blank lines are ignored.

Extending it (the trading module does): ``dispatcher.register(op, handler)`` where ``handler`` is
``async (command: Command, ctx: Context) -> dict`` returning the result's ``data`` or raising
``CommandError(code, message)``. Each command runs as its own task, so a slow handler (a signed order, a
REST snapshot) never blocks the stdin reader or other commands. On shutdown, commands still running are
cancelled and answered with ``ok:false`` so every id still gets its one result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from paradex_ws_service import protocol as p
from paradex_ws_service.transport import EOF, BadLine, StdinItem

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A refusal with a stable ``code`` (see protocol.py) and a message a person understands."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Command:
    """One parsed stdin command: ``params`` is the whole object (``id`` and ``op`` included)."""

    id: str | int
    op: str
    params: Mapping[str, Any]

    def str_param(self, name: str, required: bool = True) -> str | None:
        """A string parameter, or ``CommandError(BAD_PARAMS)`` naming what is wrong."""
        value = self.params.get(name)
        if value is None:
            if required:
                raise CommandError(p.ERR_BAD_PARAMS, f"{self.op}: missing {name!r}")
            return None
        if not isinstance(value, str) or not value:
            raise CommandError(p.ERR_BAD_PARAMS, f"{self.op}: {name!r} must be a non-empty string")
        return value


class Subscriptions(Protocol):
    """What the built-in subscribe/unsubscribe handlers need from the supervisor."""

    async def subscribe(self, channel: str, market: str | None) -> str: ...
    async def unsubscribe(self, channel: str, market: str | None) -> str: ...


@dataclass
class Context:
    """What handlers may use. ``services`` is the app's service bag (typed in app.py) for extensions."""

    emit: Callable[[dict[str, Any]], None]
    subscriptions: Subscriptions
    stats: Callable[[], dict[str, Any]]
    request_shutdown: Callable[[str], None]
    services: Any = None


Handler = Callable[[Command, Context], Awaitable[dict[str, Any]]]


@dataclass
class Dispatcher:
    """Parses stdin items, runs handlers as tasks, and answers each command line exactly once."""

    ctx: Context
    handlers: dict[str, Handler] = field(default_factory=dict)
    on_eof: Callable[[], None] = lambda: None
    _tasks: dict[asyncio.Task[None], Command] = field(default_factory=dict)
    handled: dict[str, int] = field(default_factory=dict)  # op → commands answered (successfully or not)
    _idle: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self.register("ping", _ping)
        self.register("subscribe", _subscribe)
        self.register("unsubscribe", _unsubscribe)
        self.register("stats", _stats)
        self.register("shutdown", _shutdown)

    def register(self, op: str, handler: Handler) -> None:
        """Add or replace the handler of ``op``."""
        self.handlers[op] = handler

    # ---------------------------------------------------------------------------------- input

    def deliver(self, item: StdinItem) -> None:
        """Called on the loop for each stdin item (see transport.start_stdin_reader)."""
        if item is EOF:
            self.on_eof()
            return
        if isinstance(item, BadLine):
            self._error(item.code, item.message, None)
            return
        assert isinstance(item, bytes)
        command = self._parse(item)
        if command is not None:
            task = asyncio.get_running_loop().create_task(self._run(command), name=f"cmd-{command.op}")
            self._tasks[task] = command
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        command = self._tasks.pop(task)
        self.handled[command.op] = self.handled.get(command.op, 0) + 1
        if not self._tasks and self._idle is not None:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> None:
        """Until no command is running (bounded): the end of stdin lets received commands finish."""
        if not self._tasks:
            return
        self._idle = asyncio.Event()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            log.warning(
                "%d command(s) still running %.0f s after the end of stdin", len(self._tasks), timeout
            )

    def _parse(self, line: bytes) -> Command | None:
        if not line.strip():
            return None
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            self._error(p.ERR_BAD_JSON, f"stdin line is not JSON: {exc}", None)
            return None
        if not isinstance(obj, dict):
            self._error(p.ERR_NOT_OBJECT, f"stdin line is a JSON {type(obj).__name__}, not an object", None)
            return None
        cid = obj.get("id")
        if isinstance(cid, bool) or not isinstance(cid, (str, int)) or cid == "":
            self._error(
                p.ERR_MISSING_ID, "command has no usable 'id' (a non-empty string or an integer)", None
            )
            return None
        op = obj.get("op")
        if not isinstance(op, str) or not op:
            self._result_error(cid, p.ERR_MISSING_OP, "command has no 'op' (a string such as \"ping\")")
            return None
        if op not in self.handlers:
            self._result_error(cid, p.ERR_UNKNOWN_OP, self._unknown_op_message(op))
            return None
        unknown = sorted(set(obj) - {"id", "op"} - p.COMMAND_PARAMS.get(op, frozenset(obj)))
        if unknown:
            takes = ", ".join(sorted(p.COMMAND_PARAMS[op])) or "no parameters"
            self._result_error(
                cid,
                p.ERR_BAD_PARAMS,
                f"{op}: unknown parameter {', '.join(map(repr, unknown))} ({op} takes {takes})",
            )
            return None
        return Command(cid, op, obj)

    def _unknown_op_message(self, op: str) -> str:
        known = ", ".join(sorted(self.handlers))
        if op in p.COMMAND_OPS:
            return f"op {op!r} is not available in this process (trading not enabled); available: {known}"
        return f"unknown op {op!r}; known ops: {known}"

    # ---------------------------------------------------------------------------------- running

    async def _run(self, command: Command) -> None:
        try:
            data = await self.handlers[command.op](command, self.ctx)
        except CommandError as exc:
            self._result_error(command.id, exc.code, exc.message)
        except asyncio.CancelledError:
            self._result_error(command.id, p.ERR_INTERNAL, "cancelled: the process is shutting down")
            raise
        except Exception as exc:  # the boundary: a bug in a handler is a reply, never a dead process
            log.exception("command %s (%r) failed", command.op, command.id)
            self._result_error(
                command.id, p.ERR_INTERNAL, f"{command.op} failed: {type(exc).__name__}: {exc}"
            )
        else:
            self.ctx.emit(p.result_ok(command.id, data))

    async def cancel_all(self, timeout: float = 0.5) -> None:
        """Cancel running commands; each answers ``ok:false`` from its own CancelledError path."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    @property
    def running(self) -> int:
        return len(self._tasks)

    # ---------------------------------------------------------------------------------- replies

    def _error(self, code: str, message: str, cid: str | int | None) -> None:
        self.ctx.emit(p.error_event(code, message, cid))

    def _result_error(self, cid: str | int, code: str, message: str) -> None:
        self.ctx.emit(p.result_error(cid, code, message))


# ------------------------------------------------------------------------------------------------------
# built-in handlers
# ------------------------------------------------------------------------------------------------------


async def _ping(command: Command, ctx: Context) -> dict[str, Any]:
    return {"pong": True, "ts": time.time_ns() // 1_000_000}


async def _subscribe(command: Command, ctx: Context) -> dict[str, Any]:
    channel = command.str_param("channel")
    assert channel is not None
    return {
        "channel": await ctx.subscriptions.subscribe(channel, command.str_param("market", required=False))
    }


async def _unsubscribe(command: Command, ctx: Context) -> dict[str, Any]:
    channel = command.str_param("channel")
    assert channel is not None
    return {
        "channel": await ctx.subscriptions.unsubscribe(channel, command.str_param("market", required=False))
    }


async def _stats(command: Command, ctx: Context) -> dict[str, Any]:
    return ctx.stats()


async def _shutdown(command: Command, ctx: Context) -> dict[str, Any]:
    # Answer first: the reply must be queued before the shutdown closes the writer.
    asyncio.get_running_loop().call_soon(ctx.request_shutdown, "shutdown command")
    return {}
