"""Order-book state for one market: snapshots replace it, deltas patch it, a ``seq_no`` gap raises.

Detection lives here, recovery does not: ``apply`` raises ``SequenceGap`` (or ``CrossedBook``) and leaves
the book invalid; the supervisor emits ``status gap`` and resubscribes for a fresh snapshot. While invalid,
deltas are ignored and nothing is rendered, so a stale or crossed book is never emitted as if fresh.
"""

from __future__ import annotations

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


class OrderBook:
    """Levels of one market keyed by canonical price string; sorted only when rendered."""

    __slots__ = ("_asks", "_bids", "depth", "exchange_ts", "market", "recv_us", "seq_no", "valid")

    def __init__(self, market: str, depth: int = DEFAULT_DEPTH) -> None:
        self.market = market
        self.depth = depth
        self._bids: dict[str, str] = {}
        self._asks: dict[str, str] = {}
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
        """
        if update.snapshot:
            self._bids = {p: s for p, s in update.bids if s != "0"}
            self._asks = {p: s for p, s in update.asks if s != "0"}
        else:
            if not self.valid:
                return False
            if check_seq and self.seq_no is not None and update.seq_no != self.seq_no + 1:
                expected = self.seq_no + 1
                self.invalidate()
                raise SequenceGap(self.market, expected, update.seq_no)
            _patch(self._bids, update.bids)
            _patch(self._asks, update.asks)
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
            "bids": _top(self._bids, self.depth, reverse=True),
            "asks": _top(self._asks, self.depth, reverse=False),
            "exchange_seq": self.seq_no,
            "exchange_ts": self.exchange_ts,
            "recv_us": self.recv_us,
        }

    def best(self) -> tuple[Decimal | None, Decimal | None]:
        bid = max(map(Decimal, self._bids), default=None)
        ask = min(map(Decimal, self._asks), default=None)
        return bid, ask

    def _crossed(self) -> bool:
        bid, ask = self.best()
        return bid is not None and ask is not None and bid >= ask


def _patch(side: dict[str, str], levels: list[tuple[str, str]]) -> None:
    for price, size in levels:
        if size == "0":
            side.pop(price, None)
        else:
            side[price] = size


def _top(side: dict[str, str], depth: int, reverse: bool) -> list[Level]:
    prices = sorted(side, key=Decimal, reverse=reverse)[:depth]
    return [[p, side[p]] for p in prices]
