"""The CLI against the simulator over loopback: hello first, contiguous seq, pure stdout, and every channel's
events equal to what the simulator sent — with SBE frames and with JSON frames."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from conftest import Sidecar, SimProcess, sidecar_args
from test_sim_sbe import truncate_funding

from paradex_ws_service.protocol import EVENT_TYPES

MARKETS = "BTC-USD-PERP,ETH-USD-PERP"
BOOK_DEPTH = 15


def _by(events: list[dict[str, Any]], etype: str, market: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == etype and e.get("market") == market]


def _expected_bbo(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "market": p["market"],
        "bid": p["bid"],
        "bid_size": p["bid_size"],
        "ask": p["ask"],
        "ask_size": p["ask_size"],
        "exchange_ts": p["last_updated_at"],
        "exchange_seq": p["seq_no"],
    }


def _expected_trade(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "market": p["market"],
        "trade_id": p["id"],
        "side": p["side"],
        "price": p["price"],
        "size": p["size"],
        "trade_type": p["trade_type"],
        "exchange_ts": p["created_at"],
    }


def _expected_book(p: dict[str, Any]) -> dict[str, Any]:
    assert p["update_type"] == "s", "the snapshot feed sends whole books"
    bids = sorted((lv for lv in p["inserts"] if lv["side"] == "BUY"), key=lambda lv: -float(lv["price"]))
    asks = sorted((lv for lv in p["inserts"] if lv["side"] == "SELL"), key=lambda lv: float(lv["price"]))
    return {
        "market": p["market"],
        "bids": [[lv["price"], lv["size"]] for lv in bids[:BOOK_DEPTH]],
        "asks": [[lv["price"], lv["size"]] for lv in asks[:BOOK_DEPTH]],
        "exchange_seq": p["seq_no"],
        "exchange_ts": p["last_updated_at"],
    }


def _expected_summary(p: dict[str, Any]) -> dict[str, Any]:
    def d(key: str) -> str | None:
        return p.get(key) or None

    return {
        "market": p["symbol"],
        "mark_price": d("mark_price"),
        "last_price": d("last_traded_price"),
        "bid": d("bid"),
        "ask": d("ask"),
        "underlying_price": d("underlying_price"),
        "volume_24h": d("volume_24h"),
        "open_interest": d("open_interest"),
        "funding_rate": d("funding_rate"),
        "price_change_rate_24h": d("price_change_rate_24h"),
        "exchange_ts": p["created_at"],
    }


def _expected_funding(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "market": p["market"],
        "funding_rate": p["funding_rate"],
        "funding_rate_8h": p["funding_rate_8h"],
        "funding_index": p["funding_index"],
        "funding_premium": p["funding_premium"],
        "funding_period_hours": p["funding_period_hours"],
        "exchange_ts": p["created_at"],
    }


def _project(event: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    return {k: event.get(k) for k in like}


def _assert_all_match(
    got: list[dict[str, Any]],
    sent: list[dict[str, Any]],
    expected: Callable[[dict[str, Any]], dict[str, Any]],
    key: Callable[[dict[str, Any]], Any],
) -> int:
    """Every event the sidecar emitted equals the simulator payload with the same key."""
    by_key = {key(e): e for e in map(expected, sent)}
    assert got, "no events"
    matched = 0
    for event in got:
        want = by_key.get(key(event))
        assert want is not None, f"event not among the payloads the simulator sent: {event}"
        assert _project(event, want) == want
        matched += 1
    return matched


@pytest.mark.parametrize("sbe", [True, False], ids=["sbe", "json"])
def test_every_channel_equals_what_the_sim_sent(
    start_sim: Callable[..., SimProcess], start_sidecar: Callable[..., Sidecar], sbe: bool
) -> None:
    sim = start_sim("--bbo-rate", "40", "--trade-rate", "20")
    car = start_sidecar(
        *sidecar_args(sim, "--markets", MARKETS, "--channels", "bbo,trades,book,summary,funding", sbe=sbe)
    )
    hello = car.expect_type("hello", timeout=15)
    assert hello["sbe"] is sbe and hello["markets"] == MARKETS.split(",")
    # funding_data comes every 5 s per market in the simulator: wait for one of each market.
    for market in MARKETS.split(","):
        car.expect_type("funding", timeout=12, market=market)
    car.expect_type("summary", market="ETH-USD-PERP")
    events = car.events
    for market in MARKETS.split(","):
        _assert_all_match(
            _by(events, "bbo", market),
            sim.sent(f"bbo.{market}"),
            _expected_bbo,
            lambda e: e["exchange_seq"],
        )
        _assert_all_match(
            _by(events, "trade", market),
            sim.sent(f"trades.{market}"),
            _expected_trade,
            lambda e: e["trade_id"],
        )
        _assert_all_match(
            _by(events, "book", market),
            sim.sent(f"order_book.{market}.snapshot@15@100ms"),
            _expected_book,
            lambda e: e["exchange_seq"],
        )
        _assert_all_match(
            _by(events, "summary", market),
            sim.sent(f"markets_summary.{market}"),
            _expected_summary,
            lambda e: e["exchange_ts"],
        )
        _assert_all_match(
            _by(events, "funding", market),
            [truncate_funding(f) if sbe else f for f in sim.sent(f"funding_data.{market}")],
            _expected_funding,
            lambda e: e["exchange_ts"],
        )
        if not sbe:  # JSON funding values keep all their digits (production's have up to 21), as strings
            fine = [
                e for e in _by(events, "funding", market) if len(e["funding_index"].partition(".")[2]) > 17
            ]
            assert fine, "no funding value with more than 17 fractional digits reached the output"
    # recv_us is a µs wall clock at or after the exchange's ms timestamp
    for event in events:
        if "recv_us" in event:
            assert event["recv_us"] // 1000 >= event["exchange_ts"] - 5


def test_hello_first_seq_contiguous_and_stdout_pure(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = start_sidecar(
        *sidecar_args(sim, "--markets", MARKETS, "--channels", "bbo,trades", "--log-level", "DEBUG")
    )
    car.expect_type("bbo", timeout=15, market="ETH-USD-PERP")
    car.expect_type("trade", timeout=15)
    car.close_stdin()
    car.drain()
    assert car.wait_exit(5) == 0
    events = car.events
    assert events[0]["type"] == "hello"
    assert events[0]["protocol"] == 1 and events[0]["pid"] == car.proc.pid and events[0]["env"] == "sim"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    # purity: every raw line is one JSON object of a known type; logs (DEBUG here) all went to stderr
    for raw in car.lines:
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1
        obj = orjson.loads(raw)
        assert isinstance(obj, dict) and obj["type"] in EVENT_TYPES
    assert "DEBUG" in car.stderr() or "INFO" in car.stderr()
    states = [e["state"] for e in events if e["type"] == "status"]
    assert states[:2] == ["connecting", "connected"] and states[-1] == "closed"
    assert states.count("subscribed") == 4


def test_embedded_simulator_streams_without_any_url(start_sidecar: Callable[..., Sidecar]) -> None:
    # the simulator is a child process importing the starknet stack alongside the sidecar: slow on a busy box
    car = start_sidecar("--env", "sim", "--channels", "bbo,trades")
    hello = car.expect_type("hello", timeout=40)
    assert hello["env"] == "sim" and hello["channels"] == ["bbo", "trades"]
    bbo = car.expect_type("bbo", timeout=40, market="BTC-USD-PERP")
    assert float(bbo["bid"]) < float(bbo["ask"])
    car.expect_type("trade", timeout=15)


def _replay(payloads: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The book after each simulator payload (snapshot, then deltas), keyed by seq_no: the test's oracle."""
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    books: dict[int, dict[str, Any]] = {}
    for p in payloads:
        if p["update_type"] == "s":
            bids.clear()
            asks.clear()
        for group in ("inserts", "updates", "deletes"):
            for lv in p[group]:
                side = bids if lv["side"] == "BUY" else asks
                if group == "deletes" or lv["size"] == "0":
                    side.pop(lv["price"], None)
                else:
                    side[lv["price"]] = lv["size"]
        books[p["seq_no"]] = {
            "bids": [[k, bids[k]] for k in sorted(bids, key=float, reverse=True)][:BOOK_DEPTH],
            "asks": [[k, asks[k]] for k in sorted(asks, key=float)][:BOOK_DEPTH],
        }
    return books


@pytest.mark.parametrize("sbe", [True, False], ids=["sbe", "json"])
def test_deltas_feed_books_equal_the_sims_book(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar], sbe: bool
) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "book", "--book-feed", "deltas", sbe=sbe))
    for _ in range(12):
        car.expect_type("book", timeout=15)
    books = [e for e in car.events if e["type"] == "book"]
    # SBE sessions take only the bare name (production refuses the suffix there, reference §0a.1); the
    # simulator refuses it too, so books arriving at all prove the sidecar asked for the right one.
    channel = "order_book.BTC-USD-PERP.deltas" if sbe else "order_book.BTC-USD-PERP.deltas@15@100ms"
    subscribed = [c["subscriptions"] for c in sim.get("state")["connections"]]
    assert [channel] in subscribed, subscribed
    oracle = _replay(sim.sent(channel))
    for book in books:
        want = oracle.get(book["exchange_seq"])
        assert want is not None, f"book at seq {book['exchange_seq']} not in what the simulator sent"
        assert {"bids": book["bids"], "asks": book["asks"]} == want
