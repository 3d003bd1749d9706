"""``paradex-ws --record FILE`` and ``paradex-sim --replay FILE``: a production capture replayed through the
real sidecar, and a session recorded by the sidecar replayed to another one with the same result."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import sidecar_args
from paradex_py.api.sbe import decode_frame
from test_trading_cli import MARKET, PRIVATE, SLOW, _ready

from paradex_ws_service.protocol import canonical_decimal

FIXTURES = Path(__file__).parent / "fixtures" / "paradex_replay"
CAPTURE = FIXTURES / "btc-bbo-sbe-2026-10-08.jsonl"  # its first line names the source


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _bbo_key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["exchange_seq"], event["bid"], event["bid_size"], event["ask"], event["ask_size"])


def _bbos(sc: Any, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = [e for e in sc.events if e.get("type") == "bbo"]
    while len(got) < count:
        got.append(sc.expect_type("bbo", timeout=SLOW))
    return got


@pytest.mark.timeout(180)  # two processes' cold starts on a busy 2-core machine
def test_a_production_capture_replays_through_the_sidecar(start_sim: Any, start_sidecar: Any) -> None:
    expected = []
    for line in _lines(CAPTURE):
        if line.get("opcode") == "binary":
            _, m = decode_frame(base64.b64decode(line["b64"]))
            expected.append(
                (
                    m.seq_no,
                    canonical_decimal(m.bid_price),
                    canonical_decimal(m.bid_size),
                    canonical_decimal(m.ask_price),
                    canonical_decimal(m.ask_size),
                )
            )
    sim = start_sim("--replay", str(CAPTURE), "--fast")
    sc = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--markets", MARKET))
    got = _bbos(sc, len(expected))
    assert [_bbo_key(e) for e in got] == expected
    assert sim.get("replay")["sent"] == len(expected)  # the recorded ack is answered live, not replayed


@pytest.mark.timeout(240)  # four processes' cold starts on a busy 2-core machine
def test_a_recorded_session_replays_to_the_same_events(
    start_sim: Any, start_sidecar: Any, tmp_path: Path
) -> None:
    sim = start_sim("--bbo-rate", "20")
    recording = tmp_path / "session.jsonl"
    channels = ",".join(("bbo", *PRIVATE))
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", channels, "--markets", MARKET, "--record", str(recording))
    )
    _ready(sc)
    _bbos(sc, 12)
    sc.close_stdin()
    sc.drain(SLOW)
    assert sc.wait_exit(SLOW) == 0
    live = [e for e in sc.events if e.get("type") == "bbo"]

    lines = _lines(recording)
    header, frames = lines[0], lines[1:]
    assert header["recording"] == "paradex-ws" and header["sbe"] is True and header["channels"][0] == "bbo"
    assert {f["opcode"] for f in frames} == {"text", "binary"}  # JSON control plane, SBE public data
    assert all(isinstance(f["t_ns"], int) for f in frames)
    raw = recording.read_text()
    assert "eyJ" not in raw and "node_id" not in raw and "bearer" not in raw.lower()  # no JWT, no auth answer

    replay = start_sim("--replay", str(recording), "--replay-speed", "50")
    sc2 = start_sidecar(*sidecar_args(replay, "--channels", "bbo", "--markets", MARKET))
    replayed = _bbos(sc2, len(live))
    assert [_bbo_key(e) for e in replayed] == [_bbo_key(e) for e in live]
