"""Catch-up after a stream outage: fills and final order states the socket never carried are read over REST
after the reconnect and emitted as ordinary events marked ``recovered`` — none lost, none doubled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import sidecar_args
from test_trading_cli import MARKET, SLOW, _command, _ready

from paradex_ws_service.paradex.orders import _gateway_failure
from paradex_ws_service.paradex.private import PrivateNormalizers

FILL = {
    "id": "88330000000000000000000001",
    "side": "BUY",
    "liquidity": "MAKER",
    "market": MARKET,
    "order_id": "1795312934710000000000000002",
    "price": "64999.9",
    "size": "0.01",
    "fee": "-0.01",
    "fee_currency": "USDC",
    "created_at": 1795312934721,
    "client_id": "c-1",
}
ORDER = {
    "id": "1795312934710000000000000002",
    "market": MARKET,
    "side": "BUY",
    "type": "LIMIT",
    "size": "0.01",
    "remaining_size": "0",
    "price": "64999.9",
    "status": "CLOSED",
    "client_id": "c-1",
    "avg_fill_price": "64999.9",
    "cancel_reason": "",
    "created_at": 1795312934700,
    "last_updated_at": 1795312934721,
    "seq_no": 9000,
}


def test_recovered_events_are_marked_and_never_doubled() -> None:
    out: list[dict[str, Any]] = []
    private = PrivateNormalizers()
    private.attach(out.append)
    assert private.fill(FILL, 0) is not None  # the stream delivered this one
    private.recovered_fill(FILL)  # …so the catch-up's copy is dropped
    assert out == []
    later = {**FILL, "id": "88330000000000000000000002", "created_at": FILL["created_at"] + 5}
    private.recovered_fill(later)
    assert [(e["fill_id"], e["recovered"]) for e in out] == [(later["id"], True)]
    assert private.last_fill_ms == later["created_at"]
    # A REST state numbered apart from the stream (seq 9000 < the stream's) still closes the order…
    private.order({**ORDER, "status": "OPEN", "remaining_size": "0.01", "seq_no": 10**18}, 0)
    private.recovered_order(ORDER)
    assert out[-1]["type"] == "order" and out[-1]["status"] == "CLOSED" and out[-1]["recovered"] is True
    # …and an open state read later never resurrects it, nor is a closed state emitted twice.
    count = len(out)
    private.recovered_order({**ORDER, "status": "OPEN"})
    private.recovered_order(ORDER)
    assert len(out) == count


def test_the_streams_late_copy_of_a_recovered_open_state_is_not_said_twice() -> None:
    """A catch-up can read an order over REST before the stream's own update of it arrives (a place that
    raced a reconnect): the consumer sees that state once, then whatever is new."""
    out: list[dict[str, Any]] = []
    private = PrivateNormalizers()
    private.attach(out.append)
    open_state = {**ORDER, "id": "1795312934710000000000000009", "status": "NEW", "remaining_size": "0.01"}
    private.recovered_order(open_state)
    assert [(e["status"], e["recovered"]) for e in out] == [("NEW", True)]
    assert private.order({**open_state, "seq_no": 9100}, 0) is None  # the stream's copy: already said
    closed = private.order({**open_state, "status": "CLOSED", "remaining_size": "0", "seq_no": 9101}, 0)
    assert closed is not None and closed["status"] == "CLOSED"


def _fill_of(sc: Any, order_id: str, what: str) -> dict[str, Any]:
    """The first fill of ``order_id`` on stdout, whether already read or still to come."""
    for event in sc.events:
        if event.get("type") == "fill" and event["order_id"] == order_id:
            return event
    return sc.expect(lambda e: e.get("type") == "fill" and e["order_id"] == order_id, SLOW * 2, what)


def _fills(sc: Any) -> dict[str, dict[str, Any]]:
    return {e["fill_id"]: e for e in sc.events if e.get("type") == "fill"}


@pytest.mark.timeout(300)
def test_fills_made_during_a_stream_outage_reach_stdout(start_sim: Any, start_sidecar: Any) -> None:
    """A resting LIMIT filled and a MARKET placed over REST while the socket is down: both fills arrive after
    the reconnect, marked recovered, each once."""
    sim = start_sim()
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", "bbo,orders,fills,positions,account", "--markets", MARKET)
    )
    _ready(sc)
    bbo = sc.expect_type("bbo", timeout=SLOW, market=MARKET)
    bid = Decimal(bbo["bid"])
    limit = (bid * Decimal("0.999")).quantize(Decimal("0.1"))
    res = _command(
        sc,
        "l",
        "place",
        SLOW,
        market=MARKET,
        side="BUY",
        type="LIMIT",
        size="0.01",
        price=str(limit),
        client_id="rest-lim",
    )
    assert res["ok"], res
    limit_id = res["data"]["order_id"]
    sc.expect(
        lambda e: e.get("type") == "order" and e["order_id"] == limit_id, SLOW, "the LIMIT's order event"
    )
    start = len(sc.events)
    sim.control("down", {"seconds": 10, "keep_rest": True})  # a stream outage: REST keeps answering
    sc.expect_type("status", state="disconnected", timeout=SLOW)
    sim.control("price", {"market": MARKET, "mid": str((limit * Decimal("0.99")).quantize(Decimal("0.1")))})
    res = _command(
        sc, "m", "place", SLOW, market=MARKET, side="SELL", type="MARKET", size="0.002", client_id="rest-mkt"
    )
    assert res["ok"] and res["data"]["via"] == "rest", res
    market_id = res["data"]["order_id"]
    streamed = [e for e in sc.events[start:] if e.get("type") == "fill" and not e.get("recovered")]
    assert not streamed, "no fill can stream while the socket is down"
    # After the reconnect the catch-up brings both orders' fills, marked recovered.
    _fill_of(sc, limit_id, "the LIMIT's fill")
    _fill_of(sc, market_id, "the MARKET's fill")
    fills = _fills(sc)
    recovered = [f for f in fills.values() if f.get("recovered")]
    # The LIMIT filled while the socket was down: only the catch-up can bring its fill. The MARKET's place
    # waits (up to 10 s) for the channels before it goes over REST, so on a slow machine the stream may be
    # back by the time it fills and carry its fill live: either way it is on stdout once.
    assert limit_id in {f["order_id"] for f in recovered}, recovered
    ids = [e["fill_id"] for e in sc.events if e.get("type") == "fill"]
    assert len(ids) == len(set(ids)), "a fill was emitted twice"
    # A consumer's own cursor: the snapshot lists every fill since it, the outage's included.
    snap = _command(sc, "s", "snapshot", SLOW, fills_since=0)
    assert snap["ok"], snap
    assert {f["order_id"] for f in snap["data"]["fills"]} >= {limit_id, market_id}, snap["data"]["fills"]


def test_a_gateway_5xx_on_place_is_an_unknown_outcome_not_a_refusal() -> None:
    """paradex-py reports a non-JSON 5xx as ``HTTP 502: …``: looked up by client id, never REJECTED."""
    assert _gateway_failure(ValueError("HTTP 502: <html>Bad Gateway</html>"))
    assert _gateway_failure(ValueError("HTTP 504: upstream request timeout"))
    assert not _gateway_failure(ValueError("HTTP 400: bad"))
    assert not _gateway_failure(ValueError("ApiError(error='ORDER_REJECTED', message='margin')"))


def test_a_listing_that_does_not_end_within_the_bound_is_an_error_not_a_silent_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A catch-up that could read only the newest part of a long listing must keep its window (it raises,
    and catch_up keeps the gap for the next try) rather than drop the older fills without a word."""
    import asyncio
    from types import SimpleNamespace

    from paradex_ws_service.paradex import orders

    monkeypatch.setattr(orders, "CATCHUP_MAX_PAGES", 3)
    calls: list[dict[str, Any]] = []

    async def rest(fetch: Any, query: dict[str, Any]) -> dict[str, Any]:
        calls.append(query)
        return {"results": [{"id": str(len(calls))}], "next": f"c{len(calls)}"}  # a cursor that never ends

    fake = SimpleNamespace(_rest=rest)
    with pytest.raises(RuntimeError, match="listing longer than"):
        asyncio.run(orders.OrderManager._pages(fake, None, {"start_at": 0}))  # type: ignore[arg-type]
    assert len(calls) == 3
