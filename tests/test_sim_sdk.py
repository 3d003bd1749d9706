"""paradex-py itself (no mocks) connects to the simulator, subscribes and receives, in JSON and SBE."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from paradex_py import Paradex
from paradex_py.api.ws_client import ParadexWebsocketChannel, ParadexWebsocketClient

from paradex_sim import SimConfig, SimServer

SUBSCRIPTIONS: list[tuple[ParadexWebsocketChannel, dict[str, str] | None, str]] = [
    (ParadexWebsocketChannel.BBO, {"market": "BTC-USD-PERP"}, "bbo.BTC-USD-PERP"),
    (ParadexWebsocketChannel.TRADES, {"market": "ALL"}, "trades.ALL"),
    (
        ParadexWebsocketChannel.ORDER_BOOK,
        {"market": "ETH-USD-PERP", "feed_type": "deltas"},
        "order_book.ETH-USD-PERP.deltas@15@100ms",
    ),
    (
        ParadexWebsocketChannel.ORDER_BOOK,
        {"market": "SOL-USD-PERP"},
        "order_book.SOL-USD-PERP.snapshot@15@100ms",
    ),
    (ParadexWebsocketChannel.MARKETS_SUMMARY, None, "markets_summary.ALL"),
    (ParadexWebsocketChannel.FUNDING_DATA, {"market": "BTC-USD-PERP"}, "funding_data.BTC-USD-PERP"),
]


DELTAS_JSON = "order_book.ETH-USD-PERP.deltas@15@100ms"
DELTAS_SBE = "order_book.ETH-USD-PERP.deltas"


async def _close(client: ParadexWebsocketClient) -> None:
    # close() can hang on CPython 3.10 when it races a receive (reference §14.4): bound it.
    with contextlib.suppress(asyncio.TimeoutError, Exception):
        await asyncio.wait_for(client.close(), 2)


@pytest.mark.parametrize("sbe_enabled", [False, True])
def test_ws_client_receives_every_public_channel(sbe_enabled: bool) -> None:
    async def main() -> None:
        config = SimConfig(seed=8, bbo_rate=20, trade_rate=10, summary_interval=0.2, funding_interval=0.2)
        async with SimServer(config) as server:
            client = ParadexWebsocketClient(
                env="testnet",
                ws_url_override=server.ws_url,
                sbe_enabled=sbe_enabled,
                disable_reconnect=True,
                reader_sleep_on_no_connection=0.05,
            )
            received: dict[str, list[dict[str, Any]]] = {}

            def deltas_name(name: str) -> str:
                return DELTAS_SBE if sbe_enabled and name == DELTAS_JSON else name

            everything = asyncio.Event()

            async def callback(channel: ParadexWebsocketChannel | None, message: dict[str, Any]) -> None:
                name = message["params"]["channel"]
                received.setdefault(name, []).append(message["params"]["data"])
                if all(len(received.get(deltas_name(n), ())) >= 2 for _, _, n in SUBSCRIPTIONS):
                    everything.set()

            try:
                assert await client.connect()
                for channel, params, name in SUBSCRIPTIONS:
                    if sbe_enabled and name == DELTAS_JSON:
                        # Production refuses the suffixed deltas name on SBE (§0a.1); the SDK's enum
                        # formatter only builds that one, so the bare name goes through subscribe_by_name.
                        await client.subscribe_by_name(DELTAS_SBE, callback)
                    else:
                        await client.subscribe(channel, callback, params)
                await asyncio.wait_for(everything.wait(), 10)
                assert all(client.subscribed_channels.get(deltas_name(n)) for _, _, n in SUBSCRIPTIONS)
                conn = next(iter(server.connections.values()))
                assert conn.sbe_version == (2 if sbe_enabled else None)
            finally:
                await _close(client)
        bbo = received["bbo.BTC-USD-PERP"][-1]
        if sbe_enabled:
            assert {"bid_price", "ask_price", "seq_no", "market"} <= set(bbo)
            assert received[DELTAS_SBE][0]["pkg_type"] == "SNAPSHOT"
            assert {t["market"] for t in received["trades.ALL"]} <= set(server.market_names)
        else:
            assert {"bid", "ask", "seq_no", "market", "last_updated_at"} <= set(bbo)
            assert received["order_book.ETH-USD-PERP.deltas@15@100ms"][0]["update_type"] == "s"
            assert received["order_book.ETH-USD-PERP.deltas@15@100ms"][1]["update_type"] == "d"

    asyncio.run(asyncio.wait_for(main(), 30))


def test_paradex_facade_with_url_overrides() -> None:
    async def main() -> None:
        async with SimServer(SimConfig(seed=8, bbo_rate=20)) as server:
            paradex = await asyncio.to_thread(
                Paradex,
                env="testnet",
                api_base_url=server.rest_url,
                ws_url_override=server.ws_url,
                retry_strategy=None,
                ws_reader_sleep_on_no_connection=0.05,
                disable_reconnect=True,
            )
            got = asyncio.Event()

            async def on_bbo(channel: Any, message: dict[str, Any]) -> None:
                got.set()

            try:
                assert await paradex.ws_client.connect()
                await paradex.ws_client.subscribe(
                    ParadexWebsocketChannel.BBO, on_bbo, {"market": "ETH-USD-PERP"}
                )
                await asyncio.wait_for(got.wait(), 5)
                bbo = await asyncio.to_thread(paradex.api_client.fetch_bbo, "ETH-USD-PERP")
                assert bbo["market"] == "ETH-USD-PERP"
            finally:
                await _close(paradex.ws_client)

    asyncio.run(asyncio.wait_for(main(), 30))
