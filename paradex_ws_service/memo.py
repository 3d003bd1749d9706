"""First outcomes, remembered compactly: a repeated command id or client id gets the first outcome instead
of a second run (an order is never sent twice), in bounded memory.

Work in progress keeps its future (a repeat waits on it) and is never forgotten: its outcome is still unknown,
and forgetting it could let a repeat send the same order again. Settled work keeps only what a repeat needs:
an 8-byte digest of what was asked (a repeat with other parameters is refused) and the outcome as deflated
JSON bytes, or the error's code and message — no payload dicts, futures or tracebacks. Beyond ``cap``
settled entries the oldest are forgotten first. A place remembered by both tables costs about 0.4 KiB (the
unit test bounds it).
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from collections.abc import Awaitable, Hashable
from typing import Any

import orjson

DEFAULT_CAP = 10_000
DIGEST_SIZE = 8


class Mismatch(Exception):
    """The key was used before for something else (another digest)."""


class _Failed:
    """A settled failure: the exception's class, code and message; raised afresh on every replay."""

    __slots__ = ("cls", "code", "message")

    def __init__(self, exc: BaseException) -> None:
        self.cls = type(exc)
        self.code: str = getattr(exc, "code", "INTERNAL")
        self.message: str = getattr(exc, "message", str(exc))

    def exception(self) -> BaseException:
        return self.cls(self.code, self.message)  # ParadexError and CommandError take (code, message)


class _Kept:
    """A result kept as it is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def digest(fingerprint: bytes | str) -> bytes:
    """What identifies the parameters of a request, in 8 bytes."""
    data = fingerprint.encode() if isinstance(fingerprint, str) else fingerprint
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


class FirstOutcomes:
    """key → the first outcome of the work begun under it."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self._pending: dict[Hashable, tuple[bytes, asyncio.Future[Any]]] = {}
        # Insertion-ordered: the first key is the oldest settled entry, forgotten first.
        # A settled outcome: the digest followed by the JSON bytes (deflated: _Packed), or (digest, error or
        # result kept whole). One bytes object per entry: a tuple and a digest object would double its cost.
        self._settled: dict[Hashable, bytes | tuple[bytes, _Failed | _Kept]] = {}
        self._to_pack: list[Hashable] = []  # settled keys whose outcome is still plain JSON

    def __len__(self) -> int:
        return len(self._pending) + len(self._settled)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def first(self, key: Hashable, asked: bytes) -> Awaitable[Any] | None:
        """None when ``key`` is new (call :meth:`begin`); else an awaitable giving its first outcome.
        Raises :class:`Mismatch` when ``key`` was used with another digest."""
        pending = self._pending.get(key)
        if pending is not None:
            if pending[0] != asked:
                raise Mismatch(key)
            return asyncio.shield(pending[1])
        settled = self._settled.get(key)
        if settled is None:
            return None
        if isinstance(settled, tuple):
            if settled[0] != asked:
                raise Mismatch(key)
            return _replay(settled[1])
        if settled[:DIGEST_SIZE] != asked:
            raise Mismatch(key)
        return _replay(settled)

    def begin(self, key: Hashable, asked: bytes) -> None:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = (asked, future)

    def succeed(self, key: Hashable, result: Any) -> None:
        """The work's result (JSON-serialisable: it is what the command answers)."""
        self._settle(key, result, _compact(result))

    def fail(self, key: Hashable, exc: BaseException) -> None:
        self._settle(key, exc, _Failed(exc))

    def forget(self, key: Hashable, exc: BaseException) -> None:
        """Definitely not done (refused before anything was sent): the key may be used again. Whoever
        waits on it meanwhile gets ``exc``."""
        asked_future = self._pending.pop(key, None)
        if asked_future is not None:
            _complete(asked_future[1], exc)

    def _settle(self, key: Hashable, outcome: Any, compact: bytes | _Failed | _Kept) -> None:
        asked_future = self._pending.pop(key, None)
        if asked_future is None:
            return
        asked, future = asked_future
        _complete(future, outcome)
        self._settled.pop(key, None)
        self._settled[key] = asked + compact if isinstance(compact, bytes) else (asked, compact)
        while len(self._settled) > self.cap:
            del self._settled[next(iter(self._settled))]
        if isinstance(compact, bytes):
            # Deflated a moment later, off the path that writes this command's result (≈20 µs each).
            if not self._to_pack:
                asyncio.get_running_loop().call_soon(self.pack)
            self._to_pack.append(key)

    def pack(self) -> None:
        """Deflate the outcomes settled since the last call (JSON bytes → about a third of their size)."""
        keys, self._to_pack = self._to_pack, []
        for key in keys:
            entry = self._settled.get(key)
            if type(entry) is bytes:
                self._settled[key] = _pack(entry)


# The last result serialised and its bytes: a place's result is remembered twice (by client id in the adapter,
# by command id at stdin), one right after the other: serialised once.
_last: list[Any] = [None, b""]


def _compact(result: Any) -> bytes | _Kept:
    if _last[0] is result:
        compact: bytes | _Kept = _last[1]
        return compact
    try:
        # A copy: orjson's own bytes keep its whole output buffer (≈4 KiB) allocated.
        compact = memoryview(orjson.dumps(result, default=str)).tobytes()
    except TypeError:  # not JSON as is (never expected): kept whole rather than fail a settled order
        compact = _Kept(result)
    _last[:] = [result, compact]
    return compact


def _complete(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        future.exception()  # retrieved: a key nobody repeated must not log "never retrieved"
    else:
        future.set_result(outcome)


async def _replay(outcome: bytes | _Failed | _Kept) -> Any:
    """The outcome again: raised afresh, returned whole, or parsed from (digest +) JSON bytes."""
    if isinstance(outcome, _Failed):
        raise outcome.exception()
    if isinstance(outcome, _Kept):
        return outcome.value
    if isinstance(outcome, _Packed):
        inflate = zlib.decompressobj(_WBITS, zdict=_ZDICT)
        return orjson.loads(inflate.decompress(outcome[DIGEST_SIZE:]) + inflate.flush())
    return orjson.loads(outcome[DIGEST_SIZE:])


# Deflate with a preset dictionary of what place answers repeat (keys, markets, sides, statuses): a 230-byte
# answer becomes about 60 bytes. A 1 KiB window and little state keep each call cheap (a fresh compressor
# per outcome: a shared stream could not be inflated entry by entry).
_WBITS = -10
_ZDICT = (
    b'"recovered":true"via":"lookup""via":"rest""via":"ws""cancel_reason":null"remaining_size":"0"'
    b'"price":null"size":"0.0"type":"LIMIT""type":"MARKET","status":"CLOSED","status":"OPEN","status":"NEW"'
    b',"order_id":"179","side":"SELL","side":"BUY","market":"ETH-USD-PERP","market":"BTC-USD-PERP"'
    b',{"client_id":"pws-17'
)


class _Packed(bytes):
    """Deflated JSON bytes."""

    __slots__ = ()


def _pack(entry: bytes) -> _Packed:
    """digest + JSON → digest + deflated JSON."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, _WBITS, 2, zlib.Z_DEFAULT_STRATEGY, _ZDICT)
    return _Packed(entry[:DIGEST_SIZE] + deflate.compress(entry[DIGEST_SIZE:]) + deflate.flush())
