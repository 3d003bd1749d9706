"""A consumer that stops reading stdout for 2 s or more: the WebSocket reader keeps up (the simulator would
drop a client with 2000 unread frames), no trade is lost, bbo is coalesced, and seq stays contiguous."""

from __future__ import annotations

import time
from collections.abc import Callable

from conftest import Sidecar, SimProcess, sidecar_args

MARKETS = ("BTC-USD-PERP", "ETH-USD-PERP")


def test_stalled_reader_loses_no_trade_and_coalesces_bbo(
    start_sim: Callable[..., SimProcess], start_sidecar: Callable[..., Sidecar]
) -> None:
    sim = start_sim("--bbo-rate", "2500", "--trade-rate", "60")
    car = start_sidecar(*sidecar_args(sim, "--markets", ",".join(MARKETS), "--channels", "bbo,trades"))
    for _ in range(4):
        car.expect(lambda e: e["type"] == "status" and e["state"] == "subscribed", 15, "status subscribed")
    car.expect_type("trade", timeout=10)

    # The stimulus: a consumer that does not read for at least 2 s, and until the simulator has sent enough
    # bbo frames to overflow any pipe buffer (a loaded machine's simulator sends fewer than 5,000/s).
    def last_bbo_seq() -> int:
        return int(sim.sent(f"bbo.{MARKETS[0]}", n=1)[-1]["seq_no"])

    car.stall()
    start_seq = last_bbo_seq()
    time.sleep(2.0)
    deadline = time.monotonic() + 30
    while last_bbo_seq() < start_seq + 3000 and time.monotonic() < deadline:
        time.sleep(0.2)
    car.unstall()
    sim.control("pause")  # freeze the market so "everything sent" is a fixed set

    # The simulator's history also holds what it sent before we subscribed: require every trade created
    # after our subscription was acknowledged (status ts, wall ms).
    subscribed_ms = {
        (e["channel"], e["market"]): e["ts"]
        for e in car.events
        if e["type"] == "status" and e["state"] == "subscribed"
    }
    want = {
        (m, p["id"])
        for m in MARKETS
        for p in sim.sent(f"trades.{m}")
        if p["created_at"] > subscribed_ms[("trades", m)]
    }
    assert len(want) > 100, "the stall window must contain many trades for the test to mean anything"

    def got_trades() -> set[tuple[str, str]]:
        return {(e["market"], e["trade_id"]) for e in car.events if e["type"] == "trade"}

    deadline = time.monotonic() + 20
    while not want <= got_trades() and time.monotonic() < deadline:
        try:
            car.expect_type("trade", timeout=max(0.1, min(3, deadline - time.monotonic())))
        except AssertionError:
            break
    missing = want - got_trades()
    assert not missing, f"{len(missing)} trades lost, e.g. {sorted(missing)[:3]}"

    car.send({"id": "st", "op": "stats"})
    stats = car.expect_type("result", id="st", timeout=15)["data"]
    assert stats["total_coalesced"] > 0, "a 2 s stall at 5,000 bbo/s must coalesce"
    assert stats["total_reconnects"] == 0, "the simulator dropped us: the reader was blocked"
    statuses = [
        e for e in car.events if e["type"] == "status" and e["state"] in ("disconnected", "reconnecting")
    ]
    assert not statuses
    seqs = [e["seq"] for e in car.events]
    assert seqs == list(range(1, len(seqs) + 1)), "seq must stay contiguous through coalescing"
    bbo_out = sum(1 for e in car.events if e["type"] == "bbo")
    # Coalescing keeps the latest: each market's last bbo out is the last one the simulator sent.
    for market in MARKETS:
        last_sent = sim.sent(f"bbo.{market}", 1)[0]["seq_no"]
        outs = [e["exchange_seq"] for e in car.events if e["type"] == "bbo" and e["market"] == market]
        if not outs or outs[-1] != last_sent:
            car.expect_type("bbo", market=market, exchange_seq=last_sent, timeout=10)
    print(f"coalesced={stats['total_coalesced']} bbo_out={bbo_out} trades={len(want)}")
