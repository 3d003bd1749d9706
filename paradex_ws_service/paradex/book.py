"""Order-book state for one market: snapshots replace it, deltas patch it, a ``seq_no`` gap raises.

Detection lives here, recovery does not: ``apply`` raises ``SequenceGap`` (or ``CrossedBook``) and leaves
the book invalid; the supervisor emits ``status gap`` and resubscribes for a fresh snapshot. While invalid,
deltas are ignored and nothing is rendered, so a stale or crossed book is never emitted as if fresh.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import Decimal

from paradex_ws_service.paradex.normalize import BookUpdate
from paradex_ws_service.protocol import Book, Level

DEFAULT_DEPTH = 15


class BookError(Exception):
    """The book can no longer be trusted and needs a new snapshot."""


class SequenceGap(BookError):
    """A delta's ``seq_no`` is not the previous one plus one."""

    def __init__(self, market: str, expected: int, got: int) -> None:
        super().__init__(f"seq_no {got} after {expected - 1}")
        self.market = market
        self.expected = expected
        self.got = got


class CrossedBook(BookError):
    """Best bid at or above best ask after applying an update."""


class _Side:
    """One side's levels: price string → size, plus the prices' ``Decimal``s kept sorted ascending.

    Each price is converted once, when its level appears, and inserted in order (a bisect and a short
    memmove), so the best price and the top ``depth`` levels are read off the ends of the list instead of
    converting and sorting over a hundred prices on every frame.
    """

    __slots__ = ("keys", "levels", "names", "order")

    def __init__(self) -> None:
        self.levels: dict[str, str] = {}
        self.keys: dict[str, Decimal] = {}
        self.names: dict[Decimal, str] = {}  # the inverse of keys (prices are canonical strings: 1:1)
        self.order: list[Decimal] = []  # ascending

    def clear(self) -> None:
        self.levels.clear()
        self.keys.clear()
        self.names.clear()
        self.order.clear()

    def replace(self, levels: list[tuple[str, str]]) -> None:
        """A snapshot: every level at once, sorted once."""
        self.clear()
        for price, size in levels:
            if size != "0":
                key = Decimal(price)
                self.levels[price] = size
                self.keys[price] = key
                self.names[key] = price
        self.order = sorted(self.names)

    def patch(self, levels: list[tuple[str, str]]) -> None:
        for price, size in levels:
            if size == "0":
                if self.levels.pop(price, None) is not None:
                    key = self.keys.pop(price)
                    del self.names[key]
                    del self.order[bisect_left(self.order, key)]
            else:
                if price not in self.levels:
                    key = self.keys[price] = Decimal(price)
                    self.names[key] = price
                    insort(self.order, key)
                self.levels[price] = size

    def top(self, depth: int, highest: bool) -> list[Level]:
        keys = self.order[: -depth - 1 : -1] if highest else self.order[:depth]
        names, levels = self.names, self.levels
        return [[names[k], levels[names[k]]] for k in keys]


class OrderBook:
    """Levels of one market keyed by canonical price string, with their prices kept in order.

    On an SBE session Paradex's deltas channel carries the whole book (over a hundred levels a side,
    reference §0a.2) and many of its frames change nothing: a level's price is converted to ``Decimal``
    once, when it appears, and kept in a sorted list, so rendering the top ``depth`` and checking for a
    crossed book cost a few list reads per frame, not a sort of the whole book.
    """

    __slots__ = ("_asks", "_bids", "depth", "exchange_ts", "market", "recv_us", "seq_no", "valid")

    def __init__(self, market: str, depth: int = DEFAULT_DEPTH) -> None:
        self.market = market
        self.depth = depth
        self._bids = _Side()
        self._asks = _Side()
        self.seq_no: int | None = None
        self.exchange_ts = 0
        self.recv_us = 0
        self.valid = False

    def invalidate(self) -> None:
        """Forget everything (reconnect, gap): only a snapshot makes the book valid again."""
        self._bids.clear()
        self._asks.clear()
        self.seq_no = None
        self.valid = False

    def apply(self, update: BookUpdate, check_seq: bool) -> bool:
        """Apply one message; True when the book changed and is valid (worth rendering).

        ``check_seq`` is on for the deltas feed: each delta must carry ``seq_no`` = previous + 1. A delta
        while the book is invalid (before the first snapshot, after a gap) is ignored and returns False.
        A delta with no level (the sequence moved, the book did not: common on Paradex's SBE deltas
        channel) advances ``seq_no`` and returns False: there is nothing new to emit.
        """
        if update.snapshot:
            self._bids.replace(update.bids)
            self._asks.replace(update.asks)
        else:
            if not self.valid:
                return False
            if check_seq and self.seq_no is not None and update.seq_no != self.seq_no + 1:
                expected = self.seq_no + 1
                self.invalidate()
                raise SequenceGap(self.market, expected, update.seq_no)
            if not update.bids and not update.asks:
                self.seq_no = update.seq_no
                return False
            self._bids.patch(update.bids)
            self._asks.patch(update.asks)
        self.seq_no = update.seq_no
        self.exchange_ts = update.exchange_ts
        self.recv_us = update.recv_us
        self.valid = True
        if self._crossed():
            self.invalidate()
            raise CrossedBook(f"crossed book at seq_no {update.seq_no}")
        return True

    def render(self) -> Book:
        """The top ``depth`` levels per side as a ``book`` event, best first."""
        return {
            "type": "book",
            "seq": 0,
            "market": self.market,
            "bids": self._bids.top(self.depth, highest=True),
            "asks": self._asks.top(self.depth, highest=False),
            "exchange_seq": self.seq_no,
            "exchange_ts": self.exchange_ts,
            "recv_us": self.recv_us,
        }

    def best(self) -> tuple[Decimal | None, Decimal | None]:
        bids, asks = self._bids.order, self._asks.order
        return (bids[-1] if bids else None), (asks[0] if asks else None)

    def _crossed(self) -> bool:
        bid, ask = self.best()
        return bid is not None and ask is not None and bid >= ask
