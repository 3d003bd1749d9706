"""The official EdgeX Python SDK (edgex-python-sdk 2.0.1) driven as an oracle for our TypeScript client.

Reads one JSON job on stdin, writes one JSON result on stdout. Runs in .venv-oracle only (test-only install).

- ``capture``: with the clock pinned (``time.time``/``time.time_ns``), send the SDK's createOrder for every
  order of the matrix, its cancels and private GETs, and its private-socket handshake to ``baseUrl``/``wsUrl``
  (a capture server of the test, which records what arrives). The test compares those bytes with what our
  client sends for the same inputs.
- ``live``: the SDK against the EdgeX simulator with the real clock: every call the SDK makes must be
  accepted, and a tampered ``l2Signature``, HMAC or handshake must be refused.

Nothing secret is printed: the job carries the simulator's public test credentials only, and results carry
codes, ids and error texts of the server's refusals.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from edgex_sdk import Client
from edgex_sdk.internal.async_client import AsyncClient
from edgex_sdk.order.types import (
    CancelOrderParams,
    CreateOrderParams,
    GetActiveOrderParams,
    OrderFillTransactionParams,
    OrderSide,
)
from edgex_sdk.ws.manager import Manager

Job = dict[str, Any]
Result = dict[str, Any]


def pin_clock(now_ms: int) -> None:
    """Pin the wall clock the SDK reads (request timestamp, order expiry, default client id)."""
    # +0.5 ms: the SDK computes int(time.time() * 1000); a float exactly at the millisecond could truncate
    # to the one before.
    seconds = (now_ms + 0.5) / 1000
    time.time = lambda: seconds  # type: ignore[assignment]
    time.time_ns = lambda: now_ms * 1_000_000  # type: ignore[assignment]


def sdk_client(job: Job, api_secret: str | None = None) -> Client:
    return Client(
        base_url=job["baseUrl"],
        account_id=int(job["accountId"]),
        api_key=job["apiKey"],
        api_passphrase=job["passphrase"],
        api_secret=api_secret if api_secret is not None else job["apiSecret"],
        trading_private_key=job["signerKey"],
    )


def order_params(o: Job) -> CreateOrderParams:
    return CreateOrderParams(
        contract_id=o["contractId"],
        price=o.get("price", "0"),
        size=o["size"],
        type=o["type"],
        side=o["side"],
        client_order_id=o["clientOrderId"],
    )


async def call(label: str, coro: Any) -> Result:
    """One SDK call: its reply code (and data), or the error it raised (a refusal arrives as ValueError)."""
    try:
        reply = await coro
    except Exception as err:  # the SDK raises ValueError for HTTP errors; anything else is reported too
        return {"step": label, "ok": False, "error": f"{type(err).__name__}: {err}"}
    code = reply.get("code") if isinstance(reply, dict) else None
    data = reply.get("data") if isinstance(reply, dict) else None
    return {"step": label, "ok": code == "SUCCESS", "code": code, "data": data}


def ws_connect(job: Job, api_secret: str | None = None, wait_s: float = 5.0) -> Result:
    """The SDK's private-socket handshake; waits for its first frame when the server accepts it."""
    manager = Manager(
        base_url=job["wsUrl"],
        account_id=int(job["accountId"]),
        api_key=job["apiKey"],
        api_passphrase=job["passphrase"],
        api_secret=api_secret if api_secret is not None else job["apiSecret"],
    )
    first: list[str] = []
    got = threading.Event()

    def on_frame(message: str) -> None:
        first.append(message)
        got.set()

    client = manager.get_private_client()
    client.on_message_hook(on_frame)
    try:
        manager.connect_private()
    except Exception as err:
        return {"step": "private-ws", "ok": False, "error": f"{type(err).__name__}: {err}"}
    try:
        if not got.wait(wait_s):
            return {"step": "private-ws", "ok": False, "error": f"no frame within {wait_s} s"}
        frame = json.loads(first[0])
        return {"step": "private-ws", "ok": True, "firstType": frame.get("type")}
    finally:
        manager.disconnect_private()


async def capture(job: Job) -> Result:
    pin_clock(int(job["nowMs"]))
    out: list[Result] = []
    async with sdk_client(job) as client:
        for o in job["orders"]:
            out.append(await call(f"create {o['clientOrderId']}", client.create_order(order_params(o))))
        for c in job.get("cancels", []):
            params = CancelOrderParams(
                order_id=c.get("orderId", ""),
                client_order_id=c.get("clientOrderId", ""),
                contract_id=c.get("contractId", ""),
            )
            out.append(await call("cancel", client.cancel_order(params)))
        out.append(await call("orders-by-id", client.order.get_orders_by_id(job["orderIds"])))
        out.append(
            await call(
                "orders-by-client-id", client.order.get_orders_by_client_order_id(job["clientOrderIds"])
            )
        )
        active = GetActiveOrderParams(size="200", filter_contract_id_list=job["contractIds"])
        out.append(await call("active-orders", client.get_active_orders(active)))
        fills = OrderFillTransactionParams(size="100", filter_order_id_list=job["orderIds"])
        out.append(await call("fills", client.get_order_fill_transactions(fills)))
        out.append(await call("account-asset", client.get_account_asset()))
    out.append(ws_connect(job, wait_s=0.5))
    return {"results": out}


def tamper(signature: str) -> str:
    """Flip one hex digit of r: still 65 bytes of hex, but no longer this order's signature."""
    return ("1" if signature[0] != "1" else "2") + signature[1:]


async def live(job: Job) -> Result:
    out: list[Result] = []
    btc, eth = job["contractIds"][0], job["contractIds"][1]
    async with sdk_client(job) as client:
        out.append(await call("server-time", client.get_server_time()))
        out.append(await call("metadata", client.metadata.get_metadata()))
        meta = (await client.get_metadata())["data"]
        ticks = {c["contractId"]: Decimal(c["tickSize"]) for c in meta["contractList"]}
        ticker = await call("ticker", client.get_24_hour_quote(btc))
        out.append(ticker)
        oracle = Decimal(ticker["data"][0]["oraclePrice"])

        def resting(side: str) -> str:
            """A price inside the simulator's band but 3 % away from the oracle: the order rests."""
            factor = Decimal("0.97") if side == "BUY" else Decimal("1.03")
            rounding = ROUND_FLOOR if side == "BUY" else ROUND_CEILING
            tick = ticks[btc]
            return format((oracle * factor / tick).to_integral_value(rounding=rounding) * tick, "f")

        ids: dict[str, str] = {}
        for n, side in enumerate(["BUY", "SELL", "BUY"]):
            cid = f"oracle-live-{n}-{int(time.time() * 1000)}"
            ids[f"cid{n}"] = cid
            created = await call(
                f"create LIMIT {side}",
                client.create_limit_order(btc, "0.001", resting(side), OrderSide(side), client_order_id=cid),
            )
            out.append(created)
            if created["ok"]:
                ids[f"id{n}"] = str(created["data"]["orderId"])
        out.append(await call("orders-by-id", client.order.get_orders_by_id([ids.get("id0", "0")])))
        out.append(
            await call("orders-by-client-id", client.order.get_orders_by_client_order_id([ids["cid1"]]))
        )
        active = GetActiveOrderParams(size="200", filter_contract_id_list=[btc])
        out.append(await call("active-orders", client.get_active_orders(active)))
        out.append(
            await call("cancel by id", client.cancel_order(CancelOrderParams(order_id=ids.get("id0", "0"))))
        )
        out.append(
            await call(
                "cancel by client id", client.cancel_order(CancelOrderParams(client_order_id=ids["cid1"]))
            )
        )
        out.append(await call("cancel all", client.cancel_order(CancelOrderParams(contract_id=btc))))
        for side in ["BUY", "SELL"]:
            cid = f"oracle-live-m{side}-{int(time.time() * 1000)}"
            out.append(
                await call(
                    f"create MARKET {side}", client.create_market_order(eth, "0.01", OrderSide(side), cid)
                )
            )
        out.append(
            await call("fills", client.get_order_fill_transactions(OrderFillTransactionParams(size="100")))
        )
        out.append(await call("account-asset", client.get_account_asset()))

        # Refusals: a signature that is not the order's, and an HMAC made with the wrong secret.
        real_sign = AsyncClient.sign_typed_data_with_trading_key

        def bad_sign(self: AsyncClient, typed_data: dict[str, Any], include_0x: bool = False) -> str:
            return tamper(real_sign(self, typed_data, include_0x))

        AsyncClient.sign_typed_data_with_trading_key = bad_sign  # type: ignore[method-assign]
        try:
            cid = f"oracle-live-tampered-{int(time.time() * 1000)}"
            out.append(
                await call(
                    "tampered l2Signature",
                    client.create_limit_order(
                        btc, "0.001", resting("BUY"), OrderSide.BUY, client_order_id=cid
                    ),
                )
            )
        finally:
            AsyncClient.sign_typed_data_with_trading_key = real_sign  # type: ignore[method-assign]
    async with sdk_client(job, api_secret=job["apiSecret"] + "x") as wrong:
        out.append(await call("wrong HMAC", wrong.get_account_asset()))
    out.append(ws_connect(job))
    bad_ws = ws_connect(job, api_secret=job["apiSecret"] + "x", wait_s=2.0)
    bad_ws["step"] = "private-ws wrong HMAC"
    out.append(bad_ws)
    return {"results": out}


def main() -> int:
    job = json.load(sys.stdin)
    mode = job.get("mode")
    if mode == "capture":
        result = asyncio.run(capture(job))
    elif mode == "live":
        result = asyncio.run(live(job))
    else:
        print(json.dumps({"error": f"unknown mode {mode!r}"}))
        return 2
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
