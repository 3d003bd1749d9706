"""Same seed → same sequence of payload values (timestamps and wall-clock-derived ids aside)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from paradex_sim import SimConfig, SimServer
from paradex_sim.market import PricePath

_WALL_CLOCK_FIELDS = {"last_updated_at", "created_at", "id"}


def _run(seed: int, seconds: float = 6.0, **config: Any) -> list[tuple[str, dict[str, Any]]]:
    server = SimServer(SimConfig(seed=seed, bbo_rate=10, trade_rate=3, **config))
    out: list[tuple[str, dict[str, Any]]] = []

    def sink(event: Any, channels: tuple[str, ...]) -> None:
        payload = {k: v for k, v in event.json().items() if k not in _WALL_CLOCK_FIELDS}
        out.append((channels[0], payload))

    server.sim.sink = sink
    server.sim.run_until(seconds, limit=1_000_000)
    return out


def test_same_seed_same_values() -> None:
    first, second = _run(42), _run(42)
    assert len(first) > 500
    assert first == second


def test_other_seed_other_values() -> None:
    assert _run(42) != _run(43)


def test_reading_state_does_not_change_the_sequence() -> None:
    """REST reads (book, summary) and book feeds must not consume randomness."""
    baseline = _run(9)
    server = SimServer(SimConfig(seed=9, bbo_rate=10, trade_rate=3))
    out: list[tuple[str, dict[str, Any]]] = []

    def sink(event: Any, channels: tuple[str, ...]) -> None:
        for proc in server.sim.markets.values():
            proc.levels(0, 100)
            proc.summary(0)
        out.append((channels[0], {k: v for k, v in event.json().items() if k not in _WALL_CLOCK_FIELDS}))

    server.sim.sink = sink
    server.sim.run_until(6.0, limit=1_000_000)
    assert out == baseline


def test_market_absent_from_the_path_keeps_walking(tmp_path: Any) -> None:
    path = tmp_path / "btc-only.jsonl"
    path.write_bytes(orjson.dumps({"t": 0, "BTC": "65000"}) + b"\n")
    server = SimServer(SimConfig(seed=1, bbo_rate=10, price_path=str(path)))
    eth = server.sim.markets["ETH-USD-PERP"]
    seen = set()
    for t in (1.0, 2.0, 3.0, 4.0):
        server.sim.run_until(t, limit=1_000_000)
        seen.add(eth.mid_e8())
    assert len(seen) > 1
    assert server.sim.markets["BTC-USD-PERP"].mid_e8() == 65000_00000000


def test_price_path_is_followed_stepwise(tmp_path: Any) -> None:
    path = tmp_path / "path.jsonl"
    path.write_bytes(
        b"\n".join(
            orjson.dumps(p)
            for p in (
                {"t": 0, "BTC": "65000.5", "ETH": "3000", "SOL": "150.123"},
                {"t": 2, "BTC": "65100", "ETH": "3010.25"},
            )
        )
    )
    server = SimServer(SimConfig(seed=1, bbo_rate=10, price_path=str(path)))
    assert PricePath.load(path).index_at(1.9) == 0
    mids: dict[float, dict[str, int]] = {}
    for t in (1.0, 1.9, 3.0):
        server.sim.run_until(t, limit=1_000_000)
        mids[t] = {m: p.mid_e8() for m, p in server.sim.markets.items()}
    assert mids[1.0]["BTC-USD-PERP"] == 65000_50000000 and mids[1.9]["BTC-USD-PERP"] == 65000_50000000
    assert mids[3.0]["BTC-USD-PERP"] == 65100_00000000
    assert mids[3.0]["ETH-USD-PERP"] == 3010_25000000
    assert mids[3.0]["SOL-USD-PERP"] == 150_12300000  # absent from the second point: holds


def test_bad_price_path_lines_are_refused_with_their_line_number(tmp_path: Any) -> None:
    for text in (
        b'{"t": 0, "BTC": "1"}\n{"t": -1, "BTC": "2"}',
        b'{"t": 0, "BTC": "0"}',
        b"[1]",
        b'{"BTC": "1"}',
    ):
        path = tmp_path / "bad.jsonl"
        path.write_bytes(text)
        with pytest.raises(ValueError, match=r"bad\.jsonl:\d"):
            PricePath.load(path)
