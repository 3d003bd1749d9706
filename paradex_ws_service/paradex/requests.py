"""Typed requests the adapter takes: parsed and checked for shape by the command layer, checked against the
venue's market rules and executed by the adapter (orders.py). Decimals are exact (never floats)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SIDES = ("BUY", "SELL")
ORDER_TYPES = ("MARKET", "LIMIT")
TIFS = ("GTC", "IOC", "POST_ONLY")
KLINE_RESOLUTIONS = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60}


@dataclass(frozen=True)
class PlaceRequest:
    """An order, ready to become a paradex-py ``Order``; decimals normalised (no exponent)."""

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


@dataclass(frozen=True)
class CancelRequest:
    """By ``order_id``, or by ``client_id`` in ``market``."""

    order_id: str | None
    client_id: str | None
    market: str | None


@dataclass(frozen=True)
class KlinesRequest:
    market: str
    minutes: int  # candle width
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class LeverageRequest:
    market: str
    leverage: int  # ≥ 1
