"""The simulator's trading half, plugged in through the server's extension seam (``install(server)``).

REST: ``/v1/onboarding``, ``/v1/auth[/{public_key}]``, ``/v1/orders`` (POST, GET, DELETE by id, by client
id, all), ``/v1/orders-history``, ``/v1/positions``, ``/v1/account``, ``/v1/balance``, ``/v1/fills``,
``/v1/account/margin``. WebSocket: ``order.create``, ``order.cancel``, ``order.cancel_all``,
``order.cancel_on_disconnect`` and the private channels ``orders.*``, ``fills.*``, ``positions``,
``account``. Bearer tokens are the simulator's own JWTs (accounts.py); the WS ``auth`` and handshake
use them through ``server.auth_verifier``.

Controls (``POST /_sim/<action>``): ``drop_after_order_received`` (``{"count": n}``: accept the next n
WebSocket orders, then cut the connection instead of acknowledging), ``duplicate_private`` (``{"count": n}``:
send the next n private payloads twice), ``delay_order_ack`` (``{"seconds": s, "count": n}``: the next n
WebSocket order acknowledgements leave s seconds late; the orders' updates do not wait),
``jwt_lifetime`` (``{"seconds"}``),
``account`` (``{"public_key", "address"?, "collateral"?}``: an onboarded account), ``subkey``
(``{"address", "public_key"}``), ``collateral`` (``{"address", "amount"}``); ``GET /_sim/trading``;
``GET /_sim/order_arrivals`` (when each order request arrived: the place-latency benchmark);
``GET /_sim/fills`` (every account's fills and orders as the exchange recorded them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from .accounts import DEFAULT_JWT_LIFETIME_S, Accounts, ApiError, SimAccount, TokenError
from .auth import MALFORMED_TOKEN, PERMISSION_DENIED, AuthedAccount, JsonRpcError
from .markets import e8_str, to_e8
from .matching import Exchange, SimOrder
from .server import error_response, json_response

if TYPE_CHECKING:
    from .server import Connection, SimServer

log = logging.getLogger("paradex_sim.trading")

SWEEP_INTERVAL_S = 0.05  # how often resting orders are checked against the moving touch
# A refused order RPC: the openrpc file lists only -32700…-32603, 4011x, 40300 and 42901 for `order.*`, and
# no page shows the error of an order Paradex refuses on its merits. The simulator answers -32602 "invalid
# method parameters" with Paradex's REST error code and message in `data` (`"NOT_ENOUGH_MARGIN: …"`); the
# docs' generic code 100 "method error" is never used, so no client can come to depend on it.
ORDER_RPC_ERROR = -32602
ORDER_RPC_MESSAGE = "Invalid method parameters"
RATE_LIMITED_RPC = 42901  # openrpc: "Rate limit exceeded" on every order.* method
# Orders (POST/PUT/DELETE /orders… and order.* RPCs) share one counter per account: 800 per second on
# Paradex (rate-limits page; a batch counts once).
ORDER_RATE_PER_S = 800
# REST answers number order updates on their own (reference §0a.7): the simulator offsets them far from the
# WebSocket's numbers, so a client that compares the two spaces fails visibly.
REST_SEQ_OFFSET = 5 * 10**18
COD_STATE = "cancel_on_disconnect"
# Paradex acknowledges an order as NEW and runs risk checks and matching right after: the updates follow the
# acknowledgement by a moment, not in the same write.
PROCESS_DELAY_S = 0.001


class Trading:
    """State of the trading extension of one SimServer."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        lifetime = float(os.environ.get("PARADEX_SIM_JWT_LIFETIME", DEFAULT_JWT_LIFETIME_S))
        self.accounts = Accounts(server.config.chain_id, lifetime)
        self.exchange = Exchange(self.accounts.chain_id, server.market, self._publish, server.emit_trade)
        self.drop_after_order_received = 0
        self.delay_ack = (0, 0.0)  # (next n order.create answers, sent this many seconds late)
        self.duplicate_private = 0  # the next n private payloads are sent twice
        self.stale_private = 0  # the next n order updates of `stale_status` arrive late (see _withhold)
        self.stale_status = "OPEN"
        self._late: dict[str, list[tuple[str, dict[str, Any], str]]] = {}  # order id → withheld frames
        self.limits = OrderRateLimit(ORDER_RATE_PER_S)
        # (client_id, wall-clock ns when the order request reached the handler): the place-latency bench.
        # (client id, received ns, signature timestamp, signature) per order request, as it arrived
        self.arrivals: deque[tuple[str, int, Any, Any]] = deque(maxlen=100_000)
        self.counters: dict[str, int] = {"orders_received": 0, "orders_rejected": 0, "drops_after_order": 0}

    def _publish(self, channel: str, payload: dict[str, Any], account: str) -> None:
        is_order = channel.startswith("orders.")
        if is_order and self._withhold(channel, payload, account):
            return
        self.server.publish(channel, payload, account=account)
        if self.duplicate_private > 0:  # Paradex has been seen to send an update twice (reference §2.8)
            self.duplicate_private -= 1
            self.server.publish(channel, payload, account=account)
        if is_order and channel.endswith(".ALL"):  # orders.{m} then orders.ALL: that update is out
            self._release_late(payload)

    def _withhold(self, channel: str, payload: dict[str, Any], account: str) -> bool:
        """``stale_private``: hold an order update back and deliver it after the order's next update (an
        OPEN arriving after CLOSED): private updates are not strictly ordered (reference §0a.7)."""
        if self.stale_private <= 0 or payload.get("status") != self.stale_status:
            return False
        held = self._late.setdefault(str(payload.get("id")), [])
        held.append((channel, dict(payload), account))
        if channel.endswith(".ALL"):
            self.stale_private -= 1
        return True

    def _release_late(self, payload: dict[str, Any]) -> None:
        late = self._late.pop(str(payload.get("id")), None)
        for channel, frame, account in late or ():
            self.server.publish(channel, frame, account=account)

    # ------------------------------------------------------------------ auth seam

    def verify_bearer(self, token: str) -> AuthedAccount:
        try:
            claims = self.accounts.verify_token(token)
        except TokenError as exc:
            if exc.expired:
                raise JsonRpcError(40111, "invalid bearer token", str(exc)) from None
            raise JsonRpcError(MALFORMED_TOKEN, "malformed bearer token") from None
        return AuthedAccount(str(claims["sub"]), claims)

    def _ws_account(self, conn: Connection) -> tuple[SimAccount, int]:
        authed = conn.account
        if authed is None:
            raise JsonRpcError(PERMISSION_DENIED, "permission denied", "authentication required")
        account = self.accounts.account_of(authed.address)
        if account is None:
            raise JsonRpcError(PERMISSION_DENIED, "permission denied", "unknown account")
        return account, int(str(authed.claims.get("pubkey", hex(account.main_key))), 16)

    # ------------------------------------------------------------------ WebSocket order RPCs

    def _ws_limit(self, account: SimAccount) -> None:
        if self.limits.take(account.address) is not None:
            self.counters["rate_limited"] = self.counters.get("rate_limited", 0) + 1
            raise JsonRpcError(RATE_LIMITED_RPC, "rate limit exceeded")

    async def ws_create(self, conn: Connection, params: Any) -> dict[str, Any]:
        received_ns = time.time_ns()
        account, key = self._ws_account(conn)
        self._ws_limit(account)
        self.counters["orders_received"] += 1
        self._arrived(params, received_ns)
        try:
            order = self.exchange.submit(account, key, params, conn.id)
        except ApiError as exc:
            self.counters["orders_rejected"] += 1
            raise _rpc_refusal(exc) from None
        self._process_soon(account, order)
        count, seconds = self.delay_ack
        if count > 0:
            self.delay_ack = (count - 1, seconds)
            conn.reply_delay_s = seconds
        if self.drop_after_order_received > 0:
            # The order is in; the acknowledgement never leaves: what a cut between the two looks like.
            self.drop_after_order_received -= 1
            self.counters["drops_after_order"] += 1
            conn.abort()
        return {"order": order.resp(), "created_at": order.created_at, "received_at": received_ns}

    def _arrived(self, params: Any, received_ns: int) -> None:
        fields = params if isinstance(params, dict) else {}
        self.arrivals.append(
            (
                str(fields.get("client_id") or ""),
                received_ns,
                fields.get("signature_timestamp"),
                fields.get("signature"),
            )
        )

    def _process_soon(self, account: SimAccount, order: SimOrder) -> None:
        # After the reply is sent: a client sees the acknowledgement before the order's updates.
        asyncio.get_running_loop().call_later(PROCESS_DELAY_S, self.exchange.process, account, order)

    async def ws_cancel(self, conn: Connection, params: Any) -> dict[str, Any]:
        account, _ = self._ws_account(conn)
        self._ws_limit(account)
        params = params if isinstance(params, dict) else {}
        try:
            order = self._lookup_for_cancel(
                account, params.get("id"), params.get("client_id"), params.get("market")
            )
        except ApiError as exc:
            raise _rpc_refusal(exc) from None
        asyncio.get_running_loop().call_soon(self.exchange.cancel, account, order)
        return {"order_id": order.id, "status": "QUEUED_FOR_CANCELLATION"}

    def _lookup_for_cancel(self, account: SimAccount, order_id: Any, client_id: Any, market: Any) -> SimOrder:
        if isinstance(order_id, str) and order_id:
            order = self.exchange.find(account, order_id=order_id)
        elif isinstance(client_id, str) and client_id:
            if not isinstance(market, str) or not market:
                raise ApiError(400, "VALIDATION_ERROR", "market is required with client_id")
            order = self.exchange.find(account, client_id=client_id)
        else:
            raise ApiError(400, "VALIDATION_ERROR", "id or client_id is required")
        self.exchange.check_cancellable(order)
        return order

    async def ws_cancel_all(self, conn: Connection, params: Any) -> dict[str, Any]:
        account, _ = self._ws_account(conn)
        self._ws_limit(account)
        market = params.get("market") if isinstance(params, dict) else None
        orders = self.exchange.open_orders(account, market)
        asyncio.get_running_loop().call_soon(self.exchange.cancel_many, account, orders)
        return {"status": "ok"}

    async def ws_cancel_on_disconnect(self, conn: Connection, params: Any) -> dict[str, Any]:
        self._ws_account(conn)
        enabled = params.get("enabled") if isinstance(params, dict) else None
        if not isinstance(enabled, bool):
            raise JsonRpcError(-32602, "invalid params", "enabled must be a boolean")
        conn.state[COD_STATE] = enabled
        return {"enabled": enabled}

    def on_disconnect(self, conn: Connection) -> None:
        """Cancel-on-disconnect: close the orders this connection placed, if it armed the flag."""
        if not conn.state.get(COD_STATE) or conn.account is None:
            return
        account = self.accounts.account_of(conn.account.address)
        if account is None:
            return
        orders = [o for o in self.exchange.open_orders(account) if o.conn_id == conn.id]
        count = self.exchange.cancel_many(account, orders)
        log.info("cancel-on-disconnect: connection %d closed, %d order(s) cancelled", conn.id, count)

    # ------------------------------------------------------------------ REST

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ApiError(400, "BINDING_ERROR", "body is not JSON") from None

    async def rest_onboarding(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        self.accounts.onboard(request.headers, await self._body(request))
        return json_response({})

    async def rest_onboarding_get(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        key = request.query.get("public_key", "")
        try:
            public_key = int(key, 16)
        except ValueError:
            raise ApiError(400, "INVALID_REQUEST_PARAMETER", "public_key must be hex") from None
        from paradex_py.account.utils import derive_l2_address_starknet

        address = derive_l2_address_starknet(self.accounts.config, public_key)
        exists = self.accounts.account_of(address) is not None
        return json_response(
            {
                "address": hex(address),
                "exists": exists,
                "account_signer_type": "starknet",
                "derivation_info": {},
            }
        )

    async def rest_auth(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        token = self.accounts.authenticate(request.headers, match.get("public_key"))
        return json_response({"jwt_token": token})

    def _rest_limit(self, account: SimAccount) -> None:
        reset = self.limits.take(account.address)
        if reset is not None:
            self.counters["rate_limited"] = self.counters.get("rate_limited", 0) + 1
            raise RateLimited(self.limits.per_s, reset, self.limits.window_s)

    async def rest_create(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        received_ns = time.time_ns()
        account, key = self.accounts.bearer(request.headers)
        self._rest_limit(account)
        self.counters["orders_received"] += 1
        body = await self._body(request)
        self._arrived(body, received_ns)
        try:
            order = self.exchange.submit(account, key, body)
        except ApiError:
            self.counters["orders_rejected"] += 1
            raise
        self._process_soon(account, order)
        return json_response(_rest_view(order), 201)

    async def rest_orders(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        orders = self.exchange.open_orders(account, request.query.get("market"))
        return json_response({"results": [_rest_view(o) for o in orders]})

    async def rest_order(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        """Only NEW/OPEN orders; an unknown or closed id answers 400 (openapi 1.132.1 lists no 404 here)."""
        account = self.accounts.bearer(request.headers)[0]
        try:
            order = self.exchange.find(account, order_id=match["order_id"])
        except ApiError as exc:
            raise ApiError(400, exc.code, exc.message) from None
        if order.status == "CLOSED":
            raise ApiError(400, "ORDER_IS_CLOSED", f"order {order.id} is closed")
        return json_response(_rest_view(order))

    async def rest_order_by_cid(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        try:
            order = self.exchange.find(account, client_id=match["client_id"])
        except ApiError as exc:
            raise ApiError(400, exc.code, exc.message) from None
        if order.status != "OPEN":
            raise ApiError(
                400, "CLIENT_ORDER_ID_NOT_FOUND", f"no open order with client_id {order.client_id}"
            )
        return json_response(_rest_view(order))

    async def rest_history(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        q = request.query
        results = [
            _rest_view(o)
            for o in reversed(self.exchange.ledger(account).history)
            if q.get("client_id") in (None, "", o.client_id) and q.get("market") in (None, "", o.market)
        ]
        return json_response(_page(results, q, "created_at"))

    async def rest_cancel(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        self._rest_limit(account)
        order = self._lookup_for_cancel(account, match["order_id"], None, None)
        self.exchange.cancel(account, order)
        return web.Response(status=204)

    async def rest_cancel_by_cid(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        self._rest_limit(account)
        order = self.exchange.find(account, client_id=match["client_id"])
        self.exchange.check_cancellable(order)
        self.exchange.cancel(account, order)
        return web.Response(status=204)

    async def rest_cancel_all(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        self._rest_limit(account)
        self.exchange.cancel_many(account, self.exchange.open_orders(account, request.query.get("market")))
        return web.Response(status=200)  # openapi: 200 with no body

    async def rest_positions(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        ledger = self.exchange.ledger(account)
        results = [self.exchange.position_resp(ledger, p) for p in ledger.positions.values() if p.size]
        return json_response({"results": results})

    async def rest_account(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        return json_response(self.exchange.account_resp(self.exchange.ledger(account)))

    async def rest_balance(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        now = time.time_ns() // 1_000_000
        return json_response(
            {"results": [{"token": "USDC", "size": e8_str(account.collateral_e8), "last_updated_at": now}]}
        )

    async def rest_fills(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        market = request.query.get("market")
        fills = [
            f for f in reversed(self.exchange.ledger(account).fills) if market in (None, "", f["market"])
        ]
        return json_response(_page(fills, request.query, "created_at"))

    async def rest_set_margin(self, request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        market = match["market"]
        spec = self.exchange._spec(market)
        body = await self._body(request)
        leverage, margin_type = body.get("leverage"), body.get("margin_type")
        max_leverage = int(1 / to_e8(spec.imf_base) * 10**8)
        if not isinstance(leverage, int) or isinstance(leverage, bool) or not 1 <= leverage <= max_leverage:
            raise ApiError(400, "INVALID_REQUEST_PARAMETER", f"leverage must be an integer 1..{max_leverage}")
        if margin_type != "CROSS":
            raise ApiError(400, "INVALID_REQUEST_PARAMETER", "the simulator supports margin_type CROSS only")
        account.leverage[market] = leverage
        return json_response(
            {"account": account.address_hex, "market": market, "leverage": leverage, "margin_type": "CROSS"}
        )

    async def rest_get_margin(self, request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        account = self.accounts.bearer(request.headers)[0]
        market = request.query.get("market")
        if not market:  # openapi 1.132.1: `market` is a required query parameter here
            raise ApiError(400, "VALIDATION_ERROR", "market is required")
        self.exchange._spec(market)
        configs = [
            {"market": m, "leverage": lev, "margin_type": "CROSS"}
            for m, lev in account.leverage.items()
            if market in (None, "", m)
        ]
        return json_response(
            {"account": account.address_hex, "margin_methodology": "cross_margin", "configs": configs}
        )

    # ------------------------------------------------------------------ controls

    async def ctl_drop_after_order(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        self.drop_after_order_received = int(body.get("count", 1))
        return {"armed": self.drop_after_order_received}

    async def ctl_delay_order_ack(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        self.delay_ack = (int(body.get("count", 1)), float(body.get("seconds", 1.0)))
        return {"armed": self.delay_ack[0], "seconds": self.delay_ack[1]}

    async def ctl_duplicate_private(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        self.duplicate_private = int(body.get("count", 1))
        return {"armed": self.duplicate_private}

    async def ctl_stale_private(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """``{"count": n, "status": "OPEN"}``: the next n order updates with that status are delivered
        after the order's following update instead of in their place."""
        self.stale_private = int(body.get("count", 1))
        self.stale_status = str(body.get("status", "OPEN"))
        return {"armed": self.stale_private, "status": self.stale_status}

    async def ctl_rate_limit(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """``{"per_s": n, "window_s": w}``: the order counter's limit per account and window (1 s unless
        given); ``{"count": n}``: the next n order requests (REST or WebSocket) are refused as over the limit
        whatever the counter says."""
        if "window_s" in body:
            window = int(body["window_s"])
            if not 1 <= window <= 3600:
                raise ValueError("window_s must be in [1, 3600]")
            self.limits.window_s = window
        if "per_s" in body:
            per_s = int(body["per_s"])
            if not 1 <= per_s <= 100_000:
                raise ValueError("per_s must be in [1, 100000]")
            self.limits.per_s = per_s
        if "count" in body:
            self.limits.forced = int(body["count"])
        return {"per_s": self.limits.per_s, "window_s": self.limits.window_s, "forced": self.limits.forced}

    async def ctl_expire_jwt(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"expired": self.accounts.expire_all()}

    async def ctl_clock_offset(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        offset = int(body["ms"])
        if abs(offset) > 86_400_000:
            raise ValueError("ms must be within a day")
        self.exchange.clock_offset_ms = offset
        return {"ms": offset}

    async def ctl_bust_fill(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """Bust a fill (``{"fill_id"}``, or the newest fill of ``{"address"}``/any account): a ``tradebusts``
        frame to its account, and the fill leaves ``GET /fills``. Positions are not re-stated."""
        wanted = body.get("fill_id")
        for ledger in self.exchange.ledgers.values():
            if body.get("address") and int(str(body["address"]), 16) != ledger.account.address:
                continue
            for fill in reversed(ledger.fills):
                if wanted in (None, fill["id"]):
                    ledger.fills.remove(fill)
                    payload = {
                        "account": ledger.account.address_hex,
                        "busted_fill_id": fill["id"],
                        "created_at": time.time_ns() // 1_000_000,
                    }
                    self.server.publish("tradebusts", payload, account=ledger.account.address_hex)
                    return {"busted_fill_id": fill["id"]}
        raise ValueError("no such fill")

    async def ctl_jwt_lifetime(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        seconds = float(body["seconds"])
        if not 0 < seconds <= 86400:
            raise ValueError("seconds must be in (0, 86400]")
        self.accounts.jwt_lifetime = seconds
        return {"seconds": seconds}

    async def ctl_account(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        key = int(str(body["public_key"]), 16)
        address = int(str(body["address"]), 16) if body.get("address") else None
        try:
            account = self.accounts.create(key, address)
        except ApiError as exc:  # a control answers 400 with the message
            raise ValueError(exc.message) from None
        if "collateral" in body:
            account.collateral_e8 = to_e8(str(body["collateral"]))
        return {"address": account.address_hex}

    async def ctl_subkey(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        address, key = int(str(body["address"]), 16), int(str(body["public_key"]), 16)
        try:
            account = self.accounts.add_subkey(address, key)
        except ApiError as exc:
            raise ValueError(exc.message) from None
        return {"address": account.address_hex}

    async def ctl_collateral(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts.account_of(str(body["address"]))
        if account is None:
            raise ValueError("no such account")
        account.collateral_e8 = to_e8(str(body["amount"]))
        return {"collateral": e8_str(account.collateral_e8)}

    async def ctl_arrivals(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """``GET /_sim/order_arrivals``: when each order request arrived, with its signature timestamp and
        signature (``?clear=1`` empties the list)."""
        out = [list(a) for a in self.arrivals]
        if request.query.get("clear") in ("1", "true"):
            self.arrivals.clear()
        return {"arrivals": out}

    async def ctl_fills(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """``GET /_sim/fills``: the exchange's own record, every account, oldest first — fills (id, order,
        client id, market, time) and orders (id, client id, status): the truth a fault test holds a client's
        stream against, read without a bearer token or paging."""
        fills, orders = [], []
        for ledger in self.exchange.ledgers.values():
            fills += [
                {k: f.get(k) for k in ("id", "order_id", "client_id", "market", "created_at")}
                for f in ledger.fills
            ]
            for order in [*ledger.history, *ledger.open.values()]:
                view = order.resp()
                orders.append({k: view.get(k) for k in ("id", "client_id", "market", "type", "status")})
        fills.sort(key=lambda f: f.get("created_at") or 0)
        return {"fills": fills, "orders": orders}

    async def ctl_state(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "counters": dict(self.counters),
            "tokens_issued": self.accounts.tokens_issued,
            "jwt_lifetime": self.accounts.jwt_lifetime,
            "accounts": [
                {
                    "address": ledger.account.address_hex,
                    "collateral": e8_str(ledger.account.collateral_e8),
                    "open_orders": [o.resp() for o in ledger.open.values()],
                    "orders": len(ledger.history),
                    "positions": {m: e8_str(p.size) for m, p in ledger.positions.items()},
                }
                for ledger in self.exchange.ledgers.values()
            ],
        }

    async def sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                self.exchange.sweep_resting()
            except Exception:  # a bug here must not stop every later maker fill
                log.exception("resting-order sweep failed")


class RateLimited(Exception):
    """Over the order counter: HTTP 429 with the x-ratelimit-* headers paradex-py reads."""

    def __init__(self, limit: int, reset_s: int, window_s: int) -> None:
        super().__init__("rate limit exceeded")
        self.limit, self.reset_s, self.window_s = limit, reset_s, window_s


class OrderRateLimit:
    """A fixed window per account (one second, as Paradex counts; tests lengthen it so a window boundary
    cannot fall inside an assertion), shared by REST and WebSocket order requests."""

    def __init__(self, per_s: int) -> None:
        self.per_s = per_s  # requests allowed per window
        self.window_s = 1
        self.forced = 0  # the next n requests are refused whatever the counter says (a control)
        self._windows: dict[int, tuple[int, int]] = {}  # account → (window number, requests in it)

    def take(self, account: int) -> int | None:
        """Count one request; ``None`` when allowed, else the Unix second at which the window resets."""
        window = int(time.time()) // self.window_s
        current, used = self._windows.get(account, (window, 0))
        if current != window:
            used = 0
        reset = (window + 1) * self.window_s
        if self.forced > 0:
            self.forced -= 1
            return reset
        if used >= self.per_s:
            return reset
        self._windows[account] = (window, used + 1)
        return None


def _rpc_refusal(exc: ApiError) -> JsonRpcError:
    return JsonRpcError(ORDER_RPC_ERROR, ORDER_RPC_MESSAGE, f"{exc.code}: {exc.message}")


MAX_PAGE_SIZE = 5000  # the public API's paged listings: page_size defaults to 100 (paradex-py's docstrings)


def _page(rows: list[dict[str, Any]], q: Any, ts_key: str) -> dict[str, Any]:
    """A paged listing as the REST API pages one: newest first, ``start_at``/``end_at`` (ms, inclusive)
    on ``ts_key``, ``page_size`` (default 100), an opaque ``next`` cursor while more remain."""
    try:
        start = int(q.get("start_at") or 0)
        end = int(q.get("end_at") or 0)
        size = int(q.get("page_size") or 100)
        offset = int(str(q.get("cursor") or "o0").removeprefix("o"))
    except ValueError:
        raise ApiError(400, "INVALID_REQUEST_PARAMETER", "start_at, end_at, page_size and cursor") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, "INVALID_REQUEST_PARAMETER", f"page_size must be 1..{MAX_PAGE_SIZE}")
    kept = [r for r in rows if r.get(ts_key, 0) >= start and (not end or r.get(ts_key, 0) <= end)]
    page = kept[offset : offset + size]
    more = offset + size < len(kept)
    prev = f"o{max(0, offset - size)}" if offset else None
    return {"next": f"o{offset + size}" if more else None, "prev": prev, "results": page}


def _rest_view(order: SimOrder) -> dict[str, Any]:
    """An order as REST shows it: its own ``seq_no`` space (see REST_SEQ_OFFSET)."""
    resp = order.resp()
    resp["seq_no"] = order.seq_no + REST_SEQ_OFFSET
    return resp


def _rest(handler: Any) -> Any:
    """Turn :class:`ApiError` into Paradex's JSON error body, :class:`RateLimited` into a 429."""

    async def wrapped(request: web.Request, match: dict[str, str]) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request, match)
            return response
        except ApiError as exc:
            return json_response(exc.body(), exc.status)
        except RateLimited as exc:
            response = error_response(429, "RATE_LIMIT_EXCEEDED", "rate limit exceeded")
            response.headers.update(
                {
                    "x-ratelimit-limit": str(exc.limit),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(exc.reset_s),
                    "x-ratelimit-window": str(exc.window_s),
                }
            )
            return response

    return wrapped


def install(server: SimServer) -> Trading:
    """Plug trading into ``server`` (called by the server's extension loader at start)."""
    t = Trading(server)
    server.auth_verifier = t.verify_bearer
    for pattern in (r"orders\.[A-Za-z0-9-]+", r"fills\.[A-Za-z0-9-]+", r"positions", r"account"):
        server.register_private_channel(pattern)
    server.register_ws_method("order.create", t.ws_create)
    server.register_ws_method("order.cancel", t.ws_cancel)
    server.register_ws_method("order.cancel_all", t.ws_cancel_all)
    server.register_ws_method("order.cancel_on_disconnect", t.ws_cancel_on_disconnect)
    server.on_disconnect(t.on_disconnect)
    routes = [
        ("POST", "/v1/onboarding", t.rest_onboarding),
        ("GET", "/v1/onboarding", t.rest_onboarding_get),
        ("POST", "/v1/auth", t.rest_auth),
        ("POST", "/v1/auth/{public_key}", t.rest_auth),
        ("POST", "/v1/orders", t.rest_create),
        ("GET", "/v1/orders", t.rest_orders),
        ("DELETE", "/v1/orders", t.rest_cancel_all),
        ("GET", "/v1/orders/{order_id}", t.rest_order),
        ("DELETE", "/v1/orders/{order_id}", t.rest_cancel),
        ("GET", "/v1/orders/by_client_id/{client_id}", t.rest_order_by_cid),
        ("DELETE", "/v1/orders/by_client_id/{client_id}", t.rest_cancel_by_cid),
        ("GET", "/v1/orders-history", t.rest_history),
        ("GET", "/v1/positions", t.rest_positions),
        ("GET", "/v1/account", t.rest_account),
        ("GET", "/v1/balance", t.rest_balance),
        ("GET", "/v1/fills", t.rest_fills),
        ("GET", "/v1/account/margin", t.rest_get_margin),
        ("POST", "/v1/account/margin/{market}", t.rest_set_margin),
    ]
    for method, path, handler in routes:  # later registrations win: by_client_id after {order_id}
        server.register_rest(method, path, _rest(handler))
    controls = {
        ("POST", "drop_after_order_received"): t.ctl_drop_after_order,
        ("POST", "jwt_lifetime"): t.ctl_jwt_lifetime,
        ("POST", "duplicate_private"): t.ctl_duplicate_private,
        ("POST", "delay_order_ack"): t.ctl_delay_order_ack,
        ("POST", "stale_private"): t.ctl_stale_private,
        ("POST", "rate_limit"): t.ctl_rate_limit,
        ("POST", "expire_jwt"): t.ctl_expire_jwt,
        ("POST", "clock_offset"): t.ctl_clock_offset,
        ("POST", "bust_fill"): t.ctl_bust_fill,
        ("POST", "account"): t.ctl_account,
        ("POST", "subkey"): t.ctl_subkey,
        ("POST", "collateral"): t.ctl_collateral,
        ("GET", "trading"): t.ctl_state,
        ("GET", "order_arrivals"): t.ctl_arrivals,
        ("GET", "fills"): t.ctl_fills,
    }
    for (method, action), control in controls.items():
        server.register_control(method, action, control)
    server.spawn(t.sweep_loop(), "paradex-sim-trading-sweep")
    server.trading = t  # type: ignore[attr-defined]
    return t
