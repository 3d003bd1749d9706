"""Public market-data payloads of the simulator and their two wire forms: JSON (reference §3) and SBE.

Each event holds exact e8 integers; `json()` renders the JSON-RPC `data` object with canonical decimal
strings, `sbe(version)` the binary frame for the same values, so the twins agree by construction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import sbe
from .markets import e8_str


@dataclass(slots=True)
class BboEvent:
    market: str
    seq_no: int
    ts_us: int
    bid: int
    bid_size: int
    ask: int
    ask_size: int

    def json(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "seq_no": self.seq_no,
            "bid": e8_str(self.bid),
            "bid_size": e8_str(self.bid_size),
            "ask": e8_str(self.ask),
            "ask_size": e8_str(self.ask_size),
            "last_updated_at": self.ts_us // 1000,
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_bbo(
            self.market, self.seq_no, self.ts_us, self.bid, self.bid_size, self.ask, self.ask_size, version
        )


@dataclass(slots=True)
class TradeEvent:
    market: str
    seq_no: int
    ts_us: int
    trade_id: str
    side: str  # taker side
    price: int
    size: int
    trade_type: str = "FILL"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.trade_id,
            "market": self.market,
            "side": self.side,
            "size": e8_str(self.size),
            "price": e8_str(self.price),
            "created_at": self.ts_us // 1000,
            "trade_type": self.trade_type,
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_trade(
            self.market,
            self.seq_no,
            self.ts_us,
            self.trade_id,
            self.side,
            self.price,
            self.size,
            self.ts_us,
            self.trade_type,
            version,
            omit,
        )


@dataclass(slots=True)
class BookEvent:
    """One order_book message. For a delta, a size of 0 deletes the level (SBE convention)."""

    market: str
    seq_no: int
    ts_us: int
    snapshot: bool
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    # Which changed levels are new (JSON "inserts") rather than resized ("updates"); deletes have size 0.
    new_levels: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def json(self) -> dict[str, Any]:
        inserts: list[dict[str, str]] = []
        updates: list[dict[str, str]] = []
        deletes: list[dict[str, str]] = []
        for side, levels in (("BUY", self.bids), ("SELL", self.asks)):
            for price, size in levels:
                entry = {"side": side, "price": e8_str(price), "size": e8_str(size)}
                if self.snapshot or (side, price) in self.new_levels:
                    inserts.append(entry)
                elif size == 0:
                    deletes.append(entry)
                else:
                    updates.append(entry)
        return {
            "seq_no": self.seq_no,
            "market": self.market,
            "last_updated_at": self.ts_us // 1000,
            "update_type": "s" if self.snapshot else "d",
            "inserts": inserts,
            "updates": updates,
            "deletes": deletes,
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_book(
            self.market, self.seq_no, self.ts_us, self.snapshot, self.bids, self.asks, version
        )


@dataclass(slots=True)
class SummaryEvent:
    market: str
    seq_no: int
    ts_us: int
    mark_price: int
    underlying_price: int
    last_traded_price: int
    bid: int
    bid_size: int
    ask: int
    ask_size: int
    volume_24h: int
    total_volume: int
    open_interest: int
    funding_rate: int  # e8
    price_change_rate_24h: int  # e8

    def json(self) -> dict[str, Any]:
        return {
            "symbol": self.market,
            "mark_price": e8_str(self.mark_price),
            "last_traded_price": e8_str(self.last_traded_price),
            "bid": e8_str(self.bid),
            "bid_size": e8_str(self.bid_size),
            "ask": e8_str(self.ask),
            "ask_size": e8_str(self.ask_size),
            "volume_24h": e8_str(self.volume_24h),
            "total_volume": e8_str(self.total_volume),
            "underlying_price": e8_str(self.underlying_price),
            "open_interest": e8_str(self.open_interest),
            "funding_rate": e8_str(self.funding_rate),
            "price_change_rate_24h": e8_str(self.price_change_rate_24h),
            "created_at": self.ts_us // 1000,
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_market_summary(
            self.market,
            self.seq_no,
            self.ts_us,
            {
                "markPrice": self.mark_price,
                "indexPrice": self.underlying_price,
                "lastPrice": self.last_traded_price,
                "volumeUsd24h": self.volume_24h,
                "openInterest": self.open_interest,
                "fundingRate": self.funding_rate,
                "bid": self.bid,
                "ask": self.ask,
                "totalVolume": self.total_volume,
                "priceChangeRate24h": self.price_change_rate_24h,
                "bidSize": self.bid_size,
                "askSize": self.ask_size,
                # e8 → e12: the same value at the schema's high-precision exponent.
                "fundingRatePrecise": self.funding_rate * 10_000,
            },
            version,
        )


@dataclass(slots=True)
class FundingEvent:
    market: str
    seq_no: int
    ts_us: int
    funding_index: int
    funding_premium: int
    funding_rate: int
    funding_rate_8h: int
    funding_period_hours: int
    impact_premium_rate: int

    def json(self) -> dict[str, Any]:
        """JSON carries the precision production's JSON has (a capture of 2026-09-04 shows 13, 17, 14 and 16
        fractional digits; up to 21 occur); SBE carries the e8 values, which these truncate to."""
        return {
            "market": self.market,
            "funding_index": _fine(self.funding_index, 13, self.market, self.seq_no, "index"),
            "funding_premium": _fine(self.funding_premium, 13, self.market, self.seq_no, "premium"),
            "funding_rate": _fine(self.funding_rate, 6, self.market, self.seq_no, "rate"),
            "funding_rate_8h": e8_str(self.funding_rate_8h),
            "funding_period_hours": self.funding_period_hours,
            "created_at": self.ts_us // 1000,
            "impact_premium_rate": _fine(self.impact_premium_rate, 8, self.market, self.seq_no, "impact"),
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_funding_data(
            self.market,
            self.seq_no,
            self.ts_us,
            {
                "fundingRate": self.funding_rate,
                "fundingIndex": self.funding_index,
                "createdAt": self.ts_us,
                "fundingPremium": self.funding_premium,
                "fundingRate8h": self.funding_rate_8h,
                "fundingPeriodHours": self.funding_period_hours,
                "impactPremiumRate": self.impact_premium_rate,
            },
            version,
        )


@dataclass(slots=True)
class FundingComparisonEvent:
    """One row of `funding_rate_comparison.ALL@{rate}`: a venue's hourly funding rate for a market. The sim
    has one venue, Paradex itself (source SOURCE_PARADEX). Shape: paradex-py 0.8.2's paradex_1_0.xml
    (template 6, "full parity with JSON FundingRateComparisonResp": asset_kind, source, last_updated_at,
    hourly_funding_rate, symbol); the JSON enum spellings are taken from the schema's enum names."""

    market: str
    seq_no: int
    ts_us: int
    last_updated_us: int
    hourly_rate_e12: int

    def json(self) -> dict[str, Any]:
        return {
            "symbol": self.market,
            "source": "SOURCE_PARADEX",
            "asset_kind": "ASSET_KIND_PERPETUAL_FUTURE",
            "hourly_funding_rate": _plain(Decimal(self.hourly_rate_e12).scaleb(-12)),
            "last_updated_at": self.last_updated_us // 1000,
        }

    def sbe(self, version: int, omit: frozenset[str] = frozenset()) -> bytes:
        return sbe.encode_funding_rate_comparison(
            self.market, self.ts_us, self.last_updated_us, self.hourly_rate_e12, version
        )


MarketEvent = BboEvent | TradeEvent | BookEvent | SummaryEvent | FundingEvent | FundingComparisonEvent


def _plain(value: Decimal) -> str:
    """Plain decimal text without trailing zeros (never an exponent)."""
    return format(value, "f").rstrip("0").rstrip(".") or "0"


def _fine(value_e8: int, extra: int, *salt: Any) -> str:
    """``value_e8`` with ``extra`` more fractional digits (up to 8 + 13 = 21), deterministic per payload:
    digits below 1e-8 that truncate back to the e8 value, with the value's sign."""
    digest = hashlib.blake2b(repr(salt).encode(), digest_size=8).digest()
    tail = int.from_bytes(digest, "big") % 10**extra
    fine = abs(value_e8) * 10**extra + tail
    text = format(Decimal(fine).scaleb(-(8 + extra)), "f").rstrip("0").rstrip(".") or "0"
    return "-" + text if value_e8 < 0 and text != "0" else text
