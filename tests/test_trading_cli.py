"""The trading sidecar end to end: the real CLI as a subprocess, the simulator as another, real paradex-py
signing on one side and signature verification on the other, everything over loopback.
"""

from __future__ import annotations

import re
import time
import urllib.request
from decimal import Decimal
from typing import Any

import orjson
import pytest
from conftest import Sidecar, SimProcess, sidecar_args

from paradex_ws_service.paradex.signing import EC_ORDER, public_key

MARKET = "BTC-USD-PERP"
PRIVATE = ("orders", "fills", "positions", "account")
SLOW = 30.0  # a generous bound for one command on a loaded 2-core machine


def _ready(sc: Sidecar, start: int = 0) -> None:
    """Wait until every private channel is subscribed at or after event index ``start``."""
    pending = set(PRIVATE)
    for event in sc.events[start:]:
        if event.get("type") == "status" and event.get("state") == "subscribed":
            pending.discard(event.get("channel"))
    if not pending:
        return
    sc.expect(
        lambda e: (
            e.get("type") == "status"
            and e.get("state") == "subscribed"
            and (pending.discard(e.get("channel")) or not pending)
        ),
        timeout=SLOW,
        what="all private channels subscribed",
    )


def _command(sc: Sidecar, cid: Any, op: str, timeout: float = 15.0, **params: Any) -> dict[str, Any]:
    sc.send({"id": cid, "op": op, **params})
    return _result(sc, cid, timeout)


def _result(sc: Sidecar, cid: Any, timeout: float = 15.0) -> dict[str, Any]:
    for event in sc.events:
        if event.get("type") == "result" and event.get("id") == cid:
            return event
    return sc.expect(lambda e: e.get("type") == "result" and e.get("id") == cid, timeout, f"result {cid}")


def _order_closed(sc: Sidecar, order_id: str, timeout: float = 10.0) -> dict[str, Any]:
    for event in sc.events:
        if event.get("type") == "order" and event["order_id"] == order_id and event["status"] == "CLOSED":
            return event
    return sc.expect(
        lambda e: e.get("type") == "order" and e["order_id"] == order_id and e["status"] == "CLOSED",
        timeout,
        f"order {order_id} CLOSED",
    )


def _bbo(sim: SimProcess) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sim.rest_url}/bbo/{MARKET}", timeout=5) as response:
        return orjson.loads(response.read())


def _orders_received(sim: SimProcess) -> int:
    return int(sim.get("trading")["counters"]["orders_received"])


def _events_after(sc: Sidecar, start: int, etype: str, **fields: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in sc.events[start:]
        if e.get("type") == etype and all(e.get(k) == v for k, v in fields.items())
    ]


def _find(sc: Sidecar, start: int, etype: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
    """The first ``etype`` event with ``fields`` from index ``start`` on, read already or still to come."""
    seen = _events_after(sc, start, etype, **fields)
    return seen[0] if seen else sc.expect_type(etype, timeout, **fields)


# ------------------------------------------------------------------------------------------------------


def test_orders_fills_positions_and_account(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sim.control("pause")  # a still market: touch prices and sizes stay what the test read
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET))
    _ready(sc)

    # MARKET: result, then order NEW → CLOSED, fill (taker), position, account — in that order.
    start = len(sc.events)
    res = _command(sc, "m1", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.01")
    assert res["ok"], res
    oid = res["data"]["order_id"]
    assert res["data"]["client_id"].startswith("pws-")
    _order_closed(sc, oid)
    _find(sc, start, "account")
    kinds = [
        e["type"]
        for e in sc.events[start:]
        if e["type"] in ("result", "order", "fill", "position", "account") and e.get("order_id", oid) == oid
    ]
    assert kinds == ["result", "order", "order", "fill", "position", "account"], kinds
    fill = _find(sc, start, "fill", order_id=oid)
    assert fill["liquidity"] == "TAKER" and fill["size"] == "0.01" and fill["fee_currency"] == "USDC"
    assert Decimal(fill["fee"]) > 0
    position = _events_after(sc, start, "position", market=MARKET)[-1]
    assert position["side"] == "LONG" and position["size"] == "0.01"

    # IOC crossing the touch with more than the touch holds: a partial fill, the rest cancelled.
    bbo = _bbo(sim)
    size = Decimal(bbo["ask_size"]) + Decimal("0.001")
    start = len(sc.events)
    res = _command(
        sc,
        "p1",
        "place",
        market=MARKET,
        side="BUY",
        type="LIMIT",
        tif="IOC",
        size=str(size),
        price=bbo["ask"],
    )
    assert res["ok"], res
    closed = _order_closed(sc, res["data"]["order_id"])
    assert closed["remaining_size"] == "0.001" and closed["cancel_reason"] == "REMAINING_IOC_CANCEL"
    _find(sc, start, "account")  # published after the fills
    fills = _events_after(sc, start, "fill", order_id=closed["order_id"])
    assert sum(Decimal(f["size"]) for f in fills) == Decimal(bbo["ask_size"])
    assert closed["avg_fill_price"] == bbo["ask"]

    # Resting LIMIT: OPEN below the market, filled as a maker once the market comes down to it.
    bid = Decimal(_bbo(sim)["bid"])
    price = bid - 50
    start = len(sc.events)
    res = _command(
        sc,
        "r1",
        "place",
        market=MARKET,
        side="BUY",
        type="LIMIT",
        size="0.001",
        price=str(price),
        client_id="rest-1",
    )
    assert res["ok"] and res["data"]["client_id"] == "rest-1", res
    rid = res["data"]["order_id"]
    _find(sc, start, "order", order_id=rid, status="OPEN")
    sim.control("price", {"market": MARKET, "mid": str(price - 20)})
    closed = _order_closed(sc, rid)
    assert closed["remaining_size"] == "0" and closed["cancel_reason"] is None
    maker = _find(sc, start, "fill", order_id=rid)
    assert maker["liquidity"] == "MAKER" and maker["price"] == str(price) and Decimal(maker["fee"]) < 0

    # Cancel by order id, by client id, and cancel_all.
    bid = Decimal(_bbo(sim)["bid"])
    ids = {}
    for n in range(4):
        res = _command(
            sc,
            f"o{n}",
            "place",
            market=MARKET,
            side="BUY",
            type="LIMIT",
            size="0.001",
            price=str(bid - 100 - n),
            client_id=f"c-{n}",
        )
        assert res["ok"], res
        ids[n] = res["data"]["order_id"]
    res = _command(sc, "x0", "cancel", order_id=ids[0])
    assert res["ok"] and res["data"]["status"] == "QUEUED_FOR_CANCELLATION", res
    assert _order_closed(sc, ids[0])["cancel_reason"] == "USER_CANCELED"
    res = _command(sc, "x1", "cancel", client_id="c-1", market=MARKET)
    assert res["ok"], res
    assert _order_closed(sc, ids[1])["cancel_reason"] == "USER_CANCELED"
    res = _command(sc, "x2", "cancel", order_id=ids[0])
    assert not res["ok"] and res["error"]["code"] == "NOT_FOUND", res
    res = _command(sc, "xa", "cancel_all", market=MARKET)
    assert res["ok"], res
    assert _order_closed(sc, ids[2])["cancel_reason"] == "USER_CANCELED"
    assert _order_closed(sc, ids[3])["cancel_reason"] == "USER_CANCELED"

    # Duplicates: the same command id twice, and the same client_id under another id, place once.
    before = _orders_received(sim)
    line = {
        "id": "dup",
        "op": "place",
        "market": MARKET,
        "side": "SELL",
        "type": "MARKET",
        "size": "0.001",
        "client_id": "once",
    }
    sc.send(line)
    sc.send(line)
    sc.send({**line, "id": "dup-2"})

    def dups() -> list[dict[str, Any]]:
        return [e for e in sc.events if e.get("type") == "result" and e.get("id") == "dup"]

    if len(dups()) < 2:
        sc.expect(lambda e: len(dups()) >= 2, 10, "two results for the repeated id")
    results = [*dups(), _result(sc, "dup-2")]
    assert all(r["ok"] for r in results), results
    assert len({r["data"]["order_id"] for r in results}) == 1
    assert _orders_received(sim) == before + 1
    res = _command(
        sc, "dup-3", "place", market=MARKET, side="BUY", type="MARKET", size="0.002", client_id="once"
    )
    assert not res["ok"] and res["error"]["code"] == "CLIENT_ID_REUSED", res
    assert _orders_received(sim) == before + 1

    # Every private update sent twice by the exchange is emitted once.
    sim.control("duplicate_private", {"count": 8})  # a MARKET order's 8 private publications
    start = len(sc.events)
    res = _command(sc, "twice", "place", market=MARKET, side="BUY", type="MARKET", size="0.001")
    oid = res["data"]["order_id"]
    _order_closed(sc, oid)
    _find(sc, start, "account")
    then = _command(sc, "after-twice", "place", market=MARKET, side="SELL", type="MARKET", size="0.001")
    _order_closed(sc, then["data"]["order_id"])  # frames arrive in order: every duplicate was read by now
    sent = [o for o in sim.sent("orders.ALL") if o["id"] == oid]
    assert len(sent) == 4  # NEW and CLOSED, each twice
    assert [e["status"] for e in _events_after(sc, start, "order", order_id=oid)] == ["NEW", "CLOSED"]
    assert len(_events_after(sc, start, "fill", order_id=oid)) == 1

    # A snapshot reconciles: no open orders left, the position is the sum of the fills.
    snap = _command(sc, "s1", "snapshot")
    assert snap["ok"], snap
    assert snap["data"]["orders"] == []
    filled = sum(
        Decimal(e["size"]) * (1 if e["side"] == "BUY" else -1) for e in sc.events if e.get("type") == "fill"
    )
    (pos,) = [p for p in snap["data"]["positions"] if p["market"] == MARKET]
    assert Decimal(pos["size"]) == filled
    assert snap["data"]["balances"][0]["token"] == "USDC"
    assert set(snap["data"]["account"]) >= {"account_value", "free_collateral", "initial_margin_requirement"}

    # Toolkit: balance, klines, set_leverage.
    res = _command(sc, "b1", "balance")
    assert res["ok"] and res["data"]["balances"], res
    res = _command(sc, "k1", "klines", market=MARKET, resolution="1m", limit=10)
    assert res["ok"] and res["data"]["klines"], res
    row = res["data"]["klines"][-1]
    assert isinstance(row[0], int) and all(isinstance(v, str) for v in row[1:6]) and row[6] == row[0] + 59_999
    res = _command(sc, "l1", "set_leverage", market=MARKET, leverage="5")
    assert res["ok"] and res["data"]["leverage"] == "5", res
    res = _command(sc, "l2", "set_leverage", market=MARKET, leverage="500")
    assert not res["ok"] and res["error"]["code"] == "REJECTED", res


REFUSALS = [
    (
        {"market": "DOGE-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "1", "price": "1"},
        "UNKNOWN_MARKET",
    ),
    ({"side": "BUY", "type": "MARKET", "size": 0.001}, "DECIMAL_NOT_STRING"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.001", "price": 65000}, "DECIMAL_NOT_STRING"),
    ({"side": "BUY", "type": "MARKET", "size": "1e-3"}, "BAD_DECIMAL"),
    ({"side": "UP", "type": "MARKET", "size": "0.001"}, "BAD_SIDE"),
    ({"side": "BUY", "type": "STOP", "size": "0.001"}, "BAD_ORDER_TYPE"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.001", "price": "65000", "tif": "FOK"}, "BAD_TIF"),
    ({"side": "BUY", "type": "MARKET", "size": "0.001", "price": "65000"}, "PRICE_NOT_ALLOWED"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.000015", "price": "65000"}, "SIZE_INCREMENT"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.001", "price": "65000.05"}, "PRICE_TICK"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.0001", "price": "65000"}, "MIN_NOTIONAL"),
    ({"side": "BUY", "type": "LIMIT", "size": "101", "price": "1"}, "MAX_ORDER_SIZE"),
    ({"side": "BUY", "type": "LIMIT", "size": "0.1", "price": "65000"}, "MAX_NOTIONAL"),
    ({"side": "BUY", "type": "MARKET", "size": "0.1"}, "MAX_NOTIONAL"),
    (
        {"side": "BUY", "type": "LIMIT", "size": "0.001", "price": "65000", "client_id": "no spaces"},
        "BAD_CLIENT_ID",
    ),
    ({"side": "BUY", "type": "LIMIT", "size": "0.001"}, "BAD_PARAMS"),
]


def test_validation_refusals_and_dry_run(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", "bbo", "--markets", MARKET),
        env={"PARADEX_DRY_RUN": "1", "PARADEX_MAX_ORDER_NOTIONAL": "5000"},  # the environment's way in
    )
    sc.expect_type("status", state="subscribed", timeout=SLOW)
    for n, (params, code) in enumerate(REFUSALS):
        res = _command(sc, f"v{n}", "place", **{"market": MARKET, **params})
        assert not res["ok"] and res["error"]["code"] == code, (params, res)
        assert res["error"]["message"]
    res = _command(
        sc, "ok", "place", SLOW, market=MARKET, side="BUY", type="LIMIT", size="0.001", price="65000"
    )
    assert res["ok"] and res["data"]["dry_run"] is True and res["data"]["status"] == "NOT_SENT", res
    res = _command(sc, "bad-cancel", "cancel", market=MARKET)
    assert not res["ok"] and res["error"]["code"] == "BAD_PARAMS"
    assert _orders_received(sim) == 0  # nothing reached the exchange
    sc.expect_type("bbo")  # and the public stream kept flowing


def test_drop_between_send_and_acknowledgement_neither_loses_nor_doubles(
    start_sim: Any, start_sidecar: Any
) -> None:
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET))
    _ready(sc)
    warm = _command(
        sc, "warm", "place", SLOW, market=MARKET, side="BUY", type="LIMIT", size="0.001", price="50000"
    )
    assert warm["ok"], warm
    sim.control("drop_after_order_received", {"count": 1})
    before = _orders_received(sim)
    start = len(sc.events)
    res = _command(
        sc,
        "lost-ack",
        "place",
        20,
        market=MARKET,
        side="BUY",
        type="MARKET",
        size="0.002",
        client_id="drop-1",
    )
    assert res["ok"], res
    assert res["data"]["recovered"] is True and res["data"]["via"] == "lookup"
    assert _orders_received(sim) == before + 1
    reconnecting = _find(sc, start, "status", state="reconnecting")
    _ready(sc, sc.events.index(reconnecting))
    snap = _command(sc, "snap", "snapshot")
    (pos,) = [p for p in snap["data"]["positions"] if p["market"] == MARKET]
    assert pos["size"] == "0.002"  # filled once, not twice
    # Asking again with the same client_id is answered from the first outcome, still not resent.
    again = _command(
        sc, "lost-ack-2", "place", market=MARKET, side="BUY", type="MARKET", size="0.002", client_id="drop-1"
    )
    assert again["ok"] and again["data"]["order_id"] == res["data"]["order_id"]
    assert _orders_received(sim) == before + 1


def test_token_expiry_and_40111_are_survived(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sim.control("jwt_lifetime", {"seconds": 3})
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET))
    _ready(sc)
    issued = sim.get("trading")["tokens_issued"]
    deadline = time.monotonic() + 15
    while sim.get("trading")["tokens_issued"] < issued + 2:  # refreshed ahead of expiry, twice
        assert time.monotonic() < deadline, "the JWT was not refreshed before it expired"
        time.sleep(0.2)
    # The next connection's auth is refused once with 40111: re-auth and reconnect, not a crash.
    start = len(sc.events)
    sim.control("auth_40111", {"count": 1})
    sim.control("drop")
    rejected = _find(sc, start, "error", code="CREDENTIALS")
    assert "re-authenticating" in rejected["message"]
    _ready(sc, sc.events.index(_find(sc, sc.events.index(rejected), "status", state="connected")))
    res = _command(sc, "after", "place", SLOW, market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert res["ok"], res
    assert _order_closed(sc, res["data"]["order_id"])["status"] == "CLOSED"
    assert sc.proc.poll() is None


def test_cancel_on_disconnect_is_rearmed_after_reconnect(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET, "--cancel-on-disconnect")
    )
    _ready(sc)
    for round_ in range(2):
        res = _command(
            sc,
            f"rest-{round_}",
            "place",
            SLOW,
            market=MARKET,
            side="BUY",
            type="LIMIT",
            size="0.001",
            price="50000",
        )
        assert res["ok"] and res["data"]["via"] == "ws", res
        state = sim.get("trading")
        assert [o["id"] for a in state["accounts"] for o in a["open_orders"]] == [res["data"]["order_id"]]
        start = len(sc.events)
        sim.control("drop")
        _ready(sc, sc.events.index(_find(sc, start, "status", state="reconnecting")))
        deadline = time.monotonic() + 5
        while any(a["open_orders"] for a in sim.get("trading")["accounts"]):
            assert time.monotonic() < deadline, f"round {round_}: the order survived the disconnect"
            time.sleep(0.05)


def _account_on_sim(sim: SimProcess, key: int) -> str:
    return sim.control("account", {"public_key": hex(public_key(key))})["address"]


def test_subkey_credentials_and_no_secret_in_any_output(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    main_key, sub_key = 0x1234567890ABCDEF1234567890ABCDEF, EC_ORDER - 0x777
    address = _account_on_sim(sim, main_key)
    sim.control("subkey", {"address": address, "public_key": hex(public_key(sub_key))})
    sim.control("jwt_lifetime", {"seconds": 4})  # several refreshes during the run, all must stay hidden
    env = {"PARADEX_SIM_L2_ADDRESS": address, "PARADEX_SIM_L2_PRIVATE_KEY": hex(sub_key)}
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET, "--log-level", "DEBUG"),
        env=env,
    )
    _ready(sc)
    res = _command(sc, "sub", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.001")
    assert res["ok"], res
    _order_closed(sc, res["data"]["order_id"])
    time.sleep(5)  # not a synchronisation: let at least one JWT refresh happen and be logged
    start = len(sc.events)
    sim.control("auth_40111", {"count": 1})
    sim.control("drop")
    rejected = sc.events.index(_find(sc, start, "error", code="CREDENTIALS"))
    _ready(sc, sc.events.index(_find(sc, rejected, "status", state="connected")))
    sc.close_stdin()
    assert sc.wait_exit() == 0
    sc.drain()
    output = b"".join(sc.lines).decode() + sc.stderr()
    assert "authenticated as" in output and "JWT refreshed" in output  # the scan saw the auth logs
    for secret in (hex(sub_key), hex(sub_key)[2:], str(sub_key), hex(main_key)[2:]):
        assert secret.lower() not in output.lower()
    assert not re.search(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.", output), "a JWT leaked"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"PARADEX_SIM_L2_PRIVATE_KEY": "not-a-key", "PARADEX_SIM_L2_ADDRESS": "0x1"},
            "PARADEX_SIM_L2_PRIVATE_KEY",
        ),
        ({"PARADEX_SIM_L2_PRIVATE_KEY": "0xabc"}, "incomplete credentials"),
        (
            {"PARADEX_SIM_L2_PRIVATE_KEY": "0x5eed5eed5eed5eed", "PARADEX_SIM_L2_ADDRESS": "0x1234"},
            "refused the credentials",
        ),
    ],
)
def test_bad_credentials_give_one_clear_error_and_exit_3(
    start_sim: Any, start_sidecar: Any, env: dict[str, str], fragment: str
) -> None:
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", "bbo,orders", "--markets", MARKET), env=env)
    assert sc.wait_exit(20) == 3
    events = sc.drain()
    assert sc.events[0]["type"] == "hello"
    errors = [e for e in sc.events if e["type"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "CREDENTIALS" and fragment in errors[0]["message"], (
        errors
    )
    assert events[-1]["type"] == "status" and events[-1]["state"] == "closed"
    assert "5eed5eed5eed5eed" not in b"".join(sc.lines).decode() + sc.stderr()
    assert "Traceback" not in b"".join(sc.lines).decode()


def test_orders_go_over_rest_while_the_websocket_is_down(start_sim: Any, start_sidecar: Any) -> None:
    """No WebSocket (nothing listens at the WS URL): orders still go out, once each, over REST."""
    sim = start_sim()
    args = sidecar_args(sim, "--channels", "bbo", "--markets", MARKET)
    args[args.index("--ws-url") + 1] = "ws://127.0.0.1:9/ws/v1"  # the discard port: connection refused
    sc = start_sidecar(*args)
    sc.expect_type("status", state="disconnected", timeout=SLOW)
    res = _command(
        sc, "r1", "place", SLOW, market=MARKET, side="BUY", type="MARKET", size="0.001", client_id="rest-a"
    )
    assert res["ok"] and res["data"]["via"] == "rest", res
    again = _command(
        sc, "r1", "place", market=MARKET, side="BUY", type="MARKET", size="0.001", client_id="rest-a"
    )
    assert again["data"]["order_id"] == res["data"]["order_id"]
    assert _orders_received(sim) == 1
    snap = _command(sc, "s", "snapshot")
    assert snap["ok"] and [p["size"] for p in snap["data"]["positions"]] == ["0.001"], snap
    res = _command(sc, "c", "cancel_all")
    assert res["ok"] and res["data"]["via"] == "rest", res


def test_l1_key_credentials_derive_onboard_and_trade(start_sim: Any, start_sidecar: Any) -> None:
    """PARADEX_L1_ADDRESS + PARADEX_L1_PRIVATE_KEY: the Stark key is derived, the account onboarded."""
    from eth_account import Account

    eth = Account.create()
    sim = start_sim()
    env = {"PARADEX_SIM_L1_ADDRESS": eth.address, "PARADEX_SIM_L1_PRIVATE_KEY": eth.key.hex()}
    sc = start_sidecar(*sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET), env=env)
    _ready(sc)
    res = _command(sc, "l1", "place", SLOW, market=MARKET, side="SELL", type="MARKET", size="0.001")
    assert res["ok"], res
    assert _order_closed(sc, res["data"]["order_id"])["remaining_size"] == "0"
    assert len(sim.get("trading")["accounts"]) == 1
    assert eth.key.hex().removeprefix("0x") not in b"".join(sc.lines).decode() + sc.stderr()


def test_a_slow_acknowledgement_holds_only_its_own_orders_events(start_sim: Any, start_sidecar: Any) -> None:
    """Order A's acknowledgement is 3 s late (the simulator's fault control); order B, placed meanwhile,
    gets its result and its fill at once: B's fill is written before A's result. A's own events still
    come after A's result."""
    sim = start_sim()
    sim.control("pause")
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", ",".join(PRIVATE), "--markets", MARKET, "--order-timeout", "30")
    )
    _ready(sc)
    bbo = _bbo(sim)
    cross = {
        "market": MARKET,
        "side": "BUY",
        "type": "LIMIT",
        "tif": "IOC",
        "size": "0.001",
        "price": bbo["ask"],
    }
    sim.control("delay_order_ack", {"seconds": 3, "count": 1})
    received = _orders_received(sim)
    start = len(sc.events)
    sc.send({"id": "slow-a", "op": "place", "client_id": "slow-a", **cross})
    deadline = time.monotonic() + SLOW
    while _orders_received(sim) == received and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the simulator's counter for A's arrival, bounded by the deadline
    res_b = _command(sc, "fast-b", "place", SLOW, client_id="fast-b", **cross)
    assert res_b["ok"], res_b
    fill_b = _find(sc, start, "fill", SLOW, order_id=res_b["data"]["order_id"])
    res_a = _result(sc, "slow-a", SLOW)
    assert res_a["ok"] and res_a["data"]["via"] == "ws", res_a  # acknowledged, not looked up
    events = sc.events[start:]
    assert events.index(fill_b) < events.index(res_a), "B's fill waited for A's acknowledgement"
    own = _find(sc, start, "order", SLOW, order_id=res_a["data"]["order_id"])
    assert events.index(res_a) < sc.events[start:].index(own), "A's update came before A's result"
