"""Private channel normalizers: payloads the simulator sends become protocol events, duplicates are dropped,
and every event matches its TypedDict in protocol.py."""

from __future__ import annotations

from typing import Any

from paradex_ws_service.paradex.private import PrivateNormalizers
from paradex_ws_service.protocol import EVENT_TYPES

ORDER = {
    "id": "1795312934710000000000000001",
    "account": "0x4638e3",
    "market": "BTC-USD-PERP",
    "side": "BUY",
    "type": "LIMIT",
    "size": "0.05000000",
    "remaining_size": "0.05",
    "price": "65000.00",
    "status": "OPEN",
    "created_at": 1795312934700,
    "last_updated_at": 1795312934710,
    "timestamp": 1795312934690,
    "cancel_reason": "",
    "client_id": "arb-7f3a",
    "seq_no": 1795312934710000001,
    "instruction": "GTC",
    "avg_fill_price": "",
    "flags": [],
}
FILL = {
    "id": "8833",
    "side": "SELL",
    "liquidity": "TAKER",
    "market": "BTC-USD-PERP",
    "order_id": "1795312934710000000000000002",
    "price": "64999.90000000",
    "size": "0.01",
    "fee": "0.194999",
    "fee_currency": "USDC",
    "created_at": 1795312934721,
    "client_id": "",
}
POSITION = {
    "market": "BTC-USD-PERP",
    "side": "SHORT",
    "size": "0.01",  # an absolute size with side SHORT is re-signed
    "average_entry_price": "64999.9",
    "unrealized_pnl": "-0.05",
    "liquidation_price": "",
    "seq_no": 7,
    "last_updated_at": 1795312934722,
}
ACCOUNT = {
    "account": "0x495d",
    "account_value": "10000.50000000",
    "free_collateral": "9870.25",
    "total_collateral": "10000.5",
    "initial_margin_requirement": "130.25",
    "maintenance_margin_requirement": "65.1",
    "margin_cushion": "9935.4",
    "settlement_asset": "USDC",
    "status": "ACTIVE",
    "seq_no": 11,
    "updated_at": 1795312934723,
}


def _matches_typed_dict(event: dict[str, Any]) -> None:
    hints = EVENT_TYPES[event["type"]].__annotations__
    # NotRequired fields (seq_no, recovered) may be absent; nothing undeclared may be present.
    required = {k for k, v in hints.items() if "NotRequired" not in str(v)}
    assert required <= set(event) <= set(hints), (required - set(event), set(event) - set(hints))


def test_each_channel_normalizes() -> None:
    n = PrivateNormalizers()
    order = n.order(dict(ORDER), 0)
    assert order is not None
    assert (order["order_id"], order["client_id"], order["order_type"], order["status"]) == (
        ORDER["id"],
        "arb-7f3a",
        "LIMIT",
        "OPEN",
    )
    assert (order["size"], order["price"], order["avg_fill_price"], order["cancel_reason"]) == (
        "0.05",
        "65000",
        None,
        None,
    )
    fill = n.fill(dict(FILL), 0)
    assert fill is not None and fill["price"] == "64999.9" and fill["client_id"] is None
    position = n.position(dict(POSITION), 0)
    assert position is not None and position["size"] == "-0.01" and position["side"] == "SHORT"
    assert position["liquidation_price"] is None
    account = n.account(dict(ACCOUNT), 0)
    assert account is not None and account["account_value"] == "10000.5"
    for event in (order, fill, position, account):
        _matches_typed_dict(event)


def test_market_orders_have_no_price_and_flat_positions_no_entry() -> None:
    n = PrivateNormalizers()
    market = n.order({**ORDER, "type": "MARKET", "price": "0", "seq_no": 99}, 0)
    assert market is not None and market["price"] is None
    flat = n.position({**POSITION, "size": "0", "side": "LONG", "seq_no": 8}, 0)
    assert flat is not None and flat["side"] == "FLAT" and flat["average_entry_price"] is None


def test_duplicates_are_emitted_once() -> None:
    seen: list[dict[str, Any]] = []
    n = PrivateNormalizers(on_order=seen.append)
    assert n.order(dict(ORDER), 0) is not None
    assert n.order(dict(ORDER), 0) is None  # same id and seq_no: the WS sent it twice
    assert n.order({**ORDER, "seq_no": ORDER["seq_no"] + 5, "status": "CLOSED"}, 0) is not None
    assert n.fill(dict(FILL), 0) is not None and n.fill(dict(FILL), 0) is None
    assert n.position(dict(POSITION), 0) is not None and n.position(dict(POSITION), 0) is None
    assert n.account(dict(ACCOUNT), 0) is not None and n.account(dict(ACCOUNT), 0) is None
    assert n.duplicates == 4
    assert [e["status"] for e in seen] == ["OPEN", "CLOSED"]


def test_sbe_models_give_the_same_events_as_their_json_twins() -> None:
    """paradex-py's decoded SBE models (8-digit decimals, other field names) → identical events."""
    from paradex_py.api.sbe.codec import AccountEventData, FillEventData, OrderEventData, PositionEventData

    order = OrderEventData(
        timestamp=1,
        seq_no=ORDER["seq_no"],
        status="OPEN",
        side="BUY",
        order_type="LIMIT",
        time_in_force="GTC",
        price="65000.00000000",
        trigger_price=None,
        size="0.05000000",
        size_open="0.05000000",
        avg_fill_price=None,
        created_at=ORDER["created_at"],
        updated_at=ORDER["last_updated_at"],
        account="0x4638e3",
        received_at=0,
        published_at=0,
        stp=None,
        flags=[],
        order_id=ORDER["id"],
        client_order_id="arb-7f3a",
        market="BTC-USD-PERP",
        cancel_reason="",
    )
    fill = FillEventData(
        timestamp=1,
        seq_no=None,
        fill_type="FILL",
        side="SELL",
        liquidity="TAKER",
        price="64999.90000000",
        size="0.01000000",
        fee="0.19499900",
        realized_pnl=None,
        created_at=FILL["created_at"],
        account="0x1",
        underlying_price="0",
        realized_funding="0",
        fill_id="8833",
        order_id=FILL["order_id"],
        client_order_id="",
        trade_id="1",
        market="BTC-USD-PERP",
        fee_currency="USDC",
    )
    position = PositionEventData(
        timestamp=1,
        seq_no=7,
        side="SHORT",
        size="-0.01000000",
        avg_entry_price="64999.90000000",
        unrealized_pnl="-0.05000000",
        realized_pnl="0",
        mark_price=None,
        liquidation_price=None,
        leverage="5",
        updated_at=POSITION["last_updated_at"],
        account="0x1",
        avg_entry_price_usd="0",
        cost="0",
        cost_usd="0",
        cached_funding_index="0",
        unrealized_funding_pnl="0",
        status="OPEN",
        market="BTC-USD-PERP",
        last_fill_id="8833",
    )
    account = AccountEventData(
        timestamp=1,
        seq_no=11,
        total_collateral="10000.50000000",
        free_collateral="9870.25000000",
        initial_margin_req="130.25000000",
        maintenance_margin_req="65.10000000",
        account_value="10000.50000000",
        unrealized_pnl=None,
        updated_at=ACCOUNT["updated_at"],
        account="0x495d",
        margin_cushion="0",
        status="ACTIVE",
        settlement_asset="USDC",
    )
    from_json, from_sbe = PrivateNormalizers(), PrivateNormalizers()
    assert from_sbe.order_sbe(order, 0) == from_json.order(dict(ORDER), 0)
    assert from_sbe.fill_sbe(fill, 0) == from_json.fill(dict(FILL), 0)
    assert from_sbe.position_sbe(position, 0) == from_json.position(dict(POSITION), 0)
    assert from_sbe.account_sbe(account, 0) == from_json.account(dict(ACCOUNT), 0)


def test_events_held_during_a_placement_come_out_after_it_in_order() -> None:
    import asyncio

    async def scenario() -> list[str]:
        out: list[str] = []
        n = PrivateNormalizers()
        n.attach(lambda e: out.append(f"{e['type']}:{e.get('order_id', '')[-1:]}"))
        n.hold(ORDER["client_id"])
        own_fill = {**FILL, "id": "8834", "order_id": ORDER["id"]}  # no client_id: matched by order id
        assert n.order(dict(ORDER), 0) is None and n.fill(own_fill, 0) is None  # held, not dropped
        assert n.account(dict(ACCOUNT), 0) is None  # account-wide: queued behind the held order's events
        other = n.fill(dict(FILL), 0)  # another order's fill is not held by this placement
        assert other is not None and other["order_id"] == FILL["order_id"]
        out.append("result")  # what the command layer writes when the place handler returns
        n.release(ORDER["client_id"])
        assert out == ["result"]  # released on the next loop turn, not inside the handler
        await asyncio.sleep(0)
        event = n.position(dict(POSITION), 0)
        assert event is not None  # no hold: straight through
        return out

    assert asyncio.run(scenario()) == ["result", "order:1", "fill:1", "account:"]
