"""Orders and account views through paradex-py: place / cancel / cancel_all / snapshot / balance / klines /
set_leverage, from typed requests (requests.py), idempotent by client id, never sending an order twice.
Failures are :class:`ParadexError` (errors.py); this module knows nothing of stdin commands.

``place``: check against market metadata (validate.py) → sign with the fast signer (signing.py, passed
to paradex-py as its ``Signer``) → ``order.create`` over the WebSocket when connected, else ``POST /orders``
(paradex-py's REST client is built with ``retry_strategy=None``). When the acknowledgement does not come
(the connection drops, or ``--order-timeout``), the order is *not* resent: it is looked up by its client id
in ``GET /orders-history`` (a few tries, as a just-received order may still be in flight) and the command
is answered from what Paradex has, or ``OUTCOME_UNKNOWN``. A repeated client id waits for and returns the
first outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from paradex_py.api.ws_client import ParadexWebsocketClient, WsRpcError
from paradex_py.common.order import Order, OrderSide, OrderType
from websockets.exceptions import ConnectionClosed

from paradex_ws_service import protocol as p
from paradex_ws_service.memo import FirstOutcomes, Mismatch, client_id_key, digest
from paradex_ws_service.paradex import sdk_compat
from paradex_ws_service.paradex.auth import Auth
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.paradex.private import PrivateNormalizers, account_event
from paradex_ws_service.paradex.requests import CancelRequest, KlinesRequest, LeverageRequest, PlaceRequest
from paradex_ws_service.paradex.signing import FastOrderSigner, NoncePool
from paradex_ws_service.paradex.validate import check_market_rules

log = logging.getLogger(__name__)

# Speculative signing: the (timestamp, market, side, type) part of the hash is computed ahead for a recent
# timestamp, every PREFIX_REFRESH_S; an order may then carry a signature timestamp up to PREFIX_MAX_AGE_MS old
# (Paradex reads it as the signing time and a nonce; only an explicit recv_window bounds its age).
PREFIX_REFRESH_S = 0.25
PREFIX_MAX_AGE_MS = 1000
PRESIGN_KINDS = 8  # kinds of order (market, side, type) whose prefixes are kept fresh
LOOKUP_TRIES = 4
LOOKUP_SPACING_S = 0.25
REMEMBERED = 10_000  # settled client ids kept for deduplication (orders in flight are never forgotten)
_NOT_FOUND_CODES = ("ORDER_ID_NOT_FOUND", "CLIENT_ORDER_ID_NOT_FOUND", "ORDER_IS_CLOSED", "NOT_FOUND")
# JSON-RPC codes of order.* answers (openrpc 1.3.1). Only these decide what happened; the Paradex error
# code (NOT_ENOUGH_MARGIN…) that may ride in `message` or `data` is reported, never switched on, except to
# tell "not found" from other refusals of a cancel.
RPC_RATE_LIMITED = 42901
RPC_INTERNAL = -32603  # the exchange failed while handling it: the order may or may not exist
CATCHUP_OVERLAP_MS = 5_000  # re-read this much before the last fill seen: clocks and REST lag differ
CATCHUP_PAGE_SIZE = 100
# 100,000 rows per listing at most (a runaway cursor must end); a listing cut there is an error: the window
# is kept, so nothing older than the rows read is given up silently.
CATCHUP_MAX_PAGES = 1_000
CATCHUP_RETRIES = 5  # a catch-up whose REST reads failed is tried again after 1, 2, 3… s
CATCHUP_RETRY_S = 1.0
RATE_LIMIT_BACKOFF_S = 1.0  # order limits are per second; a refusal without x-ratelimit-reset waits this
RATE_LIMIT_BACKOFF_MAX_S = 8.0
_PARADEX_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


@dataclass(frozen=True)
class TradingOptions:
    dry_run: bool = False
    max_notional: Decimal | None = None
    cancel_on_disconnect: bool = False
    order_timeout_s: float = 5.0
    presign_markets: tuple[str, ...] = ()  # markets whose hash prefixes are kept precomputed
    pooled_nonces: bool = False  # sign with random nonces whose k·G is done ahead (signing.NoncePool)


class _Unknown(Exception):
    """No acknowledgement: the order may or may not be on the book."""


class OrderManager:
    """The trading command handlers of one run (one account)."""

    def __init__(
        self,
        auth: Auth | None,
        client: Callable[[], ParadexWebsocketClient],
        connected: asyncio.Event,
        connection_lost: Callable[[], asyncio.Future[str]],
        markets: Callable[[], dict[str, dict[str, Any]]],
        touch: Mapping[str, tuple[str | None, str | None]],
        options: TradingOptions,
        public_api: Any = None,
        private: PrivateNormalizers | None = None,
    ) -> None:
        """``connection_lost()``: a future that completes when the current connection ends (done when there
        is none). ``touch``: market → (bid, ask) from the bbo stream (the feed's). ``public_api``: a
        paradex-py ``ParadexApiClient`` without an account, for public REST (klines) without credentials."""
        self._auth = auth
        self._public = public_api
        self._private = private  # holds an order's events while it is in flight (see private.py)
        self._client = client
        self._connected = connected
        self._connection_lost = connection_lost
        self._markets = markets
        self._touch = touch
        self.options = options
        self._signer: FastOrderSigner | None = None
        self._prefix_task: asyncio.Future[None] | None = None
        self._prefix_wake = asyncio.Event()  # set after an order used a timestamp: precompute the next one
        # recent kinds of order (market, side, type) → their last size (a bot's usual size is a good guess)
        self._kinds: OrderedDict[tuple[str, str, str], str | None] = OrderedDict()
        self._just_used: tuple[str, str, str] | None = None
        self._nonce_task: asyncio.Future[None] | None = None
        self._nonce_wake = asyncio.Event()  # set when an order took a nonce: draw the next one
        self._by_client_id = FirstOutcomes(REMEMBERED, client_id_key)  # client id → its first outcome
        self._last_ts = 0
        self._rate_limited_until = 0.0  # monotonic: no order is sent before this after a 429 / 42901
        self._rate_backoff_s = RATE_LIMIT_BACKOFF_S
        self.sent = {"ws": 0, "rest": 0, "recovered": 0, "unknown": 0}
        self.caught_up = {"fills": 0, "orders": 0, "runs": 0}
        self._started_ms = int(time.time() * 1000)
        self._catchup_task: asyncio.Future[None] | None = None
        self._catchup_again = False
        # Where the next catch-up starts reading fills: the newest fill seen before the stream last broke
        # (less the overlap). Kept until a catch-up has read past it, so neither a failed catch-up nor fills
        # streamed after the reconnect can move it beyond a fill the outage hid.
        self._gap_from_ms: int | None = None

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _sdk_errors(self, op: str) -> Iterator[None]:
        """paradex-py's failure forms as :class:`ParadexError`: a transport error means REST is unreachable,
        a ``ValueError`` is how the SDK reports an API error answer (a rate limit among them)."""
        try:
            yield
        except (httpx.TransportError, OSError) as exc:
            raise ParadexError(p.ERR_NOT_CONNECTED, f"{op}: Paradex REST unreachable: {exc}") from None
        except ValueError as exc:
            raise self._rest_refusal(op, exc) from None

    def require_auth(self) -> Auth:
        """The account, or ``ParadexError(CREDENTIALS)`` saying how to give one."""
        return self._require_auth()

    def _require_auth(self) -> Auth:
        if self._auth is None:
            raise ParadexError(
                p.ERR_CREDENTIALS,
                "trading needs credentials: set PARADEX_L2_ADDRESS + PARADEX_L2_PRIVATE_KEY (or "
                "PARADEX_L1_ADDRESS + PARADEX_L2_PRIVATE_KEY / PARADEX_L1_PRIVATE_KEY) in the environment "
                "or .env.paradex",
            )
        return self._auth

    def attach_auth(self, auth: Auth) -> None:
        """The account, when it arrives after start (a public-only run logs in on its first command)."""
        self._auth = auth
        self._signer = None
        self.start_warm_up()

    def start_warm_up(self) -> None:
        """Start keeping hash prefixes precomputed (``presign_markets``); the signer needs nothing else."""
        if self._auth is not None and self.options.presign_markets and self._prefix_task is None:
            self._prefix_task = asyncio.ensure_future(self._prefix_loop())
        if self._auth is not None and self.options.pooled_nonces and self._nonce_task is None:
            self._nonce_task = asyncio.ensure_future(self._nonce_loop())

    def signer(self) -> FastOrderSigner:
        if self._signer is None:
            self._signer = self._require_auth().signer()
        return self._signer

    async def _nonce_loop(self) -> None:
        """Keep the signer's nonce pool full, one ``k·G`` (≈0.3 ms) per turn of the loop, so market data
        and commands interleave with the refill; woken when an order took a nonce."""
        pool = NoncePool()
        self.signer().nonces = pool
        while True:
            if pool.refill_one():
                await asyncio.sleep(0)  # one k·G per turn of the loop
                continue
            self._nonce_wake.clear()
            await self._nonce_wake.wait()

    async def _prefix_loop(self) -> None:
        """Keep the hash prefixes of likely orders computed for a fresh timestamp (see PREFIX_REFRESH_S).

        Every tick refreshes each kind of order (market, side, type) seen lately, or, before any order,
        LIMIT and MARKET on both sides of the configured markets; right after an order only its own kind
        is refreshed, so a burst of orders is not slowed by work for kinds it does not use.
        """
        signer = self.signer()
        for market in self.options.presign_markets:
            for side in ("BUY", "SELL"):
                for order_type in ("LIMIT", "MARKET"):
                    self._kinds.setdefault((market, side, order_type), None)
        while True:
            used = self._just_used
            self._just_used = None
            kinds = [used] if used is not None else list(self._kinds)
            ts = max(time.time_ns() // 1_000_000, self._last_ts + 1)
            signer.forget_prefixes(ts - PREFIX_MAX_AGE_MS)
            for kind in kinds:
                signer.precompute(ts, *kind, size=self._kinds.get(kind))
                await asyncio.sleep(0)  # ≈0.5 ms each: never hold the loop longer than that
            self._prefix_wake.clear()
            if self._just_used is None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._prefix_wake.wait(), PREFIX_REFRESH_S)

    async def _rest(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A private REST call on a thread. A 401 for an expired JWT (the gateway's bare
        ``{"message": "missing or malformed jwt: token is expired…"}``, which paradex-py raises as
        ``ValueError("HTTP 401: …")``) was refused before anything happened, so it is re-authenticated and
        sent once more: the outcome is then definite either way, and no order can be doubled by it."""
        auth = self._require_auth()
        assert auth.api is not None
        try:
            return await asyncio.to_thread(fn, *args)
        except ValueError as exc:
            if not _is_expired_jwt(exc):
                raise
        log.warning("401 (JWT expired) on %s; re-authenticating and sending it again", fn.__name__)
        await auth.ensure_fresh(force=True)
        return await asyncio.to_thread(fn, *args)

    # ------------------------------------------------------------------ rate limits

    def _check_rate_limit(self, op: str) -> None:
        """After a 429 / 42901, orders are refused here until the window passed: nothing is sent."""
        wait = self._rate_limited_until - time.monotonic()
        if wait > 0:
            raise ParadexError(
                p.ERR_RATE_LIMITED,
                f"{op}: Paradex rate limit; backing off, not sent (retry in {wait * 1000:.0f} ms)",
            )

    def _rate_limited(self, op: str, reset_unix_s: float | None = None) -> ParadexError:
        """Start (or lengthen) the backoff and say so. The request was refused, never retried here."""
        if reset_unix_s is not None and reset_unix_s > time.time():
            wait = min(reset_unix_s - time.time(), RATE_LIMIT_BACKOFF_MAX_S)
        else:
            wait = self._rate_backoff_s
            self._rate_backoff_s = min(self._rate_backoff_s * 2, RATE_LIMIT_BACKOFF_MAX_S)
        self._rate_limited_until = time.monotonic() + wait
        return ParadexError(
            p.ERR_RATE_LIMITED,
            f"{op}: Paradex rate limit exceeded; not sent again (backing off {wait * 1000:.0f} ms)",
        )

    def _rest_refusal(self, op: str, exc: ValueError) -> ParadexError:
        if _is_rate_limit(exc):
            api = self._auth.api if self._auth is not None else None
            info = getattr(api, "last_rate_limit", None)
            return self._rate_limited(op, getattr(info, "reset", None))
        # A refused order's message starts with Paradex's code (PROTOCOL.md); other commands name themselves.
        prefix = "" if op == "place" else f"{op}: "
        return ParadexError(p.ERR_REJECTED, prefix + _rest_message(exc))

    def _rpc_refusal(self, op: str, exc: WsRpcError) -> ParadexError:
        if exc.code == RPC_RATE_LIMITED:
            return self._rate_limited(op)
        code = p.ERR_NOT_FOUND if _paradex_code(exc) in _NOT_FOUND_CODES else p.ERR_REJECTED
        prefix = "" if op == "place" else f"{op}: "
        return ParadexError(code, prefix + _rpc_message(exc))

    def _ws_ready(self) -> ParadexWebsocketClient | None:
        client = self._client()
        if (
            self._connected.is_set()
            and getattr(client, "ws", None) is not None
            and client.account is not None
        ):
            return client
        return None

    async def _ws_call(
        self, make: Callable[[ParadexWebsocketClient], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """An order RPC over the WebSocket; raises :class:`_Unknown` if the link drops or times out."""
        client = self._ws_ready()
        if client is None:
            raise _Unknown("not connected")
        lost = self._connection_lost()
        task = asyncio.ensure_future(make(client))
        waiting: set[asyncio.Future[Any]] = {task, lost}
        try:
            done, _ = await asyncio.wait(
                waiting, timeout=self.options.order_timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                try:
                    return task.result()
                except (ConnectionClosed, OSError) as exc:  # the link broke under the send or the wait
                    raise _Unknown(f"the connection dropped: {type(exc).__name__}: {exc}") from None
            if lost.done():
                raise _Unknown("the connection dropped before the acknowledgement")
            raise _Unknown(f"no acknowledgement within {self.options.order_timeout_s:g} s")
        finally:
            if not task.done():
                task.cancel()

    # ------------------------------------------------------------------ place

    async def place(self, request: PlaceRequest) -> dict[str, Any]:
        with self._sdk_errors("place"):
            self._require_auth()
            await self._check(request)
            return await self._place_once(request)

    async def _place_once(self, request: PlaceRequest) -> dict[str, Any]:
        asked = digest(repr(request.fingerprint()))
        try:
            previous = self._by_client_id.first(request.client_id, asked)
        except Mismatch:
            raise ParadexError(
                p.ERR_CLIENT_ID_REUSED,
                f"place: client_id {request.client_id!r} was already used for a different order",
            ) from None
        if previous is not None:
            result: dict[str, Any] = await previous
            return result
        self._by_client_id.begin(request.client_id, asked)
        try:
            result = await self._place(request)
        except BaseException as exc:
            error = exc if isinstance(exc, ParadexError) else _internal(exc)
            if isinstance(exc, ParadexError) and exc.code == p.ERR_RATE_LIMITED:
                # Definitely not placed: the same client_id may be placed again once the backoff is over.
                self._by_client_id.forget(request.client_id, error)
            else:
                self._by_client_id.fail(request.client_id, error)
            raise
        self._by_client_id.succeed(request.client_id, result)
        return result

    async def _check(self, request: PlaceRequest) -> None:
        markets = self._markets()
        reference = None
        if request.order_type == "MARKET" and request.market in markets:
            reference = await self._reference_price(request.market)
        check_market_rules(request, markets, reference, self.options.max_notional)

    async def _reference_price(self, market: str) -> Decimal | None:
        bid, ask = self._touch.get(market, (None, None))
        if bid and ask:
            return (Decimal(bid) + Decimal(ask)) / 2
        try:
            bbo = await self._rest(self._api().fetch_bbo, market)
            return (Decimal(bbo["bid"]) + Decimal(bbo["ask"])) / 2
        except Exception as exc:
            log.warning("no reference price for %s: %s", market, exc)
            return None

    def _api(self) -> Any:
        auth = self._require_auth()
        assert auth.api is not None
        return auth.api

    def _timestamp(self, request: PlaceRequest, signer: FastOrderSigner) -> int:
        """Signature timestamps are nonces: strictly increasing milliseconds. A recent one whose hash prefix
        is already computed is preferred to now (it saves four of the nine Pedersen hashes)."""
        now = time.time_ns() // 1_000_000
        floor = max(self._last_ts + 1, now - PREFIX_MAX_AGE_MS)
        ts = signer.prefixed_timestamp(request.market, request.side, request.order_type, floor)
        if ts is None or ts > now:
            ts = max(now, self._last_ts + 1)
        self._last_ts = ts
        kind = (request.market, request.side, request.order_type)
        self._kinds[kind] = str(request.size)
        self._kinds.move_to_end(kind)
        while len(self._kinds) > PRESIGN_KINDS:
            self._kinds.popitem(last=False)
        self._just_used = kind
        self._prefix_wake.set()
        return ts

    def _order(self, request: PlaceRequest, signer: FastOrderSigner) -> Order:
        return Order(
            market=request.market,
            order_type=OrderType.Market if request.order_type == "MARKET" else OrderType.Limit,
            order_side=OrderSide.Buy if request.side == "BUY" else OrderSide.Sell,
            size=request.size,
            limit_price=request.price if request.price is not None else Decimal(0),
            client_id=request.client_id,
            signature_timestamp=self._timestamp(request, signer),
            instruction=request.tif,
            reduce_only=request.reduce_only,
        )

    async def _place(self, request: PlaceRequest) -> dict[str, Any]:
        base = {"client_id": request.client_id, "market": request.market, "side": request.side}
        if self.options.dry_run:
            return {
                **base,
                "dry_run": True,
                "type": request.order_type,
                "size": str(request.size),
                "price": None if request.price is None else str(request.price),
                "status": "NOT_SENT",
            }
        self._check_rate_limit("place")
        signer = self.signer()
        order = self._order(request, signer)
        if self._private is not None:
            self._private.hold(request.client_id)
        try:
            if self._ws_ready() is not None:
                self.sent["ws"] += 1
                reply = await self._ws_call(lambda c: c.submit_order(order, signer=signer))
                resp, via = reply.get("order", reply), "ws"
            else:
                self.sent["rest"] += 1
                resp, via = await self._rest_submit(order, signer), "rest"
        except WsRpcError as exc:
            if exc.code == RPC_INTERNAL:  # failed inside the exchange: look it up, never resend
                return await self._recover(request, f"Paradex error {exc.code} {exc.message}")
            raise self._rpc_refusal("place", exc) from None
        except _Unknown as exc:
            return await self._recover(request, str(exc))
        finally:
            if self._private is not None:
                self._private.release(request.client_id)
            self._nonce_wake.set()
        self._rate_backoff_s = RATE_LIMIT_BACKOFF_S  # an accepted order ends the doubling
        if via == "rest":  # placed while the socket was down: its updates may never stream
            self._schedule_catch_up()
        return {**base, **_order_summary(resp), "via": via}

    async def _rest_submit(self, order: Order, signer: FastOrderSigner) -> dict[str, Any]:
        try:
            resp = await self._rest(self._api().submit_order, order, signer)
        except ValueError as exc:
            if _gateway_failure(exc):  # a proxy's 5xx can follow an order the exchange accepted
                raise _Unknown(str(exc)[:200]) from None
            raise self._rest_refusal("place", exc) from None  # Paradex's own refusal: definite
        except Exception as exc:  # transport error or timeout: the outcome is unknown
            raise _Unknown(f"{type(exc).__name__}: {exc}") from None
        if not isinstance(resp, dict):
            raise _Unknown("empty answer to POST /orders")
        return resp

    async def _recover(self, request: PlaceRequest, why: str) -> dict[str, Any]:
        """Find out from Paradex whether an unacknowledged order exists; never send it again."""
        log.warning("order %s: %s; looking it up by client_id", request.client_id, why)
        for attempt in range(LOOKUP_TRIES):
            if attempt:
                await asyncio.sleep(LOOKUP_SPACING_S)
            try:
                found = await self._rest(
                    self._api().fetch_orders_history,
                    {"client_id": request.client_id, "market": request.market},
                )
            except Exception as exc:
                log.warning("lookup of %s failed: %s", request.client_id, exc)
                continue
            for resp in found.get("results", []) if isinstance(found, dict) else []:
                if resp.get("client_id") == request.client_id:
                    self.sent["recovered"] += 1
                    return {
                        "client_id": request.client_id,
                        "market": request.market,
                        "side": request.side,
                        **_order_summary(resp),
                        "via": "lookup",
                        "recovered": True,
                    }
        self.sent["unknown"] += 1
        raise ParadexError(
            p.ERR_OUTCOME_UNKNOWN,
            f"place: {why}, and no order with client_id {request.client_id!r} was found afterwards; "
            "it was not resent. Check with snapshot, then place again under a new client_id if needed",
        )

    async def order_by_client_id(self, client_id: str, market: str | None) -> dict[str, Any]:
        """One order by client id, open or closed (the ``order`` op).

        How a consumer whose previous sidecar died with a ``place`` in flight learns that order's definite
        outcome. Closed orders are in the order history; open ones (Paradex's history may leave them out) are
        asked for by client id. ``NOT_FOUND`` when Paradex has neither.
        """
        with self._sdk_errors("order"):
            self._require_auth()
            query = {"client_id": client_id} if market is None else {"client_id": client_id, "market": market}
            found = await self._rest(self._api().fetch_orders_history, query)
            candidates = list(found.get("results", [])) if isinstance(found, dict) else []
            if not any(r.get("client_id") == client_id for r in candidates):
                try:
                    candidates.append(await self._rest(self._api().fetch_order_by_client_id, client_id))
                except ValueError as exc:  # a 4xx; only "not found" means there is no open order
                    if "NOT_FOUND" not in _rest_message(exc):
                        raise
            for resp in candidates:
                if isinstance(resp, dict) and resp.get("client_id") == client_id:
                    where = {"client_id": client_id, "market": resp.get("market"), "side": resp.get("side")}
                    return {**where, **_order_summary(resp)}
            raise ParadexError(p.ERR_NOT_FOUND, f"order: Paradex has no order with client_id {client_id!r}")

    # ------------------------------------------------------------------ cancels

    async def cancel(self, request: CancelRequest) -> dict[str, Any]:
        with self._sdk_errors("cancel"):
            return await self._cancel(request)

    async def _cancel(self, request: CancelRequest) -> dict[str, Any]:
        self._require_auth()
        order_id, client_id, market = request.order_id, request.client_id, request.market
        try:
            if self._ws_ready() is not None:
                if order_id:
                    reply = await self._ws_call(lambda c: c.cancel_order(order_id))
                elif client_id is not None and market is not None:  # parse_cancel guarantees one or the other
                    reply = await self._ws_call(lambda c: c.cancel_order_by_client_id(client_id, market))
                else:
                    raise ParadexError(p.ERR_BAD_PARAMS, "cancel: give order_id, or client_id and market")
                return {
                    "order_id": reply.get("order_id", order_id),
                    "client_id": client_id,
                    "status": reply.get("status", "QUEUED_FOR_CANCELLATION"),
                    "via": "ws",
                }
            if order_id:
                await self._rest(self._api().cancel_order, order_id)
            else:
                await self._rest(self._api().cancel_order_by_client_id, client_id)
            return {
                "order_id": order_id,
                "client_id": client_id,
                "status": "QUEUED_FOR_CANCELLATION",
                "via": "rest",
            }
        except WsRpcError as exc:
            raise self._rpc_refusal("cancel", exc) from None
        except ValueError as exc:
            text = _rest_message(exc)
            if text.startswith(_NOT_FOUND_CODES):
                raise ParadexError(p.ERR_NOT_FOUND, "cancel: " + text) from None
            raise self._rest_refusal("cancel", exc) from None
        except _Unknown as exc:
            raise ParadexError(p.ERR_TIMEOUT, f"cancel: {exc}; check with snapshot") from None

    async def cancel_all(self, market: str | None) -> dict[str, Any]:
        with self._sdk_errors("cancel_all"):
            return await self._cancel_all(market)

    async def _cancel_all(self, market: str | None) -> dict[str, Any]:
        self._require_auth()
        try:
            if self._ws_ready() is not None:
                reply = await self._ws_call(lambda c: c.cancel_all_orders(market))
                return {"status": reply.get("status", "ok"), "market": market, "via": "ws"}
            await self._rest(self._api().cancel_all_orders, {"market": market} if market else None)
            return {"status": "ok", "market": market, "via": "rest"}
        except WsRpcError as exc:
            raise self._rpc_refusal("cancel_all", exc) from None
        except _Unknown as exc:
            raise ParadexError(p.ERR_TIMEOUT, f"cancel_all: {exc}; check with snapshot") from None

    async def on_connected(self, client: ParadexWebsocketClient) -> None:
        """Re-arm cancel-on-disconnect on every new connection (it is per connection on Paradex), then read
        what the stream may have missed while it was down (subscriptions are live again, so nothing after
        this point can fall between the two)."""
        self._note_gap()
        self._connection_lost().add_done_callback(lambda _lost: self._note_gap())
        self._schedule_catch_up()
        if self.options.cancel_on_disconnect and self._auth is not None:
            reply = await asyncio.wait_for(client.cancel_on_disconnect(True), self.options.order_timeout_s)
            log.info("cancel-on-disconnect armed: %s", reply)

    def _note_gap(self, floor_ms: int | None = None) -> None:
        """From here on (or from ``floor_ms``) fills may not stream: the next catch-up starts no later."""
        if self._private is None:
            return
        if floor_ms is None:
            floor_ms = max(0, (self._private.last_fill_ms or self._started_ms) - CATCHUP_OVERLAP_MS)
        if self._gap_from_ms is None or floor_ms < self._gap_from_ms:
            self._gap_from_ms = floor_ms

    def _schedule_catch_up(self) -> None:
        """Run a catch-up now, or right after the one in progress (whose window may end too early)."""
        if self._auth is None or self._private is None:
            return
        self._note_gap()
        if self._catchup_task is not None and not self._catchup_task.done():
            self._catchup_again = True
            return
        self._catchup_again = False
        self._catchup_task = asyncio.ensure_future(self._catch_up_loop())

    async def _catch_up_loop(self) -> None:
        failures = 0
        while True:
            if await self.catch_up():
                failures = 0
            elif failures < CATCHUP_RETRIES:  # REST failed: try again soon, not only at the next reconnect
                failures += 1
                await asyncio.sleep(CATCHUP_RETRY_S * failures)
                self._catchup_again = True
            if not self._catchup_again:
                return
            self._catchup_again = False

    async def catch_up(self) -> bool:
        """Fills since the last one seen before the gap (with an overlap, deduplicated by id) and the final
        state of orders that changed meanwhile, over REST, emitted as ordinary ``fill``/``order`` events
        marked ``recovered``: after an outage the consumer never has to ask Paradex itself. False when
        REST failed (the window is kept for the next try)."""
        private = self._private
        if private is None:
            return True
        self._note_gap()
        since, self._gap_from_ms = self._gap_from_ms or 0, None
        api = self._api()
        try:
            fills = await self._pages(api.fetch_fills, {"start_at": since})
            orders = await self._pages(api.fetch_orders_history, {"start_at": since})
            open_now = await self._rest(api.fetch_orders, None)
        except Exception as exc:
            log.warning("catch-up after reconnect failed: %s", exc)
            self._note_gap(since)
            return False
        self.caught_up["runs"] += 1
        before = private.duplicates
        for order in sorted(orders, key=lambda o: o.get("last_updated_at") or o.get("created_at") or 0):
            private.recovered_order(order)
        for fill in sorted(fills, key=lambda f: f.get("created_at") or 0):
            private.recovered_fill(fill)
        if not await self._closed_since(open_now):
            self._note_gap(since)
            return False
        log.info(
            "catch-up since %d: %d fills, %d orders read (%d already seen)",
            since,
            len(fills),
            len(orders),
            private.duplicates - before,
        )
        self.caught_up["fills"] += len(fills)
        self.caught_up["orders"] += len(orders)
        return True

    async def _closed_since(self, open_now: Any) -> bool:
        """Orders last seen open that Paradex no longer lists as open ended during the gap; one created
        before the catch-up's window is not in the history it read, so its final state is looked up by
        client id. False when a lookup failed."""
        private = self._private
        assert private is not None
        rows = open_now.get("results", []) if isinstance(open_now, dict) else []
        still_open = {str(o.get("id")) for o in rows if isinstance(o, dict)}
        ok = True
        for order_id, client_id in list(private.open_orders.items()):
            if order_id in still_open or order_id not in private.open_orders or not client_id:
                continue  # open, closed meanwhile, or not ours to find by client id (placed elsewhere)
            try:
                found = await self._rest(self._api().fetch_orders_history, {"client_id": client_id})
            except Exception as exc:
                log.warning("catch-up: lookup of order %s failed: %s", order_id, exc)
                ok = False
                continue
            for row in found.get("results", []) if isinstance(found, dict) else []:
                if isinstance(row, dict) and str(row.get("id")) == order_id and row.get("status") == "CLOSED":
                    private.recovered_order(row)
        return ok

    async def _pages(self, fetch: Callable[..., Any], params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of a cursor-paged REST listing; raises when it does not end within the bound (a cut
        listing would lose the rows past it without a word)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(CATCHUP_MAX_PAGES):
            query = {**params, "page_size": CATCHUP_PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            page = await self._rest(fetch, query)
            if not isinstance(page, dict):
                return out
            out.extend(r for r in page.get("results", []) if isinstance(r, dict))
            cursor = page.get("next") or None
            if cursor is None:
                return out
        raise RuntimeError(f"listing longer than {CATCHUP_MAX_PAGES * CATCHUP_PAGE_SIZE} rows since {params}")

    # ------------------------------------------------------------------ account views

    async def snapshot(self, fills_since: int | None = None) -> dict[str, Any]:
        with self._sdk_errors("snapshot"):
            out = await self._snapshot()
            if fills_since is not None:  # a consumer's own cursor: every fill since, oldest first
                view = PrivateNormalizers()
                fills = await self._pages(self._api().fetch_fills, {"start_at": fills_since})
                rows = sorted(fills, key=lambda f: f.get("created_at") or 0)
                out["fills"] = [_strip(view.fill(f, 0)) for f in rows]
            return out

    async def _snapshot(self) -> dict[str, Any]:
        api = self._api()
        orders, positions, account, balances = await asyncio.gather(
            self._rest(api.fetch_orders, None),
            self._rest(api.fetch_positions),
            self._rest(api.fetch_account_summary),
            self._rest(api.fetch_balances),
        )
        view = PrivateNormalizers()
        return {
            "orders": [_strip(view.order(o, 0)) for o in orders.get("results", [])],
            "positions": [_strip(view.position(x, 0)) for x in positions.get("results", [])],
            "account": _strip(account_event(dataclasses.asdict(account))),
            "balances": _balances(balances),
        }

    async def balance(self) -> dict[str, Any]:
        with self._sdk_errors("balance"):
            return await self._balance()

    async def _balance(self) -> dict[str, Any]:
        api = self._api()
        account, balances = await asyncio.gather(
            self._rest(api.fetch_account_summary), self._rest(api.fetch_balances)
        )
        return {
            "balances": _balances(balances),
            "account": _strip(account_event(dataclasses.asdict(account))),
        }

    async def klines(self, request: KlinesRequest) -> dict[str, Any]:
        with self._sdk_errors("klines"):
            api = self._api() if self._auth is not None else self._public
            if api is None:
                raise ParadexError(p.ERR_NOT_CONNECTED, "klines: no REST endpoint is configured")
            minutes = request.minutes
            try:
                raw = await asyncio.to_thread(
                    api.fetch_klines, request.market, str(minutes), request.start_ms, request.end_ms
                )
            except ValueError as exc:
                raise ParadexError(p.ERR_REJECTED, "klines: " + _rest_message(exc)) from None
            width = minutes * 60_000
            rows = raw.get("results", []) if isinstance(raw, dict) else []
            return {"klines": [_kline(row, width) for row in rows]}

    async def set_leverage(self, request: LeverageRequest) -> dict[str, Any]:
        with self._sdk_errors("set_leverage"):
            market, leverage = request.market, request.leverage
            if market not in self._markets():
                raise ParadexError(p.ERR_UNKNOWN_MARKET, f"set_leverage: unknown market {market!r}")
            api = self._api()
            if self.options.dry_run:
                return {"market": market, "leverage": str(leverage), "dry_run": True}
            try:
                reply = await self._rest(
                    sdk_compat.post_authorized,
                    api,
                    f"account/margin/{market}",
                    {"leverage": leverage, "margin_type": "CROSS"},
                )
            except ValueError as exc:
                raise ParadexError(p.ERR_REJECTED, "set_leverage: " + _rest_message(exc)) from None
            return {
                "market": market,
                "leverage": str(reply.get("leverage", leverage)),
                "margin_type": "CROSS",
            }


# ------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------


def _internal(exc: BaseException) -> ParadexError:
    return ParadexError(p.ERR_INTERNAL, f"{type(exc).__name__}: {exc}")


def _paradex_code(exc: WsRpcError) -> str | None:
    """The Paradex error code (``ORDER_ID_NOT_FOUND``…) an order RPC error carries, in ``data`` or in
    ``message``: no page documents where, so both are read."""
    for text in (exc.data, exc.message):
        if isinstance(text, str):
            found = _PARADEX_CODE.search(text)
            if found:
                return found.group(0)
    return None


def _rpc_message(exc: WsRpcError) -> str:
    """``NOT_ENOUGH_MARGIN: … (JSON-RPC -32602 Invalid method parameters)``: Paradex's code first when the
    error carries one (PROTOCOL.md promises it), then the JSON-RPC code and message."""
    data = exc.data if isinstance(exc.data, str) and exc.data else None
    text = data or str(exc.message)
    code = _paradex_code(exc)
    if code is not None and not text.startswith(code):
        text = f"{code}: {text}"
    return f"{text} (JSON-RPC {exc.code} {exc.message})"


def _is_rate_limit(exc: Exception) -> bool:
    """paradex-py turns every 429 into ``ValueError("Rate limit exceeded")``."""
    return str(exc).startswith("Rate limit exceeded")


def _is_expired_jwt(exc: Exception) -> bool:
    text = str(exc)
    return text.startswith("HTTP 401") and "expired" in text


def _gateway_failure(exc: Exception) -> bool:
    """A 5xx whose body is not Paradex's error JSON (paradex-py then reports ``HTTP <status>: <body>``): a
    gateway or load balancer answered, not the exchange, so whether the order was accepted is unknown."""
    return re.match(r"HTTP 5\d\d\b", str(exc)) is not None


def _rest_message(exc: Exception) -> str:
    """paradex-py raises ``ValueError(str(ApiError))``; keep Paradex's code first in the message."""
    text = str(exc)
    for marker in ("error='", 'error="', "'error': '"):
        if marker in text:
            code = text.split(marker, 1)[1].split(marker[-1], 1)[0]
            message = text.split("message=", 1)[1] if "message=" in text else text
            message = re.sub(r",\s*data=.*$", "", message.rstrip(") ")).strip("'\" ")
            return f"{code}: {message}"
    return text


def _order_summary(resp: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": str(resp.get("id", "")),
        "status": resp.get("status", "NEW"),
        "type": resp.get("type"),
        "size": resp.get("size"),
        "price": None if resp.get("type") == "MARKET" else resp.get("price"),
        "remaining_size": resp.get("remaining_size"),
        "cancel_reason": resp.get("cancel_reason") or None,
    }


def _strip(event: dict[str, Any] | None) -> dict[str, Any]:
    """A snapshot entry: no line fields, and no seq_no (REST numbers updates in its own space)."""
    return {k: v for k, v in (event or {}).items() if k not in ("type", "seq", "seq_no")}


def _balances(raw: Any) -> list[dict[str, str]]:
    results = raw.get("results", []) if isinstance(raw, dict) else []
    return [
        {"token": str(b.get("token")), "size": p.canonical_decimal(str(b.get("size", "0")))} for b in results
    ]


def _kline(row: Any, width_ms: int) -> list[Any]:
    """``[ts, o, h, l, c, v]`` (numbers on the wire) → ``[openTime, o, h, l, c, v, closeTime]`` (strings)."""
    ts = int(row[0])
    values = [p.canonical_decimal(str(Decimal(str(v)))) for v in row[1:6]]
    return [ts, *values, ts + width_ms - 1]
