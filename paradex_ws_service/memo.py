"""First outcomes, remembered compactly: a repeated command id or client id gets the first outcome instead
of a second run (an order is never sent twice), in bounded memory.

Work in progress keeps its future (a repeat waits on it) and is never forgotten: its outcome is still unknown,
and forgetting it could let a repeat send the same order again. Settled work keeps only what a repeat needs:
an 8-byte digest of what was asked (a repeat with other parameters is refused) and the outcome as deflated
JSON bytes, or the error's code and message — no payload dicts, futures or tracebacks. Beyond ``cap``
settled entries the oldest are forgotten first. A place is remembered twice, by client id (adapter) and by
command id (stdin), in one object holding both digests and the answer: about 0.2 KiB for both tables, keys
and hash slots included (tests/test_memory_bound.py bounds it, and checks it does not grow beyond the cap).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import zlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import orjson

DEFAULT_CAP = 10_000
DIGEST_SIZE = 8

_K = TypeVar("_K")
_V = TypeVar("_V")


_GENERATED = re.compile(r"pws-[0-9a-f]{16}")  # order_params.new_client_id


def client_id_key(client_id: Any) -> Hashable:
    """A client id as a table key: one this sidecar generated (``pws-`` and 16 hex digits) as its number,
    ≈36 bytes against ≈69 for the string; any other as it is. One-to-one: a client id is a string, so an int
    key can only come from a generated id (lowercase only: ``int`` would read ``…AB`` and ``…ab`` alike)."""
    if type(client_id) is str and _GENERATED.fullmatch(client_id):
        return int(client_id[4:], 16)
    key: Hashable = client_id
    return key


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


class Window(dict[_K, _V]):
    """An insertion-ordered dict that forgets its oldest keys beyond ``size``, in a table sized for ``size``.

    A plain dict trimmed from the front keeps each deleted slot as a dummy until its table is full, then
    grows to three times its live keys: 10,000 keys end in a 32,768-slot table (≈590 KB, twice what they
    need) and finding the oldest key scans the dummies. A fresh copy of 10,000 keys sits in 16,384 slots
    with 922 free: copying every ``size // 16`` insertions (≈50 µs for 10,000 keys) keeps it there.
    """

    __slots__ = ("_spent", "size")

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._spent = 0  # insertions since the last copy: each takes a slot that only a copy frees

    def put(self, key: _K, value: _V) -> None:
        """``key`` → ``value`` as the newest entry; the oldest beyond ``size`` are forgotten."""
        self.pop(key, None)
        self[key] = value
        while len(self) > self.size:
            del self[next(iter(self))]
        self._spent += 1
        if self._spent >= max(1, self.size // 16):
            fresh = dict(self)  # presized for its keys, no dummies, same order
            self.clear()
            self.update(fresh)
            self._spent = 0


class FirstOutcomes:
    """key → the first outcome of the work begun under it.

    ``key`` (optional) turns a key into the one stored (e.g. a generated client id into an int: half the
    memory of its string); it must be one-to-one."""

    def __init__(self, cap: int = DEFAULT_CAP, key: Callable[[Any], Hashable] | None = None) -> None:
        self.cap = cap
        self._key = key
        self._pending: dict[Hashable, tuple[bytes, asyncio.Future[Any]]] = {}
        # Oldest settled entry first, forgotten first. A settled outcome: one bytes object (see _KIND: its
        # kind, the digest or the two digests of the tables sharing it, the JSON or the deflated JSON), or
        # (digest, error or result kept whole). Plain bytes: a tuple and a digest object would double its
        # cost, and a bytes subclass costs a garbage-collector header (16 bytes) more.
        self._settled: Window[Hashable, bytes | tuple[bytes, _Failed | _Kept | None]] = Window(cap)
        # Where this table's digest sits in the answers it shares (_FIRST or _SECOND), set at its first share.
        self._slot = -1

    def __len__(self) -> int:
        return len(self._pending) + len(self._settled)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def first(self, key: Hashable, asked: bytes) -> Awaitable[Any] | None:
        """None when ``key`` is new (call :meth:`begin`); else an awaitable giving its first outcome.
        Raises :class:`Mismatch` when ``key`` was used with another digest."""
        if self._key is not None:
            key = self._key(key)
        pending = self._pending.get(key)
        if pending is not None:
            if pending[0] != asked:
                raise Mismatch(key)
            return asyncio.shield(pending[1])
        settled = self._settled.get(key)
        if settled is None:
            return None
        if isinstance(settled, tuple):
            was_asked, outcome = settled
            if was_asked != asked:
                raise Mismatch(key)
            if outcome is None:  # settled without its answer (``keep=False``): the same request runs again
                return None
            return _replay(outcome)
        at = self._slot if settled[_KIND] & _SHARED else _FIRST
        if settled[at : at + DIGEST_SIZE] != asked:
            raise Mismatch(key)
        return _replay(settled)

    def begin(self, key: Hashable, asked: bytes) -> None:
        if self._key is not None:
            key = self._key(key)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = (asked, future)

    def succeed(self, key: Hashable, result: Any, keep: bool = True) -> None:
        """The work's result (JSON-serialisable: it is what the command answers). ``keep=False``: remember
        only what was asked (a repeat with other parameters is still refused; the same request runs again),
        for answers that may be large and are harmless to compute twice (reads)."""
        if self._key is not None:
            key = self._key(key)
        asked_future = self._pending.pop(key, None)
        if asked_future is None:
            return
        asked, future = asked_future
        _complete(future, result)
        if not keep:
            self._settled.put(key, (asked, None))
            return
        if _last.result is result:  # settled by another table just before (a place: adapter, then stdin)
            entry = self._share(asked)
        else:
            json = _json(result)
            _last.result, _last.json, _last.table, _last.key = result, json, self, key
            entry = _ONE + asked + json if isinstance(json, bytes) else (asked, json)
        self._settled.put(key, entry)
        if isinstance(entry, bytes):
            _queue(self, key)  # deflated on the next loop turn

    def fail(self, key: Hashable, exc: BaseException, keep: bool = True) -> None:
        if self._key is not None:
            key = self._key(key)
        asked_future = self._pending.pop(key, None)
        if asked_future is not None:
            _complete(asked_future[1], exc)
            self._settled.put(key, (asked_future[0], _Failed(exc) if keep else None))

    def forget(self, key: Hashable, exc: BaseException) -> None:
        """Definitely not done (refused before anything was sent): the key may be used again. Whoever
        waits on it meanwhile gets ``exc``."""
        if self._key is not None:
            key = self._key(key)
        asked_future = self._pending.pop(key, None)
        if asked_future is not None:
            _complete(asked_future[1], exc)

    def _share(self, asked: bytes) -> bytes | tuple[bytes, _Kept]:
        """This table's entry for the answer another table has just remembered: one object for both (the
        other table's entry is replaced by it) when it can, else a copy of its own."""
        json, other, other_key = _last.json, _last.table, _last.key
        _last.table = None  # shared by two tables at most
        if not isinstance(json, bytes):
            return (asked, json)
        theirs = other._settled.get(other_key) if other is not None else None
        if (
            other is None
            or other is self  # one table, two keys, one answer object (never expected): a copy each
            or type(theirs) is not bytes
            or theirs[0] != _ONE[0]  # already deflated, or shared: its own copy
            or other._slot not in (-1, _FIRST)
            or self._slot not in (-1, _SECOND)
        ):
            return _ONE + asked + json
        other._slot, self._slot = _FIRST, _SECOND
        shared = _TWO + theirs[_FIRST:_SECOND] + asked + json
        other._settled[other_key] = shared  # in place: the entry keeps its age
        return shared


class _Last:
    """The last answer remembered and its JSON: a place's answer is remembered twice (by client id in the
    adapter, by command id at stdin), one right after the other: serialised once, stored once."""

    __slots__ = ("json", "key", "result", "table")

    def __init__(self) -> None:
        self.result: Any = None
        self.json: bytes | _Kept = b""
        self.table: FirstOutcomes | None = None
        self.key: Hashable = None


_last = _Last()


def _json(result: Any) -> bytes | _Kept:
    try:
        # A copy: orjson's own bytes keep its whole output buffer (≈4 KiB) allocated.
        return memoryview(orjson.dumps(result, default=str)).tobytes()
    except TypeError:  # not JSON as is (never expected): kept whole rather than fail a settled order
        return _Kept(result)


def _complete(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        future.exception()  # retrieved: a key nobody repeated must not log "never retrieved"
    else:
        future.set_result(outcome)


async def _replay(outcome: bytes | _Failed | _Kept) -> Any:
    """The outcome again: raised afresh, returned whole, or parsed from (digests +) JSON bytes."""
    if isinstance(outcome, _Failed):
        raise outcome.exception()
    if isinstance(outcome, _Kept):
        return outcome.value
    kind = outcome[_KIND]
    head = _SECOND + DIGEST_SIZE if kind & _SHARED else _SECOND
    if kind & _DEFLATED:
        inflate = zlib.decompressobj(_WBITS, zdict=_ZDICT)
        return orjson.loads(inflate.decompress(outcome[head:]) + inflate.flush())
    return orjson.loads(outcome[head:])


# Deflate with a preset dictionary of what answers repeat (keys, markets, sides, statuses), ending with whole
# place answers but for their ids: the run between two ids is one match. A 230-byte place answer becomes
# about 47 bytes (72 with fragments alone). A 1 KiB window and little state keep each call cheap (a fresh
# compressor per outcome: a shared stream could not be inflated entry by entry).
_WBITS = -10
_ZDICT = (
    b'"recovered":true"via":"lookup""via":"rest""via":"ws""cancel_reason":null"remaining_size":"0"'
    b'"price":null"size":"0.0"type":"LIMIT""type":"MARKET","status":"CLOSED","status":"OPEN","status":"NEW"'
    b',"order_id":"179","side":"SELL","side":"BUY","market":"ETH-USD-PERP","market":"BTC-USD-PERP"'
    b',{"client_id":"pws-17'
    b'{"client_id":"pws-","market":"ETH-USD-PERP","side":"SELL","order_id":"'
    b'","status":"NEW","type":"LIMIT","size":"0.01","price":"65000.1","remaining_size":"0.01",'
    b'"cancel_reason":null,"via":"rest"}'
    b'","market":"BTC-USD-PERP","side":"BUY","order_id":"179'
    b'","status":"NEW","type":"MARKET","size":"0.001","price":null,"remaining_size":"0.001",'
    b'"cancel_reason":null,"via":"ws"}'
)


# A settled outcome's bytes: its kind (one byte: _SHARED | _DEFLATED bits), the digest (_FIRST) or, shared by
# two tables, the first table's digest (_FIRST) and the second's (_SECOND), then the JSON or deflated JSON.
_KIND = 0
_SHARED, _DEFLATED = 2, 1
_FIRST = 1
_SECOND = _FIRST + DIGEST_SIZE
_ONE = bytes((0,))  # one table's, JSON
_TWO = bytes((_SHARED,))  # two tables', JSON


def _deflate(json: bytes) -> bytes:
    deflate = zlib.compressobj(6, zlib.DEFLATED, _WBITS, 2, zlib.Z_DEFAULT_STRATEGY, _ZDICT)
    return deflate.compress(json) + deflate.flush()


# Outcomes to deflate on the next loop turn: (table, key), of every table (a shared outcome is deflated once).
_to_pack: list[tuple[FirstOutcomes, Hashable]] = []
_pack_loop: list[asyncio.AbstractEventLoop | None] = [None]  # the loop where the next pack() is due


def _queue(table: FirstOutcomes, key: Hashable) -> None:
    loop = asyncio.get_running_loop()
    if _pack_loop[0] is not loop:  # none due (or due on a loop that is gone)
        loop.call_soon(pack)
        _pack_loop[0] = loop
    _to_pack.append((table, key))


def pack() -> None:
    """Deflate the outcomes settled since the last call (JSON → about a third of its size), off the path
    that writes a command's result (≈20 µs each)."""
    _pack_loop[0] = None
    queued = _to_pack[:]
    _to_pack.clear()
    done: dict[int, tuple[bytes, bytes]] = {}  # id of a shared entry → (it, its deflated twin)
    for table, key in queued:
        entry = table._settled.get(key)
        if type(entry) is not bytes or entry[_KIND] & _DEFLATED:
            continue  # forgotten, or deflated already
        if not entry[_KIND] & _SHARED:
            table._settled[key] = bytes((_DEFLATED,)) + entry[_FIRST:_SECOND] + _deflate(entry[_SECOND:])
            continue
        pair = done.get(id(entry))
        if pair is None:
            head = _SECOND + DIGEST_SIZE
            deflated = bytes((_SHARED | _DEFLATED,)) + entry[_FIRST:head] + _deflate(entry[head:])
            pair = done[id(entry)] = (entry, deflated)
        table._settled[key] = pair[1]
