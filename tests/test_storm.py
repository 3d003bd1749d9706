"""A disconnect storm with orders in flight and resting LIMITs: every fill the simulator made reaches stdout
once, and every order's final state is streamed — whatever the outage (a stream-only outage with orders
placed over REST, network cuts, a full server outage), live or recovered by the catch-up after reconnect.

The simulator's own record (``GET /_sim/fills``) is the truth the sidecar's stdout is held against.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from conftest import Sidecar, SimProcess, sidecar_args
from test_trading_cli import MARKET, SLOW, _bbo, _ready, _result

STREAM_OUTAGE_S = 11.5  # longer than the sidecar's wait for its private channels (10 s): orders go over REST
SERVER_OUTAGE_S = 2.0


def _mid(sim: SimProcess) -> Decimal:
    bbo = _bbo(sim)
    return ((Decimal(bbo["bid"]) + Decimal(bbo["ask"])) / 2).quantize(Decimal("0.1"))


def _sim_record(sim: SimProcess) -> dict[str, list[dict[str, Any]]]:
    record: dict[str, list[dict[str, Any]]] = sim.get("fills")
    return record


def _await_sim_fill(sim: SimProcess, order_id: str, timeout: float = SLOW) -> None:
    """Until the simulator has filled ``order_id`` (its resting-order sweep runs every 50 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(f["order_id"] == order_id for f in _sim_record(sim)["fills"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"the simulator never filled {order_id}")


class Storm:
    """The test's side of the run: commands sent, their ids, and the outage steps."""

    def __init__(self, sim: SimProcess, sc: Sidecar) -> None:
        self.sim, self.sc = sim, sc
        self.placed: dict[str, str] = {}  # command id → client id
        self.n = 0

    def send_place(self, **params: Any) -> str:
        self.n += 1
        cid, client_id = f"p{self.n}", f"storm-{self.n}"
        self.sc.send({"id": cid, "op": "place", "market": MARKET, "client_id": client_id, **params})
        self.placed[cid] = client_id
        return cid

    def resting_pair(self, spread: int = 30) -> tuple[str, str]:
        """A BUY below and a SELL above the market, both acknowledged: their order ids."""
        mid = _mid(self.sim)
        buy = self.send_place(side="BUY", type="LIMIT", size="0.001", price=str(mid - spread))
        sell = self.send_place(side="SELL", type="LIMIT", size="0.001", price=str(mid + spread))
        ids = []
        for cid in (buy, sell):
            res = _result(self.sc, cid, SLOW)
            assert res["ok"], res
            ids.append(res["data"]["order_id"])
        return ids[0], ids[1]

    def cross(self, order_id: str, price: Decimal, side: str) -> None:
        """Move the market through a resting order so the simulator fills it."""
        mid = price - 40 if side == "BUY" else price + 40
        self.sim.control("price", {"market": MARKET, "mid": str(mid)})

    def disconnected(self) -> int:
        """Wait for the stream to be seen down; the index from which its recovery is looked for."""
        self.sc.expect_type("status", state="disconnected", timeout=SLOW)
        return len(self.sc.events)

    def reconnected(self, start: int) -> None:
        _ready(self.sc, start)


def _limit_price(sc: Sidecar, order_id: str) -> Decimal:
    for event in sc.events:
        if event.get("type") == "order" and event["order_id"] == order_id and event.get("price"):
            return Decimal(event["price"])
    event = sc.expect(
        lambda e: e.get("type") == "order" and e["order_id"] == order_id and bool(e.get("price")),
        SLOW,
        f"order {order_id}",
    )
    return Decimal(event["price"])


@pytest.mark.timeout(240)
def test_disconnect_storm_loses_no_fill(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", "bbo,orders,fills,positions,account", "--markets", MARKET)
    )
    _ready(sc)
    storm = Storm(sim, sc)
    # A LIMIT resting from the start, far below the market, filled only in the last outage: older than any
    # catch-up window by then, its end must still be streamed.
    old = _result(
        sc, storm.send_place(side="BUY", type="LIMIT", size="0.001", price=str(_mid(sim) - 500)), SLOW
    )
    assert old["ok"], old
    old_id = old["data"]["order_id"]

    # 1. A stream outage (REST keeps answering): MARKETs placed meanwhile go over REST, and both resting
    #    LIMITs fill while no fill can stream.
    buy, sell = storm.resting_pair()
    sim.control("down", {"seconds": STREAM_OUTAGE_S, "keep_rest": True})
    start = storm.disconnected()
    markets = [storm.send_place(side=s, type="MARKET", size="0.002") for s in ("BUY", "SELL", "BUY")]
    storm.cross(buy, _limit_price(sc, buy), "BUY")
    _await_sim_fill(sim, buy)
    storm.cross(sell, _limit_price(sc, sell), "SELL")
    _await_sim_fill(sim, sell)
    for cid in markets:
        res = _result(sc, cid, SLOW)
        assert res["ok"] and res["data"]["via"] == "rest", res
    storm.reconnected(start)

    # 2. Network cuts in a row (no close frame): a resting fill and a MARKET racing each cut.
    for side in ("BUY", "SELL", "BUY"):
        buy, sell = storm.resting_pair()
        sim.control("drop")
        target = buy if side == "BUY" else sell
        storm.cross(target, _limit_price(sc, target), side)
        storm.send_place(side=side, type="MARKET", size="0.001")
        storm.reconnected(storm.disconnected())

    # 3. The whole server down (REST too): a resting order crossed as it goes.
    buy, sell = storm.resting_pair()
    storm.cross(old_id, _limit_price(sc, old_id), "BUY")
    sim.control("down", {"seconds": SERVER_OUTAGE_S})
    storm.reconnected(storm.disconnected())

    # Every place has a definite answer: placed, or (a cut raced it) unknown and indeed absent at the venue.
    record = _sim_record(sim)
    at_venue = {o["client_id"] for o in record["orders"]}
    for cid, client_id in storm.placed.items():
        res = _result(sc, cid, SLOW)
        assert res["ok"] or (res["error"]["code"] == "OUTCOME_UNKNOWN" and client_id not in at_venue), (
            f"{res}"
        )

    # Close what still rests; then every order at the venue ends CLOSED on stdout and every fill is there.
    sc.send({"id": "end", "op": "cancel_all", "market": MARKET})
    assert _result(sc, "end", SLOW)["ok"]
    record = _settled(sim)
    _await_on_stdout(sc, {f["id"] for f in record["fills"]}, {o["id"] for o in record["orders"]})

    fills = [e for e in sc.events if e.get("type") == "fill"]
    ids = [e["fill_id"] for e in fills]
    assert len(ids) == len(set(ids)), "a fill was emitted twice"
    assert set(ids) == {f["id"] for f in record["fills"]}, "a fill on stdout the simulator never made"
    assert any(e.get("recovered") for e in fills), "no outage fill was left to the catch-up (test too weak)"


def _settled(sim: SimProcess, timeout: float = SLOW) -> dict[str, list[dict[str, Any]]]:
    """The simulator's record once every order is closed (nothing can fill any more)."""
    deadline = time.monotonic() + timeout
    while True:
        record = _sim_record(sim)
        if all(o["status"] == "CLOSED" for o in record["orders"]) or time.monotonic() > deadline:
            assert record["orders"] and all(o["status"] == "CLOSED" for o in record["orders"]), record
            return record
        time.sleep(0.05)


def _await_on_stdout(sc: Sidecar, fill_ids: set[str], order_ids: set[str]) -> None:
    """Until every fill and every order's CLOSED state are on stdout (bounded); the missing ones named."""
    fills = {e["fill_id"] for e in sc.events if e.get("type") == "fill"}
    closed = {e["order_id"] for e in sc.events if e.get("type") == "order" and e["status"] == "CLOSED"}
    deadline = time.monotonic() + SLOW
    while (fill_ids - fills or order_ids - closed) and time.monotonic() < deadline:
        try:
            event = sc.next_event(max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        if event is None:
            break
        if event.get("type") == "fill":
            fills.add(event["fill_id"])
        elif event.get("type") == "order" and event["status"] == "CLOSED":
            closed.add(event["order_id"])
    assert not fill_ids - fills, f"fills made by the simulator never on stdout: {sorted(fill_ids - fills)}"
    assert not order_ids - closed, f"orders whose final state never streamed: {sorted(order_ids - closed)}"
