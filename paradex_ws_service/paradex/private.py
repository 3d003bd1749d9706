"""Private channel payloads (orders, fills, positions, account) → protocol events, each emitted once.

Paradex stamps every order/position/account update with a ``seq_no`` ("unique increasing, non-sequential;
use to dedupe", reference §2.8); duplicates have been seen on the WebSocket and updates are not strictly
ordered (§0a.7). So an update is emitted only if its ``seq_no`` is above the last one emitted for the same
order (position market, account): a duplicate or a late update (an OPEN arriving after its CLOSED) is
dropped, and a CLOSED order is never reopened downstream whatever its numbers say. REST answers number
updates in a space of their own, so they never feed this state (snapshots use a fresh normalizer).
Fills are deduplicated by fill id. Private payloads
may be JSON or SBE on an SBE session (the docs say JSON, paradex-py's own real-exchange test receives
SBE; reference §0a.3): the ``*_sbe`` twins map paradex-py's decoded templates 20-23 (other field names,
reference §2.9) onto the JSON path, so both give the same events.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from paradex_ws_service.memo import Window
from paradex_ws_service.protocol import canonical_decimal, optional_decimal

DEDUPE_WINDOW = 10_000  # remembered keys per channel kind: far more than any replay burst
_MARKETS = 4096  # markets numbered for the fill table (beyond: a tuple per fill)


def compact_id(value: Any) -> Any:
    """An id as a dedupe key: a decimal id (Paradex's order and fill ids are 20-30 digits) as an int, about
    half the memory of its string, and the same key whether JSON sent a string or SBE a number."""
    if isinstance(value, str) and value.isdecimal() and value.isascii() and not value.startswith("0"):
        return int(value)
    return value


class _Seen:
    """A bounded set: remembers the last ``size`` keys, forgets the oldest first."""

    def __init__(self, size: int = DEDUPE_WINDOW) -> None:
        self._keys: Window[Any, None] = Window(size)  # insertion-ordered: the first key is the oldest

    def __len__(self) -> int:
        return len(self._keys)

    def first_time(self, key: Any) -> bool:
        if key is None:
            return True  # nothing to dedupe on: emit
        if key in self._keys:
            return False
        self._keys.put(key, None)
        return True


def _ts(payload: dict[str, Any], *keys: str) -> int:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _none_if_empty(value: Any) -> Any:
    return None if value in (None, "") else value


class _Latest:
    """Per key (an order id, a market, the account) the highest ``seq_no`` emitted, bounded like _Seen. A
    closed order keeps only its id (nothing it says later is emitted, so its numbers are not needed)."""

    def __init__(self, size: int = DEDUPE_WINDOW) -> None:
        # insertion-ordered, re-inserted on update: the first is the stalest
        self._seq: Window[Any, int] = Window(size)
        self._closed: Window[Any, None] = Window(size)

    def __len__(self) -> int:
        return len(self._seq) + len(self._closed)

    def known(self, key: Any) -> bool:
        """Whether any update of ``key`` was emitted (and is still remembered)."""
        key = compact_id(key)
        return key in self._seq or key in self._closed

    def newer(self, key: Any, seq_no: Any, closing: bool = False) -> bool:
        """True when this update is to be emitted (and remember it); an update without an integer seq_no
        is emitted unless its order is already closed."""
        key = compact_id(key)
        if key in self._closed:
            return False
        if isinstance(seq_no, int) and not isinstance(seq_no, bool):
            last = self._seq.get(key)
            if last is not None and seq_no <= last:
                return False
            if not closing:
                self._seq.put(key, seq_no)
        if closing:
            self._seq.pop(key, None)
            self._closed.put(key, None)
        return True


class PrivateNormalizers:
    """The four normalizers with their dedupe state; ``on_order`` sees every new order update."""

    def __init__(self, on_order: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._seen = {kind: _Seen() for kind in ("bust", "recovered")}
        # Fill id → its order and market (see _where): the fills already emitted (deduplication) and where a
        # bust points.
        self._fills: Window[Any, int | tuple[Any, str]] = Window(DEDUPE_WINDOW)
        self._markets: dict[str, int] = {}  # market → its index in _where
        self._latest = {kind: _Latest() for kind in ("order", "position", "account")}
        # Order id → (status, remaining size) of an open state the catch-up emitted before the stream showed
        # the order: the stream's own copy of that same state, arriving late, is not said twice.
        self._recovered_open: Window[Any, tuple[str, str]] = Window(DEDUPE_WINDOW)
        self._on_order = on_order
        self.duplicates = 0
        self._emit: Callable[[dict[str, Any]], None] | None = None
        # client id of an order in flight → its events, held until its result is written
        self._holds: dict[str, list[dict[str, Any]]] = {}
        self._held_ids: dict[str, str] = {}  # order id → client id, for updates of held orders without one
        self._last_held: str | None = None  # the hold account-wide events (position, account) queue behind
        self.last_fill_ms = 0  # newest fill time seen on any path: where a catch-up after an outage starts
        # Orders last seen open (order id → client id): after an outage, the ones no longer open are looked
        # up one by one, however old (the history read by the catch-up lists orders by creation time).
        # Not capped: the venue caps open orders per account, and an order's end must never be forgotten.
        self.open_orders: dict[str, str | None] = {}

    # While an order is being placed, its updates can reach us before the command's result is written
    # (the acknowledgement and the first updates arrive back to back). Holding that order's events for
    # that moment keeps the promised order on stdout: result, then order → fill → position → account.
    # Only that order's events are held (and the position/account updates that follow them): another
    # order's fills go out as they come, however long this acknowledgement takes.

    def attach(self, emit: Callable[[dict[str, Any]], None]) -> None:
        """The writer's ``emit``, for events released after a hold."""
        self._emit = emit

    def hold(self, client_id: str) -> None:
        """Hold the events of the order with ``client_id`` until :meth:`release`."""
        self._holds.setdefault(client_id, [])

    def release(self, client_id: str) -> None:
        """End the hold of ``client_id``: its events go out on the next loop turn, after the command's
        result; until then any further event of it joins them, so the order on stdout is kept."""
        if client_id in self._holds:
            asyncio.get_running_loop().call_soon(self._flush, client_id)

    def _flush(self, client_id: str) -> None:
        held = self._holds.pop(client_id, None)
        self._held_ids = {k: v for k, v in self._held_ids.items() if v != client_id}
        if self._last_held == client_id:
            self._last_held = None
        if held and self._emit is not None:
            for event in held:
                self._emit(event)

    def _out(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if not self._holds or self._emit is None:
            return event
        if event["type"] in ("order", "fill"):
            client_id = event.get("client_id") or self._held_ids.get(event["order_id"])
            held = self._holds.get(client_id) if client_id is not None else None
            if held is None or client_id is None:
                return event
            self._held_ids[event["order_id"]] = client_id
            self._last_held = client_id
        else:  # position, account: after the held order's own updates, not before them
            held = self._holds.get(self._last_held) if self._last_held is not None else None
            if not held:
                return event
        held.append(event)
        return None

    def _first(self, kind: str, key: Any) -> bool:
        if self._seen[kind].first_time(key):
            return True
        self.duplicates += 1
        return False

    def _newer(self, kind: str, key: Any, seq_no: Any, closing: bool = False) -> bool:
        if self._latest[kind].newer(key, seq_no, closing):
            return True
        self.duplicates += 1  # a repeat or a stale update: the venue already told us something newer
        return False

    def order(self, payload: dict[str, Any], recv_us: int) -> dict[str, Any] | None:
        """``orders.*`` — ``{"id": "1681…", "market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT",
        "size": "0.05", "remaining_size": "0.05", "price": "26000", "status": "OPEN", "cancel_reason": "",
        "client_id": "x1234", "avg_fill_price": "0", "seq_no": 1681471234972000000, "last_updated_at": …}``
        """
        closing = payload.get("status") == "CLOSED"
        if not self._newer("order", payload.get("id"), payload.get("seq_no"), closing):
            return None
        if self._recovered_open and self._echo_of_recovered(payload):
            self.duplicates += 1
            return None
        order_type = str(payload.get("type", ""))
        price = optional_decimal(payload.get("price"))
        event = {
            "type": "order",
            "seq": 0,
            "order_id": str(payload["id"]),
            "client_id": _none_if_empty(payload.get("client_id")),
            "market": payload["market"],
            "side": payload["side"],
            "order_type": order_type,
            "status": payload["status"],
            "price": None if order_type == "MARKET" or price == "0" else price,
            "size": canonical_decimal(str(payload["size"])),
            "remaining_size": canonical_decimal(str(payload.get("remaining_size", payload["size"]))),
            # No fill yet is null, whatever the wire says: JSON sends "0" (the openrpc spec, §0a.5) or "",
            # SBE the schema's null; a real fill is never at price 0.
            "avg_fill_price": _zero_is_none(optional_decimal(payload.get("avg_fill_price"))),
            "cancel_reason": _none_if_empty(payload.get("cancel_reason")),
            "exchange_ts": _ts(payload, "last_updated_at", "created_at", "timestamp"),
            "seq_no": _seq(payload),
        }
        if closing:
            self.open_orders.pop(event["order_id"], None)
        else:
            self.open_orders[event["order_id"]] = event["client_id"]
        if self._on_order is not None:
            self._on_order(event)
        return self._out(event)

    def _echo_of_recovered(self, payload: dict[str, Any]) -> bool:
        """True for the stream's copy of the open state a catch-up already emitted (one look per order)."""
        said = self._recovered_open.pop(compact_id(payload.get("id")), None)
        if said is None:
            return False
        remaining = canonical_decimal(str(payload.get("remaining_size", payload.get("size"))))
        return said == (str(payload.get("status")), remaining)

    def fill(self, payload: dict[str, Any], recv_us: int) -> dict[str, Any] | None:
        """``fills.*`` — ``{"id": "8833", "order_id": "1681…", "client_id": "", "market": "BTC-USD-PERP",
        "side": "SELL", "liquidity": "TAKER", "price": "64999.9", "size": "0.01", "fee": "0.194999",
        "fee_currency": "USDC", "created_at": 1795312934721, …}``
        """
        fill_id = payload.get("id")
        if fill_id is not None:
            key = compact_id(str(fill_id))
            if key in self._fills:
                self.duplicates += 1
                return None
            self._fills.put(key, self._where(payload["order_id"], str(payload["market"])))
        self.last_fill_ms = max(self.last_fill_ms, _ts(payload, "created_at"))
        return self._out(
            {
                "type": "fill",
                "seq": 0,
                "fill_id": str(payload["id"]),
                "order_id": str(payload["order_id"]),
                "client_id": _none_if_empty(payload.get("client_id")),
                "market": payload["market"],
                "side": payload["side"],
                "liquidity": payload.get("liquidity", "TAKER"),
                "price": canonical_decimal(str(payload["price"])),
                "size": canonical_decimal(str(payload["size"])),
                "fee": canonical_decimal(str(payload.get("fee") or "0")),
                "fee_currency": payload.get("fee_currency") or "USDC",
                "exchange_ts": _ts(payload, "created_at"),
            }
        )

    # ------------------------------------------------------------------ catch-up after an outage

    def recovered_fill(self, payload: dict[str, Any]) -> None:
        """A fill read over REST after a (re)connect: emitted, marked ``recovered``, unless the stream (or an
        earlier catch-up) already delivered it — fills are deduplicated by id on every path."""
        event = self.fill(payload, 0)
        if event is not None and self._emit is not None:
            self._emit({**event, "recovered": True})

    def recovered_order(self, payload: dict[str, Any]) -> None:
        """An order's state read over REST after a (re)connect. REST numbers its updates apart from the
        stream, so seq_no is not compared: a CLOSED state is emitted unless the order is already closed here,
        an open state only for an order the stream never showed (a REST place while the socket was down)."""
        closing = payload.get("status") == "CLOSED"
        if not closing and self._latest["order"].known(payload.get("id")):
            return
        if not self._seen["recovered"].first_time((compact_id(payload.get("id")), payload.get("status"))):
            return  # the same state from an earlier catch-up
        event = self.order({**payload, "seq_no": None}, 0)
        if event is not None and not closing:
            self._recovered_open.put(
                compact_id(payload.get("id")), (event["status"], event["remaining_size"])
            )
        if event is not None and self._emit is not None:
            self._emit({**event, "seq_no": _seq(payload), "recovered": True})

    def _where(self, order_id: Any, market: str) -> int | tuple[Any, str]:
        """A fill's order and market in one int (the order id times 4096 plus the market's index: ≈40 bytes,
        against ≈100 for a tuple of both); a tuple for an order id that is not a plain number."""
        key = compact_id(str(order_id))
        index = self._markets.get(market)
        if index is None and len(self._markets) < _MARKETS:
            index = self._markets[sys.intern(market)] = len(self._markets)
        if isinstance(key, int) and index is not None:
            return key * _MARKETS + index
        return (key, sys.intern(market))

    def _where_is(self, where: int | tuple[Any, str] | None) -> tuple[str | None, str | None]:
        """(order id, market) of a fill from :meth:`_where`; (None, None) for a fill not seen here."""
        if where is None:
            return None, None
        if isinstance(where, tuple):
            return str(where[0]), where[1]
        order_id, index = divmod(where, _MARKETS)
        return str(order_id), next(m for m, i in self._markets.items() if i == index)

    def position(self, payload: dict[str, Any], recv_us: int) -> dict[str, Any] | None:
        """``positions`` — ``{"market": "BTC-USD-PERP", "side": "SHORT", "size": "-0.01",
        "average_entry_price": "64999.9", "unrealized_pnl": "-0.05", "liquidation_price": "",
        "seq_no": …, "last_updated_at": …}`` (size is signed; a positive SHORT size is re-signed)."""
        if not self._newer("position", payload.get("market"), payload.get("seq_no")):
            return None
        size = canonical_decimal(str(payload.get("size") or "0"))
        if payload.get("side") == "SHORT" and not size.startswith("-") and size != "0":
            size = "-" + size
        side = "FLAT" if size == "0" else ("SHORT" if size.startswith("-") else "LONG")
        return self._out(
            {
                "type": "position",
                "seq": 0,
                "market": payload["market"],
                "side": side,
                "size": size,
                "average_entry_price": None
                if side == "FLAT"
                else optional_decimal(payload.get("average_entry_price")),
                "unrealized_pnl": optional_decimal(payload.get("unrealized_pnl")),
                "liquidation_price": _zero_is_none(optional_decimal(payload.get("liquidation_price"))),
                "exchange_ts": _ts(payload, "last_updated_at", "created_at"),
                "seq_no": _seq(payload),
            }
        )

    def account(self, payload: dict[str, Any], recv_us: int) -> dict[str, Any] | None:
        """``account`` — ``{"account_value": "136285.06918911", "free_collateral": "73276.47229774",
        "total_collateral": …, "initial_margin_requirement": …, "maintenance_margin_requirement": …,
        "status": "ACTIVE", "seq_no": …, "updated_at": 1681471234972}``"""
        if not self._newer("account", "account", payload.get("seq_no")):
            return None
        return self._out({**account_event(payload), "seq_no": _seq(payload)})

    def tradebust(self, payload: dict[str, Any], recv_us: int) -> dict[str, Any] | None:
        """``tradebusts`` — ``{"account": "0x…", "busted_fill_id": "12342345", "created_at": 1681497002041}``
        (asyncapi ``ResponsesTradebustResult``): a fill retracted by the chain. Emitted once per fill id, with
        the fill's order and market when this process saw the fill."""
        fill_id = str(payload["busted_fill_id"])
        if not self._first("bust", fill_id):
            return None
        order_id, market = self._where_is(self._fills.get(compact_id(fill_id)))
        return self._out(
            {
                "type": "fill_bust",
                "seq": 0,
                "fill_id": fill_id,
                "order_id": order_id,
                "market": market,
                "exchange_ts": _ts(payload, "created_at"),
            }
        )

    # SBE twins: paradex-py's decoded models (``paradex_py.api.sbe.codec.*EventData``) → the JSON shapes.

    def order_sbe(self, m: Any, recv_us: int) -> dict[str, Any] | None:
        return self.order(
            {
                "id": m.order_id,
                "client_id": m.client_order_id,
                "market": m.market,
                "side": m.side,
                "type": m.order_type,
                "status": m.status,
                "price": m.price,
                "size": m.size,
                "remaining_size": m.size_open,
                "avg_fill_price": m.avg_fill_price,
                "cancel_reason": m.cancel_reason,
                "seq_no": m.seq_no,
                "created_at": m.created_at,
                "last_updated_at": m.updated_at,
            },
            recv_us,
        )

    def fill_sbe(self, m: Any, recv_us: int) -> dict[str, Any] | None:
        return self.fill(
            {
                "id": m.fill_id,
                "order_id": m.order_id,
                "client_id": m.client_order_id,
                "market": m.market,
                "side": m.side,
                "liquidity": m.liquidity,
                "price": m.price,
                "size": m.size,
                "fee": m.fee,
                "fee_currency": m.fee_currency,
                "created_at": m.created_at,
            },
            recv_us,
        )

    def position_sbe(self, m: Any, recv_us: int) -> dict[str, Any] | None:
        return self.position(
            {
                "market": m.market,
                "side": m.side,
                "size": m.size,
                "average_entry_price": m.avg_entry_price,
                "unrealized_pnl": m.unrealized_pnl,
                "liquidation_price": m.liquidation_price,
                "seq_no": m.seq_no,
                "last_updated_at": m.updated_at,
            },
            recv_us,
        )

    def account_sbe(self, m: Any, recv_us: int) -> dict[str, Any] | None:
        return self.account(
            {
                "account_value": m.account_value,
                "free_collateral": m.free_collateral,
                "total_collateral": m.total_collateral,
                "initial_margin_requirement": m.initial_margin_req,
                "maintenance_margin_requirement": m.maintenance_margin_req,
                "status": m.status,
                "seq_no": m.seq_no,
                "updated_at": m.updated_at,
            },
            recv_us,
        )


def _seq(payload: dict[str, Any]) -> str | None:
    """The venue's seq_no as a string (19 digits do not survive a JavaScript number)."""
    seq_no = payload.get("seq_no")
    return str(seq_no) if isinstance(seq_no, int) and not isinstance(seq_no, bool) else None


def _zero_is_none(value: str | None) -> str | None:
    return None if value in (None, "0") else value


def account_event(payload: dict[str, Any]) -> dict[str, Any]:
    """An ``account`` event from an AccountSummary (WS payload or ``GET /account``)."""
    return {
        "type": "account",
        "seq": 0,
        "account_value": canonical_decimal(str(payload["account_value"])),
        "free_collateral": canonical_decimal(str(payload["free_collateral"])),
        "total_collateral": canonical_decimal(str(payload["total_collateral"])),
        "initial_margin_requirement": canonical_decimal(str(payload["initial_margin_requirement"])),
        "maintenance_margin_requirement": canonical_decimal(str(payload["maintenance_margin_requirement"])),
        "status": str(payload.get("status", "")),
        "exchange_ts": _ts(payload, "updated_at"),
    }
