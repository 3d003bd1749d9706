"""Check a ``place`` command against market metadata before anything is signed or sent (pure, no I/O).

Paradex would refuse most of these too, but only after a signature (≈1 ms here) and a round trip, and with
codes written for its own UI. Refusing here is faster, gives the stable codes below (docs/PROTOCOL.md), and
catches what Paradex would *not* refuse: a size with more than 8 decimals is silently truncated by the
times-10^8 signing rule (reference §6.2), and a JSON number has already lost precision before we see it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from paradex_ws_service import protocol as p

SIDES = ("BUY", "SELL")
ORDER_TYPES = ("MARKET", "LIMIT")
TIFS = ("GTC", "IOC", "POST_ONLY")
CLIENT_ID_MAX = 64  # Paradex's limit (reference §4)
_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_DECIMAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
_E8 = Decimal("1e-8")


class Refusal(Exception):
    """A command refused before sending: ``code`` is stable (protocol.py), ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PlaceRequest:
    """A validated order, ready to become a paradex-py ``Order``; decimals normalised (no exponent)."""

    market: str
    side: str  # BUY | SELL
    order_type: str  # MARKET | LIMIT
    size: Decimal
    price: Decimal | None  # None for MARKET
    tif: str  # GTC | IOC | POST_ONLY
    reduce_only: bool
    client_id: str
    client_id_generated: bool

    def fingerprint(self) -> tuple[Any, ...]:
        """What must match for a repeated ``client_id`` to be the *same* order."""
        return (self.market, self.side, self.order_type, self.size, self.price, self.tif, self.reduce_only)


def new_client_id() -> str:
    """A client id for commands that bring none: unique, short, recognisable in the venue's UI."""
    return "pws-" + secrets.token_hex(8)


def parse_decimal(params: Mapping[str, Any], name: str) -> Decimal:
    """A strictly positive decimal given as a JSON string; numbers, exponents and signs are refused."""
    raw = params.get(name)
    if raw is None:
        raise Refusal(p.ERR_BAD_PARAMS, f'place: missing {name!r} (a decimal string such as "0.01")')
    if isinstance(raw, bool) or isinstance(raw, int | float):
        raise Refusal(
            p.ERR_DECIMAL_NOT_STRING,
            f'place: {name!r} must be a decimal string such as "{raw}", not a JSON number '
            "(numbers lose precision on the way)",
        )
    if not isinstance(raw, str) or not _DECIMAL_RE.fullmatch(raw.strip()):
        raise Refusal(p.ERR_BAD_DECIMAL, f"place: {name!r} must be a positive decimal string, got {raw!r}")
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise Refusal(p.ERR_BAD_DECIMAL, f"place: {name!r} is not a decimal: {raw!r}") from None
    if value <= 0:
        raise Refusal(p.ERR_BAD_DECIMAL, f"place: {name!r} must be greater than zero, got {raw!r}")
    return _plain(value)


def _plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without ever switching to exponent form (``str`` is what the SDK signs)."""
    normalized = value.normalize()
    if normalized.as_tuple().exponent > 0:  # type: ignore[operator]
        normalized = normalized.quantize(Decimal(1))
    return normalized


def _choice(
    params: Mapping[str, Any], name: str, allowed: tuple[str, ...], code: str, default: str | None
) -> str:
    raw = params.get(name, default)
    if raw is None:
        raise Refusal(code, f"place: missing {name!r} (one of {', '.join(allowed)})")
    if not isinstance(raw, str) or raw.upper() not in allowed:
        raise Refusal(code, f"place: {name!r} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw.upper()


def _meta_decimal(meta: Mapping[str, Any], key: str) -> Decimal | None:
    raw = meta.get(key)
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def validate_place(
    params: Mapping[str, Any],
    markets: Mapping[str, Mapping[str, Any]],
    reference_price: Decimal | None = None,
    max_notional: Decimal | None = None,
) -> PlaceRequest:
    """Validate ``place`` parameters; raise :class:`Refusal` with the first problem found.

    ``markets`` is ``GET /markets`` keyed by symbol. ``reference_price`` (mark, mid or touch) prices a MARKET
    order's notional; LIMIT orders use their own price. ``max_notional`` is ``PARADEX_MAX_ORDER_NOTIONAL``.
    """
    market = params.get("market")
    if not isinstance(market, str) or not market:
        raise Refusal(p.ERR_BAD_PARAMS, "place: missing 'market' (e.g. \"BTC-USD-PERP\")")
    meta = markets.get(market)
    if meta is None:
        known = ", ".join(sorted(markets)) or "none loaded"
        raise Refusal(p.ERR_UNKNOWN_MARKET, f"place: unknown market {market!r}; known: {known}")
    side = _choice(params, "side", SIDES, p.ERR_BAD_SIDE, None)
    order_type = _choice(params, "type", ORDER_TYPES, p.ERR_BAD_ORDER_TYPE, None)
    tif = _choice(params, "tif", TIFS, p.ERR_BAD_TIF, "GTC")
    reduce_only = params.get("reduce_only", False)
    if not isinstance(reduce_only, bool):
        raise Refusal(p.ERR_BAD_PARAMS, f"place: 'reduce_only' must be true or false, got {reduce_only!r}")
    size = parse_decimal(params, "size")

    price: Decimal | None = None
    if order_type == "LIMIT":
        price = parse_decimal(params, "price")
    elif params.get("price") not in (None, ""):
        raise Refusal(p.ERR_PRICE_NOT_ALLOWED, "place: a MARKET order takes no 'price' (use a LIMIT IOC)")
    if order_type == "MARKET" and tif == "POST_ONLY":
        raise Refusal(p.ERR_BAD_TIF, "place: a MARKET order cannot be POST_ONLY")

    client_id, generated = _client_id(params)

    step = _meta_decimal(meta, "order_size_increment")
    if step and size % step != 0:
        raise Refusal(
            p.ERR_SIZE_INCREMENT, f"place: size {size} is not a multiple of {market}'s size increment {step}"
        )
    if size % _E8 != 0:
        raise Refusal(p.ERR_SIZE_INCREMENT, f"place: size {size} has more than 8 decimal places")
    tick = _meta_decimal(meta, "price_tick_size")
    if price is not None:
        if tick and price % tick != 0:
            raise Refusal(
                p.ERR_PRICE_TICK, f"place: price {price} is not a multiple of {market}'s tick size {tick}"
            )
        if price % _E8 != 0:
            raise Refusal(p.ERR_PRICE_TICK, f"place: price {price} has more than 8 decimal places")
    max_size = _meta_decimal(meta, "max_order_size")
    if max_size and size > max_size:
        raise Refusal(
            p.ERR_MAX_ORDER_SIZE, f"place: size {size} exceeds {market}'s max order size {max_size}"
        )

    notional_price = price if price is not None else reference_price
    min_notional = _meta_decimal(meta, "min_notional")
    if notional_price is None:
        if min_notional or max_notional is not None:
            raise Refusal(
                p.ERR_NO_REFERENCE_PRICE,
                f"place: no price known for {market} yet to check a MARKET order's notional; retry shortly",
            )
    else:
        notional = size * notional_price
        if min_notional and notional < min_notional:
            raise Refusal(
                p.ERR_MIN_NOTIONAL,
                f"place: notional {_plain(notional)} USD is below {market}'s minimum {min_notional}",
            )
        if max_notional is not None and notional > max_notional:
            raise Refusal(
                p.ERR_MAX_NOTIONAL,
                f"place: notional {_plain(notional)} USD exceeds PARADEX_MAX_ORDER_NOTIONAL {max_notional}",
            )
    return PlaceRequest(market, side, order_type, size, price, tif, reduce_only, client_id, generated)


def _client_id(params: Mapping[str, Any]) -> tuple[str, bool]:
    raw = params.get("client_id")
    if raw is None or raw == "":
        return new_client_id(), True
    if not isinstance(raw, str) or not _CLIENT_ID_RE.fullmatch(raw):
        raise Refusal(
            p.ERR_BAD_CLIENT_ID,
            f"place: 'client_id' must be 1-{CLIENT_ID_MAX} characters of letters, digits, '_', '-', '.', ':'",
        )
    return raw, False
