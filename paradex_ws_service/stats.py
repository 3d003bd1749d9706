"""Counters and a receive→emit lag histogram, turned into ``stats`` events every ``--stats-interval``.

The histogram is fixed-size (1 µs buckets below 4 ms, then one bucket per power of two) so recording a
sample on the hot path is an index increment, and percentiles cost one scan per interval.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from paradex_ws_service.protocol import Stats as StatsEvent

_LINEAR = 4096  # µs covered at 1 µs resolution
_LOG_BUCKETS = 48


class LagHistogram:
    """Lag samples in µs; ``percentile`` answers within 1 µs below 4 ms, within 2x above."""

    __slots__ = ("_buckets", "count")

    def __init__(self) -> None:
        self._buckets = [0] * (_LINEAR + _LOG_BUCKETS)
        self.count = 0

    def add(self, lag_us: int) -> None:
        if lag_us < _LINEAR:
            self._buckets[lag_us if lag_us > 0 else 0] += 1
        else:
            self._buckets[_LINEAR + min(lag_us.bit_length() - 12, _LOG_BUCKETS - 1)] += 1
        self.count += 1

    def add_many(self, lag_us: int, n: int) -> None:
        """``n`` samples with the same lag (a batch stamped once)."""
        if lag_us < _LINEAR:
            self._buckets[lag_us if lag_us > 0 else 0] += n
        else:
            self._buckets[_LINEAR + min(lag_us.bit_length() - 12, _LOG_BUCKETS - 1)] += n
        self.count += n

    def percentile(self, q: float) -> int | None:
        if self.count == 0:
            return None
        rank = max(1, int(self.count * q + 0.999999))
        seen = 0
        for index, n in enumerate(self._buckets):
            seen += n
            if seen >= rank:
                return index if index < _LINEAR else 1 << (index - _LINEAR + 12)
        return None  # unreachable: the counts add up to self.count

    def reset(self) -> None:
        self._buckets = [0] * (_LINEAR + _LOG_BUCKETS)
        self.count = 0


@dataclass
class Stats:
    """Process-wide counters. ``events``/``coalesced``/lag are per interval; the totals are kept too."""

    events: Counter[str] = field(default_factory=Counter)
    coalesced: int = 0
    reconnects: int = 0
    bad_frames: int = 0
    lag: LagHistogram = field(default_factory=LagHistogram)
    total_events: int = 0
    total_coalesced: int = 0
    total_reconnects: int = 0
    total_bad_frames: int = 0

    def count_reconnect(self) -> None:
        self.reconnects += 1
        self.total_reconnects += 1

    def count_bad_frame(self) -> None:
        self.bad_frames += 1
        self.total_bad_frames += 1

    def totals(self) -> dict[str, int]:
        """Counters since the process started (the ``stats`` command adds them to the interval's)."""
        return {
            "total_events": self.total_events,
            "total_coalesced": self.total_coalesced,
            "total_reconnects": self.total_reconnects,
            "total_bad_frames": self.total_bad_frames,
        }

    def snapshot(self, interval_s: float, queue_depth: int, reset: bool) -> StatsEvent:
        """A ``stats`` event of the counters since the last reset."""
        event: StatsEvent = {
            "type": "stats",
            "seq": 0,
            "interval_s": interval_s,
            "events": dict(self.events),
            "coalesced": self.coalesced,
            "reconnects": self.reconnects,
            "bad_frames": self.bad_frames,
            "queue_depth": queue_depth,
            "lag_p50_us": self.lag.percentile(0.50),
            "lag_p99_us": self.lag.percentile(0.99),
        }
        if reset:
            self.events = Counter()
            self.coalesced = 0
            self.reconnects = 0
            self.bad_frames = 0
            self.lag.reset()
        return event
