"""Seeded price process of one market: a top-of-book random walk over a resting-level grid, trades that
take the touch, and the derived book, BBO, markets_summary and funding_data payloads.

Everything is an exact e8 integer and every random draw comes from the market's own RNG in step order,
so the same seed and configuration give the same sequence of values whatever the wall clock does.
Resting sizes are a pure hash of (seed, side, price) unless a step changed them, so reading the book
(for a feed, REST or matching) never consumes randomness.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import orjson

from .events import BboEvent, BookEvent, FundingComparisonEvent, FundingEvent, SummaryEvent, TradeEvent
from .markets import E8, MarketSpec, to_e8

BUY, SELL = "BUY", "SELL"
BOOK_DEPTH = 15
# Levels per side of the bare `order_book.{m}.deltas` stream: production sends the *whole* book there
# (115 bids x 60 asks in the capture of reference §0a.2); the simulated grid is cut at REST's maximum depth.
WHOLE_BOOK_DEPTH = 100
_MASK64 = (1 << 64) - 1
_DAY_US = 86_400_000_000
_FUNDING_PERIOD_US = 8 * 3_600_000_000


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-distributed pure hash for level sizes."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class PricePath:
    """A stepwise reference path shared with the EdgeX simulator: JSON lines `{"t": s, "BTC": "65000.5"}`."""

    def __init__(self, points: list[tuple[float, dict[str, Decimal]]]) -> None:
        if not points:
            raise ValueError("price path is empty")
        self.points = sorted(points, key=lambda p: p[0])

    @classmethod
    def load(cls, path: str | Path) -> PricePath:
        points: list[tuple[float, dict[str, Decimal]]] = []
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read price path {path}: {exc}") from exc
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
                t = float(obj.pop("t"))
                prices = {str(k).upper(): Decimal(str(v)) for k, v in obj.items()}
            except Exception as exc:  # any malformed line is reported with its number
                raise ValueError(f"{path}:{lineno}: bad price-path line ({exc})") from exc
            if not (math.isfinite(t) and t >= 0):
                raise ValueError(f"{path}:{lineno}: t must be a finite number >= 0")
            bad = [k for k, v in prices.items() if not (v.is_finite() and v > 0)]
            if bad:
                raise ValueError(f"{path}:{lineno}: prices must be positive decimals ({', '.join(bad)})")
            points.append((t, prices))
        return cls(points)

    def index_at(self, t: float) -> int:
        """Index of the last point with time ≤ t (-1 before the first point)."""
        lo, hi = 0, len(self.points)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.points[mid][0] <= t:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1


@dataclass(slots=True)
class _TradeRecord:
    ts_us: int
    price: int
    size: int
    event: TradeEvent


class MarketProcess:
    """State and stepping of one simulated market."""

    def __init__(self, spec: MarketSpec, seed: int, trade_history: int = 200_000) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        self.rng = random.Random(f"paradex-sim:{seed}:{spec.symbol}:book")
        self.funding_rng = random.Random(f"paradex-sim:{seed}:{spec.symbol}:funding")
        self._salt = _mix64(seed * 1_000_003 + spec.index)
        self.tick = spec.tick_e8
        self.step = spec.step_e8
        self.gap = spec.level_gap_ticks * spec.tick_e8
        self._typical_steps = max(1, to_e8(spec.typical_size) // spec.step_e8)
        self.fair = float(to_e8(spec.initial_mid))  # e8 units, continuous
        self._vol = spec.vol_per_sqrt_s
        self.spread_ticks = 1
        self._best = (0, 0)
        self._refresh_best()
        self.seq_no = 0  # the market's orderbook sequence (bbo and trades report it)
        # Called after every change of seq_no while a bare deltas stream is subscribed (None otherwise, so
        # the bbo hot path pays one attribute test).
        self.on_seq: Callable[[], None] | None = None
        self.steps = 0
        self._overrides: dict[tuple[int, int], int] = {}  # (side 0 bid / 1 ask, price) → size e8
        self.trades: deque[_TradeRecord] = deque(maxlen=trade_history)
        self._trade_counter = 0
        self.last_trade_price = self.mid_e8()
        self.total_volume = to_e8("1000000000")  # lifetime USD before the sim started
        self._window: deque[tuple[int, int]] = deque()  # (ts_us, notional e8) in the last 24 h
        self._window_sum = 0
        self._day_open = self.mid_e8()
        self.open_interest = to_e8(spec.open_interest)
        self.funding_premium = 0  # e8 rate
        self.funding_index = 0
        self.summary_seq = 0
        self.funding_seq = 0
        self.funding_history: deque[FundingEvent] = deque(maxlen=1000)

    # ── book geometry ──────────────────────────────────────────────────
    def mid_e8(self) -> int:
        return self.spec.round_price_e8(int(self.fair))

    def best_prices(self) -> tuple[int, int]:
        """(best bid, best ask) e8; recomputed only when the fair price or the spread moves."""
        return self._best

    def _refresh_best(self) -> None:
        bid = self.mid_e8() - (self.spread_ticks // 2) * self.tick
        self._best = (bid, bid + self.spread_ticks * self.tick)

    def _base_size(self, side: int, price: int) -> int:
        u = (_mix64(self._salt ^ (price * 2 + side)) >> 11) / float(1 << 53)
        return max(1, int(self._typical_steps * (0.15 + 1.85 * u * u))) * self.step

    def level_size(self, side: int, price: int) -> int:
        size = self._overrides.get((side, price))
        return self._base_size(side, price) if size is None else size

    def level_prices(self, side: int, depth: int) -> list[int]:
        """Touch price, then the resting grid behind it (every `level_gap_ticks`)."""
        best_bid, best_ask = self.best_prices()
        gap = self.gap
        if side == 0:
            first = ((best_bid - 1) // gap) * gap
            return [best_bid] + [first - i * gap for i in range(depth - 1)]
        first = ((best_ask // gap) + 1) * gap
        return [best_ask] + [first + i * gap for i in range(depth - 1)]

    def _level_price(self, side: int, i: int) -> int:
        """Price of level i (0 = touch) without building the whole ladder."""
        best_bid, best_ask = self.best_prices()
        if i == 0:
            return best_bid if side == 0 else best_ask
        gap = self.gap
        if side == 0:
            return ((best_bid - 1) // gap) * gap - (i - 1) * gap
        return ((best_ask // gap) + 1) * gap + (i - 1) * gap

    def levels(self, side: int, depth: int = BOOK_DEPTH) -> list[tuple[int, int]]:
        """(price, size) e8 pairs, best first; bids never reach the best ask."""
        return [(p, self.level_size(side, p)) for p in self.level_prices(side, depth) if p > 0]

    # ── stepping ───────────────────────────────────────────────────────
    def set_mid(self, mid_e8: int) -> None:
        self.fair = float(mid_e8)
        self._refresh_best()

    def advance(self, dt: float, target: Decimal | None, trade_prob: float, ts_us: int) -> list[TradeEvent]:
        """One process step; returns the trades it printed. The caller then reads `bbo()`."""
        rng = self.rng
        self.steps += 1
        before = self.fair
        if target is not None:
            self.fair = float(to_e8(target.quantize(Decimal(1).scaleb(-8))))
        else:
            sigma = self.fair * self._vol * math.sqrt(dt)
            self.fair = max(self.fair + rng.gauss(0.0, sigma), float(self.tick * 10))
        # The spread breathes between one tick and the market's maximum, mostly tight.
        if rng.random() < 0.2:
            self.spread_ticks = 1 + int(rng.random() ** 3 * self.spec.max_spread_ticks)
        self._refresh_best()
        # Resting liquidity is refreshed a level at a time.
        if rng.random() < 0.5:
            side = 1 if rng.random() < 0.5 else 0
            price = self._level_price(side, int(rng.random() * BOOK_DEPTH))
            resized = int(self._base_size(side, price) * (0.4 + 1.2 * rng.random())) // self.step * self.step
            self._overrides[(side, price)] = max(self.step, resized)
        self.bump_seq()
        trades: list[TradeEvent] = []
        if trade_prob > 0 and rng.random() < trade_prob:
            up = self.fair >= before
            taker = BUY if rng.random() < (0.65 if up else 0.35) else SELL
            trades.append(self._take(taker, rng.random(), ts_us))
        if self.steps % 4096 == 0:
            self._prune()
        return trades

    def _take(self, taker: str, u: float, ts_us: int) -> TradeEvent:
        """Print a trade at the touch the taker hits and consume that much resting size."""
        side = 1 if taker == BUY else 0
        bid, ask = self.best_prices()
        price = ask if taker == BUY else bid
        resting = self.level_size(side, price)
        size = max(self.step, (int(resting * (0.05 + 0.6 * u)) // self.step) * self.step)
        size = min(size, resting)
        left = resting - size
        if left > 0:
            self._overrides[(side, price)] = left
        else:
            self._overrides.pop((side, price), None)  # the level refills at its base size
        self.bump_seq()
        return self.record_trade(taker, price, size, ts_us)

    def record_trade(
        self, taker: str, price: int, size: int, ts_us: int, trade_type: str = "FILL"
    ) -> TradeEvent:
        """Append a trade to the history behind REST /trades, klines and summaries."""
        self._trade_counter += 1
        trade_id = f"{ts_us // 1000:013d}{self.spec.index}{self._trade_counter:014d}"
        event = TradeEvent(self.symbol, self.seq_no, ts_us, trade_id, taker, price, size, trade_type)
        self.trades.append(_TradeRecord(ts_us, price, size, event))
        notional = price * size // E8
        self.total_volume += notional
        self._window.append((ts_us, notional))
        self._window_sum += notional
        self.last_trade_price = price
        return event

    def consume(self, side: int, price: int, size: int) -> None:
        """Remove resting size (the matching engine's fills against the public book)."""
        left = self.level_size(side, price) - size
        if left > 0:
            self._overrides[(side, price)] = left
        else:
            self._overrides.pop((side, price), None)
        self.bump_seq()

    def bump_seq(self) -> None:
        """The book sequence moves (a step, a trade, a consumed level): one deltas frame per value."""
        self.seq_no += 1
        if self.on_seq is not None:
            self.on_seq()

    def _prune(self) -> None:
        center = self.mid_e8()
        reach = self.gap * (BOOK_DEPTH + 25)
        for key in [k for k in self._overrides if abs(k[1] - center) > reach]:
            del self._overrides[key]

    # ── payloads ───────────────────────────────────────────────────────
    def bbo(self, ts_us: int) -> BboEvent:
        bid, ask = self._best
        overrides = self._overrides  # inlined level_size: this runs for every bbo frame
        bid_size = overrides.get((0, bid)) or self._base_size(0, bid)
        ask_size = overrides.get((1, ask)) or self._base_size(1, ask)
        return BboEvent(self.symbol, self.seq_no, ts_us, bid, bid_size, ask, ask_size)

    def book_snapshot(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        return self.levels(0), self.levels(1)

    def _age_window(self, now_us: int) -> None:
        while self._window and self._window[0][0] < now_us - _DAY_US:
            self._window_sum -= self._window.popleft()[1]

    def drift_open_interest(self) -> None:
        """Open interest wanders a little each summary period (funding stream draws only)."""
        moved = int(self.funding_rng.gauss(0, 0.0005) * self.open_interest) // self.step * self.step
        self.open_interest = max(self.step, self.open_interest + moved)

    def summary(self, ts_us: int) -> SummaryEvent:
        """The markets_summary payload for the current state; reading it changes nothing."""
        self._age_window(ts_us)
        bid, ask = self.best_prices()
        mark = (bid + ask) // 2
        change = (self.last_trade_price - self._day_open) * E8 // self._day_open
        return SummaryEvent(
            market=self.symbol,
            seq_no=self.summary_seq,
            ts_us=ts_us,
            mark_price=mark,
            underlying_price=mark - mark * self.funding_premium // E8,
            last_traded_price=self.last_trade_price,
            bid=bid,
            bid_size=self.level_size(0, bid),
            ask=ask,
            ask_size=self.level_size(1, ask),
            volume_24h=self._window_sum,
            total_volume=self.total_volume,
            open_interest=self.open_interest,
            funding_rate=self.funding_rate(),
            price_change_rate_24h=change,
        )

    def funding_rate(self) -> int:
        """Raw 8 h funding rate (e8): premium plus the 0.01 % interest leg, clamped at ±0.05 %."""
        return max(-50_000, min(50_000, self.funding_premium + 1_000))

    def funding(self, ts_us: int, elapsed_s: float) -> FundingEvent:
        """Next funding_data payload; the index accrues over `elapsed_s` of simulated time."""
        # The premium mean-reverts with noise; draws come from the funding stream only.
        self.funding_premium = int(self.funding_premium * 0.9 + self.funding_rng.gauss(0, 800))
        rate = self.funding_rate()
        mark = sum(self.best_prices()) // 2
        self.funding_index += mark * rate // E8 * int(elapsed_s * 1_000_000) // _FUNDING_PERIOD_US
        self.funding_seq += 1
        event = FundingEvent(
            market=self.symbol,
            seq_no=self.funding_seq,
            ts_us=ts_us,
            funding_index=self.funding_index,
            funding_premium=self.funding_premium,
            funding_rate=rate,
            funding_rate_8h=rate,
            funding_period_hours=8,
            impact_premium_rate=self.funding_premium // 2,
        )
        self.funding_history.append(event)
        return event

    def funding_comparison(self, ts_us: int) -> FundingComparisonEvent:
        """Paradex's row of the cross-venue comparison: the current 8 h rate as an hourly rate at e12
        (e8 to e12 multiplies by 10^4, an 8 h period divides by 8: times 1250, exact)."""
        last = self.funding_history[-1].ts_us if self.funding_history else ts_us
        return FundingComparisonEvent(self.symbol, self.funding_seq, ts_us, last, self.funding_rate() * 1250)

    def trades_between(self, start_us: int, end_us: int) -> Iterable[TradeEvent]:
        return (r.event for r in self.trades if start_us <= r.ts_us <= end_us)


class BookFeed:
    """One order_book feed of a market (`snapshot` or `deltas` at one refresh rate) with its own seq_no."""

    def __init__(self, market: MarketProcess, deltas: bool) -> None:
        self.market = market
        self.deltas = deltas
        self.seq_no = 0
        bids, asks = market.book_snapshot()  # seq_no 0 is the book the market starts with
        self.bids: dict[int, int] = dict(bids)
        self.asks: dict[int, int] = dict(asks)
        self.skip_next = False  # fault injection: the next message jumps one seq_no

    def tick(self, ts_us: int) -> BookEvent | None:
        """Advance the feed to the market's current top 15; None for a delta with nothing to say."""
        bids_now, asks_now = self.market.book_snapshot()
        new_bids, new_asks = dict(bids_now), dict(asks_now)
        if not self.deltas:
            self.bids, self.asks = new_bids, new_asks
            self.seq_no += 1
            return BookEvent(self.market.symbol, self.seq_no, ts_us, True, bids_now, asks_now)
        bid_changes, bid_new = _diff(self.bids, new_bids, reverse=True)
        ask_changes, ask_new = _diff(self.asks, new_asks, reverse=False)
        self.bids, self.asks = new_bids, new_asks
        if not bid_changes and not ask_changes:
            return None
        self.seq_no += 2 if self.skip_next else 1
        self.skip_next = False
        new_levels = frozenset([("BUY", p) for p in bid_new] + [("SELL", p) for p in ask_new])
        return BookEvent(self.market.symbol, self.seq_no, ts_us, False, bid_changes, ask_changes, new_levels)

    def snapshot_event(self, ts_us: int) -> BookEvent:
        """The state as of the current seq_no: what a new deltas subscriber receives first."""
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        return BookEvent(self.market.symbol, self.seq_no, ts_us, True, bids, asks)


def _diff(old: dict[int, int], new: dict[int, int], reverse: bool) -> tuple[list[tuple[int, int]], list[int]]:
    """Changed levels (size 0 = deleted), best first, and which prices are new."""
    changes: dict[int, int] = {}
    added: list[int] = []
    for price, size in new.items():
        prev = old.get(price)
        if prev is None:
            added.append(price)
            changes[price] = size
        elif prev != size:
            changes[price] = size
    for price in old:
        if price not in new:
            changes[price] = 0
    return sorted(changes.items(), reverse=reverse), added


class DeltasStream:
    """The bare `order_book.{m}.deltas` channel as production serves it on SBE sessions (reference §0a.1-2,
    from captured production sessions): it opens with a snapshot of the whole book, then sends one frame
    per change of the market's book sequence, `seq_no` being that sequence (the counter bbo and trades
    carry), so consecutive frames are +1 and a frame may carry no level at all.

    It runs only while subscribed (`start`/`stop`): diffing the whole book on every step is too dear for
    the 50k frames/s bench when nobody listens.
    """

    def __init__(
        self,
        market: MarketProcess,
        channels: tuple[str, ...],
        emit: Callable[[BookEvent, tuple[str, ...]], None],
    ) -> None:
        self.market = market
        self._emit = emit
        # `deltas` and `interactive_deltas`: the sim has no RPI orders, so the interactive book is the book
        # and one diff serves both names.
        self.channels = channels
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.active = False
        self.skip_next = False  # fault injection: the next frame is lost on the way (a seq_no gap)

    @property
    def seq_no(self) -> int:
        return self.market.seq_no

    def start(self) -> None:
        """First subscriber: track the book from now on."""
        self.bids = dict(self.market.levels(0, WHOLE_BOOK_DEPTH))
        self.asks = dict(self.market.levels(1, WHOLE_BOOK_DEPTH))
        self.market.on_seq = self._on_seq
        self.active = True

    def stop(self) -> None:
        """Last subscriber gone."""
        if self.market.on_seq == self._on_seq:
            self.market.on_seq = None
        self.active = False

    def _on_seq(self) -> None:
        new_bids = dict(self.market.levels(0, WHOLE_BOOK_DEPTH))
        new_asks = dict(self.market.levels(1, WHOLE_BOOK_DEPTH))
        bid_changes, bid_new = _diff(self.bids, new_bids, reverse=True)
        ask_changes, ask_new = _diff(self.asks, new_asks, reverse=False)
        self.bids, self.asks = new_bids, new_asks
        if self.skip_next:
            self.skip_next = False
            return
        new_levels = frozenset([("BUY", p) for p in bid_new] + [("SELL", p) for p in ask_new])
        ts_us = time.time_ns() // 1000
        event = BookEvent(
            self.market.symbol, self.market.seq_no, ts_us, False, bid_changes, ask_changes, new_levels
        )
        self._emit(event, self.channels)

    def snapshot_event(self, ts_us: int) -> BookEvent:
        """The whole book as of the current sequence: what a new subscriber receives first."""
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        return BookEvent(self.market.symbol, self.market.seq_no, ts_us, True, bids, asks)
