"""Order-book state for one market: snapshots replace it, deltas patch it, a ``seq_no`` gap raises.

Detection lives here, recovery does not: ``apply`` raises ``SequenceGap`` (or ``CrossedBook``) and leaves
the book invalid; the supervisor emits ``status gap`` and resubscribes for a fresh snapshot. While invalid,
deltas are ignored and nothing is rendered, so a stale or crossed book is never emitted as if fresh.
"""

from __future__ import annotations

import heapq
from decimal import Decimal
from operator import itemgetter

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


class OrderBook:
    """Levels of one market keyed by canonical price string; sorted only when rendered.

    On an SBE session Paradex's deltas channel carries the whole book (over a hundred levels a side,
    reference §0a.2) and many of its frames change nothing, so each side keeps its prices' ``Decimal``
    next to the level (converted once, when the level appears) and rendering picks the top ``depth``
    with a heap instead of converting and sorting every price on every frame.
    """

    __slots__ = (
        "_ask_keys",
        "_asks",
        "_bid_keys",
        "_bids",
        "depth",
        "exchange_ts",
        "market",
        "recv_us",
        "seq_no",
        "valid",
    )

    def __init__(self, market: str, depth: int = DEFAULT_DEPTH) -> None:
        self.market = market
        self.depth = depth
        self._bids: dict[str, str] = {}
        self._asks: dict[str, str] = {}
        self._bid_keys: dict[str, Decimal] = {}  # price string → its Decimal, the same keys as _bids
        self._ask_keys: dict[str, Decimal] = {}
        self.seq_no: int | None = None
        self.exchange_ts = 0
        self.recv_us = 0
        self.valid = False

    def invalidate(self) -> None:
        """Forget everything (reconnect, gap): only a snapshot makes the book valid again."""
        self._bids.clear()
        self._asks.clear()
        self._bid_keys.clear()
        self._ask_keys.clear()
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
            self._bids.clear()
            self._asks.clear()
            self._bid_keys.clear()
            self._ask_keys.clear()
            _patch(self._bids, self._bid_keys, update.bids)
            _patch(self._asks, self._ask_keys, update.asks)
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
            _patch(self._bids, self._bid_keys, update.bids)
            _patch(self._asks, self._ask_keys, update.asks)
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
            "bids": _top(self._bids, self._bid_keys, self.depth, best_is_max=True),
            "asks": _top(self._asks, self._ask_keys, self.depth, best_is_max=False),
            "exchange_seq": self.seq_no,
            "exchange_ts": self.exchange_ts,
            "recv_us": self.recv_us,
        }

    def best(self) -> tuple[Decimal | None, Decimal | None]:
        bid = max(self._bid_keys.values(), default=None)
        ask = min(self._ask_keys.values(), default=None)
        return bid, ask

    def _crossed(self) -> bool:
        bid, ask = self.best()
        return bid is not None and ask is not None and bid >= ask


def _patch(side: dict[str, str], keys: dict[str, Decimal], levels: list[tuple[str, str]]) -> None:
    for price, size in levels:
        if size == "0":
            if side.pop(price, None) is not None:
                del keys[price]
        else:
            if price not in side:
                keys[price] = Decimal(price)
            side[price] = size


_KEY = itemgetter(1)


def _top(side: dict[str, str], keys: dict[str, Decimal], depth: int, best_is_max: bool) -> list[Level]:
    pick = heapq.nlargest if best_is_max else heapq.nsmallest
    return [[p, side[p]] for p, _ in pick(depth, keys.items(), key=_KEY)]
