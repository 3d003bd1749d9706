"""The simulator's trading half, driven by the real paradex-py over loopback: onboarding and auth are
verified, orders are rejected the way Paradex rejects them, and the account arithmetic adds up.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from conftest import SimProcess
from paradex_py import Paradex
from paradex_py.account.account import ParadexAccount
from paradex_py.common.order import Order, OrderSide, OrderType

from paradex_sim.testing import RawClient
from paradex_ws_service.paradex.signing import EC_ORDER

MARKET = "BTC-USD-PERP"


def _client(sim: SimProcess) -> Paradex:
    return Paradex(
        env="testnet",  # type: ignore[arg-type]
        l1_address="0x" + secrets.token_hex(20),
        l2_private_key=hex(secrets.randbelow(EC_ORDER - 1) + 1),
        api_base_url=sim.rest_url,
        ws_url_override=sim.ws_url,
        retry_strategy=None,
        auto_start_ws_reader=False,
    )


@pytest.fixture
def trader(sim: SimProcess) -> Iterator[Paradex]:
    client = _client(sim)
    yield client
    client.api_client.client.close()


def _http(method: str, url: str, headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, Any]:
    data = orjson.dumps(body) if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, orjson.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"null")


def _history(trader: Paradex, client_id: str) -> dict[str, Any]:
    """The order with ``client_id``, once the matching engine has processed it (NEW is transient)."""
    deadline = time.monotonic() + 5
    while True:
        results = trader.api_client.fetch_orders_history({"client_id": client_id})["results"]
        if results and results[0]["status"] != "NEW":
            return results[0]
        assert time.monotonic() < deadline, f"order {client_id} never left NEW"
        time.sleep(0.02)


def test_onboarding_and_auth_are_verified(sim: SimProcess, trader: Paradex) -> None:
    account = trader.account
    assert account is not None and account.jwt_token
    addresses = [a["address"] for a in sim.get("trading")["accounts"]]
    state = sim.get("trading")
    assert state["tokens_issued"] >= 1
    # Another key signing for this account's address is refused.
    other = ParadexAccount(config=account.config, l1_address="0x" + "22" * 20, l2_private_key="0x1234abcd")
    headers = account.auth_headers()
    ts, exp = int(headers["PARADEX-TIMESTAMP"]), int(headers["PARADEX-SIGNATURE-EXPIRATION"])
    headers["PARADEX-STARKNET-SIGNATURE"] = other.auth_signature(ts, exp)
    status, body = _http("POST", f"{sim.rest_url}/auth/{hex(account.l2_public_key)}", headers)
    assert status == 401 and body["error"] == "STARKNET_SIGNATURE_VERIFICATION_FAILED", body
    # A key that was never onboarded is told so (paradex-py then onboards, as it did for `trader`).
    status, body = _http("POST", f"{sim.rest_url}/auth/{hex(other.l2_public_key)}", other.auth_headers())
    assert status == 400 and body["error"] == "NOT_ONBOARDED", body
    # Onboarding must name the address the key derives to.
    headers = other.onboarding_headers()
    headers["PARADEX-STARKNET-ACCOUNT"] = hex(account.l2_address)
    status, body = _http(
        "POST", f"{sim.rest_url}/onboarding", headers, {"public_key": hex(other.l2_public_key)}
    )
    assert status == 400 and body["error"] == "INVALID_STARKNET_ADDRESS", body
    assert hex(other.l2_address) not in addresses


def test_orders_are_rejected_like_paradex(sim: SimProcess, trader: Paradex) -> None:
    api = trader.api_client
    # A signature that does not match the order (price changed after signing).
    order = Order(MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("50000"))
    order.signature = trader.account.sign_order(order)  # type: ignore[union-attr]
    payload = order.dump_to_dict()
    payload["price"] = "50000.1"
    with pytest.raises(ValueError, match="INVALID_ORDER_SIGNATURE"):
        api._post_authorized("orders", payload)
    # Sizes off the step, prices off the tick.
    with pytest.raises(ValueError, match="INVALID_ORDER_SIZE"):
        api.submit_order(Order(MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.000015"), Decimal("50000")))
    with pytest.raises(ValueError, match="INVALID_PRICE_PRECISION"):
        api.submit_order(Order(MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("50000.05")))
    # A client id already used by an open order.
    api.submit_order(
        Order(MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("50000"), client_id="twice")
    )
    with pytest.raises(ValueError, match="DUPLICATED_CLIENT_ID"):
        api.submit_order(
            Order(
                MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("50001"), client_id="twice"
            )
        )
    # Not enough margin: accepted as NEW, then closed by the risk check.
    sim.control("collateral", {"address": hex(trader.account.l2_address), "amount": "5"})  # type: ignore[union-attr]
    accepted = api.submit_order(
        Order(MARKET, OrderType.Market, OrderSide.Buy, Decimal("0.01"), client_id="poor")
    )
    assert accepted["status"] == "NEW"
    closed = _history(trader, "poor")
    assert closed["status"] == "CLOSED" and closed["cancel_reason"] == "NOT_ENOUGH_MARGIN", closed
    # Cancelling what is not there.
    with pytest.raises(ValueError, match="ORDER_ID_NOT_FOUND"):
        api.cancel_order("1234")


def test_round_trip_settles_pnl_and_fees_into_collateral(sim: SimProcess, trader: Paradex) -> None:
    api = trader.api_client
    sim.control("pause")
    start = Decimal(api.fetch_balances()["results"][0]["size"])
    api.submit_order(Order(MARKET, OrderType.Market, OrderSide.Buy, Decimal("0.01"), client_id="in"))
    _history(trader, "in")
    position = api.fetch_positions()["results"][0]
    assert position["side"] == "LONG" and position["size"] == "0.01"
    api.submit_order(Order(MARKET, OrderType.Market, OrderSide.Sell, Decimal("0.01"), client_id="out"))
    _history(trader, "out")
    assert api.fetch_positions()["results"] == []
    fills = api.fetch_fills({"market": MARKET})["results"]
    buy = next(f for f in fills if f["side"] == "BUY")
    sell = next(f for f in fills if f["side"] == "SELL")
    pnl = (Decimal(sell["price"]) - Decimal(buy["price"])) * Decimal("0.01")
    fees = Decimal(buy["fee"]) + Decimal(sell["fee"])
    assert Decimal(sell["realized_pnl"]) == pnl
    end = Decimal(api.fetch_balances()["results"][0]["size"])
    assert end == start + pnl - fees
    summary = api.fetch_account_summary()
    assert Decimal(summary.account_value) == end and Decimal(summary.initial_margin_requirement) == 0


def test_expired_jwt_is_refused_over_rest_and_websocket(sim: SimProcess) -> None:
    trader = _client(sim)
    sim.control("jwt_lifetime", {"seconds": 2})
    trader.api_client.auth()  # a fresh token with the short lifetime
    minted = time.monotonic()
    token = trader.account.jwt_token  # type: ignore[union-attr]
    status, _ = _http("GET", f"{sim.rest_url}/account", {"Authorization": f"Bearer {token}"})
    assert status == 200 or time.monotonic() - minted > 2  # (a very slow machine may already be past it)
    time.sleep(max(0.0, minted + 2.3 - time.monotonic()))  # waiting out a deadline, not for an event
    status, body = _http("GET", f"{sim.rest_url}/account", {"Authorization": f"Bearer {token}"})
    assert status == 401 and "expired" in body["message"], body

    async def ws_auth() -> dict[str, Any]:
        client = await RawClient.connect(sim.ws_url)
        try:
            return await client.request("auth", {"bearer": token})
        finally:
            await client.close()

    reply = asyncio.run(ws_auth())
    assert reply["error"]["code"] == 40111, reply
    trader.api_client.client.close()
