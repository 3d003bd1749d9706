"""Failure paths real Paradex has, produced by the simulator on demand and met by the real sidecar CLI:
rate limits (HTTP 429, JSON-RPC 42901) with one counter for REST and WebSocket orders, the gateway's bare
401 for an expired JWT, the default five-minute receive window, late and repeated private updates, and the
error shape of a refused order RPC (openrpc codes, never the docs' generic 100).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from conftest import SimProcess, sidecar_args
from paradex_py.common.order import Order, OrderSide, OrderType
from test_sim_trading import _client, _http
from test_trading_cli import MARKET, PRIVATE, SLOW, _command, _find, _order_closed, _orders_received, _ready

from paradex_sim.testing import RawClient


def _trading(sim: SimProcess) -> dict[str, Any]:
    return sim.get("trading")


def _rest_only(sim: SimProcess) -> list[str]:
    """Sidecar arguments with no reachable WebSocket (the discard port): every order goes over REST."""
    args = sidecar_args(sim, "--channels", "bbo", "--markets", MARKET)
    args[args.index("--ws-url") + 1] = "ws://127.0.0.1:9/ws/v1"
    return args


def test_rest_429_expired_jwt_and_receive_window(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(*_rest_only(sim))
    sc.expect_type("status", state="disconnected", timeout=SLOW)

    # 429 on POST /orders: RATE_LIMITED, and nothing is sent again behind the caller's back.
    sim.control("rate_limit", {"count": 1})
    res = _command(
        sc, "a", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.001", client_id="a"
    )
    assert not res["ok"] and res["error"]["code"] == "RATE_LIMITED", res
    assert _trading(sim)["counters"]["rate_limited"] == 1 and _orders_received(sim) == 0
    # Backing off: the next order is refused locally, never reaching Paradex.
    res = _command(sc, "b", "place", market=MARKET, side="BUY", type="MARKET", size="0.001", client_id="b")
    assert (
        not res["ok"] and res["error"]["code"] == "RATE_LIMITED" and "backing off" in res["error"]["message"]
    )
    assert _trading(sim)["counters"]["rate_limited"] == 1
    # Once the window is over the same client id goes out once (it was definitely not placed before).
    deadline = time.monotonic() + 15
    n = 0
    while True:
        n += 1
        res = _command(
            sc, f"a{n}", "place", market=MARKET, side="BUY", type="MARKET", size="0.001", client_id="a"
        )
        if res["ok"] or time.monotonic() > deadline:
            break
        assert res["error"]["code"] == "RATE_LIMITED", res
    assert res["ok"] and res["data"]["via"] == "rest", res
    assert _orders_received(sim) == 1

    # Every JWT issued so far now counts as expired: Paradex answers 401 {"message": "...expired..."} with no
    # `error` key. The sidecar re-authenticates and the order goes out, once.
    issued = _trading(sim)["tokens_issued"]
    sim.control("expire_jwt")
    res = _command(sc, "c", "place", SLOW, market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert res["ok"] and res["data"]["via"] == "rest", res
    assert _trading(sim)["tokens_issued"] > issued and _orders_received(sim) == 2

    # No recv_window is sent: Paradex's default of five minutes applies. An exchange clock six minutes ahead
    # of ours makes a fresh signature too old; within the window it is accepted.
    sim.control("clock_offset", {"ms": 6 * 60_000})
    res = _command(sc, "d", "place", market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert not res["ok"] and res["error"]["code"] == "REJECTED", res
    assert res["error"]["message"].startswith("INVALID_TIMESTAMP") and "300000" in res["error"]["message"]
    sim.control("clock_offset", {"ms": 4 * 60_000})
    res = _command(sc, "e", "place", market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert res["ok"], res


def test_ws_42901_stale_updates_and_refusal_shape(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET))
    _ready(sc)
    # Warm up the signer: the first order may take seconds on a loaded machine.
    res = _command(sc, "w", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.001")
    assert res["ok"], res
    received = _orders_received(sim)

    # JSON-RPC 42901 on order.create: RATE_LIMITED, not resent, and the next order backs off locally.
    sim.control("rate_limit", {"count": 1})
    res = _command(sc, "r1", "place", market=MARKET, side="BUY", type="MARKET", size="0.001")
    assert not res["ok"] and res["error"]["code"] == "RATE_LIMITED", res
    res = _command(sc, "r2", "place", market=MARKET, side="BUY", type="MARKET", size="0.001")
    assert not res["ok"] and res["error"]["code"] == "RATE_LIMITED", res
    assert _trading(sim)["counters"]["rate_limited"] == 1 and _orders_received(sim) == received

    # A refused order (here: signed more than the default five-minute receive window ago by the exchange's
    # clock): -32602 with Paradex's code in `data`; the sidecar reports the code first, and REJECTED.
    sim.control("clock_offset", {"ms": 6 * 60_000})
    deadline = time.monotonic() + 15
    while True:  # the backoff above ends within a few seconds
        res = _command(
            sc, f"old{time.monotonic()}", "place", market=MARKET, side="BUY", type="MARKET", size="0.001"
        )
        if res["ok"] or res["error"]["code"] != "RATE_LIMITED" or time.monotonic() > deadline:
            break
    assert not res["ok"] and res["error"]["code"] == "REJECTED", res
    message = res["error"]["message"]
    assert message.startswith("INVALID_TIMESTAMP") and "(JSON-RPC -32602" in message, res
    sim.control("clock_offset", {"ms": 0})
    bid = _http("GET", f"{sim.rest_url}/bbo/{MARKET}")[1]["bid"]

    # A late OPEN: the resting order's OPEN is delivered after its CLOSED. Downstream it stays closed.
    sim.control("stale_private", {"count": 1, "status": "OPEN"})
    start = len(sc.events)
    price = str(round(float(bid) * 0.9, 1))
    res = _command(sc, "rest1", "place", market=MARKET, side="BUY", type="LIMIT", size="0.001", price=price)
    assert res["ok"], res
    oid = res["data"]["order_id"]
    _find(sc, start, "order", order_id=oid, status="NEW")
    assert _command(sc, "x1", "cancel", order_id=oid)["ok"]
    _order_closed(sc, oid)
    # The withheld OPEN reached the socket after CLOSED; a marker order proves the stream moved past it.
    res = _command(sc, "after", "place", market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert res["ok"], res
    _order_closed(sc, res["data"]["order_id"])
    statuses = [e["status"] for e in sc.events[start:] if e.get("type") == "order" and e["order_id"] == oid]
    assert statuses == ["NEW", "CLOSED"], statuses
    late = [p for p in sim.sent("orders.ALL") if p["id"] == oid]
    assert [p["status"] for p in late] == ["NEW", "CLOSED", "OPEN"], late


def test_sim_rate_counter_is_shared_and_rest_drifts(sim: SimProcess) -> None:
    """One counter for REST and WebSocket orders; REST answers as openapi 1.132.1 documents them."""
    trader = _client(sim)
    try:
        token = trader.account.jwt_token if trader.account else ""
        auth = {"Authorization": f"Bearer {token}"}
        # DELETE /orders: 200 with an empty body.
        request = _http("DELETE", f"{sim.rest_url}/orders", auth)
        assert request == (200, None), request
        # GET /orders/{id} of an unknown id: 400 (no 404 in the spec); /account/margin needs `market`.
        status, body = _http("GET", f"{sim.rest_url}/orders/123", auth)
        assert status == 400 and body["error"] == "ORDER_ID_NOT_FOUND", body
        status, body = _http("GET", f"{sim.rest_url}/account/margin", auth)
        assert status == 400, body
        assert _http("GET", f"{sim.rest_url}/account/margin?market={MARKET}", auth)[0] == 200

        # One request per minute: REST takes it, the WebSocket's order.cancel_all is refused with 42901.
        sim.control("rate_limit", {"per_s": 1, "window_s": 60})
        status, _ = _http("DELETE", f"{sim.rest_url}/orders", auth)
        if status == 429:  # the window turned between the two requests above: the next one is fresh
            status, _ = _http("DELETE", f"{sim.rest_url}/orders", auth)
        assert status == 200

        async def over_ws() -> dict[str, Any]:
            ws = await RawClient.connect(sim.ws_url)
            try:
                await ws.request("auth", {"bearer": token})
                return await ws.request("order.cancel_all", {})
            finally:
                await ws.close()

        reply = asyncio.run(over_ws())
        assert reply["error"]["code"] == 42901, reply
        status, body = _http("DELETE", f"{sim.rest_url}/orders", auth)
        assert status == 429, body
    finally:
        trader.api_client.client.close()


def test_get_order_of_a_closed_id_is_400_and_fill_ids_are_long(sim: SimProcess) -> None:
    trader = _client(sim)
    try:
        order = Order(MARKET, OrderType.Market, OrderSide.Buy, Decimal("0.001"))
        placed = trader.api_client.submit_order(order)
        token = trader.account.jwt_token if trader.account else ""
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 5
        while True:  # NEW → CLOSED takes a moment of matching
            code, body = _http("GET", f"{sim.rest_url}/orders/{placed['id']}", auth)
            if code == 400 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert code == 400 and body["error"] == "ORDER_IS_CLOSED", body
        fills = _http("GET", f"{sim.rest_url}/fills", auth)[1]["results"]
        assert len(fills[0]["id"]) == 28 and fills[0]["id"].isdigit(), fills
    finally:
        trader.api_client.client.close()


def test_busted_fill_is_retracted_and_updates_carry_seq_no(start_sim: Any, start_sidecar: Any) -> None:
    """``tradebusts`` comes with ``fills``; a busted fill becomes a ``fill_bust`` line naming it."""
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET))
    _ready(sc)
    _find(sc, 0, "status", timeout=SLOW, state="subscribed", channel="tradebusts")
    start = len(sc.events)
    res = _command(sc, "m", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.001")
    assert res["ok"], res
    oid = res["data"]["order_id"]
    fill = _find(sc, start, "fill", order_id=oid)
    assert len(fill["fill_id"]) == 28  # as long as the simulator's (and Paradex's trade) ids, intact
    closed = _order_closed(sc, oid)
    assert closed["seq_no"].isdigit() and int(closed["seq_no"]) > 2**53  # a string: beyond a JS number
    assert _find(sc, start, "account")["seq_no"].isdigit()

    assert sim.control("bust_fill", {"fill_id": fill["fill_id"]})["busted_fill_id"] == fill["fill_id"]
    bust = _find(sc, start, "fill_bust", fill_id=fill["fill_id"])
    assert bust["order_id"] == oid and bust["market"] == MARKET and bust["exchange_ts"] > 0


def test_nightly_uses_a_websocket_host_that_exists(start_sidecar: Any) -> None:
    """paradex-py's default public host for nightly has no DNS record; the documented ws.api host is used."""
    sc = start_sidecar("--env", "nightly", "--channels", "bbo", "--markets", MARKET)
    sc.expect_type("status", timeout=SLOW, state="connecting")
    assert "Paradex WebSocket wss://ws.api.nightly.paradex.trade/v1" in sc.stderr(), sc.stderr()[-2000:]
    assert "ws-public.api.nightly" not in sc.stderr()


def test_channels_production_serves(sim: SimProcess) -> None:
    """Bare funding_data (every market), bbo.{m}.interactive and markets are served; JSON funding values
    carry more digits than SBE's 8 (production's have up to 21); a channel the simulator does not serve
    (the `interactive` snapshot feed) is refused, never silently empty."""

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        ws = await RawClient.connect(sim.ws_url)
        try:
            for channel in ("funding_data", f"bbo.{MARKET}.interactive", "markets"):
                ack = await ws.subscribe(channel)
                assert ack.get("result") == {"channel": channel}, ack
            funding = await ws.collect("funding_data", 3, timeout=20)
            bbo = await ws.collect(f"bbo.{MARKET}.interactive", 2, timeout=10)
            refused = await ws.request("subscribe", {"channel": f"order_book.{MARKET}.interactive@15@100ms"})
            return funding, bbo, refused
        finally:
            await ws.close()

    funding, bbo, refused = asyncio.run(run())
    assert {f["market"] for f in funding} == {"BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP"}
    assert max(len(f["funding_index"].partition(".")[2]) for f in funding) > 17, funding
    assert all(b["market"] == MARKET and b["bid"] and b["ask"] for b in bbo), bbo
    assert refused["error"]["code"] == -32600, refused
