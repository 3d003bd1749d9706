"""The simulator's private SBE templates 20-23 decode with paradex-py's decoder to their JSON twins' values,
at every served schema version and in both 1:2 layouts (with and without the in-place additions), and trades
at 1:2 come in both layouts too.

Shapes: OrderResp/FillResult/PositionResp/AccountSummaryResponse as the simulator publishes them (reference
§3.6-3.9); layouts from paradex-py 0.8.2's shipped `paradex_1_0.xml` (its 1:2 version notes).
"""

from __future__ import annotations

import pytest
from paradex_py.api.sbe import decode_frame

from paradex_sim import private_sbe
from paradex_sim.events import TradeEvent
from paradex_sim.sbe import IN_PLACE_1_2, SUPPORTED_VERSIONS
from paradex_sim.testing import canon

ACCOUNT = "0x3685b70b88d1e5d43ebde372e17582beba3c54376124eca8301e1198e37b5e5"
LAYOUTS = [frozenset(), IN_PLACE_1_2]

ORDER = {
    "id": "1796300000000100000000000001",
    "account": ACCOUNT,
    "market": "BTC-USD-PERP",
    "side": "BUY",
    "type": "LIMIT",
    "size": "0.05",
    "remaining_size": "0.05",
    "price": "94000.5",
    "status": "OPEN",
    "created_at": 1796300000000,
    "last_updated_at": 1796300000001,
    "timestamp": 1796299999999,
    "cancel_reason": "",
    "client_id": "c-1",
    "seq_no": 1796300000001000001,
    "instruction": "POST_ONLY",
    "avg_fill_price": "0",
    "stp": "EXPIRE_TAKER",
    "received_at": 1796300000000,
    "published_at": 1796300000001,
    "flags": ["REDUCE_ONLY"],
    "trigger_price": "0",
}
FILL = {
    "id": "1796300000000000000000000042",
    "side": "SELL",
    "liquidity": "MAKER",
    "market": "ETH-USD-PERP",
    "order_id": "1796300000000100000000000002",
    "price": "3400.69",
    "size": "0.5",
    "fee": "-0.0850172",
    "fee_currency": "USDC",
    "created_at": 1796300000123,
    "remaining_size": "0",
    "client_id": "",
    "fill_type": "FILL",
    "realized_pnl": "1.25",
    "realized_funding": "0",
    "account": ACCOUNT,
    "underlying_price": "3400.7",
    "flags": [],
}
POSITION = {
    "market": "ETH-USD-PERP",
    "account": ACCOUNT,
    "status": "OPEN",
    "side": "SHORT",
    "size": "-0.5",
    "average_entry_price": "3400.69",
    "average_entry_price_usd": "3400.69",
    "unrealized_pnl": "-0.005",
    "unrealized_funding_pnl": "0",
    "cost": "-1700.345",
    "cost_usd": "-1700.345",
    "cached_funding_index": "0",
    "last_fill_id": "1796300000000000000000000042",
    "seq_no": 1796300000123000002,
    "liquidation_price": "",
    "leverage": "20",
    "realized_positional_pnl": "1.25",
    "last_updated_at": 1796300000123,
}
ACCOUNT_SUMMARY = {
    "account": ACCOUNT,
    "account_value": "100001.245",
    "free_collateral": "99916.22",
    "initial_margin_requirement": "85.025",
    "maintenance_margin_requirement": "42.5125",
    "margin_cushion": "99958.7325",
    "settlement_asset": "USDC",
    "total_collateral": "100001.245",
    "updated_at": 1796300000124,
    "status": "ACTIVE",
    "seq_no": 1796300000124000003,
    "last_seen_notification": 1796299000000,
}


def _opt(value: str | None) -> str | None:
    return None if value is None else canon(value)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize("omit", LAYOUTS, ids=["with-additions", "without"])
def test_order_event_decodes_to_the_order_payload(version: int, omit: frozenset[str]) -> None:
    channel, m = decode_frame(private_sbe.encode_order(ORDER, version, omit))
    assert channel == "orders.BTC-USD-PERP"  # per market, whatever the subscription (.ALL) was
    got = m.model_dump()
    assert (got["order_id"], got["client_order_id"], got["market"]) == (ORDER["id"], "c-1", "BTC-USD-PERP")
    assert (got["status"], got["side"], got["order_type"], got["time_in_force"]) == (
        "OPEN",
        "BUY",
        "LIMIT",
        "POST_ONLY",
    )
    assert canon(got["price"]) == "94000.5" and canon(got["size"]) == canon(got["size_open"]) == "0.05"
    # The spec's "0" for an unfilled order is the schema's null ("null if unfilled").
    assert got["avg_fill_price"] is None and got["trigger_price"] is None
    assert got["seq_no"] == ORDER["seq_no"] and got["updated_at"] == ORDER["last_updated_at"]
    assert got["account"] == ACCOUNT and got["flags"] == ["REDUCE_ONLY"] and got["stp"] == "EXPIRE_TAKER"
    assert got["cancel_reason"] == "" and got["request_info"] is None


def test_a_filled_market_order_carries_its_average_and_no_price() -> None:
    filled = {**ORDER, "type": "MARKET", "price": "0", "status": "CLOSED", "remaining_size": "0"}
    _, m = decode_frame(private_sbe.encode_order({**filled, "avg_fill_price": "94001.25"}, 2))
    assert m.price is None and canon(m.avg_fill_price) == "94001.25"


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_fill_position_and_account_events_decode_to_their_payloads(version: int) -> None:
    channel, fill = decode_frame(private_sbe.encode_fill(FILL, version))
    assert channel == "fills.ETH-USD-PERP"
    assert (fill.fill_id, fill.order_id, fill.side, fill.liquidity) == (
        FILL["id"],
        FILL["order_id"],
        "SELL",
        "MAKER",
    )
    assert (canon(fill.price), canon(fill.size), canon(fill.fee)) == ("3400.69", "0.5", "-0.0850172")
    assert fill.created_at == FILL["created_at"] and fill.fee_currency == ("USDC" if version == 2 else None)

    channel, pos = decode_frame(private_sbe.encode_position(POSITION, version))
    assert channel == "positions"
    assert (pos.market, pos.side, canon(pos.size)) == (
        "ETH-USD-PERP",
        "SHORT",
        "-0.5",
    )  # re-signed by the SDK
    assert canon(pos.avg_entry_price) == "3400.69" and canon(pos.unrealized_pnl) == "-0.005"
    assert pos.liquidation_price is None and pos.seq_no == POSITION["seq_no"] and canon(pos.leverage) == "20"

    channel, acc = decode_frame(private_sbe.encode_account(ACCOUNT_SUMMARY, version))
    assert channel == "account"
    assert canon(acc.account_value) == "100001.245" and canon(acc.free_collateral) == "99916.22"
    assert canon(acc.initial_margin_req) == "85.025" and canon(acc.maintenance_margin_req) == "42.5125"
    assert acc.status == "ACTIVE" and acc.seq_no == ACCOUNT_SUMMARY["seq_no"]
    assert acc.last_seen_notification == (ACCOUNT_SUMMARY["last_seen_notification"] if version == 2 else None)


def test_account_without_the_in_place_addition_still_decodes() -> None:
    _, acc = decode_frame(private_sbe.encode_account(ACCOUNT_SUMMARY, 2, IN_PLACE_1_2))
    assert acc.last_seen_notification is None and canon(acc.account_value) == "100001.245"


@pytest.mark.parametrize("omit", LAYOUTS, ids=["with-additions", "without"])
def test_trades_at_1_2_come_in_both_layouts(omit: frozenset[str]) -> None:
    trade = TradeEvent(
        "BTC-USD-PERP", 77, 1796300000000123, "1796300000000000000000000001", "BUY", 9400050000000, 1000000
    )
    raw = trade.sbe(2, omit)
    header_block = int.from_bytes(raw[0:2], "little")
    assert header_block == 50 and int.from_bytes(raw[6:8], "little") == 2  # same header either way
    _, m = decode_frame(raw)
    assert m.trade_id_str == (None if omit else "1796300000000000000000000001")
    assert canon(m.price) == "94000.5" and m.seq_no == 77
