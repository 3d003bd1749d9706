"""Credentials scoped to where they belong, through the real CLI against the simulator:

- ``--env sim`` never uses an exchange's credentials (``PARADEX_L1_*``/``PARADEX_L2_*`` from the environment
  or ``.env.paradex``): it trades on a paper key, or on ``PARADEX_SIM_*`` when given;
- a feed of public channels only logs in nowhere at start; the first command that needs the account does.

The credentials used below are ones the simulator refuses (an address that does not match the key), so a
run that used them would exit 3 instead of streaming.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Sidecar, SimProcess, sidecar_args

pytestmark = pytest.mark.timeout(180)

MARKET = "BTC-USD-PERP"
REFUSED = {"L2_ADDRESS": "0x1234", "L2_PRIVATE_KEY": "0x5eed5eed5eed5eed"}  # not that account's key
SLOW = 60.0  # cold start and first signature on a loaded machine


def _exchange_credentials() -> dict[str, str]:
    return {f"PARADEX_{k}": v for k, v in REFUSED.items()}


def _place(sc: Sidecar, cid: str) -> dict[str, Any]:
    sc.send({"id": cid, "op": "place", "market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.01"})
    return sc.expect(lambda e: e.get("type") == "result" and e.get("id") == cid, SLOW, f"result {cid}")


def _tokens_issued(sim: SimProcess) -> int:
    return int(sim.get("trading")["tokens_issued"])


def test_sim_ignores_the_exchange_credentials_of_env_paradex(
    start_sim: Any, start_sidecar: Any, tmp_path: Path
) -> None:
    sim = start_sim()
    sim.control("pause")
    # what the README tells users to do for testnet; the sidecar's working directory is tmp_path
    (tmp_path / ".env.paradex").write_text("".join(f"{k}={v}\n" for k, v in _exchange_credentials().items()))
    sc = start_sidecar(*sidecar_args(sim, "--channels", "orders,fills", "--markets", MARKET))
    sc.expect_type("status", SLOW, state="subscribed", channel="fills")
    result = _place(sc, "p1")
    assert result["ok"], result
    sc.expect_type("fill", SLOW, client_id=result["data"]["client_id"])
    accounts = [a["address"] for a in sim.get("trading")["accounts"]]
    assert len(accounts) == 1 and int(accounts[0], 16) != int(REFUSED["L2_ADDRESS"], 16)
    assert "ignores PARADEX_L1_*/PARADEX_L2_*" in sc.stderr() and "paper key" in sc.stderr()
    assert not [e for e in sc.events if e["type"] == "error"]


def test_a_public_feed_logs_in_nowhere_even_with_credentials(start_sim: Any, start_sidecar: Any) -> None:
    """``make feed`` with testnet credentials saved: public channels stream, nothing authenticates."""
    sim = start_sim()
    args = [
        "--env",
        "testnet",
        "--ws-url",
        sim.ws_url,
        "--rest-url",
        sim.rest_url,
        "--channels",
        "bbo,trades",
    ]
    sc = start_sidecar(*args, env=_exchange_credentials())
    sc.expect_type("bbo", SLOW)
    sc.expect_type("trade", SLOW)
    assert _tokens_issued(sim) == 0
    assert not [e for e in sc.events if e["type"] == "error"]
    sc.close_stdin()
    assert sc.wait_exit(SLOW) == 0


def test_a_public_feed_logs_in_on_its_first_trading_command(start_sim: Any, start_sidecar: Any) -> None:
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--markets", MARKET))
    sc.expect_type("bbo", SLOW)
    assert _tokens_issued(sim) == 0, "a public feed authenticated at start"
    result = _place(sc, "lazy")
    assert result["ok"] and result["data"]["via"] == "rest", result  # the socket is a public one
    assert _tokens_issued(sim) >= 1


def test_bad_sim_credentials_refuse_the_command_not_the_public_feed(
    start_sim: Any, start_sidecar: Any
) -> None:
    sim = start_sim()
    env = {f"PARADEX_SIM_{k}": v for k, v in REFUSED.items()}
    sc = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--markets", MARKET), env=env)
    sc.expect_type("bbo", SLOW)
    for cid in ("first", "again"):  # a failed login is tried again by the next command
        result = _place(sc, cid)
        assert not result["ok"] and result["error"]["code"] == "CREDENTIALS", result
    mark = len(sc.events)
    sc.expect_type("bbo", SLOW)  # still streaming
    assert sc.proc.poll() is None and len(sc.events) > mark
    assert "5eed5eed5eed5eed" not in b"".join(sc.lines).decode() + sc.stderr()
