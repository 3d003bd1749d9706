"""A slow start-up is never silent: until the stream starts, ``status connecting`` names what start-up waits
for, so the bridge's 5 s silence watchdog does not restart a sidecar whose embedded simulator is slow to come
up on a loaded machine (it did: "no line from the sidecar for 5003 ms (hung)")."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import orjson
import pytest
from conftest import clean_env

from paradex_ws_service import app


def test_status_connecting_with_the_phase_until_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "STARTUP_BEAT_S", 0.01)
    out: list[dict[str, Any]] = []

    async def main() -> None:
        phase = ["waiting for the embedded simulator"]
        beat = asyncio.get_running_loop().create_task(app._startup_beat(out.append, phase))
        while len(out) < 2:
            await asyncio.wait_for(asyncio.sleep(0.01), 1)
        phase[0] = "starting"
        seen = len(out)
        while len(out) == seen:
            await asyncio.wait_for(asyncio.sleep(0.01), 1)
        beat.cancel()

    asyncio.run(asyncio.wait_for(main(), 5))
    assert {e["state"] for e in out} == {"connecting"}
    assert out[0]["reason"] == "waiting for the embedded simulator"
    assert out[-1]["reason"] == "starting"


SLOW_SIM = """
import asyncio, sys
from paradex_ws_service import app, protocol as p
from paradex_ws_service.services import StartupError

async def slow(sim):  # the embedded simulator, slow to come up on a loaded machine
    await asyncio.sleep(3 * app.STARTUP_BEAT_S + 0.5)
    raise StartupError(p.ERR_INTERNAL, "test: stop here", p.EXIT_INTERNAL)

app._sim_urls = slow
from paradex_ws_service.cli import main
main(sys.argv[1:], None)
"""


def test_the_cli_says_what_it_waits_for_while_the_embedded_simulator_starts() -> None:
    """The real CLI, its simulator wait made slow: status lines arrive before the stream could start."""
    proc = subprocess.run(
        [sys.executable, "-c", SLOW_SIM, "--env", "sim", "--markets", "BTC-USD-PERP", "--channels", "bbo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        env=clean_env(),
    )
    lines = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["type"] == "hello"
    beats = [e for e in lines if e["type"] == "status" and e["state"] == "connecting" and "reason" in e]
    assert len(beats) >= 2, lines
    assert beats[0]["reason"] == "waiting for the embedded simulator"
    assert any(e["type"] == "error" and "test: stop here" in e["message"] for e in lines), lines
