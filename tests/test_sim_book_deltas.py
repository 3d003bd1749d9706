"""The bare `order_book.{m}.deltas` channel on SBE sessions, as production serves and refuses it.

Behaviour from reference §0a.1-2, whose source is third-party probes and captures of production
(FueledByChai/fueledbychai-rs docs/decisions 0074 and 0077, fixtures/paradex/md/
btc-order-book-deltas-2026-10-08.jsonl): the suffixed name is refused with -32600 "no parameters expected
for deltas topic."; the bare name is acknowledged under its own name, opens with a whole-book snapshot,
then one frame per change of the market's book sequence (the counter bbo carries), +1 each, some with no
levels; a second order_book channel of one market is refused, one of another market is not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from paradex_sim import SimServer
from paradex_sim.testing import RawClient, run_in_sim

SBE = "?sbeSchemaId=1&sbeSchemaVersion=2"
BTC = "BTC-USD-PERP"
BARE = f"order_book.{BTC}.deltas"


def run(test: Callable[[SimServer], Awaitable[None]], timeout: float = 20.0, **config: Any) -> None:
    """Run `test` against the market-data half alone (extensions=(): the default JWT verifier)."""
    config.setdefault("extensions", ())
    run_in_sim(test, seed=7, timeout=timeout, **config)


def test_sbe_session_refuses_the_suffixed_deltas_name_and_a_second_book_channel_of_a_market() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url + SBE)
        try:
            for suffixed in (f"{BARE}@15@50ms", f"{BARE}@15@100ms"):
                refused = await client.subscribe(suffixed)
                assert refused["error"]["code"] == -32600, refused
                assert refused["error"]["message"] == "invalid subscribe request"
                assert refused["error"]["data"] == "no parameters expected for deltas topic."
            ack = await client.subscribe(BARE)
            assert ack["result"] == {"channel": BARE}
            second = await client.subscribe(f"order_book.{BTC}.snapshot@15@100ms")
            assert second["error"]["code"] == -32600
            assert "cannot share an SBE session" in second["error"]["data"]
            # One book channel per market, not per session (decision 0077): another market's is accepted.
            other = await client.subscribe("order_book.ETH-USD-PERP.deltas")
            assert other["result"] == {"channel": "order_book.ETH-USD-PERP.deltas"}
        finally:
            await client.close()
        # A JSON session keeps the documented suffixed names (§3.3), several per market.
        client = await RawClient.connect(server.ws_url)
        try:
            for name in (f"{BARE}@15@100ms", f"order_book.{BTC}.snapshot@15@100ms"):
                assert (await client.subscribe(name))["result"] == {"channel": name}
        finally:
            await client.close()

    run(body)


def test_bare_deltas_open_with_the_whole_book_then_follow_the_markets_sequence() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url + SBE)
        try:
            await client.subscribe(BARE)
            frames = await client.collect(f"order_book.{BTC}", 60, timeout=15)
        finally:
            await client.close()
        first = frames[0]
        assert first["pkg_type"] == "SNAPSHOT"
        assert len(first["bids"]) > 15 and len(first["asks"]) > 15, "the whole book, not the top 15"
        book = {("B", Decimal(p)): Decimal(s) for p, s in first["bids"]}
        book.update({("A", Decimal(p)): Decimal(s) for p, s in first["asks"]})
        seq = first["seq_no"]
        empty = 0
        for frame in frames[1:]:
            assert frame["pkg_type"] == "DELTA"
            assert frame["seq_no"] == seq + 1, "one frame per value of the market's book sequence"
            seq = frame["seq_no"]
            empty += not frame["bids"] and not frame["asks"]
            for side, levels in (("B", frame["bids"]), ("A", frame["asks"])):
                for p, s in levels:
                    if Decimal(s) == 0:
                        del book[(side, Decimal(p))]
                    else:
                        book[(side, Decimal(p))] = Decimal(s)
            bids = [p for side, p in book if side == "B"]
            asks = [p for side, p in book if side == "A"]
            assert max(bids) < min(asks)
        assert empty > 0, "frames whose sequence moved but no level changed are sent too"

    run(body, bbo_rate=40, trade_rate=5)


def test_bare_deltas_seq_no_is_the_bbo_counter() -> None:
    """On one connection, each bbo frame follows the book frame of the same sequence value."""

    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url + SBE)
        try:
            await client.subscribe(BARE)
            await client.subscribe(f"bbo.{BTC}")
            await client._wait(lambda: sum(c == f"bbo.{BTC}" for c, _, _ in client.notifications) >= 20, 10)
            arrived = [(c, d["seq_no"]) for c, d, _ in client.notifications]
        finally:
            await client.close()
        last_book: int | None = None
        checked = 0
        for channel, seq in arrived:
            if channel == f"order_book.{BTC}":
                last_book = seq
            elif channel == f"bbo.{BTC}" and last_book is not None:
                assert seq == last_book, arrived
                checked += 1
        assert checked >= 15

    run(body, bbo_rate=40, trade_rate=0)
