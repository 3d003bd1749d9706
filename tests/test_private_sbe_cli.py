"""Private channels end to end on both encodings: the CLI as a subprocess trades with the simulator's paper
key; on an SBE session the simulator sends orders/fills/positions/account as SBE templates 20-23 (routed per
market for the `.ALL` subscriptions), on a JSON session as JSON, and the sidecar's events are the same.

An unfilled order's `avg_fill_price` is "0" on the wire (openrpc OrderResp, reference §0a.5; null in the
SBE schema) and null in the sidecar's events from either encoding. The SBE run is repeated in the 1:2
layout without the in-place additions (OrderEvent's request fields, AccountEvent's lastSeenNotification),
which production may send as well (§0a.4).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import SimProcess, sidecar_args
from paradex_py.api.sbe import OrderEventData
from test_trading_cli import MARKET, PRIVATE, SLOW, _bbo, _command, _find, _order_closed, _ready

from paradex_ws_service.paradex.private import PrivateNormalizers

MODEL_FIELDS = {
    "timestamp": 0,
    "seq_no": 5,
    "status": "OPEN",
    "side": "BUY",
    "order_type": "LIMIT",
    "time_in_force": "GTC",
    "price": "94000.50000000",
    "trigger_price": None,
    "size": "0.05000000",
    "size_open": "0.05000000",
    "created_at": 1,
    "updated_at": 2,
    "account": "0x1",
    "received_at": 1,
    "published_at": 2,
    "stp": "EXPIRE_TAKER",
    "flags": [],
    "order_id": "o-1",
    "client_order_id": "c-1",
    "market": MARKET,
    "cancel_reason": "",
}


@pytest.mark.parametrize("wire", ["0", "", None, "0.00000000"])
def test_no_fill_yet_is_null_from_json_and_sbe(wire: str | None) -> None:
    json_payload = {"id": "o-1", "market": MARKET, "side": "BUY", "type": "LIMIT", "size": "0.05"}
    from_json = PrivateNormalizers().order({**json_payload, "status": "OPEN", "avg_fill_price": wire}, 0)
    from_sbe = PrivateNormalizers().order_sbe(OrderEventData(**MODEL_FIELDS, avg_fill_price=wire), 0)
    assert from_json is not None and from_sbe is not None
    assert from_json["avg_fill_price"] is None and from_sbe["avg_fill_price"] is None


def _sent_for(sim: SimProcess, channel: str, key: str, value: str) -> list[dict[str, Any]]:
    return [p for p in sim.sent(channel) if p.get(key) == value]


@pytest.mark.parametrize(
    ("sbe", "layout"),
    [(True, ()), (True, ("--sbe-without-in-place-additions",)), (False, ())],
    ids=["sbe", "sbe-1:2-without-in-place-additions", "json"],
)
def test_private_channels_on_both_encodings(
    start_sim: Any, start_sidecar: Any, sbe: bool, layout: tuple[str, ...]
) -> None:
    sim = start_sim(*layout)
    sim.control("pause")  # a still market: the touch stays where the test read it
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET, sbe=sbe))
    _ready(sc)

    # A resting order: OPEN, nothing filled. The wire says "0", the event says null.
    bid = Decimal(_bbo(sim)["bid"])
    rest = _command(
        sc, "r", "place", SLOW, market=MARKET, side="BUY", type="LIMIT", size="0.001", price=str(bid - 50)
    )
    assert rest["ok"], rest
    rid = rest["data"]["order_id"]
    opened = _find(sc, 0, "order", SLOW, order_id=rid, status="OPEN")
    assert opened["avg_fill_price"] is None and opened["remaining_size"] == "0.001"
    assert _sent_for(sim, "orders.ALL", "id", rid)[-1]["avg_fill_price"] == "0"

    # A taker fill: order CLOSED with its average, fill, position, account: each equal to what was sent.
    start = len(sc.events)
    res = _command(sc, "m", "place", SLOW, market=MARKET, side="SELL", type="MARKET", size="0.01")
    assert res["ok"], res
    oid = res["data"]["order_id"]
    closed = _order_closed(sc, oid)
    fill = _find(sc, start, "fill", order_id=oid)
    sent_fill = _sent_for(sim, "fills.ALL", "order_id", oid)[0]
    assert (fill["fill_id"], fill["price"], fill["size"], fill["fee"]) == (
        sent_fill["id"],
        sent_fill["price"],
        sent_fill["size"],
        sent_fill["fee"],
    )
    assert closed["avg_fill_price"] == sent_fill["price"] and fill["liquidity"] == "TAKER"
    position = _find(sc, start, "position", market=MARKET)
    assert position["side"] == "SHORT" and position["size"] == "-0.01"  # absolute + side on SBE, re-signed
    # The sim published the account right after the position (same step): its last one is this fill's.
    sent_account = sim.sent("account")[-1]
    account = _find(sc, start, "account", account_value=sent_account["account_value"])
    assert account["free_collateral"] == sent_account["free_collateral"]

    # The encoding really was the session's: binary private frames on SBE only.
    conns = [c for c in sim.get("state")["connections"] if "orders.ALL" in c["subscriptions"]]
    assert len(conns) == 1
    if sbe:
        assert conns[0]["private_sbe_frames"] >= 6  # OPEN, NEW, CLOSED, fill, position, account at least
    else:
        assert conns[0]["private_sbe_frames"] == 0
    assert not [e for e in sc.events if e.get("type") == "error"], "no frame was refused or lost"
