"""The simulator's public REST subset: shapes per reference §5.2, read through paradex-py's REST client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any

import aiohttp
from paradex_py import Paradex

from paradex_sim import SimServer
from paradex_sim.testing import run_in_sim

MARKETS = ("BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP")


def run(test: Callable[[SimServer], Awaitable[None]], timeout: float = 30.0, **config: Any) -> None:
    run_in_sim(test, seed=5, timeout=timeout, **config)


def sdk(server: SimServer) -> Paradex:
    """paradex-py pointed at the sim (constructed in a thread: its REST client is synchronous)."""
    return Paradex(
        env="testnet", api_base_url=server.rest_url, ws_url_override=server.ws_url, retry_strategy=None
    )


async def get(server: SimServer, path: str, **params: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url + path, params=params) as resp:
            return resp.status, await resp.json()


def test_paradex_py_initialises_against_the_sim_config() -> None:
    async def body(server: SimServer) -> None:
        paradex = await asyncio.to_thread(sdk, server)
        assert paradex.config is not None
        assert paradex.config.starknet_chain_id == "PRIVATE_SN_POTC_SEPOLIA"
        assert paradex.config.paraclear_decimals == 8 and paradex.config.bridged_tokens[0].symbol == "USDC"

    run(body)


def test_markets_metadata() -> None:
    async def body(server: SimServer) -> None:
        paradex = await asyncio.to_thread(sdk, server)
        results = (await asyncio.to_thread(paradex.api_client.fetch_markets))["results"]
        assert [m["symbol"] for m in results] == list(MARKETS)
        for m in results:
            for key in (
                "order_size_increment",
                "price_tick_size",
                "min_notional",
                "max_order_size",
                "position_limit",
            ):
                assert Decimal(m[key]) > 0 and m[key] == format(Decimal(m[key]).normalize(), "f")
            assert (
                m["asset_kind"] == "PERP"
                and m["quote_currency"] == "USD"
                and m["settlement_currency"] == "USDC"
            )
            assert isinstance(m["max_open_orders"], int) and m["funding_period_hours"] == 8
            assert set(m["fee_config"]["api_fee"]) == {"maker_fee", "taker_fee"}
        btc = results[0]
        assert (btc["price_tick_size"], btc["order_size_increment"]) == ("0.1", "0.00001")
        one = (await asyncio.to_thread(paradex.api_client.fetch_markets, {"market": "ETH-USD-PERP"}))[
            "results"
        ]
        assert [m["symbol"] for m in one] == ["ETH-USD-PERP"]

    run(body)


def test_bbo_orderbook_summary_time_state() -> None:
    async def body(server: SimServer) -> None:
        paradex = await asyncio.to_thread(sdk, server)
        api = paradex.api_client
        bbo = await asyncio.to_thread(api.fetch_bbo, "BTC-USD-PERP")
        assert set(bbo) == {"market", "seq_no", "bid", "bid_size", "ask", "ask_size", "last_updated_at"}
        assert Decimal(bbo["bid"]) < Decimal(bbo["ask"])
        book = await asyncio.to_thread(api.fetch_orderbook, "ETH-USD-PERP", {"depth": 5})
        assert len(book["bids"]) == len(book["asks"]) == 5
        bids = [Decimal(p) for p, _ in book["bids"]]
        asks = [Decimal(p) for p, _ in book["asks"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
        assert book["best_bid_api"] == book["bids"][0] and isinstance(book["seq_no"], int)
        summary = (await asyncio.to_thread(api.fetch_markets_summary, {"market": "ALL"}))["results"]
        assert [s["symbol"] for s in summary] == list(MARKETS)
        for s in summary:
            for key in ("mark_price", "last_traded_price", "bid", "ask", "volume_24h", "total_volume"):
                Decimal(s[key])
            assert isinstance(s["created_at"], int)
        t = await asyncio.to_thread(api.fetch_system_time)
        assert isinstance(t["server_time"], str) and abs(int(t["server_time"]) - time.time() * 1000) < 5000
        assert (await asyncio.to_thread(api.fetch_system_state)) == {"status": "ok"}

    run(body)


def test_trades_and_klines_agree_with_the_trades_channel() -> None:
    async def body(server: SimServer) -> None:
        proc = server.market("SOL-USD-PERP")
        for _ in range(200):
            if len(proc.trades) >= 20:
                break
            await asyncio.sleep(0.05)
        server.sim.pause()  # a still market: REST reads and the recorded history are one fixed set
        status, trades = await get(server, "/v1/trades", market="SOL-USD-PERP", page_size=1000)
        assert status == 200 and {"next", "prev", "results"} <= set(trades)
        recorded = [r.event.json() for r in proc.trades]
        assert trades["results"] == list(reversed(recorded[-len(trades["results"]) :]))
        now_ms = int(time.time() * 1000)
        status, klines = await get(
            server,
            "/v1/markets/klines",
            symbol="SOL-USD-PERP",
            resolution=1,
            start_at=now_ms - 600_000,
            end_at=now_ms,
        )
        assert status == 200
        candles = klines["results"]
        assert candles and all(len(c) == 6 for c in candles)
        volume = sum(Decimal(str(c[5])) for c in candles)
        in_range = [t for t in recorded if now_ms - 600_000 <= t["created_at"] <= now_ms]
        assert volume == sum(Decimal(t["size"]) for t in in_range)
        prices = [Decimal(t["price"]) for t in in_range]
        assert Decimal(str(max(c[2] for c in candles))) == max(prices)
        assert Decimal(str(min(c[3] for c in candles))) == min(prices)

    run(body, trade_rate=40, bbo_rate=40)


def test_error_bodies() -> None:
    async def body(server: SimServer) -> None:
        cases = [
            ("/v1/bbo/DOGE-USD-PERP", {}, 404, "MARKET_NOT_FOUND"),
            ("/v1/markets/summary", {}, 400, "VALIDATION_ERROR"),
            ("/v1/orderbook/BTC-USD-PERP", {"depth": "x"}, 400, "VALIDATION_ERROR"),
            (
                "/v1/markets/klines",
                {"symbol": "BTC-USD-PERP", "resolution": 2, "start_at": 0, "end_at": 1},
                400,
                None,
            ),
            ("/v1/trades", {}, 400, "VALIDATION_ERROR"),
            ("/v1/no/such/thing", {}, 404, "NOT_FOUND"),
        ]
        for path, params, status, code in cases:
            got_status, payload = await get(server, path, **params)
            assert got_status == status, path
            assert isinstance(payload["error"], str) and isinstance(payload["message"], str)
            if code:
                assert payload["error"] == code

    run(body)


def test_funding_data_history() -> None:
    async def body(server: SimServer) -> None:
        proc = server.market("BTC-USD-PERP")
        for _ in range(100):
            if len(proc.funding_history) >= 3:
                break
            await asyncio.sleep(0.05)
        paradex = await asyncio.to_thread(sdk, server)
        page = await asyncio.to_thread(paradex.api_client.fetch_funding_data, {"market": "BTC-USD-PERP"})
        results = page["results"]
        assert len(results) >= 3 and results[0]["created_at"] >= results[-1]["created_at"]
        # An 8 h market: funding_rate_8h is funding_rate at 8 decimals (production's JSON: "0.00007172918481"
        # beside "0.00007172", a measured payload of 2026-09-04).
        rate = Decimal(results[0]["funding_rate"]).quantize(Decimal("1e-8"), rounding=ROUND_DOWN)
        assert results[0]["funding_period_hours"] == 8 and rate == Decimal(results[0]["funding_rate_8h"])

    run(body, funding_interval=0.1)
