"""Channels production serves that a consumer may meet (reference §0a.10), served by the simulator rather
than refused: `order_book.{m}.interactive_deltas` and `funding_rate_comparison.ALL@{500ms|1000ms}`.

Sources: the channel list of §0a.10 (tradeparadex/paradex-docs asyncapi); the comparison's shape from
paradex-py 0.8.2 (`api/sbe/paradex_1_0.xml` template 6, "full parity with JSON FundingRateComparisonResp";
`api/ws_client.py`: the server publishes it only as `.ALL@{500ms|1000ms}`), decoded here by paradex-py's own
SBE codec. The simulator has no RPI orders, so its interactive book is its book: the interactive deltas are
the deltas, under their own name.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from paradex_sim import SimServer
from paradex_sim.testing import RawClient, run_in_sim

SBE = "?sbeSchemaId=1&sbeSchemaVersion=2"
BTC = "BTC-USD-PERP"
INTERACTIVE = f"order_book.{BTC}.interactive_deltas"
COMPARISON = "funding_rate_comparison.ALL@500ms"


def run(test: Callable[[SimServer], Awaitable[None]], timeout: float = 20.0, **config: Any) -> None:
    """Run `test` against the market-data half alone (extensions=(): the default JWT verifier)."""
    config.setdefault("extensions", ())
    run_in_sim(test, seed=3, timeout=timeout, **config)


def test_interactive_deltas_open_with_the_book_then_follow_its_sequence_on_json() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            assert (await client.subscribe(INTERACTIVE))["result"] == {"channel": INTERACTIVE}
            frames = await client.collect(INTERACTIVE, 30, timeout=15)
        finally:
            await client.close()
        assert frames[0]["update_type"] == "s" and frames[0]["inserts"], "opens with the whole book"
        for before, after in itertools.pairwise(frames):
            assert after["update_type"] == "d"
            assert after["seq_no"] == before["seq_no"] + 1, "one frame per step of the book sequence"

    run(body, bbo_rate=40, trade_rate=5)


def test_interactive_deltas_on_sbe_take_the_markets_one_book_channel_and_refuse_parameters() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url + SBE)
        try:
            refused = await client.subscribe(f"{INTERACTIVE}@15@100ms")
            assert refused["error"]["code"] == -32600, refused
            assert (await client.subscribe(INTERACTIVE))["result"] == {"channel": INTERACTIVE}
            second = await client.subscribe(f"order_book.{BTC}.deltas")
            assert second["error"]["code"] == -32600
            assert "cannot share an SBE session" in second["error"]["data"]
            frames = await client.collect(f"order_book.{BTC}", 10, timeout=15)
        finally:
            await client.close()
        assert frames[0]["pkg_type"] == "SNAPSHOT"
        assert all(f["pkg_type"] == "DELTA" for f in frames[1:])
        # Unsubscribing one name of the shared stream must not stop it for the other (checked on a fresh
        # pair of sessions: one leaves, the other keeps receiving).
        a = await RawClient.connect(server.ws_url)
        b = await RawClient.connect(server.ws_url)
        try:
            await a.subscribe(INTERACTIVE)
            await b.subscribe(f"order_book.{BTC}.deltas")
            await a.collect(INTERACTIVE, 2, timeout=10)
            assert "result" in await a.request("unsubscribe", {"channel": INTERACTIVE})
            await b.collect(f"order_book.{BTC}.deltas", 2, timeout=10)  # the snapshot and a delta…
            b.notifications.clear()
            await b.collect(f"order_book.{BTC}.deltas", 5, timeout=10)  # …and it keeps flowing
        finally:
            await a.close()
            await b.close()

    run(body, bbo_rate=40, trade_rate=5)


def test_funding_rate_comparison_json_and_sbe_agree() -> None:
    async def body(server: SimServer) -> None:
        json_client = await RawClient.connect(server.ws_url)
        sbe_client = await RawClient.connect(server.ws_url + SBE)
        try:
            bad_names = (
                "funding_rate_comparison",
                f"funding_rate_comparison.{BTC}@500ms",
                f"{COMPARISON[:-5]}@50ms",
            )
            for bad in bad_names:
                assert (await json_client.subscribe(bad))["error"]["code"] == -32600, bad
            for client in (json_client, sbe_client):
                assert (await client.subscribe(COMPARISON))["result"] == {"channel": COMPARISON}
            rows = await json_client.collect(COMPARISON, 6, timeout=10)
            decoded = await sbe_client.collect("funding_rate_comparison", 6, timeout=10)
        finally:
            await json_client.close()
            await sbe_client.close()
        markets = {r["symbol"] for r in rows}
        assert BTC in markets
        for row in rows:
            assert set(row) == {"symbol", "source", "asset_kind", "hourly_funding_rate", "last_updated_at"}
            assert row["source"] == "SOURCE_PARADEX" and row["asset_kind"] == "ASSET_KIND_PERPETUAL_FUTURE"
            assert abs(Decimal(row["hourly_funding_rate"])) <= Decimal("0.0005") / 8
        json_rates = {(r["symbol"], Decimal(r["hourly_funding_rate"])) for r in rows}
        sbe_rates = {(d["market"], Decimal(d["hourly_funding_rate"])) for d in decoded}
        assert json_rates & sbe_rates, (json_rates, sbe_rates)
        assert {d["source"] for d in decoded} == {"SOURCE_PARADEX"}
        assert {d["asset_kind"] for d in decoded} == {"ASSET_KIND_PERPETUAL_FUTURE"}

    run(body, bbo_rate=5, trade_rate=0)
