"""Every SBE frame the simulator sends decodes with paradex-py's decoder to the values of its JSON twin."""

from __future__ import annotations

import asyncio
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from paradex_py.api.sbe import decode_frame

from paradex_sim import SimConfig, SimServer
from paradex_sim.events import (
    BboEvent,
    BookEvent,
    FundingComparisonEvent,
    FundingEvent,
    SummaryEvent,
    TradeEvent,
)
from paradex_sim.sbe import SUPPORTED_VERSIONS
from paradex_sim.testing import RawClient, canon


def _opt(value: str | None) -> str | None:
    return None if value is None else canon(value)


def sbe_as_json(channel: str, data: dict[str, Any]) -> dict[str, Any]:
    """Map a decoded SBE model onto the JSON payload's field names, decimals canonical."""
    if channel.startswith("bbo."):
        return {
            "market": data["market"],
            "seq_no": data["seq_no"],
            "bid": canon(data["bid_price"]),
            "bid_size": canon(data["bid_size"]),
            "ask": canon(data["ask_price"]),
            "ask_size": canon(data["ask_size"]),
            "last_updated_at": data["timestamp"],
        }
    if channel.startswith("trades."):
        return {
            "id": data["trade_id_str"],
            "market": data["market"],
            "side": data["side"],
            "size": canon(data["size"]),
            "price": canon(data["price"]),
            "created_at": data["created_at"],
            "trade_type": data["trade_type"],
        }
    if channel.startswith("order_book."):
        levels = {("BUY", canon(p)): canon(s) for p, s in data["bids"]}
        levels.update({("SELL", canon(p)): canon(s) for p, s in data["asks"]})
        return {
            "seq_no": data["seq_no"],
            "market": data["market"],
            "last_updated_at": data["timestamp"],
            "update_type": "s" if data["pkg_type"] == "SNAPSHOT" else "d",
            "levels": levels,
        }
    if channel.startswith("markets_summary."):
        assert data["funding_rate_precise"] is None or canon(data["funding_rate_precise"]) == canon(
            data["funding_rate"]
        )
        return {
            "symbol": data["market"],
            "mark_price": canon(data["mark_price"]),
            "last_traded_price": canon(data["last_price"]),
            "bid": _opt(data["bid"]),
            "bid_size": _opt(data["bid_size"]),
            "ask": _opt(data["ask"]),
            "ask_size": _opt(data["ask_size"]),
            "volume_24h": canon(data["volume_usd24h"]),
            "total_volume": canon(data["total_volume"]),
            "underlying_price": canon(data["index_price"]),
            "open_interest": canon(data["open_interest"]),
            "funding_rate": canon(data["funding_rate"]),
            "price_change_rate_24h": canon(data["price_change_rate24h"]),
            "created_at": data["timestamp"],
        }
    if channel.startswith("funding_data."):
        return {
            "market": data["market"],
            "funding_index": canon(data["funding_index"]),
            "funding_premium": canon(data["funding_premium"]),
            "funding_rate": canon(data["funding_rate"]),
            "funding_rate_8h": canon(data["funding_rate8h"]),
            "funding_period_hours": data["funding_period_hours"],
            "created_at": data["created_at"],
            "impact_premium_rate": _opt(data["impact_premium_rate"]),
        }
    if channel == "funding_rate_comparison":
        return {
            "symbol": data["market"],
            "source": data["source"],
            "asset_kind": data["asset_kind"],
            "hourly_funding_rate": canon(data["hourly_funding_rate"]),
            "last_updated_at": data["last_updated_at"],
        }
    raise AssertionError(f"unexpected SBE channel {channel}")


def truncate_funding(payload: dict[str, Any]) -> dict[str, Any]:
    """A funding_data JSON payload as SBE can carry it: JSON has up to 21 fractional digits (as production's),
    SBE's fields are int64 at exponent -8, which the simulator truncates toward zero."""
    out = dict(payload)
    for key in ("funding_index", "funding_premium", "funding_rate", "impact_premium_rate"):
        if out.get(key) not in (None, ""):
            value = Decimal(out[key]).quantize(Decimal("1e-8"), rounding=ROUND_DOWN)
            out[key] = canon(str(value))
    return out


def json_canonical(channel: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON twin in the same shape (book levels as a map; size 0 on deletes as SBE encodes them)."""
    if channel.startswith("funding_data."):
        return truncate_funding(payload)
    if channel.startswith("order_book."):
        levels = {}
        for key in ("inserts", "updates", "deletes"):
            for e in payload[key]:
                levels[(e["side"], e["price"])] = "0" if key == "deletes" else e["size"]
        return {k: payload[k] for k in ("seq_no", "market", "last_updated_at", "update_type")} | {
            "levels": levels
        }
    return payload


def _all_events(seed: int) -> list[tuple[str, Any]]:
    """A few seconds of every event type the sim publishes, straight from the engine."""
    server = SimServer(
        SimConfig(seed=seed, bbo_rate=20, trade_rate=8, summary_interval=0.5, funding_interval=0.5)
    )
    captured: list[tuple[str, Any]] = []
    server.sim.sink = lambda event, channels: captured.append((channels[0], event))
    server.sim.run_until(5.0, limit=100_000)
    return captured


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_event_type_decodes_to_its_json_twin(version: int) -> None:
    events = _all_events(seed=11)
    kinds = {type(e) for _, e in events}
    assert kinds == {BboEvent, TradeEvent, BookEvent, SummaryEvent, FundingEvent, FundingComparisonEvent}
    for _, event in events:
        decoded_channel, model = decode_frame(event.sbe(version))
        assert model is not None and decoded_channel is not None
        got = sbe_as_json(decoded_channel, model.model_dump())
        want = json_canonical(decoded_channel, event.json())
        if version < 2 and isinstance(event, TradeEvent):
            # Before 1:2 a TradeEvent has no trade_id_str; everything else must still agree.
            assert got.pop("id") is None
            want = {k: v for k, v in want.items() if k != "id"}
        if version < 1 and isinstance(event, FundingEvent):
            assert got.pop("impact_premium_rate") is None
            want = {k: v for k, v in want.items() if k != "impact_premium_rate"}
        assert got == want, (decoded_channel, version)
        # JSON decimals on the wire are already canonical.
        for value in event.json().values():
            if isinstance(value, str) and value.replace(".", "").replace("-", "").isdigit() and "." in value:
                assert value == canon(value)


def test_book_delta_deletes_are_size_zero_in_sbe() -> None:
    events = [e for _, e in _all_events(seed=5) if isinstance(e, BookEvent) and not e.snapshot]
    deletes = sum(len(e.json()["deletes"]) for e in events)
    assert deletes > 0
    for event in events:
        _, model = decode_frame(event.sbe(2))
        zero = {(p, s) for p, s in model.bids + model.asks if canon(s) == "0"}
        assert len(zero) == len(event.json()["deletes"])


def test_wire_sbe_and_json_connections_get_the_same_values() -> None:
    """Two connections on the same feeds, one SBE one JSON: same payloads, frame for frame."""
    channels = [
        "bbo.BTC-USD-PERP",
        "trades.ALL",
        "order_book.ETH-USD-PERP.deltas",  # the bare name: the only one SBE sessions accept (§0a.1)
        "order_book.SOL-USD-PERP.snapshot@15@100ms",
        "markets_summary.ALL",
        "funding_data.SOL-USD-PERP",
    ]

    async def main() -> None:
        config = SimConfig(seed=2, bbo_rate=25, trade_rate=15, summary_interval=0.3, funding_interval=0.3)
        async with SimServer(config) as server:
            js = await RawClient.connect(server.ws_url)
            sb = await RawClient.connect(server.ws_url + "?sbeSchemaId=1&sbeSchemaVersion=2")
            try:
                server.sim.pause()  # both connections subscribe before anything moves
                for c in channels:
                    assert "result" in await js.subscribe(c)
                    assert "result" in await sb.subscribe(c)
                server.sim.resume()

                def public(client: RawClient) -> int:
                    return sum(1 for ch, _, _ in client.notifications if ch != "_control")

                await js._wait(lambda: public(js) >= 150, 10)  # let every feed run a while
                server.sim.pause()
                # Nothing new is produced while paused: the two connections converge on the same set.
                stable = 0
                for _ in range(200):
                    counts = (public(js), public(sb))
                    await asyncio.sleep(0.05)
                    same = counts[0] == counts[1] == public(js) == public(sb)
                    stable = stable + 1 if same else 0
                    if stable == 2:
                        break
            finally:
                await js.close()
                await sb.close()
        json_items = [(ch, p) for ch, p, raw in js.notifications]
        sbe_items = [(ch, p, raw) for ch, p, raw in sb.notifications if ch != "_control"]
        assert all(raw is not None for _, _, raw in sbe_items), "public payloads must be binary on SBE"
        assert len(json_items) == len(sbe_items) > 50
        seen = set()
        for (jch, jp), (sch, sp, _) in zip(json_items, sbe_items, strict=True):
            seen.add(jch.split(".")[0])
            got, want = sbe_as_json(sch, sp), json_canonical(sch, jp)
            if "deltas" in jch and want["update_type"] == "s":
                # The opening snapshot is rendered per subscriber, at its own subscribe time.
                got.pop("last_updated_at")
                want.pop("last_updated_at")
            assert got == want, (jch, sch)
        assert seen == {"bbo", "trades", "order_book", "markets_summary", "funding_data"}

    asyncio.run(asyncio.wait_for(main(), 30))


def test_sbe_heartbeat_goes_to_idle_connections_only() -> None:
    async def main() -> None:
        config = SimConfig(seed=1, bbo_rate=40, sbe_heartbeat_interval=0.5)
        async with SimServer(config) as server:
            idle = await RawClient.connect(server.ws_url + "?sbeSchemaId=1&sbeSchemaVersion=2")
            busy = await RawClient.connect(server.ws_url + "?sbeSchemaId=1&sbeSchemaVersion=2")
            try:
                await busy.subscribe("bbo.ALL")
                # decode_frame returns (None, None) for template 40: RawClient files it under "_control".
                await idle._wait(lambda: any(ch == "_control" for ch, _, _ in idle.notifications), 5)
                # SBE frames name their market ("bbo.BTC-USD-PERP"), not the ".ALL" subscription.
                await busy._wait(
                    lambda: sum(ch.startswith("bbo.") for ch, _, _ in busy.notifications) >= 60, 5
                )
                assert not any(ch == "_control" for ch, _, _ in busy.notifications)
            finally:
                await idle.close()
                await busy.close()

    asyncio.run(asyncio.wait_for(main(), 15))
