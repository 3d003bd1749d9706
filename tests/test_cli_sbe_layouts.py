"""Trades at SBE schema 1:2 in both layouts (paradex-py 0.8.2's `paradex_1_0.xml` version notes:
`tradeIdStr` and other fields were added to 1:2 in place, so a 1:2 frame comes with or without them, and
the header cannot tell which; reference §0a.4). The sidecar emits a trade from either; without
`tradeIdStr` its `trade_id` is the deprecated int64 `tradeId` (the low 64 bits of the real id, signed), as
docs/PROTOCOL.md says.
"""

from __future__ import annotations

from typing import Any

from conftest import sidecar_args

SLOW = 30.0
FULL_ID_DIGITS = 28  # a Paradex trade id (reference §3.2)


def _low64_signed(trade_id: str) -> int:
    low = int(trade_id) & 0xFFFF_FFFF_FFFF_FFFF
    return low - (1 << 64) if low >= 1 << 63 else low


def test_trades_without_the_string_id_are_still_emitted(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim("--trade-rate", "20", "--bbo-rate", "20")
    car = start_sidecar(*sidecar_args(sim, "--channels", "trades"))
    first = car.expect_type("trade", SLOW)
    assert len(first["trade_id"]) == FULL_ID_DIGITS

    sim.control("sbe_layout", {"in_place_additions": False})
    short = car.expect(
        lambda e: e.get("type") == "trade" and len(e["trade_id"]) != FULL_ID_DIGITS,
        15,
        "a trade without tradeIdStr",
    )
    sent = [p for p in sim.sent("trades.BTC-USD-PERP") if _low64_signed(p["id"]) == int(short["trade_id"])]
    assert len(sent) == 1, "the emitted id is the low 64 bits of exactly one trade the simulator printed"
    assert (short["price"], short["size"], short["side"]) == (
        sent[0]["price"],
        sent[0]["size"],
        sent[0]["side"],
    )
    assert not [e for e in car.events if e.get("type") == "error"], "no trade was refused as a bad frame"

    sim.control("sbe_layout", {"in_place_additions": True})
    car.expect(
        lambda e: e.get("type") == "trade" and len(e["trade_id"]) == FULL_ID_DIGITS, 15, "full id again"
    )
