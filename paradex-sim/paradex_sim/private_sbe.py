"""Private channel payloads (orders, fills, positions, account) as SBE templates 20-23.

paradex-py's real-exchange integration test asserts that an order update arrives "as SBE binary frame" on
an SBE session (tradeparadex/paradex-py tests/integration/test_sbe_order_lifecycle.py), and the shipped
schema (paradex_1_0.xml) defines OrderEvent, FillEvent, PositionEvent and AccountEvent for the private
channels; the docs banner says private payloads stay JSON (reference §0a.3). The simulator follows the
SDK's test: on an SBE session these four channels are binary, everything else private stays JSON.

Each encoder takes the JSON payload the trading extension publishes (reference §3.6-3.9) and maps it onto
the schema's fields with the same `SbeSchema` machinery as the public templates, so decimal strings and
their e8 mantissas are the same numbers, and JSON's millisecond timestamps become the schema's µs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .sbe import SCHEMA

_E8 = Decimal(100_000_000)


def _choices(message: str, field: str) -> frozenset[str]:
    """The flag names a set field of the schema can carry (unknown flags are left out, not guessed)."""
    spec = next(f for f in SCHEMA.messages[message].fields if f.name == field)
    return frozenset(spec.choices or ())


_ORDER_FLAGS = _choices("OrderEvent", "flags")
_FILL_FLAGS = _choices("FillEvent", "flags")


def _e8(value: Any) -> int:
    """A JSON decimal string (or number) as the schema's int64 mantissa at exponent -8."""
    return int((Decimal(str(value)) * _E8).to_integral_value())


def _e8_or_none(value: Any, zero_is_null: bool = False) -> int | None:
    """Absent values (``""``, None; and ``"0"`` where the schema documents null for "not applicable")."""
    if value is None or value == "":
        return None
    mantissa = _e8(value)
    return None if zero_is_null and mantissa == 0 else mantissa


def _us(ms: Any) -> int:
    return int(ms) * 1000 if isinstance(ms, int) and ms > 0 else 0


def encode_order(payload: Mapping[str, Any], version: int, omit: frozenset[str] = frozenset()) -> bytes:
    """OrderEvent (template 20) from an OrderResp (§3.6). ``avg_fill_price`` ``"0"``/``""`` (no fill yet)
    and a MARKET order's price ``"0"`` are the schema's null ("null if unfilled", "null for MARKET")."""
    market_order = payload.get("type") == "MARKET"
    values = {
        "ts": time.time_ns() // 1000,
        "seq": int(payload.get("seq_no") or 0),
        "status": payload["status"],
        "side": payload["side"],
        "orderType": payload["type"],
        "timeInForce": payload.get("instruction") or "GTC",
        "price": None if market_order else _e8_or_none(payload.get("price"), zero_is_null=True),
        "triggerPrice": _e8_or_none(payload.get("trigger_price"), zero_is_null=True),
        "size": _e8(payload["size"]),
        "sizeOpen": _e8(payload.get("remaining_size", payload["size"])),
        "avgFillPrice": _e8_or_none(payload.get("avg_fill_price"), zero_is_null=True),
        "createdAt": _us(payload.get("created_at")),
        "updatedAt": _us(payload.get("last_updated_at")),
        "account": payload.get("account") or "",
        "receivedAt": _us(payload.get("received_at")),
        "publishedAt": _us(payload.get("published_at")),
        "stp": payload.get("stp") or "NONE",
        "flags": [f for f in payload.get("flags") or () if f in _ORDER_FLAGS],
        "requestStatus": "UNSPECIFIED",  # no request_info: both enums UNSPECIFIED, as the schema says
        "requestType": "UNSPECIFIED",
    }
    var = {
        "orderId": str(payload["id"]),
        "clientOrderId": payload.get("client_id") or "",
        "market": payload["market"],
        "cancelReason": payload.get("cancel_reason") or "",
    }
    return SCHEMA.encode("OrderEvent", values, version=version, var=var, omit=omit)


def encode_fill(payload: Mapping[str, Any], version: int, omit: frozenset[str] = frozenset()) -> bytes:
    """FillEvent (template 21) from a FillResult (§3.7)."""
    book_seq = payload.get("orderbook_seq_no")
    values = {
        "ts": time.time_ns() // 1000,
        "seq": book_seq if isinstance(book_seq, int) else None,
        "fillType": payload.get("fill_type") or "FILL",
        "side": payload["side"],
        "liquidity": payload.get("liquidity") or "TAKER",
        "price": _e8(payload["price"]),
        "size": _e8(payload["size"]),
        "fee": _e8(payload.get("fee") or "0"),
        "realizedPnl": _e8_or_none(payload.get("realized_pnl")),
        "createdAt": _us(payload.get("created_at")),
        "account": payload.get("account") or "",
        "underlyingPrice": _e8(payload.get("underlying_price") or "0"),
        "realizedFunding": _e8(payload.get("realized_funding") or "0"),
        "flags": [f.upper() for f in payload.get("flags") or () if f.upper() in _FILL_FLAGS],
        "orderbookSeqNo": book_seq if isinstance(book_seq, int) else 0,
    }
    var = {
        "fillId": str(payload["id"]),
        "orderId": str(payload["order_id"]),
        "clientOrderId": payload.get("client_id") or "",
        "tradeId": str(payload.get("trade_id") or ""),
        "market": payload["market"],
        "feeCurrency": payload.get("fee_currency") or "USDC",
    }
    return SCHEMA.encode("FillEvent", values, version=version, var=var, omit=omit)


def encode_position(payload: Mapping[str, Any], version: int, omit: frozenset[str] = frozenset()) -> bytes:
    """PositionEvent (template 22) from a PositionResp (§3.8): the size goes absolute with its side
    (BUY = long, SELL = short), as the schema sends it and the SDK re-signs it."""
    size = _e8(payload.get("size") or "0")
    short = size < 0 or payload.get("side") == "SHORT"
    values = {
        "ts": time.time_ns() // 1000,
        "seq": int(payload.get("seq_no") or 0),
        "side": "SELL" if short else "BUY",
        "size": abs(size),
        "avgEntryPrice": _e8(payload.get("average_entry_price") or "0"),
        "unrealizedPnl": _e8(payload.get("unrealized_pnl") or "0"),
        "realizedPnl": _e8(payload.get("realized_positional_pnl") or "0"),
        "markPrice": None,  # "always null": PositionResp carries no mark price
        "liquidationPrice": _e8_or_none(payload.get("liquidation_price")),
        "leverage": _e8(payload.get("leverage") or "0"),
        "updatedAt": _us(payload.get("last_updated_at")),
        "account": payload.get("account") or "",
        "avgEntryPriceUsd": _e8(payload.get("average_entry_price_usd") or "0"),
        "cost": _e8(payload.get("cost") or "0"),
        "costUsd": _e8(payload.get("cost_usd") or "0"),
        "cachedFundingIndex": _e8(payload.get("cached_funding_index") or "0"),
        "unrealizedFundingPnl": _e8(payload.get("unrealized_funding_pnl") or "0"),
        "status": payload.get("status") or "OPEN",
    }
    var = {"market": payload["market"], "lastFillId": str(payload.get("last_fill_id") or "")}
    return SCHEMA.encode("PositionEvent", values, version=version, var=var, omit=omit)


def encode_account(payload: Mapping[str, Any], version: int, omit: frozenset[str] = frozenset()) -> bytes:
    """AccountEvent (template 23) from an AccountSummaryResponse (§3.9)."""
    values = {
        "ts": time.time_ns() // 1000,
        "seq": int(payload.get("seq_no") or 0),
        "totalCollateral": _e8(payload["total_collateral"]),
        "freeCollateral": _e8(payload["free_collateral"]),
        "initialMarginReq": _e8(payload["initial_margin_requirement"]),
        "maintenanceMarginReq": _e8(payload["maintenance_margin_requirement"]),
        "accountValue": _e8(payload["account_value"]),
        "unrealizedPnl": None,  # "always null": AccountSummaryResponse does not carry it
        "updatedAt": _us(payload.get("updated_at")),
        "account": payload.get("account") or "",
        "marginCushion": _e8(payload.get("margin_cushion") or "0"),
        "status": payload.get("status") or "ACTIVE",
        "lastSeenNotification": _us(payload.get("last_seen_notification")),
    }
    var = {"settlementAsset": payload.get("settlement_asset") or "USDC"}
    return SCHEMA.encode("AccountEvent", values, version=version, var=var, omit=omit)


PrivateEncoder = Callable[[Mapping[str, Any], int, frozenset[str]], bytes]

# Channel name prefix → encoder: `orders.ALL` and `orders.BTC-USD-PERP` alike (an SBE frame names no
# channel; a consumer routes `.ALL` subscriptions by the market inside, reference §2.9).
ENCODERS: dict[str, PrivateEncoder] = {
    "orders": encode_order,
    "fills": encode_fill,
    "positions": encode_position,
    "account": encode_account,
}


def encoder_for(channel: str) -> PrivateEncoder | None:
    """The SBE encoder of a private channel, or None for the private channels that stay JSON."""
    return ENCODERS.get(channel.split(".", 1)[0])
