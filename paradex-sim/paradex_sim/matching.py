"""The simulator's matching engine: orders → fills → positions → account, against the simulated book.

Taker flow (MARKET, IOC, the crossing part of a LIMIT): walk the opposite side of the public book best
first, consume what is taken (so the public book and trades show it) and fill at each level's price with the
taker fee. The rest of a GTC LIMIT rests (OPEN) and fills as a maker (maker fee, a rebate here) when the
market's touch reaches its price (:meth:`Exchange.sweep_resting`). MARKET orders stop at ``max_slippage``
(5 %) from the mid; IOC and MARKET remainders close with ``REMAINING_IOC_CANCEL``.

Risk is cross margin, as on Paradex: initial margin = notional x max(imf_base, 1/leverage) for positions
and open orders, maintenance = initial x mmf_factor; an order that would leave negative free collateral
closes with ``NOT_ENOUGH_MARGIN`` (Paradex accepts it as NEW first, then rejects it in the risk check).

Every change is published in the order Paradex uses: ``orders`` (NEW, then OPEN/CLOSED), ``fills``,
``positions``, ``account``. All amounts are e8 integers (markets.py), rendered as decimal strings on output.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from paradex_ws_service.paradex.signing import OrderHasher, verify_signature

from .accounts import ApiError, SimAccount
from .markets import E8, MARKETS, MarketSpec, e8_str, to_e8

MAX_SLIPPAGE = Decimal("0.05")
MAX_OPEN_ORDERS = 100  # per market and account (reference §2.6)
# When an order has no recv_window: 300000 ms on docs.paradex.trade/trading/receive-window; an older copy of
# that page (advanced-trading-features/receive-window) says 3600000 ms. The current page wins.
DEFAULT_RECV_WINDOW_MS = 300_000
BOOK_DEPTH = 15
HISTORY = 10_000

Publish = Callable[[str, dict[str, Any], str], None]  # (channel, payload, account address hex)


class Book(Protocol):
    """What the engine needs of the simulated market (``SimServer.market(symbol)``)."""

    def levels(self, side: int, depth: int = ...) -> list[tuple[int, int]]: ...
    def consume(self, side: int, price: int, size: int) -> None: ...
    def mid_e8(self) -> int: ...
    def best_prices(self) -> tuple[int, int]: ...


def _mul(a: int, b: int) -> int:
    """e8 x e8 → e8, truncated toward zero (signs matter: rebates and short positions are negative)."""
    product = a * b
    return product // E8 if product >= 0 else -((-product) // E8)


def _rate(text: str) -> int:
    return int(Decimal(text).scaleb(8))


@dataclass
class SimOrder:
    id: str
    account: str
    market: str
    side: str
    type: str
    size: int
    price: int  # 0 for MARKET
    instruction: str
    client_id: str
    flags: list[str]
    signature_ts: int
    conn_id: int | None
    created_at: int
    remaining: int = 0
    status: str = "NEW"
    cancel_reason: str = ""
    filled_notional: int = 0
    seq_no: int = 0
    last_updated_at: int = 0
    stp: str = "EXPIRE_TAKER"

    def __post_init__(self) -> None:
        self.remaining = self.size
        self.last_updated_at = self.created_at

    @property
    def sign(self) -> int:
        return 1 if self.side == "BUY" else -1

    @property
    def reduce_only(self) -> bool:
        return "REDUCE_ONLY" in self.flags

    def resp(self) -> dict[str, Any]:
        """OrderResp (reference §3.6)."""
        filled = self.size - self.remaining
        # "0" until something fills, as the openrpc spec's OrderResp says (reference §0a.5).
        avg = e8_str(self.filled_notional * E8 // filled) if filled else "0"
        return {
            "id": self.id,
            "account": self.account,
            "market": self.market,
            "side": self.side,
            "type": self.type,
            "size": e8_str(self.size),
            "remaining_size": e8_str(self.remaining),
            "price": e8_str(self.price),
            "status": self.status,
            "created_at": self.created_at,
            "last_updated_at": self.last_updated_at,
            "timestamp": self.signature_ts,
            "cancel_reason": self.cancel_reason,
            "client_id": self.client_id,
            "seq_no": self.seq_no,
            "instruction": self.instruction,
            "avg_fill_price": avg,
            "stp": self.stp,
            "received_at": self.created_at,
            "published_at": self.last_updated_at,
            "flags": list(self.flags),
            "trigger_price": "0",
        }


@dataclass
class SimPosition:
    market: str
    account: str
    size: int = 0  # signed e8
    avg_entry: int = 0
    realized: int = 0
    last_fill_id: str = ""
    seq_no: int = 0
    created_at: int = 0
    updated_at: int = 0
    closed_at: int | None = None


@dataclass
class Ledger:
    """Orders, positions and history of one account."""

    account: SimAccount
    open: dict[str, SimOrder] = field(default_factory=dict)
    positions: dict[str, SimPosition] = field(default_factory=dict)
    history: deque[SimOrder] = field(default_factory=lambda: deque(maxlen=HISTORY))
    fills: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    seq_no: int = 0


class Exchange:
    """Order entry, matching and account state for every simulated account."""

    def __init__(
        self, chain_id: int, book: Callable[[str], Book], publish: Publish, trade: Callable[..., None]
    ):
        self._chain_id = chain_id
        self._book = book
        self._publish = publish
        self._trade = trade  # (symbol, taker_side, price_e8, size_e8): public trade print
        self.ledgers: dict[str, Ledger] = {}
        self._hashers: dict[int, OrderHasher] = {}
        self._ids = itertools.count(1)
        self._fill_ids = itertools.count(1)
        self._last_seq = 0
        # How far the exchange's clock is ahead of ours, for the receive-window check only (a client whose
        # clock lags by more than the window sees every order refused): `POST /_sim/clock_offset`.
        self.clock_offset_ms = 0

    # ------------------------------------------------------------------ helpers

    def ledger(self, account: SimAccount) -> Ledger:
        ledger = self.ledgers.get(account.address_hex)
        if ledger is None:
            ledger = self.ledgers[account.address_hex] = Ledger(account)
        return ledger

    def _seq(self) -> int:
        """Paradex's seq_no: unique and increasing, not consecutive."""
        self._last_seq = max(self._last_seq + 1, time.time_ns())
        return self._last_seq

    @staticmethod
    def _now_ms() -> int:
        return time.time_ns() // 1_000_000

    def _spec(self, market: str) -> MarketSpec:
        spec = MARKETS.get(market)
        if spec is None:
            raise ApiError(400, "MARKET_NOT_FOUND", f"market {market} not found")
        return spec

    def _imf(self, account: SimAccount, spec: MarketSpec) -> Decimal:
        base = Decimal(spec.imf_base)
        lev = account.leverage.get(spec.symbol)
        return max(base, Decimal(1) / lev) if lev else base

    # ------------------------------------------------------------------ order entry

    def submit(
        self, account: SimAccount, public_key: int, params: Any, conn_id: int | None = None
    ) -> SimOrder:
        """Check and accept an order (status NEW); raises :class:`ApiError` as Paradex rejects it.

        The caller answers with ``order.resp()`` and then runs :meth:`process` (after the reply is queued).
        """
        if not isinstance(params, dict):
            raise ApiError(400, "VALIDATION_ERROR", "order must be an object")
        market = params.get("market")
        if not isinstance(market, str):
            raise ApiError(400, "VALIDATION_ERROR", "market is required")
        spec = self._spec(market)
        side, otype = params.get("side"), params.get("type")
        if side not in ("BUY", "SELL"):
            raise ApiError(400, "VALIDATION_ERROR", "side must be BUY or SELL")
        if otype not in ("MARKET", "LIMIT"):
            raise ApiError(400, "VALIDATION_ERROR", f"order type {otype!r} is not supported by the simulator")
        instruction = params.get("instruction") or "GTC"
        if instruction not in ("GTC", "IOC", "POST_ONLY"):
            raise ApiError(400, "VALIDATION_ERROR", f"instruction {instruction!r} is not supported")
        size, price = self._amounts(params, spec, otype)
        ts = params.get("signature_timestamp")
        if not isinstance(ts, int) or isinstance(ts, bool):
            raise ApiError(400, "INVALID_TIMESTAMP", "signature_timestamp must be an integer (ms)")
        recv_window = params.get("recv_window")
        if not isinstance(recv_window, int) or isinstance(recv_window, bool) or recv_window <= 0:
            recv_window = DEFAULT_RECV_WINDOW_MS  # absent (paradex-py sends null): Paradex's default applies
        now = self._now_ms()
        if now + self.clock_offset_ms > ts + recv_window:
            raise ApiError(
                400, "INVALID_TIMESTAMP", f"signature_timestamp is older than recv_window ({recv_window} ms)"
            )
        hasher = self._hashers.get(account.address)
        if hasher is None:
            hasher = self._hashers[account.address] = OrderHasher(self._chain_id, account.address)
        signature = params.get("signature")
        if not isinstance(signature, str) or not verify_signature(
            public_key, hasher.hash_order_dict(params), signature
        ):
            raise ApiError(400, "INVALID_ORDER_SIGNATURE", "order signature verification failed")
        ledger = self.ledger(account)
        client_id = params.get("client_id") or ""
        if not isinstance(client_id, str) or len(client_id) > 64:
            raise ApiError(400, "VALIDATION_ERROR", "client_id must be a string of at most 64 characters")
        if client_id and any(o.client_id == client_id for o in ledger.open.values()):
            raise ApiError(400, "DUPLICATED_CLIENT_ID", f"an open order already has client_id {client_id}")
        if sum(1 for o in ledger.open.values() if o.market == market) >= MAX_OPEN_ORDERS:
            raise ApiError(400, "VALIDATION_ERROR", f"at most {MAX_OPEN_ORDERS} open orders per market")
        flags = [f for f in params.get("flags") or [] if isinstance(f, str)]
        order = SimOrder(
            id=f"{now:013d}{next(self._ids):015d}",
            account=account.address_hex,
            market=market,
            side=side,
            type=otype,
            size=size,
            price=price,
            instruction=instruction,
            client_id=client_id,
            flags=flags,
            signature_ts=ts,
            conn_id=conn_id,
            created_at=now,
            stp=params.get("stp") or "EXPIRE_TAKER",
        )
        order.seq_no = self._seq()
        ledger.open[order.id] = order
        ledger.history.append(order)
        return order

    def _amounts(self, params: dict[str, Any], spec: MarketSpec, otype: str) -> tuple[int, int]:
        try:
            size = to_e8(str(params.get("size")))
            raw_price = params.get("price")
            price = 0 if otype == "MARKET" or raw_price in (None, "") else to_e8(str(raw_price))
        except (ValueError, ArithmeticError):
            raise ApiError(
                400, "INVALID_ORDER_SIZE", "size and price must be decimals with at most 8 places"
            ) from None
        if size <= 0 or size % spec.step_e8 or size > to_e8(spec.max_order_size):
            raise ApiError(
                400,
                "INVALID_ORDER_SIZE",
                f"size must be a positive multiple of {e8_str(spec.step_e8)} up to {spec.max_order_size}",
            )
        if otype == "LIMIT" and (price <= 0 or price % spec.tick_e8):
            raise ApiError(
                400, "INVALID_PRICE_PRECISION", f"price must be a multiple of {e8_str(spec.tick_e8)}"
            )
        reference = price or self._book(spec.symbol).mid_e8()
        if _mul(size, reference) < to_e8(spec.min_notional):
            raise ApiError(400, "INVALID_ORDER_SIZE", f"order notional is below {spec.min_notional} USD")
        return size, price

    # ------------------------------------------------------------------ processing

    def process(self, account: SimAccount, order: SimOrder) -> None:
        """Risk check, then match; publishes orders → fills → positions → account."""
        ledger = self.ledger(account)
        spec = self._spec(order.market)
        self._publish_order(ledger, order)  # NEW
        reason = self._risk_reject(ledger, order, spec)
        if reason:
            self._close(ledger, order, reason)
            self._publish_order(ledger, order)
            self._publish_account(ledger)
            return
        fills = self._match_taker(ledger, order, spec)
        if order.remaining and order.status != "CLOSED":
            if order.type == "MARKET" or order.instruction == "IOC":
                self._close(ledger, order, "REMAINING_IOC_CANCEL")
            else:
                order.status = "OPEN"
        elif not order.remaining:
            self._close(ledger, order, "")
        order.last_updated_at = self._now_ms()
        self._publish_order(ledger, order)
        self._after_fills(ledger, fills)

    def _risk_reject(self, ledger: Ledger, order: SimOrder, spec: MarketSpec) -> str:
        book = self._book(order.market)
        best_bid, best_ask = book.best_prices()
        if order.instruction == "POST_ONLY" and (
            (order.side == "BUY" and order.price >= best_ask)
            or (order.side == "SELL" and order.price <= best_bid)
        ):
            return "POST_ONLY_WOULD_CROSS"
        position = ledger.positions.get(order.market)
        held = position.size if position else 0
        if order.reduce_only and (held == 0 or (held > 0) == (order.sign > 0) or order.size > abs(held)):
            return "REDUCE_ONLY_WOULD_INCREASE"
        if order.reduce_only:
            return ""
        summary = self.summary(ledger, exclude=order.id)
        reference = order.price or book.mid_e8()
        required = int(Decimal(_mul(order.size, reference)) * self._imf(ledger.account, spec))
        if Decimal(summary["free_collateral_e8"]) < required:
            return "NOT_ENOUGH_MARGIN"
        return ""

    def _match_taker(self, ledger: Ledger, order: SimOrder, spec: MarketSpec) -> list[dict[str, Any]]:
        book = self._book(order.market)
        opposite = 1 if order.side == "BUY" else 0
        if order.type == "MARKET":
            mid = book.mid_e8()
            band = int(mid * MAX_SLIPPAGE)
            limit = mid + band if order.side == "BUY" else mid - band
        else:
            limit = order.price
        fee_rate = _rate(spec.fee_taker)
        fills = []
        for price, size in book.levels(opposite, BOOK_DEPTH):
            if not order.remaining:
                break
            if (order.side == "BUY" and price > limit) or (order.side == "SELL" and price < limit):
                break
            take = min(order.remaining, size)
            book.consume(opposite, price, take)
            self._trade(order.market, order.side, price, take)
            fills.append(self._fill(ledger, order, price, take, "TAKER", fee_rate))
        return fills

    def sweep_resting(self) -> None:
        """Fill resting orders the market has reached, as a maker at the order's price (periodic)."""
        for ledger in self.ledgers.values():
            touched: list[dict[str, Any]] = []
            for order in list(ledger.open.values()):
                if order.status != "OPEN":
                    continue
                book = self._book(order.market)
                best_bid, best_ask = book.best_prices()
                if order.side == "BUY" and best_ask <= order.price:
                    available = dict(book.levels(1, 1)).get(best_ask, 0)
                elif order.side == "SELL" and best_bid >= order.price:
                    available = dict(book.levels(0, 1)).get(best_bid, 0)
                else:
                    continue
                take = min(order.remaining, max(available, self._spec(order.market).step_e8))
                spec = self._spec(order.market)
                self._trade(order.market, "SELL" if order.side == "BUY" else "BUY", order.price, take)
                fill = self._fill(ledger, order, order.price, take, "MAKER", _rate(spec.fee_maker))
                if not order.remaining:
                    self._close(ledger, order, "")
                order.last_updated_at = self._now_ms()
                self._publish_order(ledger, order)
                touched.append(fill)
            if touched:
                self._after_fills(ledger, touched)

    def _fill(
        self, ledger: Ledger, order: SimOrder, price: int, size: int, liquidity: str, fee_rate: int
    ) -> dict[str, Any]:
        order.remaining -= size
        order.filled_notional += _mul(price, size)
        fee = _mul(_mul(price, size), fee_rate)
        position = self._apply(ledger, order.market, order.sign * size, price)
        realized = position.realized
        ledger.account.collateral_e8 -= fee
        # 28 digits, like Paradex's trade ids (which start with the millisecond timestamp too); the openapi
        # example is a 19-digit id. Consumers must treat ids as opaque strings, never as int64.
        fill_id = f"{self._now_ms():013d}{next(self._fill_ids):015d}"
        position.last_fill_id = fill_id
        fill = {
            "id": fill_id,
            "side": order.side,
            "liquidity": liquidity,
            "market": order.market,
            "order_id": order.id,
            "price": e8_str(price),
            "size": e8_str(size),
            "fee": e8_str(fee),
            "fee_currency": "USDC",
            "created_at": self._now_ms(),
            "remaining_size": e8_str(order.remaining),
            "client_id": order.client_id,
            "fill_type": "FILL",
            "realized_pnl": e8_str(realized),
            "realized_funding": "0",
            "account": order.account,
            "underlying_price": e8_str(self._book(order.market).mid_e8()),
            "flags": [],
        }
        ledger.fills.append(fill)
        return fill

    def _apply(self, ledger: Ledger, market: str, delta: int, price: int) -> SimPosition:
        """Update the position by a signed size at ``price``; realized PnL goes to collateral."""
        now = self._now_ms()
        position = ledger.positions.get(market)
        if position is None:
            position = ledger.positions[market] = SimPosition(
                market, ledger.account.address_hex, created_at=now
            )
        old = position.size
        new = old + delta
        position.realized = 0
        if old == 0 or (old > 0) == (delta > 0):  # opening or adding: weighted average entry
            total = abs(old) + abs(delta)
            position.avg_entry = (abs(old) * position.avg_entry + abs(delta) * price) // total
        else:  # reducing, closing or flipping
            closed = min(abs(old), abs(delta))
            pnl = _mul(closed, price - position.avg_entry) * (1 if old > 0 else -1)
            position.realized = pnl
            ledger.account.collateral_e8 += pnl
            if abs(delta) > abs(old):
                position.avg_entry = price
        position.size = new
        if new == 0:
            position.avg_entry = 0
            position.closed_at = now
        else:
            position.closed_at = None
        position.updated_at = now
        position.seq_no = self._seq()
        return position

    def _close(self, ledger: Ledger, order: SimOrder, reason: str) -> None:
        order.status = "CLOSED"
        order.cancel_reason = reason
        order.last_updated_at = self._now_ms()
        ledger.open.pop(order.id, None)

    # ------------------------------------------------------------------ cancels

    def find(
        self, account: SimAccount, order_id: str | None = None, client_id: str | None = None
    ) -> SimOrder:
        ledger = self.ledger(account)
        for order in reversed(ledger.history):
            if (order_id and order.id == order_id) or (client_id and order.client_id == client_id):
                return order
        if order_id:
            raise ApiError(404, "ORDER_ID_NOT_FOUND", f"order {order_id} not found")
        raise ApiError(404, "CLIENT_ORDER_ID_NOT_FOUND", f"order with client_id {client_id} not found")

    def cancel(self, account: SimAccount, order: SimOrder) -> None:
        """Close an open order as USER_CANCELED (the caller has answered QUEUED_FOR_CANCELLATION)."""
        ledger = self.ledger(account)
        if order.id not in ledger.open:
            return
        self._close(ledger, order, "USER_CANCELED")
        self._publish_order(ledger, order)
        self._publish_account(ledger)

    def check_cancellable(self, order: SimOrder) -> None:
        if order.status == "CLOSED":
            raise ApiError(400, "ORDER_IS_CLOSED", f"order {order.id} is already closed")

    def open_orders(self, account: SimAccount, market: str | None = None) -> list[SimOrder]:
        return [o for o in self.ledger(account).open.values() if market in (None, "", o.market)]

    def cancel_many(
        self, account: SimAccount, orders: Iterable[SimOrder], reason: str = "USER_CANCELED"
    ) -> int:
        ledger = self.ledger(account)
        count = 0
        for order in list(orders):
            if order.id in ledger.open:
                self._close(ledger, order, reason)
                self._publish_order(ledger, order)
                count += 1
        if count:
            self._publish_account(ledger)
        return count

    # ------------------------------------------------------------------ account views

    def summary(self, ledger: Ledger, exclude: str | None = None) -> dict[str, Any]:
        """AccountSummaryResponse (reference §3.9) plus e8 internals used by the risk check."""
        account = ledger.account
        upnl = imr = mmr = 0
        for position in ledger.positions.values():
            if not position.size:
                continue
            spec = self._spec(position.market)
            mark = self._book(position.market).mid_e8()
            upnl += _mul(position.size, mark - position.avg_entry)
            im = int(Decimal(_mul(abs(position.size), mark)) * self._imf(account, spec))
            imr += im
            mmr += int(im * Decimal(spec.mmf_factor))
        for order in ledger.open.values():
            if order.id == exclude or order.status != "OPEN":
                continue
            spec = self._spec(order.market)
            imr += int(Decimal(_mul(order.remaining, order.price)) * self._imf(account, spec))
        value = account.collateral_e8 + upnl
        ledger.seq_no = self._seq()
        return {
            "account": account.address_hex,
            "account_value": e8_str(value),
            "free_collateral": e8_str(value - imr),
            "initial_margin_requirement": e8_str(imr),
            "maintenance_margin_requirement": e8_str(mmr),
            "margin_cushion": e8_str(value - mmr),
            "settlement_asset": "USDC",
            "total_collateral": e8_str(value),
            "updated_at": self._now_ms(),
            "status": "ACTIVE",
            "seq_no": ledger.seq_no,
            "last_seen_notification": 0,
            "free_collateral_e8": value - imr,
        }

    def account_resp(self, ledger: Ledger) -> dict[str, Any]:
        summary = self.summary(ledger)
        summary.pop("free_collateral_e8")
        return summary

    def position_resp(self, ledger: Ledger, position: SimPosition) -> dict[str, Any]:
        spec = self._spec(position.market)
        mark = self._book(position.market).mid_e8()
        upnl = _mul(position.size, mark - position.avg_entry) if position.size else 0
        liquidation = ""
        if position.size:
            summary = self.summary(ledger)
            cushion = to_e8(summary["margin_cushion"])
            # Price at which the cushion is gone, other positions held still.
            liquidation = e8_str(max(0, mark - cushion * E8 // position.size))
        lev = ledger.account.leverage.get(spec.symbol) or int(1 / Decimal(spec.imf_base))
        return {
            "id": f"{position.account}-{position.market}",
            "account": position.account,
            "market": position.market,
            "status": "OPEN" if position.size else "CLOSED",
            "side": "SHORT" if position.size < 0 else "LONG",
            "size": e8_str(position.size),
            "average_entry_price": e8_str(position.avg_entry),
            "average_entry_price_usd": e8_str(position.avg_entry),
            "average_exit_price": "0",
            "unrealized_pnl": e8_str(upnl),
            "unrealized_funding_pnl": "0",
            "cost": e8_str(_mul(position.size, position.avg_entry)),
            "cost_usd": e8_str(_mul(position.size, position.avg_entry)),
            "cached_funding_index": "0",
            "last_fill_id": position.last_fill_id,
            "seq_no": position.seq_no,
            "liquidation_price": liquidation,
            "leverage": str(lev),
            "realized_positional_pnl": e8_str(position.realized),
            "realized_positional_funding_pnl": "0",
            "created_at": position.created_at,
            "last_updated_at": position.updated_at,
            "closed_at": position.closed_at,
        }

    # ------------------------------------------------------------------ publishing

    def _publish_order(self, ledger: Ledger, order: SimOrder) -> None:
        order.seq_no = self._seq()
        payload = order.resp()
        address = ledger.account.address_hex
        self._publish(f"orders.{order.market}", payload, address)
        self._publish("orders.ALL", payload, address)

    def _after_fills(self, ledger: Ledger, fills: list[dict[str, Any]]) -> None:
        address = ledger.account.address_hex
        markets = []
        for fill in fills:
            self._publish(f"fills.{fill['market']}", fill, address)
            self._publish("fills.ALL", fill, address)
            if fill["market"] not in markets:
                markets.append(fill["market"])
        for market in markets:
            self._publish("positions", self.position_resp(ledger, ledger.positions[market]), address)
        self._publish_account(ledger)

    def _publish_account(self, ledger: Ledger) -> None:
        self._publish("account", self.account_resp(ledger), ledger.account.address_hex)
