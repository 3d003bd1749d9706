"""stdin parameters of the trading ops → the adapter's typed requests (paradex/requests.py).

Only the shape of a command is checked here (types, allowed values, decimal strings, client id); what
depends on the venue (known market, size increment, tick, notional) is the adapter's to check
(paradex/validate.py). Every refusal is a ``CommandError`` with a stable code (docs/PROTOCOL.md).

The rules are the protocol's, the same in the TypeScript schema (packages/paradex/src/schema.ts); both are
tested against ``protocol_examples/commands.jsonl`` (accepted) and ``commands_refused.jsonl`` (refused):
- enumerations are exact: ``BUY``/``SELL``, ``MARKET``/``LIMIT``, ``GTC``/``IOC``/``POST_ONLY`` (no
  lowercase);
- decimal inputs (``size``, ``price``) are strings of digits with an optional fractional part, greater than
  zero: ``"0.1"``, ``"0.10"`` and ``"007"`` are accepted (the value is what counts), a sign, an exponent,
  whitespace, a bare ``".5"`` or ``"5."`` and JSON numbers are refused;
- an optional parameter is omitted, never ``null`` or ``""``; ``leverage`` is a whole number string.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from paradex_ws_service import protocol as p
from paradex_ws_service.commands import Command, CommandError
from paradex_ws_service.paradex.requests import (
    KLINE_RESOLUTIONS,
    ORDER_TYPES,
    SIDES,
    TIFS,
    CancelRequest,
    KlinesRequest,
    LeverageRequest,
    PlaceRequest,
)

CLIENT_ID_MAX = 64  # Paradex's limit (reference §4)
_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_DECIMAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?")
_WHOLE_RE = re.compile(r"[1-9][0-9]*")


def new_client_id() -> str:
    """A client id for commands that bring none: unique, short, recognisable in the venue's UI."""
    return "pws-" + secrets.token_hex(8)


def plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without ever switching to exponent form (``str`` is what the SDK signs)."""
    normalized = value.normalize()
    if normalized.as_tuple().exponent > 0:  # type: ignore[operator]
        normalized = normalized.quantize(Decimal(1))
    return normalized


def parse_decimal(params: Mapping[str, Any], name: str) -> Decimal:
    """A strictly positive decimal given as a JSON string; numbers, exponents and signs are refused."""
    raw = params.get(name)
    if raw is None:
        raise CommandError(p.ERR_BAD_PARAMS, f'place: missing {name!r} (a decimal string such as "0.01")')
    if isinstance(raw, bool) or isinstance(raw, int | float):
        raise CommandError(
            p.ERR_DECIMAL_NOT_STRING,
            f'place: {name!r} must be a decimal string such as "{raw}", not a JSON number '
            "(numbers lose precision on the way)",
        )
    if not isinstance(raw, str) or not _DECIMAL_RE.fullmatch(raw):
        raise CommandError(
            p.ERR_BAD_DECIMAL, f"place: {name!r} must be a positive decimal string, got {raw!r}"
        )
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise CommandError(p.ERR_BAD_DECIMAL, f"place: {name!r} is not a decimal: {raw!r}") from None
    if value <= 0:
        raise CommandError(p.ERR_BAD_DECIMAL, f"place: {name!r} must be greater than zero, got {raw!r}")
    return plain(value)


def _choice(
    params: Mapping[str, Any], name: str, allowed: tuple[str, ...], code: str, default: str | None
) -> str:
    raw = params.get(name, default)
    if raw is None:
        raise CommandError(code, f"place: missing {name!r} (one of {', '.join(allowed)})")
    if not isinstance(raw, str) or raw not in allowed:
        raise CommandError(code, f"place: {name!r} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def parse_place(params: Mapping[str, Any]) -> PlaceRequest:
    """The ``place`` parameters as a typed order; raises ``CommandError`` with the first problem found."""
    market = params.get("market")
    if not isinstance(market, str) or not market:
        raise CommandError(p.ERR_BAD_PARAMS, "place: missing 'market' (e.g. \"BTC-USD-PERP\")")
    side = _choice(params, "side", SIDES, p.ERR_BAD_SIDE, None)
    order_type = _choice(params, "type", ORDER_TYPES, p.ERR_BAD_ORDER_TYPE, None)
    tif = _choice(params, "tif", TIFS, p.ERR_BAD_TIF, "GTC")
    reduce_only = params.get("reduce_only", False)
    if not isinstance(reduce_only, bool):
        raise CommandError(
            p.ERR_BAD_PARAMS, f"place: 'reduce_only' must be true or false, got {reduce_only!r}"
        )
    size = parse_decimal(params, "size")
    price: Decimal | None = None
    if order_type == "LIMIT":
        price = parse_decimal(params, "price")
    elif "price" in params:
        raise CommandError(
            p.ERR_PRICE_NOT_ALLOWED, "place: a MARKET order takes no 'price' (use a LIMIT IOC)"
        )
    if order_type == "MARKET" and tif == "POST_ONLY":
        raise CommandError(p.ERR_BAD_TIF, "place: a MARKET order cannot be POST_ONLY")
    client_id, generated = _client_id(params)
    return PlaceRequest(market, side, order_type, size, price, tif, reduce_only, client_id, generated)


def _client_id(params: Mapping[str, Any]) -> tuple[str, bool]:
    raw = params.get("client_id")
    if raw is None:
        return new_client_id(), True
    if not isinstance(raw, str) or not _CLIENT_ID_RE.fullmatch(raw):
        raise CommandError(
            p.ERR_BAD_CLIENT_ID,
            f"place: 'client_id' must be 1-{CLIENT_ID_MAX} characters of letters, digits, '_', '-', '.', ':'",
        )
    return raw, False


def parse_cancel(command: Command) -> CancelRequest:
    order_id = command.str_param("order_id", required=False)
    client_id = command.str_param("client_id", required=False)
    market = command.str_param("market", required=False)
    if order_id is None and (client_id is None or market is None):
        raise CommandError(p.ERR_BAD_PARAMS, "cancel: give 'order_id', or 'client_id' and 'market'")
    return CancelRequest(order_id, client_id, market)


def parse_klines(command: Command) -> KlinesRequest:
    market = command.str_param("market")
    assert market is not None
    resolution = command.params.get("resolution", "1m")
    minutes = KLINE_RESOLUTIONS.get(resolution) if isinstance(resolution, str) else None
    if minutes is None:
        raise CommandError(
            p.ERR_BAD_PARAMS, f"klines: resolution must be one of {', '.join(KLINE_RESOLUTIONS)}"
        )
    end = command.params.get("end_at")
    start = command.params.get("start_at")
    limit = command.params.get("limit", 100)
    if not _is_int(limit) or not 1 <= limit <= 1000:
        raise CommandError(p.ERR_BAD_PARAMS, "klines: 'limit' must be an integer 1..1000")
    if end is not None and not _is_int(end):
        raise CommandError(p.ERR_BAD_PARAMS, "klines: 'end_at' must be a ms integer")
    if start is None:
        end = end if end is not None else time.time_ns() // 1_000_000
        start = end - limit * minutes * 60_000
    if not _is_int(start) or not _is_int(end) or end < start:
        raise CommandError(
            p.ERR_BAD_PARAMS, "klines: 'start_at' and 'end_at' must be ms integers, start ≤ end"
        )
    return KlinesRequest(market, minutes, start, end)


def parse_leverage(command: Command) -> LeverageRequest:
    market = command.str_param("market")
    assert market is not None
    raw = command.params.get("leverage")
    if not isinstance(raw, str) or not _WHOLE_RE.fullmatch(raw):
        raise CommandError(
            p.ERR_BAD_PARAMS, "set_leverage: 'leverage' must be a whole number as a string, e.g. \"5\""
        )
    return LeverageRequest(market, int(raw))


def parse_fills_since(command: Command) -> int | None:
    """``snapshot``'s optional ``fills_since``: a ms timestamp; the snapshot then lists the fills since."""
    since = command.params.get("fills_since")
    if since is not None and (not _is_int(since) or since < 0):
        raise CommandError(p.ERR_BAD_PARAMS, "snapshot: 'fills_since' must be a ms integer ≥ 0")
    return since


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def refuse_nulls(command: Command) -> None:
    """An optional parameter is omitted, not ``null`` (the protocol defines no null parameter)."""
    for name, value in command.params.items():
        if value is None:
            raise CommandError(p.ERR_BAD_PARAMS, f"{command.op}: {name!r} is null; omit it instead")
