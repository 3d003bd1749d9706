"""One rule for command parameters, checked on the shared corpus the TypeScript schema is tested on too
(packages/paradex/test/schema.test.ts): every ``commands.jsonl`` line is accepted, every
``commands_refused.jsonl`` line is refused by the real CLI with its code; a command id reused for another
command is refused (DUPLICATE_ID) while an identical re-send gets the first outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import sidecar_args

from paradex_ws_service import order_params
from paradex_ws_service import protocol as p
from paradex_ws_service.commands import Command

EXAMPLES = Path(p.__file__).parent / "protocol_examples"
PARSERS = {
    "place": lambda c: order_params.parse_place(c.params),
    "cancel": order_params.parse_cancel,
    "klines": order_params.parse_klines,
    "set_leverage": order_params.parse_leverage,
}
SLOW = 90.0  # a bound for a loaded 2-core machine: the first trading command may wait for the account imports


def _lines(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (EXAMPLES / name).read_text().splitlines() if line]


@pytest.mark.parametrize("obj", _lines("commands.jsonl"), ids=lambda o: str(o["id"]))
def test_every_example_command_is_accepted(obj: dict[str, Any]) -> None:
    assert set(obj) - {"id", "op"} <= p.COMMAND_PARAMS[obj["op"]]
    command = Command(obj["id"], obj["op"], obj)
    order_params.refuse_nulls(command)
    parse = PARSERS.get(obj["op"])
    if parse is not None:
        parse(command)


def test_refused_examples_are_refused_by_the_cli_with_their_code(start_sidecar: Any) -> None:
    cases = _lines("commands_refused.jsonl")
    sc = start_sidecar("--env", "sim", "--dry-run", "--channels", "bbo")
    sc.expect_type("hello", SLOW)
    for case in cases:
        sc.send(case["command"])
    answers: dict[Any, str] = {}
    for case in cases:
        cid = case["command"]["id"]
        if cid in answers:
            continue

        def answered(e: dict[str, Any], cid: Any = cid) -> bool:
            return e.get("type") in ("result", "error") and e.get("id") == (cid if cid != "" else None)

        event = next((e for e in sc.events if answered(e)), None) or sc.expect(
            answered, SLOW, f"answer {cid}"
        )
        assert event.get("ok") is not True, (case, event)
        answers[cid] = event["error"]["code"] if event["type"] == "result" else event["code"]
    wrong = {c["command"]["id"]: (answers[c["command"]["id"]], c["code"], c["why"]) for c in cases}
    assert {k: v for k, v in wrong.items() if v[0] != v[1]} == {}


def test_a_reused_id_with_other_parameters_is_refused(start_sidecar: Any) -> None:
    sc = start_sidecar("--env", "sim", "--dry-run", "--channels", "bbo")
    order = {"op": "place", "market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.001"}
    sc.send({"id": "d1", **order, "price": "65000"})
    first = sc.expect(lambda e: e.get("type") == "result" and e.get("id") == "d1", SLOW, "first result")
    assert first["ok"] and first["data"]["dry_run"], first
    sc.send({"price": "65000", "id": "d1", **order})  # the same command, keys in another order
    again = sc.expect(lambda e: e.get("type") == "result" and e.get("id") == "d1", SLOW, "second result")
    assert again == {**first, "seq": again["seq"]}  # the first outcome (the same generated client_id)
    sc.send({"id": "d1", **order, "side": "SELL", "price": "65000"})
    other = sc.expect(lambda e: e.get("type") == "result" and e.get("id") == "d1", SLOW, "third result")
    assert not other["ok"] and other["error"]["code"] == p.ERR_DUPLICATE_ID, other


def test_a_repeated_read_is_read_again_and_its_id_stays_taken(start_sim: Any, start_sidecar: Any) -> None:
    """Reads keep no answer (they may be large; reading twice changes nothing): the same `balance` id after a
    trade shows the new balance. The id stays taken: another command under it is refused."""
    sim = start_sim()
    sc = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--markets", "BTC-USD-PERP"))

    def ask(command: dict[str, Any]) -> dict[str, Any]:  # expect() reads only lines not read before
        sc.send(command)
        cid = command["id"]
        return sc.expect(lambda e: e.get("type") == "result" and e.get("id") == cid, SLOW, f"result {cid}")

    first = ask({"id": "b1", "op": "balance"})
    assert first["ok"], first
    placed = ask({"id": "m1", "op": "place", "market": "BTC-USD-PERP", "side": "BUY", "type": "MARKET",
                  "size": "0.001"})  # fmt: skip
    assert placed["ok"], placed
    for _ in range(100):  # the fill settles its fee a moment after the acknowledgement
        again = ask({"id": "b1", "op": "balance"})
        assert again["ok"], again
        if again["data"] != first["data"]:
            break
    else:
        raise AssertionError("the repeated balance never showed the trade: answered from the first read?")
    for reuse in ({"id": "b1", "op": "snapshot"}, {"id": "m1", "op": "balance"}):
        refused = ask(reuse)
        assert not refused["ok"] and refused["error"]["code"] == p.ERR_DUPLICATE_ID, refused
