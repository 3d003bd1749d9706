"""Per-order memory is bounded: the deduplication tables keep at most their cap of settled entries, forget the
oldest first, never forget work whose outcome is unknown, and hold a few hundred bytes per order at the cap
(measured with tracemalloc: counts and bytes, no timing)."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from paradex_ws_service.commands import CommandError
from paradex_ws_service.memo import DEFAULT_CAP, FirstOutcomes, Mismatch, client_id_key, digest
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.paradex.private import DEDUPE_WINDOW, PrivateNormalizers

BASE_ID = 1796310750390000000000000000


def _result(i: int) -> dict[str, Any]:
    """A place command's answer, as the sidecar writes it."""
    return {
        "client_id": _client_id(i),
        "market": "BTC-USD-PERP",
        "side": "BUY",
        "order_id": str(BASE_ID + i),
        "status": "NEW",
        "type": "MARKET",
        "size": "0.001",
        "price": None,
        "remaining_size": "0.001",
        "cancel_reason": None,
        "via": "ws",
    }


def _traced(work: Callable[[], Any]) -> int:
    """Bytes still allocated after ``work`` (its objects kept alive by what it returns)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = work()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


def test_settled_outcomes_are_capped_and_work_in_flight_is_never_forgotten() -> None:
    async def run() -> None:
        table = FirstOutcomes(cap=100)
        asked = digest(b"params")
        for i in range(10):  # in flight: outcome unknown
            table.begin(f"open-{i}", asked)
        for i in range(1_000):
            table.begin(i, asked)
            table.succeed(i, _result(i))
        assert len(table) == 110 and table.pending == 10
        assert table.first(0, asked) is None  # the oldest settled entries went first…
        assert await table.first(999, asked) == _result(999)  # …the newest stay, replayed as they were
        for i in range(10):
            assert table.first(f"open-{i}", asked) is not None, "work in flight was forgotten"
        with pytest.raises(Mismatch):
            table.first(999, digest(b"other params"))
        table.begin("refused", asked)
        table.fail("refused", ParadexError("REJECTED", "NOT_ENOUGH_MARGIN"))
        for _ in range(2):  # each replay raises a fresh error with the first one's code and message
            with pytest.raises(ParadexError) as caught:
                await table.first("refused", asked)  # type: ignore[misc]
            assert (caught.value.code, caught.value.message) == ("REJECTED", "NOT_ENOUGH_MARGIN")
        table.begin("cmd", asked)
        table.fail("cmd", CommandError("INTERNAL", "boom"))
        with pytest.raises(CommandError):
            await table.first("cmd", asked)  # type: ignore[misc]
        table.begin("limited", asked)
        table.forget("limited", ParadexError("RATE_LIMITED", "later"))
        assert table.first("limited", asked) is None  # definitely not sent: the key may be used again

    asyncio.run(run())


def test_an_answer_remembered_by_two_tables_is_stored_once_and_replayed_by_each() -> None:
    """A place is remembered by client id (adapter) then by command id (stdin): one object holds both digests
    and the answer; each table replays it and refuses the other's parameters."""

    async def run() -> None:
        by_client, by_command = FirstOutcomes(key=client_id_key), FirstOutcomes()
        client_asked, command_asked = digest(b"order"), digest(b"command")
        for i in range(3):
            by_client.begin(_client_id(i), client_asked)
            by_command.begin(i, command_asked)
            result = _result(i)
            by_client.succeed(_client_id(i), result)
            by_command.succeed(i, result)
        sizes = []
        for _ in range(2):  # as settled, then deflated on the next loop turn
            assert by_client._settled[client_id_key(_client_id(2))] is by_command._settled[2]
            assert await by_client.first(_client_id(2), client_asked) == _result(2)  # type: ignore[misc]
            assert await by_command.first(2, command_asked) == _result(2)  # type: ignore[misc]
            with pytest.raises(Mismatch):
                by_client.first(_client_id(2), command_asked)
            with pytest.raises(Mismatch):
                by_command.first(2, client_asked)
            sizes.append(len(by_command._settled[2]))
            await asyncio.sleep(0)
        assert sizes[1] < sizes[0] / 2, sizes
        by_client.begin("bot-order-1", client_asked)  # a client id of the caller's: kept as it is
        by_client.succeed("bot-order-1", {"client_id": "bot-order-1"})
        assert await by_client.first("bot-order-1", client_asked) == {"client_id": "bot-order-1"}  # type: ignore[misc]
        assert by_client.first(_client_id(2).upper(), client_asked) is None  # another client id, not the same

    asyncio.run(run())


def test_one_answer_object_settled_under_several_keys_is_replayed_right_by_each() -> None:
    """The same answer object settled more than twice, or twice by one table (a repeated client id answers
    several commands): each key replays it and checks its own digest, before and after deflating."""

    async def run() -> None:
        first, second, third = FirstOutcomes(), FirstOutcomes(), FirstOutcomes()
        shared, alone = _result(1), _result(2)
        settled = [(first, "x", shared), (second, "z", shared), (first, "y", shared), (third, "w", shared)]
        settled += [(third, 1, alone), (third, 2, alone)]
        for table, key, _ in settled:
            table.begin(key, digest(repr(key)))
        for table, key, result in settled:
            table.succeed(key, result)
        for _ in range(2):  # as settled, then deflated on the next loop turn
            for table, key, result in settled:
                assert await table.first(key, digest(repr(key))) == result  # type: ignore[misc]
                with pytest.raises(Mismatch):
                    table.first(key, digest(b"other"))
            await asyncio.sleep(0)

    asyncio.run(run())


def _client_id(i: int) -> str:
    """A client id as the sidecar generates them (order_params.new_client_id)."""
    return f"pws-{0x9F3A_0000_0000_0000 + i:016x}"


def _places(count: int) -> Callable[[], Any]:
    """``count`` places remembered by both tables, as the sidecar does (int command ids, generated ids)."""

    def fill_tables() -> Any:
        async def run() -> tuple[FirstOutcomes, FirstOutcomes]:
            by_client, by_command = FirstOutcomes(key=client_id_key), FirstOutcomes()
            command_asked = digest(b'{"market":"BTC-USD-PERP","side":"BUY","size":"0.001"}')
            for i in range(count):
                by_command.begin(i, command_asked)
                by_client.begin(_client_id(i), digest(repr(("BTC-USD-PERP", "BUY", "MARKET", "0.001", i))))
                result = _result(i)
                by_client.succeed(_client_id(i), result)
                by_command.succeed(i, result)
                if i % 1_000 == 0:
                    await asyncio.sleep(0)  # the outcomes are deflated on the next loop turn
            await asyncio.sleep(0)
            assert len(by_client) == len(by_command) == min(count, DEFAULT_CAP)
            return by_client, by_command

        return asyncio.run(run())

    return fill_tables


def test_a_place_remembered_twice_costs_under_240_bytes_at_the_cap_and_nothing_more_beyond() -> None:
    """Both tables at their cap, per order; then as many orders again: the memory stays where it was (the
    tables forget as much as they learn, and their hash tables do not grow)."""
    at_cap = _traced(_places(DEFAULT_CAP))
    assert at_cap / DEFAULT_CAP < 240, f"{at_cap / DEFAULT_CAP:.0f} B per order"
    beyond = _traced(_places(2 * DEFAULT_CAP))
    assert beyond < at_cap * 1.05, f"{at_cap} B at the cap, {beyond} B after as many orders again"


def _feed(count: int) -> Callable[[], PrivateNormalizers]:
    """``count`` orders (NEW → CLOSED) with a fill each."""

    def feed() -> PrivateNormalizers:
        private = PrivateNormalizers()
        for i in range(count):
            order = {
                "id": str(BASE_ID + i),
                "market": "BTC-USD-PERP",
                "side": "BUY",
                "type": "MARKET",
                "size": "0.001",
                "remaining_size": "0.001",
                "status": "NEW",
                "client_id": f"pws-{i}",
                "seq_no": 10 * i + 1,
            }
            private.order(order, 0)
            private.order({**order, "status": "CLOSED", "remaining_size": "0", "seq_no": 10 * i + 2}, 0)
            fill = {"id": str(FILL_ID + i), "order_id": order["id"], "market": "BTC-USD-PERP", "side": "BUY"}
            private.fill({**fill, "price": "65000.1", "size": "0.001", "created_at": 1796310750390 + i}, 0)
        return private

    return feed


FILL_ID = 8833000000000000000000000000


def test_private_dedupe_state_is_capped_and_compact() -> None:
    """Orders with a fill each, past the window: at most the window is kept, under 200 bytes per order, and
    as many orders again add nothing."""
    private = _feed(DEDUPE_WINDOW + 3_000)()
    orders = private._latest["order"]
    assert len(orders) <= DEDUPE_WINDOW and len(private._fills) == DEDUPE_WINDOW
    assert not private.open_orders  # every order closed: nothing kept beyond the dedupe keys
    # The newest are still deduplicated, the oldest forgotten.
    newest = DEDUPE_WINDOW + 2_999
    fill = {
        "order_id": str(BASE_ID + newest),
        "market": "BTC-USD-PERP",
        "side": "BUY",
        "price": "1",
        "size": "1",
    }
    assert private.fill({**fill, "id": str(FILL_ID + newest)}, 0) is None
    assert private.fill({**fill, "id": str(FILL_ID)}, 0) is not None  # forgotten: it would be emitted again
    # A bust still names the fill's order and market.
    bust = private.tradebust({"busted_fill_id": str(FILL_ID + newest), "created_at": 1}, 0)
    assert bust is not None and (bust["order_id"], bust["market"]) == (str(BASE_ID + newest), "BTC-USD-PERP")
    at_cap = _traced(_feed(DEDUPE_WINDOW))
    assert at_cap / DEDUPE_WINDOW < 200, f"{at_cap / DEDUPE_WINDOW:.0f} B per order"
    beyond = _traced(_feed(2 * DEDUPE_WINDOW))
    assert beyond < at_cap * 1.05, f"{at_cap} B at the window, {beyond} B after as many orders again"
