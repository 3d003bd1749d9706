"""Pure conversion of Paradex channel payloads (JSON ``data`` objects or SBE models) into protocol events.

Nothing here does I/O or keeps state: each function takes one payload and the receive time and returns
one event (or, for the order book, a ``BookUpdate`` that ``book.py`` applies to its state). JSON and SBE
payloads of the same update must give *identical* events, so every decimal passes through
``canonical_decimal`` (SBE renders ``"65000.50000000"``, JSON ``"65000.5"``) and every timestamp is taken
from the field both encodings share. Events carry ``"seq": 0`` right after ``type`` so the writer can set
the real sequence number in place and keep the wire field order (type, seq, ...).

The frames quoted in docstrings are what the simulator sends (reference §3, §2.9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paradex_ws_service.protocol import Bbo, Funding, Summary, Trade, canonical_decimal

# ------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------


# A decimal string already in canonical form (most venue values are): returned as is, one regex match.
_CANONICAL = re.compile(r"(?!-0\Z)-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?").fullmatch


def _dec(value: Any) -> str | None:
    """Canonical decimal or None for the absent values Paradex sends as ``""``/``null``. Hot path."""
    if value.__class__ is str:
        if _CANONICAL(value) is not None:
            return value
        if value == "":
            return None
        return canonical_decimal(value)
    if value is None:
        return None
    return canonical_decimal(str(value))


def _sbe(value: str | None) -> str | None:
    """Canonical form of a decimal from paradex-py's SBE codec, which always renders ``I.FFFFFFFF``
    (8 or 12 fractional digits, optional ``-``): stripping is enough, no validation needed. Hot path."""
    if value is None:
        return None
    if "." not in value:
        return canonical_decimal(value)
    value = value.rstrip("0")
    if value[-1] == ".":
        value = value[:-1]
        if value == "-0":
            return "0"
    return value


def _sbe_req(value: str | None, field: str) -> str:
    out = _sbe(value)
    if out is None:
        raise ValueError(f"missing decimal field {field!r}")
    return out


def _req_dec(value: Any, field: str) -> str:
    out = _dec(value)
    if out is None:
        raise ValueError(f"missing decimal field {field!r}")
    return out


def _hours(value: Any) -> float | int | None:
    """funding_period_hours is a JSON number; ``8.0`` and SBE's ``8`` must print the same."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float)):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number


# ------------------------------------------------------------------------------------------------------
# bbo
# ------------------------------------------------------------------------------------------------------


def bbo_json(data: dict[str, Any], recv_us: int) -> Bbo:
    """``bbo.{market}`` JSON payload → ``bbo``.

    ``{"market":"BTC-USD-PERP","seq_no":153,"bid":"67000","bid_size":"0.1","ask":"67001",
    "ask_size":"0.2","last_updated_at":1700000000000}``
    """
    return {
        "type": "bbo",
        "seq": 0,
        "market": data["market"],
        "bid": _dec(data.get("bid")),
        "bid_size": _dec(data.get("bid_size")),
        "ask": _dec(data.get("ask")),
        "ask_size": _dec(data.get("ask_size")),
        "exchange_ts": int(data["last_updated_at"]),
        "exchange_seq": data.get("seq_no"),
        "recv_us": recv_us,
    }


def bbo_sbe(m: Any, recv_us: int) -> Bbo:
    """SBE ``BboEventData`` (template 2: ``bid_price``, ``ask_price``, ``timestamp`` in ms) → ``bbo``."""
    return {
        "type": "bbo",
        "seq": 0,
        "market": m.market,
        "bid": _sbe(m.bid_price),
        "bid_size": _sbe(m.bid_size),
        "ask": _sbe(m.ask_price),
        "ask_size": _sbe(m.ask_size),
        "exchange_ts": m.timestamp,
        "exchange_seq": m.seq_no,
        "recv_us": recv_us,
    }


# ------------------------------------------------------------------------------------------------------
# trades
# ------------------------------------------------------------------------------------------------------


def trade_json(data: dict[str, Any], recv_us: int) -> Trade:
    """``trades.{market}`` JSON payload → ``trade`` (``side`` is the taker's).

    ``{"id":"1718179273230201709233240002","market":"BTC-USD-PERP","side":"BUY","size":"0.002",
    "price":"65000.6","created_at":1718179273230,"trade_type":"FILL"}``
    """
    return {
        "type": "trade",
        "seq": 0,
        "market": data["market"],
        "trade_id": str(data["id"]),
        "side": data["side"],
        "price": _req_dec(data.get("price"), "price"),
        "size": _req_dec(data.get("size"), "size"),
        "trade_type": data.get("trade_type") or "FILL",
        "exchange_ts": int(data["created_at"]),
        "recv_us": recv_us,
    }


def trade_sbe(m: Any, recv_us: int) -> Trade:
    """SBE ``TradeEventData`` (template 1) → ``trade``.

    The id is ``trade_id_str`` (the JSON ``id``). Schema 1:2 added it in place, so a 1:2 frame may come
    without it (reference §0a.4), as do 1:0/1:1 frames; such a trade is still a trade and is emitted with
    the only id the frame has: the deprecated int64 ``trade_id`` (the low 64 bits of the real id, signed)
    as a decimal string, which does not match REST/JSON ids (docs/PROTOCOL.md).
    """
    trade_id = m.trade_id_str
    if trade_id is None:
        # Read from the model's dict: the attribute is marked deprecated and warns on every access.
        trade_id = str(m.__dict__["trade_id"])
    return {
        "type": "trade",
        "seq": 0,
        "market": m.market,
        "trade_id": trade_id,
        "side": m.side,
        "price": _sbe_req(m.price, "price"),
        "size": _sbe_req(m.size, "size"),
        "trade_type": m.trade_type or "FILL",
        "exchange_ts": m.created_at,
        "recv_us": recv_us,
    }


# ------------------------------------------------------------------------------------------------------
# order book
# ------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class BookUpdate:
    """One order_book message in encoding-neutral form; in a delta a size of ``"0"`` deletes the level."""

    market: str
    snapshot: bool
    seq_no: int
    exchange_ts: int
    recv_us: int
    bids: list[tuple[str, str]]  # (price, size) canonical decimals, in message order
    asks: list[tuple[str, str]]


def book_json(data: dict[str, Any], recv_us: int) -> BookUpdate:
    """``order_book.{market}.{feed}@15@{rate}`` JSON payload → ``BookUpdate``.

    ``{"seq_no":14127815,"market":"BTC-USD-PERP","last_updated_at":1718267837265,"update_type":"s",
    "inserts":[{"side":"BUY","price":"67629.7","size":"0.992"}],"updates":[],"deletes":[]}``

    A snapshot carries its levels in ``inserts``; a delta's ``deletes`` become size-0 levels.
    """
    update_type = data.get("update_type")
    if update_type not in ("s", "d"):
        raise ValueError(f"unknown order_book update_type {update_type!r}")
    bids: list[tuple[str, str]] = []
    asks: list[tuple[str, str]] = []
    for group in ("inserts", "updates"):
        for level in data.get(group) or ():
            _side_list(level, bids, asks).append(
                (_req_dec(level.get("price"), "price"), _req_dec(level.get("size"), "size"))
            )
    for level in data.get("deletes") or ():
        _side_list(level, bids, asks).append((_req_dec(level.get("price"), "price"), "0"))
    return BookUpdate(
        market=data["market"],
        snapshot=update_type == "s",
        seq_no=int(data["seq_no"]),
        exchange_ts=int(data["last_updated_at"]),
        recv_us=recv_us,
        bids=bids,
        asks=asks,
    )


def _side_list(
    level: dict[str, Any], bids: list[tuple[str, str]], asks: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    side = level.get("side")
    if side == "BUY":
        return bids
    if side == "SELL":
        return asks
    raise ValueError(f"order_book level with side {side!r}")


def book_sbe(m: Any, recv_us: int) -> BookUpdate:
    """SBE ``BookEventData`` (template 3: ``pkg_type`` SNAPSHOT/DELTA, ``bids``/``asks`` pairs) → update."""
    if m.pkg_type not in ("SNAPSHOT", "DELTA"):
        raise ValueError(f"unknown SBE book pkg_type {m.pkg_type!r}")
    return BookUpdate(
        market=m.market,
        snapshot=m.pkg_type == "SNAPSHOT",
        seq_no=m.seq_no,
        exchange_ts=m.timestamp,
        recv_us=recv_us,
        bids=[(_sbe_req(p, "price"), _sbe_req(s, "size")) for p, s in m.bids],
        asks=[(_sbe_req(p, "price"), _sbe_req(s, "size")) for p, s in m.asks],
    )


# ------------------------------------------------------------------------------------------------------
# markets_summary
# ------------------------------------------------------------------------------------------------------


def summary_json(data: dict[str, Any], recv_us: int) -> Summary:
    """``markets_summary.{market}`` JSON payload → ``summary`` (the market key is ``symbol`` here).

    ``{"symbol":"BTC-USD-PERP","mark_price":"65000.55","last_traded_price":"65000.6","bid":"65000.5",
    "ask":"65000.6","volume_24h":"123456789.5","underlying_price":"64998.1","open_interest":"1234.5",
    "funding_rate":"0.00002","price_change_rate_24h":"","created_at":1718334307698}``
    """
    return {
        "type": "summary",
        "seq": 0,
        "market": data["symbol"],
        "mark_price": _dec(data.get("mark_price")),
        "last_price": _dec(data.get("last_traded_price")),
        "bid": _dec(data.get("bid")),
        "ask": _dec(data.get("ask")),
        "underlying_price": _dec(data.get("underlying_price")),
        "volume_24h": _dec(data.get("volume_24h")),
        "open_interest": _dec(data.get("open_interest")),
        "funding_rate": _dec(data.get("funding_rate")),
        "price_change_rate_24h": _dec(data.get("price_change_rate_24h")),
        "exchange_ts": int(data["created_at"]),
        "recv_us": recv_us,
    }


def summary_sbe(m: Any, recv_us: int) -> Summary:
    """SBE ``MarketSummaryEventData`` (template 4) → ``summary``.

    ``index_price`` is JSON's ``underlying_price``; the funding rate prefers the e-12
    ``funding_rate_precise`` (JSON carries up to 14 fractional digits, the e-8 field would truncate).
    """
    funding = m.funding_rate_precise if m.funding_rate_precise is not None else m.funding_rate
    return {
        "type": "summary",
        "seq": 0,
        "market": m.market,
        "mark_price": _sbe(m.mark_price),
        "last_price": _sbe(m.last_price),
        "bid": _sbe(m.bid),
        "ask": _sbe(m.ask),
        "underlying_price": _sbe(m.index_price),
        "volume_24h": _sbe(m.volume_usd24h),
        "open_interest": _sbe(m.open_interest),
        "funding_rate": _sbe(funding),
        "price_change_rate_24h": _sbe(m.price_change_rate24h),
        "exchange_ts": m.timestamp,
        "recv_us": recv_us,
    }


# ------------------------------------------------------------------------------------------------------
# funding_data
# ------------------------------------------------------------------------------------------------------


def funding_json(data: dict[str, Any], recv_us: int) -> Funding:
    """``funding_data.{market}`` JSON payload → ``funding``.

    ``{"market":"BTC-USD-PERP","funding_index":"-2819.53434361","funding_premium":"0.00001",
    "funding_rate":"0.00002","funding_rate_8h":"0.00002","funding_period_hours":8,"created_at":1718334307698}``
    """
    return {
        "type": "funding",
        "seq": 0,
        "market": data["market"],
        "funding_rate": _dec(data.get("funding_rate")),
        "funding_rate_8h": _dec(data.get("funding_rate_8h")),
        "funding_index": _dec(data.get("funding_index")),
        "funding_premium": _dec(data.get("funding_premium")),
        "funding_period_hours": _hours(data.get("funding_period_hours")),
        "exchange_ts": int(data["created_at"]),
        "recv_us": recv_us,
    }


def funding_sbe(m: Any, recv_us: int) -> Funding:
    """SBE ``FundingDataEventData`` (template 5; ``funding_rate8h`` without the underscore) → ``funding``."""
    return {
        "type": "funding",
        "seq": 0,
        "market": m.market,
        "funding_rate": _sbe(m.funding_rate),
        "funding_rate_8h": _sbe(m.funding_rate8h),
        "funding_index": _sbe(m.funding_index),
        "funding_premium": _sbe(m.funding_premium),
        "funding_period_hours": _hours(m.funding_period_hours),
        "exchange_ts": m.created_at,
        "recv_us": recv_us,
    }
