"""normalize.py: JSON and SBE payloads of the same update give identical events; reference frames parse.

The twins come from the simulator's event classes, which render one set of e8 integers as a JSON
``data`` object and as an SBE frame; the SBE side is decoded by paradex-py's own ``decode_frame``.
"""

from __future__ import annotations

import random
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from paradex_py.api.sbe import decode_frame

from paradex_sim.events import BboEvent, BookEvent, FundingEvent, SummaryEvent, TradeEvent
from paradex_ws_service.paradex import normalize as nz
from paradex_ws_service.protocol import canonical_decimal

RECV_US = 1_795_312_934_661_234
SBE_VERSION = 2


def _sbe_model(event: Any) -> Any:
    channel, model = decode_frame(event.sbe(SBE_VERSION))
    assert channel is not None and model is not None
    return model


def _e8(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def _price(rng: random.Random) -> int:
    # mixes whole numbers, tick-sized and 8-decimal values to exercise trailing-zero handling
    return rng.choice([rng.randint(1, 10**6) * 10**8, rng.randint(1, 10**13), rng.randint(1, 10**3) * 10**7])


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_bbo_json_and_sbe_are_identical(seed: int) -> None:
    rng = random.Random(seed)
    ev = BboEvent("BTC-USD-PERP", rng.randint(1, 10**9), rng.randint(10**15, 2 * 10**15), _price(rng),
                  _e8(rng, 1, 10**10), _price(rng), _e8(rng, 1, 10**10))  # fmt: skip
    assert nz.bbo_json(ev.json(), RECV_US) == nz.bbo_sbe(_sbe_model(ev), RECV_US)


@pytest.mark.parametrize("seed", SEEDS)
def test_trade_json_and_sbe_are_identical(seed: int) -> None:
    rng = random.Random(seed)
    trade_id = str(rng.randint(10**27, 10**28 - 1))
    ev = TradeEvent("ETH-USD-PERP", rng.randint(1, 10**9), rng.randint(10**15, 2 * 10**15), trade_id,
                    rng.choice(["BUY", "SELL"]), _price(rng), _e8(rng, 1, 10**10),
                    rng.choice(["FILL", "LIQUIDATION", "RPI"]))  # fmt: skip
    got = nz.trade_json(ev.json(), RECV_US)
    assert got == nz.trade_sbe(_sbe_model(ev), RECV_US)
    assert got["trade_id"] == trade_id, "the full 28-digit id, never the truncated int64"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("snapshot", [True, False])
def test_book_json_and_sbe_give_the_same_update(seed: int, snapshot: bool) -> None:
    rng = random.Random(seed)
    bids = [(_price(rng), 0 if not snapshot and rng.random() < 0.3 else _e8(rng, 1, 10**9)) for _ in range(8)]
    asks = [(_price(rng), 0 if not snapshot and rng.random() < 0.3 else _e8(rng, 1, 10**9)) for _ in range(8)]
    ev = BookEvent(
        "SOL-USD-PERP", rng.randint(1, 10**6), rng.randint(10**15, 2 * 10**15), snapshot, bids, asks
    )
    from_json = nz.book_json(ev.json(), RECV_US)
    from_sbe = nz.book_sbe(_sbe_model(ev), RECV_US)
    # JSON groups levels as inserts/updates/deletes, SBE keeps one list per side: compare as sets.
    assert sorted(from_json.bids) == sorted(from_sbe.bids)
    assert sorted(from_json.asks) == sorted(from_sbe.asks)
    assert (from_json.market, from_json.snapshot, from_json.seq_no, from_json.exchange_ts) == (
        from_sbe.market,
        from_sbe.snapshot,
        from_sbe.seq_no,
        from_sbe.exchange_ts,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_summary_json_and_sbe_are_identical(seed: int) -> None:
    rng = random.Random(seed)
    ev = SummaryEvent("BTC-USD-PERP", rng.randint(1, 10**6), rng.randint(10**15, 2 * 10**15),
                      _price(rng), _price(rng), _price(rng), _price(rng), _e8(rng, 1, 10**9), _price(rng),
                      _e8(rng, 1, 10**9), _price(rng), _price(rng), _e8(rng, 0, 10**12),
                      rng.randint(-10**6, 10**6), rng.randint(-10**7, 10**7))  # fmt: skip
    assert nz.summary_json(ev.json(), RECV_US) == nz.summary_sbe(_sbe_model(ev), RECV_US)


def _e8_truncated(value: str | None) -> str | None:
    """A decimal cut toward zero at 8 places (SBE's e8), in the sidecar's canonical form."""
    if value is None:
        return None
    cut = Decimal(value).quantize(Decimal("1e-8"), rounding=ROUND_DOWN)
    return canonical_decimal(str(cut))


@pytest.mark.parametrize("seed", SEEDS)
def test_funding_json_and_sbe_agree_to_sbes_precision(seed: int) -> None:
    """Production JSON carries funding values with up to 21 decimals, SBE with 8 (docs/PROTOCOL.md): the two
    events agree once the JSON values are cut to SBE's precision, and on every other field exactly."""
    rng = random.Random(seed)
    ev = FundingEvent("ETH-USD-PERP", rng.randint(1, 10**6), rng.randint(10**15, 2 * 10**15),
                      rng.randint(-10**13, 10**13), rng.randint(-10**6, 10**6), rng.randint(-10**6, 10**6),
                      rng.randint(-10**6, 10**6), rng.choice([1, 4, 8]),
                      rng.randint(-10**6, 10**6))  # fmt: skip
    from_json = nz.funding_json(ev.json(), RECV_US)
    for field in ("funding_rate", "funding_index", "funding_premium", "funding_rate_8h"):
        from_json[field] = _e8_truncated(from_json[field])
    assert from_json == nz.funding_sbe(_sbe_model(ev), RECV_US)


# ------------------------------------------------------------------------------------------------------
# frames from the protocol reference (§3), independent of the simulator
# ------------------------------------------------------------------------------------------------------


def test_reference_bbo_frame() -> None:
    data = {"seq_no": 153, "market": "BTC-USD-PERP", "last_updated_at": 1700000000000,
            "bid": "67000", "bid_size": "0.1", "ask": "67001", "ask_size": "0.2"}  # fmt: skip
    assert nz.bbo_json(data, RECV_US) == {
        "type": "bbo",
        "seq": 0,
        "market": "BTC-USD-PERP",
        "bid": "67000",
        "bid_size": "0.1",
        "ask": "67001",
        "ask_size": "0.2",
        "exchange_ts": 1700000000000,
        "exchange_seq": 153,
        "recv_us": RECV_US,
    }


def test_reference_trade_and_empty_bbo_values() -> None:
    trade = {"id": "1718179273230201709233240002", "market": "kBONK-USD-PERP", "side": "BUY", "size": "34028",
             "price": "0.028776", "created_at": 1718179273230, "trade_type": "FILL"}  # fmt: skip
    event = nz.trade_json(trade, RECV_US)
    assert (event["price"], event["size"], event["side"]) == ("0.028776", "34028", "BUY")
    assert event["exchange_ts"] == 1718179273230
    empty = {
        "seq_no": 1,
        "market": "X",
        "last_updated_at": 1,
        "bid": "",
        "bid_size": "",
        "ask": "1.50",
        "ask_size": "2",
    }
    got = nz.bbo_json(empty, RECV_US)
    assert got["bid"] is None and got["bid_size"] is None and got["ask"] == "1.5"


def test_reference_summary_with_empty_change_rate() -> None:
    data = {"symbol": "ORDI-USD-PERP", "mark_price": "49.80885481", "last_traded_price": "62.038",
            "bid": "49.822", "ask": "58.167", "volume_24h": "0", "total_volume": "54542628.66054200416",
            "created_at": 1718334307698, "underlying_price": "47.93", "open_interest": "6999.5",
            "funding_rate": "0.03919997509811", "price_change_rate_24h": ""}  # fmt: skip
    event = nz.summary_json(data, RECV_US)
    assert event["market"] == "ORDI-USD-PERP" and event["last_price"] == "62.038"
    assert event["funding_rate"] == "0.03919997509811" and event["price_change_rate_24h"] is None
    assert event["volume_24h"] == "0"


def test_reference_book_delta_turns_deletes_into_size_zero() -> None:
    data = {"seq_no": 7, "market": "BTC-USD-PERP", "last_updated_at": 1, "update_type": "d",
            "inserts": [{"side": "BUY", "price": "100.10", "size": "1"}],
            "updates": [{"side": "SELL", "price": "101", "size": "2.50"}],
            "deletes": [{"side": "BUY", "price": "99", "size": "0"}]}  # fmt: skip
    update = nz.book_json(data, RECV_US)
    assert not update.snapshot and update.seq_no == 7
    assert update.bids == [("100.1", "1"), ("99", "0")] and update.asks == [("101", "2.5")]


def test_funding_hours_is_a_number_in_both_forms() -> None:
    base = {"market": "M", "funding_rate": "0.0001", "funding_rate_8h": "0.0001", "funding_index": "-1.5",
            "funding_premium": "0", "created_at": 5}  # fmt: skip
    assert nz.funding_json({**base, "funding_period_hours": 8.0}, 0)["funding_period_hours"] == 8
    assert nz.funding_json({**base, "funding_period_hours": 0.5}, 0)["funding_period_hours"] == 0.5


@pytest.mark.parametrize(
    "bad",
    [
        {"market": "M", "last_updated_at": 1, "seq_no": 1, "bid": "abc"},  # not a decimal
        {"market": "M", "seq_no": 1},  # no timestamp
    ],
)
def test_malformed_payloads_raise_value_or_key_errors(bad: dict[str, Any]) -> None:
    with pytest.raises((ValueError, KeyError)):
        nz.bbo_json(bad, 0)


def test_sbe_fast_path_equals_canonical_decimal() -> None:
    from paradex_py.api.sbe.codec import _f8, _f12

    from paradex_ws_service.protocol import canonical_decimal

    rng = random.Random(5)
    values = [0, 1, -1, 10**8, -(10**8), 10**16, 123456789, -5, 10**12, 7 * 10**11]
    values += [rng.randint(-(10**18), 10**18) for _ in range(2000)]
    values += [rng.randint(0, 10**6) * 10 ** rng.randint(0, 10) for _ in range(2000)]
    for value in values:
        for rendered in (_f8(value), _f12(value)):
            assert nz._sbe(rendered) == canonical_decimal(rendered), rendered
    assert nz._sbe(None) is None


@pytest.mark.parametrize(
    "raw",
    ["0", "-0", "0.0", "00", "01.5", "1.50", "-1.50", "1e3", "1E-3", "-0.000", ".5", "5.", "65000.50000000",
     "123", "-123.45", "0.00000001", "1000", "10.01", "+1", " 1", "1_0"],
)  # fmt: skip
def test_json_fast_path_equals_canonical_decimal(raw: str) -> None:
    from paradex_ws_service.protocol import canonical_decimal

    try:
        want: str | None = canonical_decimal(raw)
    except ValueError:
        want = None
    if want is None:
        with pytest.raises(ValueError):
            nz._dec(raw)
    else:
        assert nz._dec(raw) == want
