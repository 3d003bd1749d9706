"""Supervision against the simulator's faults: dropped connection, 5 s downtime, a silent channel, a
skipped book seq_no, malformed frames. Each test waits for the events that prove recovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import Sidecar, SimProcess, sidecar_args


def _status(state: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def match(e: dict[str, Any]) -> bool:
        return e["type"] == "status" and e["state"] == state and all(e.get(k) == v for k, v in fields.items())

    return match


def _subscribed_all(car: Sidecar, n: int, timeout: float = 10) -> None:
    for _ in range(n):
        car.expect(_status("subscribed"), timeout, what="status subscribed")


def test_recovers_after_a_dropped_connection(sim: SimProcess, start_sidecar: Callable[..., Sidecar]) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo,trades"))
    _subscribed_all(car, 2, timeout=15)
    before = car.expect_type("bbo")
    sim.control("drop")
    car.expect(_status("disconnected"), what="status disconnected")
    reconnecting = car.expect(_status("reconnecting"), what="status reconnecting")
    assert reconnecting["delay_ms"] <= 200 and reconnecting["attempt"] >= 2
    car.expect(_status("connected"), what="status connected")
    _subscribed_all(car, 2)
    after = car.expect_type("bbo")
    assert after["exchange_seq"] > before["exchange_seq"]
    car.send({"id": "s", "op": "stats"})
    stats = car.expect_type("result", id="s")
    assert stats["ok"] and stats["data"]["total_reconnects"] == 1


def test_recovers_after_five_seconds_of_downtime(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo"))
    _subscribed_all(car, 1, timeout=15)
    car.expect_type("bbo")
    sim.control("down", {"seconds": 5})
    car.expect(_status("disconnected"), what="status disconnected")
    # While the server is down, attempts keep failing and the backoff grows (never giving up).
    failed = car.collect_until(_status("connected"), timeout=20, what="status connected after downtime")
    attempts = [e for e in failed if e["type"] == "status" and e["state"] == "reconnecting"]
    assert len(attempts) >= 3, "expected several reconnect attempts during 5 s of downtime"
    delays = [e["delay_ms"] for e in attempts]
    assert delays[-1] > delays[0], f"backoff did not grow: {delays}"
    assert all(d <= 10_000 for d in delays)
    _subscribed_all(car, 1)
    car.expect_type("bbo", market="BTC-USD-PERP")


def test_a_silent_channel_goes_stale_then_live(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--stale-after", "0.6"))
    _subscribed_all(car, 1, timeout=15)
    car.expect_type("bbo")
    sim.control("silence", {"channel": "bbo.BTC-USD-PERP", "seconds": 2})
    stale = car.expect(_status("stale", channel="bbo", market="BTC-USD-PERP"), what="status stale")
    assert "no data" in stale["reason"]
    live = car.expect(_status("live", channel="bbo", market="BTC-USD-PERP"), timeout=10, what="status live")
    nxt = car.expect_type("bbo")
    assert nxt["seq"] > live["seq"]


def test_book_delta_gap_triggers_resnapshot(start_sim: Callable[..., SimProcess], start_sidecar) -> None:
    sim = start_sim()
    car = start_sidecar(*sidecar_args(sim, "--channels", "book", "--book-feed", "deltas"))
    _subscribed_all(car, 1, timeout=40)  # paper-key auth first: slow on a loaded box
    first = car.expect_type("book")
    for _ in range(3):
        car.expect_type("book")
    sim.control("skip_seq", {"market": "BTC-USD-PERP"})
    gap = car.expect(_status("gap", channel="book", market="BTC-USD-PERP"), what="status gap")
    assert "seq_no" in gap["reason"]
    # Between the gap and the fresh subscription, no book may be emitted (it would be stale or wrong).
    between = car.collect_until(_status("subscribed", channel="book"), what="resubscribe after gap")
    assert not [e for e in between if e["type"] == "book"]
    fresh = car.expect_type("book")
    assert fresh["exchange_seq"] != first["exchange_seq"]
    for event in [fresh, car.expect_type("book"), car.expect_type("book")]:
        assert event["bids"] and event["asks"]
        assert float(event["bids"][0][0]) < float(event["asks"][0][0]), "crossed book emitted"
        prices = [float(p) for p, _ in event["bids"]]
        assert prices == sorted(prices, reverse=True)


def test_malformed_frames_are_reported_and_the_stream_continues(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    for sbe in (True, False):
        car = start_sidecar(*sidecar_args(sim, "--channels", "bbo", sbe=sbe))
        _subscribed_all(car, 1, timeout=15)
        car.expect_type("bbo")
        sim.control("malformed", {"count": 1})
        error = car.expect_type("error", code="BAD_FRAME")
        assert "could not decode" in error["message"]
        car.expect_type("bbo")
        car.send({"id": 1, "op": "stats"})
        assert car.expect_type("result", id=1)["data"]["total_bad_frames"] == 1
        car.close_stdin()
        assert car.wait_exit(5) == 0


def test_a_rejected_token_reauthenticates_and_reconnects(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    """With ``--env sim`` and a private channel the session authenticates a paper key (a public-only feed logs
    in nowhere); a 40111 on ``auth`` must lead to a fresh token and a new connection (the supervisor's seam),
    not a dead or silent feed."""
    pytest.importorskip("paradex_ws_service.trading")
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo,orders"))
    _subscribed_all(car, 2, timeout=40)
    sim.control("auth_40111", {"count": 1})
    sim.control("drop")
    rejected = car.expect_type("error", code="CREDENTIALS", timeout=15)
    assert "40111" in rejected["message"]
    car.expect(_status("disconnected"), what="forced disconnect after 40111")
    car.expect(_status("connected"), timeout=15, what="reconnected with a fresh token")
    _subscribed_all(car, 2)
    car.expect_type("bbo")
    assert "eyJ" not in car.stderr(), "a JWT leaked to stderr"
