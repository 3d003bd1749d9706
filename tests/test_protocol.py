"""The example corpus and protocol.py agree; the TypeScript bridge checks the same corpus with zod."""

from __future__ import annotations

from pathlib import Path
from typing import get_origin, get_type_hints

import orjson
import pytest
from typing_extensions import NotRequired

from paradex_ws_service import protocol
from paradex_ws_service.protocol import COMMAND_OPS, EVENT_TYPES, canonical_decimal

EXAMPLES = Path(protocol.__file__).parent / "protocol_examples"


def _events() -> list[dict]:
    return [orjson.loads(line) for line in (EXAMPLES / "events.jsonl").read_text().splitlines() if line]


def _fields(td: type) -> tuple[set[str], set[str]]:
    """(required, optional) keys of a TypedDict, honouring NotRequired."""
    hints = get_type_hints(td, include_extras=True)
    optional = {k for k, v in hints.items() if get_origin(v) is NotRequired}
    return set(hints) - optional, optional


@pytest.mark.parametrize("example", _events(), ids=lambda e: f"{e['type']}-{e['seq']}")
def test_every_example_matches_its_typed_dict(example: dict) -> None:
    required, optional = _fields(EVENT_TYPES[example["type"]])
    keys = set(example)
    assert required <= keys, f"missing {required - keys}"
    assert keys <= required | optional, f"unknown {keys - required - optional}"


def test_every_event_type_has_an_example() -> None:
    assert {e["type"] for e in _events()} == set(EVENT_TYPES)


def test_examples_have_contiguous_seq() -> None:
    assert [e["seq"] for e in _events()] == list(range(1, len(_events()) + 1))


def test_commands_use_known_ops() -> None:
    lines = (EXAMPLES / "commands.jsonl").read_text().splitlines()
    ops = {orjson.loads(line)["op"] for line in lines if line}
    assert ops == COMMAND_OPS


@pytest.mark.parametrize(
    ("raw", "canon"),
    [
        ("65000.50000000", "65000.5"),
        ("100", "100"),
        ("0.000", "0"),
        ("-0.00", "0"),
        ("1E+2", "100"),
        (".5", "0.5"),
        ("007", "7"),
        ("-12.0100", "-12.01"),
        ("1e-8", "0.00000001"),
    ],
)
def test_canonical_decimal(raw: str, canon: str) -> None:
    assert canonical_decimal(raw) == canon


@pytest.mark.parametrize("bad", ["abc", "", "1.2.3", "NaN", "Infinity"])
def test_canonical_decimal_refuses_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_decimal(bad)
