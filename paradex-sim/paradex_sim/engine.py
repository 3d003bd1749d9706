"""The simulator's clock: runs every market's steps, book ticks, summaries and funding updates in
virtual-time order and hands each payload to a sink that fans it out.

Events are ordered by their scheduled virtual time (ties in a fixed order), never by when the event
loop happened to wake, so payload values depend on the seed and the configuration only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .channels import FUNDING_COMPARISON
from .events import MarketEvent
from .market import BookFeed, DeltasStream, MarketProcess, PricePath
from .markets import MARKETS

log = logging.getLogger("paradex_sim.engine")

Sink = Callable[[MarketEvent, tuple[str, ...]], None]

BOOK_TICK_S = 0.05  # the 50ms feeds tick every time, the 100ms feeds every second time
BOOK_FEEDS = (("snapshot", "50ms"), ("snapshot", "100ms"), ("deltas", "50ms"), ("deltas", "100ms"))
_MAX_BATCH = 512  # events per wake before yielding, so connection senders keep draining
MAX_RATE = 1_000_000.0  # frames/s per market; beyond it the virtual clock could not advance


def book_channel(market: str, feed: str, rate: str) -> str:
    """The exact name paradex-py builds for an order_book subscription without a price tick."""
    return f"order_book.{market}.{feed}@15@{rate}"


def bare_deltas_channel(market: str) -> str:
    """The deltas channel without parameters: the only spelling production accepts on SBE (§0a.1)."""
    return f"order_book.{market}.deltas"


def interactive_deltas_channel(market: str) -> str:
    """The RPI-inclusive deltas stream (§0a.10), bare like the SBE deltas name."""
    return f"order_book.{market}.interactive_deltas"


@dataclass
class EngineSettings:
    seed: int
    markets: tuple[str, ...]
    bbo_rate: float  # bbo frames per second per market
    trade_rate: float  # average trades per second per market
    summary_interval: float
    funding_interval: float
    price_path: PricePath | None


class Simulation:
    """Owns the market processes and book feeds; `run()` drives them in real time."""

    def __init__(self, settings: EngineSettings, sink: Sink) -> None:
        unknown = [m for m in settings.markets if m not in MARKETS]
        if unknown:
            raise ValueError(f"unknown market(s): {', '.join(unknown)}; known: {', '.join(MARKETS)}")
        self.settings = settings
        self.sink = sink
        self.markets: dict[str, MarketProcess] = {
            m: MarketProcess(MARKETS[m], settings.seed) for m in settings.markets
        }
        self.feeds: dict[str, BookFeed] = {}
        for m, proc in self.markets.items():
            for feed, rate in BOOK_FEEDS:
                self.feeds[book_channel(m, feed, rate)] = BookFeed(proc, deltas=feed == "deltas")
        # Both bare deltas names of a market share one stream (one diff of the book per sequence step).
        self.deltas: dict[str, DeltasStream] = {}
        for m, proc in self.markets.items():
            names = (bare_deltas_channel(m), interactive_deltas_channel(m))
            stream = DeltasStream(proc, names, sink)
            self.deltas.update(dict.fromkeys(names, stream))
        self.rates: dict[str, float] = dict.fromkeys(self.markets, settings.bbo_rate)
        self._next_step: dict[str, float] = dict.fromkeys(self.markets, 0.0)
        self._next_book = BOOK_TICK_S
        self._book_ticks = 0
        self._next_summary = 0.0
        self._next_funding = 0.0
        self._path_index: dict[str, int] = dict.fromkeys(self.markets, -1)
        self._pinned: set[str] = set()  # markets whose price the reference path has set
        self._bursting: set[str] = set()
        self._origin = 0.0
        self._paused_at: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._burst_tasks: set[asyncio.Task[None]] = set()

    # ── lifecycle ──────────────────────────────────────────────────────
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._origin = loop.time()
        self._task = asyncio.create_task(self._run(), name="paradex-sim-engine")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._burst_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("engine task failed")
        self._task = None

    def vt(self) -> float:
        """Virtual seconds since start, frozen while paused."""
        now = asyncio.get_running_loop().time() if self._paused_at is None else self._paused_at
        return now - self._origin

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = asyncio.get_running_loop().time()

    def resume(self) -> None:
        if self._paused_at is not None:
            # Shift the origin by the pause so nothing is "due" in a catch-up burst.
            self._origin += asyncio.get_running_loop().time() - self._paused_at
            self._paused_at = None
            self._wake.set()

    # ── controls ───────────────────────────────────────────────────────
    def set_rate(self, bbo_per_s: float, market: str | None = None) -> None:
        if not 0 < bbo_per_s <= MAX_RATE:
            raise ValueError(f"bbo_per_s must be in (0, {MAX_RATE:g}]")
        for m in [market] if market else list(self.markets):
            self.market(m)
            self.rates[m] = float(bbo_per_s)
            self._next_step[m] = self.vt() + 1.0 / bbo_per_s
        self._wake.set()

    def set_mid(self, market: str, mid_e8: int) -> None:
        proc = self.market(market)
        proc.set_mid(proc.spec.round_price_e8(mid_e8))
        path = self.settings.price_path
        if path is not None:
            # Hold the jump until the reference path moves to its next point.
            self._path_index[market] = path.index_at(self.vt())

    def market(self, market: str) -> MarketProcess:
        try:
            return self.markets[market]
        except KeyError:
            raise KeyError(f"unknown market {market!r}") from None

    def burst(self, market: str, count: int, rate: float) -> tuple[int, int, asyncio.Task[None]]:
        """Emit exactly `count` bbo frames on `market` at `rate`/s (its regular steps are suspended)."""
        proc = self.market(market)
        if not (0 < count <= 100_000_000 and 0 < rate <= MAX_RATE):
            raise ValueError(f"count must be in [1, 1e8] and rate in (0, {MAX_RATE:g}]")
        if market in self._bursting:
            raise ValueError(f"a burst is already running on {market}")
        first = proc.seq_no + 1
        self._bursting.add(market)
        task = asyncio.create_task(self._burst(market, count, rate), name=f"paradex-sim-burst-{market}")
        self._burst_tasks.add(task)
        task.add_done_callback(self._burst_tasks.discard)
        return first, first + count - 1, task

    # ── the clock ──────────────────────────────────────────────────────
    def _target(self, market: str, vt: float) -> Decimal | None:
        path = self.settings.price_path
        if path is None:
            return None
        idx = path.index_at(vt)
        if idx < 0 or idx == self._path_index[market]:
            return None
        self._path_index[market] = idx
        return path.points[idx][1].get(self.markets[market].spec.base)

    def _step(self, market: str, vt: float, dt: float, trades: bool) -> None:
        proc = self.markets[market]
        ts_us = time.time_ns() // 1000
        target = self._target(market, vt)
        if target is not None:
            self._pinned.add(market)
        # A market the path has priced holds still between its points (the path is stepwise);
        # a market the path never names keeps its random walk.
        walk_dt = 0.0 if target is None and market in self._pinned else dt
        trade_prob = self.settings.trade_rate * dt if trades else 0.0
        printed = proc.advance(walk_dt, target, trade_prob, ts_us)
        for trade in printed:
            self.sink(trade, (f"trades.{market}", "trades.ALL"))
        self.sink(proc.bbo(ts_us), (f"bbo.{market}", "bbo.ALL", f"bbo.{market}.interactive"))

    def _book_tick(self) -> None:
        self._book_ticks += 1
        ts_us = time.time_ns() // 1000
        every_100ms = self._book_ticks % 2 == 0
        for name, feed in self.feeds.items():
            if name.endswith("@100ms") and not every_100ms:
                continue
            event = feed.tick(ts_us)
            if event is not None:
                self.sink(event, (name,))
        # funding_rate_comparison.ALL@500ms every 10th 50 ms tick, @1000ms every 20th: one row per market.
        if self._book_ticks % 10 == 0:
            names = FUNDING_COMPARISON if self._book_ticks % 20 == 0 else FUNDING_COMPARISON[:1]
            for proc in self.markets.values():
                self.sink(proc.funding_comparison(ts_us), names)

    def _summary_tick(self) -> None:
        ts_us = time.time_ns() // 1000
        for m, proc in self.markets.items():
            proc.summary_seq += 1
            proc.drift_open_interest()
            self.sink(proc.summary(ts_us), ("markets_summary", "markets_summary.ALL", f"markets_summary.{m}"))

    def _funding_tick(self, first: bool) -> None:
        ts_us = time.time_ns() // 1000
        elapsed = 0.0 if first else self.settings.funding_interval
        for m, proc in self.markets.items():
            self.sink(proc.funding(ts_us, elapsed), (f"funding_data.{m}", "funding_data"))

    def _next_event(self) -> tuple[float, str]:
        """Earliest due timer; ties resolve in the fixed order markets, book, summary, funding."""
        best_t, best = self._next_book, "book"
        for m, t in self._next_step.items():
            if m not in self._bursting and t < best_t:
                best_t, best = t, m
        if self._next_summary < best_t:
            best_t, best = self._next_summary, "summary"
        if self._next_funding < best_t:
            best_t, best = self._next_funding, "funding"
        return best_t, best

    def run_until(self, vt: float, limit: int = _MAX_BATCH) -> int:
        """Run every event due at or before `vt` (at most `limit`); returns how many ran."""
        done = 0
        while done < limit:
            t, which = self._next_event()
            if t > vt:
                break
            done += 1
            if which == "book":
                self._book_tick()
                self._next_book += BOOK_TICK_S
            elif which == "summary":
                self._summary_tick()
                self._next_summary += self.settings.summary_interval
            elif which == "funding":
                self._funding_tick(first=self._next_funding == 0.0)
                self._next_funding += self.settings.funding_interval
            else:
                dt = 1.0 / self.rates[which]
                self._next_step[which] = t + dt
                self._step(which, t, dt, trades=True)
        return done

    async def _run(self) -> None:
        while True:
            if self._paused_at is not None:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                ran = self.run_until(self.vt())
            except Exception:
                log.exception("market step failed; the simulator keeps running")
                ran = 0
            if ran >= _MAX_BATCH:
                await asyncio.sleep(0)
                continue
            delay = self._next_event()[0] - self.vt()
            self._wake.clear()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), delay)
                except asyncio.TimeoutError:
                    pass
            else:
                await asyncio.sleep(0)

    async def _burst(self, market: str, count: int, rate: float) -> None:
        loop = asyncio.get_running_loop()
        dt = 1.0 / rate
        start = loop.time()
        sent = 0
        try:
            while sent < count:
                due = min(count, int((loop.time() - start) * rate) + 1)
                batch_end = min(due, sent + _MAX_BATCH)
                while sent < batch_end:
                    self._step(market, self.vt(), dt, trades=False)
                    sent += 1
                if sent < count:
                    wait = start + sent * dt - loop.time()
                    await asyncio.sleep(max(wait, 0.0))
        finally:
            self._bursting.discard(market)
            self._next_step[market] = self.vt() + 1.0 / self.rates[market]
