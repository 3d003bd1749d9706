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
from paradex_ws_service.memo import DEFAULT_CAP, FirstOutcomes, Mismatch, digest
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.paradex.private import DEDUPE_WINDOW, PrivateNormalizers

BASE_ID = 1796310750390000000000000000


def _result(i: int) -> dict[str, Any]:
    """A place command's answer, as the sidecar writes it."""
    return {
        "client_id": f"pws-1796310750-{i:06d}",
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


def test_a_place_remembered_twice_costs_under_half_a_kib_at_the_cap() -> None:
    """By client id (adapter) and by command id (stdin): both tables at their cap, per order."""

    def fill_tables() -> Any:
        async def run() -> tuple[FirstOutcomes, FirstOutcomes]:
            by_client, by_command = FirstOutcomes(), FirstOutcomes()
            for i in range(DEFAULT_CAP + 2_000):
                client_id = f"pws-1796310750-{i:06d}"
                by_command.begin(f"cmd-{i}", digest(b'{"market":"BTC-USD-PERP","side":"BUY","size":"0.001"}'))
                client_asked = digest(repr(("BTC-USD-PERP", "BUY", "MARKET", "0.001", i)))
                by_client.begin(client_id, client_asked)
                result = _result(i)
                by_client.succeed(client_id, result)
                by_command.succeed(f"cmd-{i}", result)
            await asyncio.sleep(0)  # the outcomes are deflated on the next loop turn
            assert len(by_client) == len(by_command) == DEFAULT_CAP
            assert await by_client.first("pws-1796310750-011999", client_asked) == _result(
                DEFAULT_CAP + 1_999
            )
            return by_client, by_command

        return asyncio.run(run())

    per_order = _traced(fill_tables) / DEFAULT_CAP
    assert per_order < 512, f"{per_order:.0f} B per order"


def test_private_dedupe_state_is_capped_and_compact() -> None:
    """Orders (NEW → CLOSED) with a fill each, past the window: at most the window is kept, ~0.25 KiB each."""

    def feed() -> PrivateNormalizers:
        private = PrivateNormalizers()
        for i in range(DEDUPE_WINDOW + 3_000):
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
            fill = {"id": str(BASE_ID + i), "order_id": order["id"], "market": "BTC-USD-PERP", "side": "BUY"}
            private.fill({**fill, "price": "65000.1", "size": "0.001", "created_at": 1796310750390 + i}, 0)
        return private

    private = feed()
    orders = private._latest["order"]
    assert len(orders) <= DEDUPE_WINDOW and len(private._fills) == DEDUPE_WINDOW
    assert not private.open_orders  # every order closed: nothing kept beyond the dedupe keys
    # The newest are still deduplicated, the oldest forgotten.
    newest = str(BASE_ID + DEDUPE_WINDOW + 2_999)
    assert private.fill({"id": newest, "order_id": newest, "market": "BTC-USD-PERP", "side": "BUY",
                         "price": "1", "size": "1"}, 0) is None  # fmt: skip
    per_order = _traced(feed) / DEDUPE_WINDOW
    assert per_order < 512, f"{per_order:.0f} B per order"
