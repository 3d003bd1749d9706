"""Check an order against Paradex's market rules before anything is signed or sent (pure, no I/O).

The command layer has already parsed the order's shape (order_params.py); here is what depends on the
venue. Paradex would refuse most of these too, but only after a signature (≈1 ms here) and a round trip,
and with codes written for its own UI. Refusing here is faster, gives the stable codes of docs/PROTOCOL.md,
and catches what Paradex would *not* refuse: a size with more than 8 decimals is silently truncated by the
times-10^8 signing rule (reference §6.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from paradex_ws_service import protocol as p
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.paradex.requests import PlaceRequest

_E8 = Decimal("1e-8")


def _meta_decimal(meta: Mapping[str, Any], key: str) -> Decimal | None:
    raw = meta.get(key)
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form (for messages)."""
    normalized = value.normalize()
    if normalized.as_tuple().exponent > 0:  # type: ignore[operator]
        normalized = normalized.quantize(Decimal(1))
    return normalized


def check_market_rules(
    request: PlaceRequest,
    markets: Mapping[str, Mapping[str, Any]],
    reference_price: Decimal | None = None,
    max_notional: Decimal | None = None,
) -> None:
    """Raise :class:`ParadexError` with the first rule ``request`` breaks.

    ``markets`` is ``GET /markets`` keyed by symbol. ``reference_price`` (mark, mid or touch) prices a MARKET
    order's notional; LIMIT orders use their own price. ``max_notional`` is ``PARADEX_MAX_ORDER_NOTIONAL``.
    """
    market, size, price = request.market, request.size, request.price
    meta = markets.get(market)
    if meta is None:
        known = ", ".join(sorted(markets)) or "none loaded"
        raise ParadexError(p.ERR_UNKNOWN_MARKET, f"place: unknown market {market!r}; known: {known}")
    step = _meta_decimal(meta, "order_size_increment")
    if step and size % step != 0:
        raise ParadexError(
            p.ERR_SIZE_INCREMENT, f"place: size {size} is not a multiple of {market}'s size increment {step}"
        )
    if size % _E8 != 0:
        raise ParadexError(p.ERR_SIZE_INCREMENT, f"place: size {size} has more than 8 decimal places")
    tick = _meta_decimal(meta, "price_tick_size")
    if price is not None:
        if tick and price % tick != 0:
            raise ParadexError(
                p.ERR_PRICE_TICK, f"place: price {price} is not a multiple of {market}'s tick size {tick}"
            )
        if price % _E8 != 0:
            raise ParadexError(p.ERR_PRICE_TICK, f"place: price {price} has more than 8 decimal places")
    max_size = _meta_decimal(meta, "max_order_size")
    if max_size and size > max_size:
        raise ParadexError(
            p.ERR_MAX_ORDER_SIZE, f"place: size {size} exceeds {market}'s max order size {max_size}"
        )
    _check_notional(request, meta, price if price is not None else reference_price, max_notional)


def _check_notional(
    request: PlaceRequest, meta: Mapping[str, Any], price: Decimal | None, max_notional: Decimal | None
) -> None:
    min_notional = _meta_decimal(meta, "min_notional")
    if price is None:
        if min_notional or max_notional is not None:
            raise ParadexError(
                p.ERR_NO_REFERENCE_PRICE,
                f"place: no price known for {request.market} yet to check a MARKET order's notional; "
                "retry shortly",
            )
        return
    notional = request.size * price
    if min_notional and notional < min_notional:
        raise ParadexError(
            p.ERR_MIN_NOTIONAL,
            f"place: notional {_plain(notional)} USD is below {request.market}'s minimum {min_notional}",
        )
    if max_notional is not None and notional > max_notional:
        raise ParadexError(
            p.ERR_MAX_NOTIONAL,
            f"place: notional {_plain(notional)} USD exceeds PARADEX_MAX_ORDER_NOTIONAL {max_notional}",
        )
