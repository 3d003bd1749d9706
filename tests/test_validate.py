"""``place`` validation (the command layer's parsing, then the adapter's market rules): every refusal has
its stable code, and accepted orders come out normalised."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paradex_sim.markets import MARKETS
from paradex_ws_service import protocol as p
from paradex_ws_service.commands import CommandError
from paradex_ws_service.order_params import parse_place
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.paradex.requests import PlaceRequest
from paradex_ws_service.paradex.validate import check_market_rules

META = {symbol: spec.market_resp() for symbol, spec in MARKETS.items()}
Refusal = (CommandError, ParadexError)


def validate_place(
    params: dict[str, Any],
    markets: dict[str, Any],
    reference_price: Decimal | None = None,
    max_notional: Decimal | None = None,
) -> PlaceRequest:
    """What ``place`` does before signing: parse the command, then check the market's rules."""
    request = parse_place(params)
    check_market_rules(request, markets, reference_price, max_notional)
    return request


def _place(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "market": "BTC-USD-PERP",
        "side": "BUY",
        "type": "LIMIT",
        "size": "0.001",
        "price": "65000.5",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def test_accepts_a_limit_order_and_normalises() -> None:
    req = validate_place(_place(size="0.00100", price="65000.50", client_id="arb-1"), META)
    assert (req.market, req.side, req.order_type, req.tif) == ("BTC-USD-PERP", "BUY", "LIMIT", "GTC")
    assert str(req.size) == "0.001" and str(req.price) == "65000.5"
    assert req.client_id == "arb-1" and not req.client_id_generated


def test_accepts_a_market_order_priced_by_the_reference() -> None:
    req = validate_place(_place(type="MARKET", price=None, side="SELL"), META, reference_price=Decimal(95000))
    assert req.price is None and req.side == "SELL"
    assert req.client_id.startswith("pws-") and req.client_id_generated


def test_large_round_sizes_never_use_exponents() -> None:
    req = validate_place(_place(market="SOL-USD-PERP", size="100", price="180"), META)
    assert str(req.size) == "100"


REFUSALS = [
    (_place(market="DOGE-USD-PERP"), p.ERR_UNKNOWN_MARKET),
    (_place(market=None), p.ERR_BAD_PARAMS),
    (_place(size=0.001), p.ERR_DECIMAL_NOT_STRING),
    (_place(price=65000), p.ERR_DECIMAL_NOT_STRING),
    (_place(size="1e-3"), p.ERR_BAD_DECIMAL),
    (_place(size="-0.001"), p.ERR_BAD_DECIMAL),
    (_place(size="0"), p.ERR_BAD_DECIMAL),
    (_place(size="abc"), p.ERR_BAD_DECIMAL),
    (_place(size=None), p.ERR_BAD_PARAMS),
    (_place(side="LONG"), p.ERR_BAD_SIDE),
    (_place(side="sell"), p.ERR_BAD_SIDE),
    (_place(side=None), p.ERR_BAD_SIDE),
    (_place(type="STOP"), p.ERR_BAD_ORDER_TYPE),
    (_place(tif="FOK"), p.ERR_BAD_TIF),
    (_place(type="MARKET", price=None, tif="POST_ONLY"), p.ERR_BAD_TIF),
    (_place(type="MARKET"), p.ERR_PRICE_NOT_ALLOWED),
    (_place(price=None), p.ERR_BAD_PARAMS),
    (_place(size="0.000015"), p.ERR_SIZE_INCREMENT),
    (_place(price="65000.55"), p.ERR_PRICE_TICK),
    (_place(size="0.0001", price="65000"), p.ERR_MIN_NOTIONAL),
    (_place(size="101", price="1"), p.ERR_MAX_ORDER_SIZE),
    (_place(client_id="has space"), p.ERR_BAD_CLIENT_ID),
    (_place(client_id="x" * 65), p.ERR_BAD_CLIENT_ID),
    (_place(client_id=7), p.ERR_BAD_CLIENT_ID),
    (_place(reduce_only="yes"), p.ERR_BAD_PARAMS),
    (_place(type="MARKET", price=None), p.ERR_NO_REFERENCE_PRICE),
]


@pytest.mark.parametrize(("params", "code"), REFUSALS, ids=[c + str(i) for i, (_, c) in enumerate(REFUSALS)])
def test_refusals_have_stable_codes(params: dict[str, Any], code: str) -> None:
    with pytest.raises(Refusal) as info:
        validate_place(params, META)
    assert info.value.code == code
    assert info.value.message.startswith("place: ")


def test_max_notional_caps_limit_and_market_orders() -> None:
    with pytest.raises(Refusal) as info:
        validate_place(_place(size="0.01", price="65000"), META, max_notional=Decimal(500))
    assert info.value.code == p.ERR_MAX_NOTIONAL
    with pytest.raises(Refusal) as info:
        validate_place(
            _place(type="MARKET", price=None, size="0.01"),
            META,
            reference_price=Decimal(95000),
            max_notional=Decimal(500),
        )
    assert info.value.code == p.ERR_MAX_NOTIONAL
    assert validate_place(_place(size="0.001", price="65000"), META, max_notional=Decimal(500))


def test_fingerprint_distinguishes_orders() -> None:
    a = validate_place(_place(client_id="c1"), META)
    b = validate_place(_place(client_id="c1", price="65000.6"), META)
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == validate_place(_place(client_id="c1", size="0.0010"), META).fingerprint()
