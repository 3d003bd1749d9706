"""stdin commands and the process lifecycle: every kind of bad line answered, runtime (un)subscribe,
exit 0 quickly on EOF, SIGTERM and ``shutdown``, documented exit codes for bad configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from conftest import PYTHON, Sidecar, SimProcess, clean_env, sidecar_args

EXIT_BOUND_S = 3.0  # the process promises 2 s; the margin absorbs a loaded CI machine


def _started(sim: SimProcess, start_sidecar: Callable[..., Sidecar], *extra: str) -> Sidecar:
    car = start_sidecar(*sidecar_args(sim, *extra))
    car.expect(lambda e: e["type"] == "status" and e["state"] == "subscribed", 15, "status subscribed")
    return car


def test_every_kind_of_bad_line_is_answered_and_the_process_keeps_running(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = _started(sim, start_sidecar)
    cases: list[tuple[bytes, dict[str, Any]]] = [
        (b"this is not json\n", {"type": "error", "code": "BAD_JSON"}),
        (b"[1, 2, 3]\n", {"type": "error", "code": "NOT_AN_OBJECT"}),
        (b'"ping"\n', {"type": "error", "code": "NOT_AN_OBJECT"}),
        (b'{"op": "ping"}\n', {"type": "error", "code": "MISSING_ID"}),
        (b'{"id": true, "op": "ping"}\n', {"type": "error", "code": "MISSING_ID"}),
        (b'{"id": {"a": 1}, "op": "ping"}\n', {"type": "error", "code": "MISSING_ID"}),
        (b'{"id": "a"}\n', {"type": "result", "id": "a", "ok": False, "code": "MISSING_OP"}),
        (b'{"id": "b", "op": 7}\n', {"type": "result", "id": "b", "ok": False, "code": "MISSING_OP"}),
        (b'{"id": "c", "op": "fly"}\n', {"type": "result", "id": "c", "ok": False, "code": "UNKNOWN_OP"}),
        (
            b'{"id": "d", "op": "subscribe"}\n',
            {"type": "result", "id": "d", "ok": False, "code": "BAD_PARAMS"},
        ),
        (
            b'{"id": "e", "op": "subscribe", "channel": "weather", "market": "BTC-USD-PERP"}\n',
            {"type": "result", "id": "e", "ok": False, "code": "BAD_PARAMS"},
        ),
        (
            b'{"id": "f", "op": "subscribe", "channel": "bbo"}\n',
            {"type": "result", "id": "f", "ok": False, "code": "BAD_PARAMS"},
        ),
        (
            b'{"id": "g", "op": "unsubscribe", "channel": "trades", "market": "SOL-USD-PERP"}\n',
            {"type": "result", "id": "g", "ok": False, "code": "BAD_PARAMS"},
        ),
        (b"x" * (1 << 21) + b"\n", {"type": "error", "code": "LINE_TOO_LONG"}),
        (b"\xff\xfe garbage \x00\n", {"type": "error", "code": "BAD_JSON"}),
    ]
    for line, want in cases:
        car.send(line)
        code = want.pop("code")

        def match(e: dict[str, Any], want: dict[str, Any] = want, code: str = code) -> bool:
            if any(e.get(k) != v for k, v in want.items()):
                return False
            body = e.get("error") if e["type"] == "result" else e
            return body is not None and body["code"] == code

        event = car.expect(match, what=f"{want} {code} for {line[:40]!r}")
        message = event["error"]["message"] if event["type"] == "result" else event["message"]
        assert len(message) > 10, "the message must say what is wrong"
    car.send({"id": 42, "op": "ping"})
    pong = car.expect_type("result", id=42)
    assert pong["ok"] and pong["data"]["pong"] is True
    results = [e for e in car.events if e["type"] == "result"]
    assert len({r["id"] for r in results}) == len(results), "exactly one result per id"
    assert car.proc.poll() is None


def test_subscribe_and_unsubscribe_at_runtime(sim: SimProcess, start_sidecar: Callable[..., Sidecar]) -> None:
    car = _started(sim, start_sidecar, "--channels", "bbo")
    car.send({"id": 1, "op": "subscribe", "channel": "trades", "market": "ETH-USD-PERP"})
    result = car.expect_type("result", id=1)
    assert result["ok"] and result["data"] == {"channel": "trades.ETH-USD-PERP"}
    car.expect_type("trade", timeout=15, market="ETH-USD-PERP")
    # Subscribing twice is idempotent (Paradex itself would answer an error).
    car.send({"id": 2, "op": "subscribe", "channel": "trades", "market": "ETH-USD-PERP"})
    assert car.expect_type("result", id=2)["ok"]
    car.send({"id": 3, "op": "unsubscribe", "channel": "bbo", "market": "BTC-USD-PERP"})
    result = car.expect_type("result", id=3)
    assert result["ok"] and result["data"] == {"channel": "bbo.BTC-USD-PERP"}
    # A market the venue does not list: the venue's refusal becomes ok:false.
    car.send({"id": 4, "op": "subscribe", "channel": "bbo", "market": "DOGE-USD-PERP"})
    refused = car.expect_type("result", id=4)
    assert refused["ok"] is False and refused["error"]["code"] == "SUBSCRIBE_FAILED"
    # After the unsubscribe was answered, BTC bbo stops while ETH trades keep flowing.
    mark = len(car.events)
    for _ in range(3):
        car.expect_type("trade", timeout=15, market="ETH-USD-PERP")
    late = [e for e in car.events[mark:] if e["type"] == "bbo" and e["market"] == "BTC-USD-PERP"]
    assert len(late) <= 1, late  # at most one frame already in flight when the unsubscribe was sent


def test_markets_command_returns_the_venue_metadata(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = _started(sim, start_sidecar, "--channels", "bbo")
    car.send({"id": "m", "op": "markets"})
    result = car.expect_type("result", id="m")
    assert result["ok"], result
    listed = {m["symbol"]: m for m in result["data"]["markets"]}
    with urllib.request.urlopen(sim.rest_url + "/markets", timeout=5) as response:
        rest = {m["symbol"]: m for m in orjson.loads(response.read())["results"]}
    assert listed == rest


@pytest.mark.parametrize("how", ["eof", "sigterm", "shutdown"])
def test_exits_zero_quickly(sim: SimProcess, start_sidecar: Callable[..., Sidecar], how: str) -> None:
    car = _started(sim, start_sidecar, "--channels", "bbo,trades")
    car.expect_type("bbo")
    started = time.monotonic()
    if how == "eof":
        car.close_stdin()
    elif how == "sigterm":
        car.proc.send_signal(signal.SIGTERM)
    else:
        car.send({"id": "bye", "op": "shutdown"})
    assert car.wait_exit(EXIT_BOUND_S) == 0
    elapsed = time.monotonic() - started
    tail = car.drain()
    closed = [e for e in car.events if e["type"] == "status" and e["state"] == "closed"]
    assert len(closed) == 1 and car.events[-1] is closed[0], "status closed is the last line"
    assert closed[0]["reason"] in ("stdin closed", "SIGTERM", "shutdown command")
    if how == "shutdown":
        assert [e for e in tail + car.events if e["type"] == "result" and e["id"] == "bye" and e["ok"]]
    assert elapsed < EXIT_BOUND_S
    seqs = [e["seq"] for e in car.events]
    assert seqs == list(range(1, len(seqs) + 1))


def test_bad_configuration_exits_2_with_nothing_on_stdout() -> None:
    # one case end to end (the other refusals are checked in-process in test_cli_config.py)
    for args in (["--channels", "weather"],):
        proc = subprocess.run(
            [PYTHON, "-m", "paradex_ws_service", *args],
            capture_output=True,
            env=clean_env(),
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 2, args
        assert proc.stdout == b""
        assert proc.stderr, "the reason goes to stderr"


def test_private_channels_without_credentials_exit_3(sim: SimProcess) -> None:
    proc = subprocess.run(
        [
            PYTHON,
            "-m",
            "paradex_ws_service",
            "--env",
            "testnet",
            "--ws-url",
            sim.ws_url,
            "--channels",
            "orders",
        ],
        capture_output=True,
        env=clean_env(),
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 3, proc.stderr.decode()[-2000:]
    lines = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["type"] == "hello"
    assert any(e["type"] == "error" and e["code"] == "CREDENTIALS" for e in lines)
    assert lines[-1]["type"] == "status" and lines[-1]["state"] == "closed"


def test_help_documents_flags_and_exit_codes() -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "paradex_ws_service", "--help"], capture_output=True, env=clean_env(), timeout=30
    )
    assert proc.returncode == 0
    text = proc.stdout.decode()
    for flag in (
        "--env",
        "--markets",
        "--channels",
        "--ws-url",
        "--rest-url",
        "--sbe",
        "--no-sbe",
        "--book-feed",
        "--stale-after",
        "--stats-interval",
        "--log-level",
        "exit codes",
        "PARADEX_ENV",
    ):
        assert flag in text, flag


@pytest.mark.parametrize("target", ["devnull", "file"])
def test_stdout_to_dev_null_or_a_file(sim: SimProcess, tmp_path: Any, target: str) -> None:
    """Not only pipes: a regular file gets whole lines, /dev/null must not crash the event loop."""
    out_path = tmp_path / "out.ndjson"
    with open(os.devnull if target == "devnull" else out_path, "wb") as out:
        proc = subprocess.Popen(
            [PYTHON, "-m", "paradex_ws_service", *sidecar_args(sim, "--channels", "bbo")],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.PIPE,
            env=clean_env(),
            cwd=tmp_path,
        )
    assert proc.stdin is not None
    proc.stdin.write(b'{"id": 1, "op": "ping"}\n')
    proc.stdin.flush()
    if target == "file":
        deadline = time.monotonic() + 15
        while b'"type":"bbo"' not in out_path.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a file for a condition, bounded by the deadline
    proc.stdin.close()
    assert proc.wait(15) == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    if target == "file":
        events = [orjson.loads(line) for line in out_path.read_bytes().splitlines()]
        assert events[0]["type"] == "hello" and events[-1]["state"] == "closed"
        assert any(e["type"] == "bbo" for e in events)
        assert any(e["type"] == "result" and e["id"] == 1 for e in events)
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_stdin_pipe_is_read_without_making_the_parents_description_non_blocking(
    sim: SimProcess, tmp_path: Any
) -> None:
    """The sidecar reads a stdin pipe on its event loop through a private reopening: the description the
    parent shares (we keep the read end open here to look at it) must stay blocking."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [PYTHON, "-m", "paradex_ws_service", *sidecar_args(sim, "--channels", "bbo")],
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=clean_env(),
        cwd=tmp_path,
    )
    try:
        os.write(write_end, b'{"id": "p", "op": "ping"}\n')
        assert proc.stdout is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or b'"type":"result"' in line:
                break
        assert b'"id":"p"' in line and b'"ok":true' in line, line
        assert os.get_blocking(read_end), "the child made the shared stdin description non-blocking"
    finally:
        os.close(write_end)
        os.close(read_end)
    assert proc.wait(EXIT_BOUND_S) == 0  # closing the last writer is EOF on the private reopening too


def test_commands_from_a_regular_file_are_answered_then_the_feed_goes_on(
    sim: SimProcess, tmp_path: Any
) -> None:
    """stdin that epoll cannot watch (a regular file) goes through the reader thread: same answers. A file
    is not a command channel: its end does not end the feed, SIGTERM does."""
    commands = tmp_path / "commands.ndjson"
    commands.write_bytes(b'{"id": 1, "op": "ping"}\nnot json\n{"id": 2, "op": "stats"}')
    with open(commands, "rb") as stdin, open(tmp_path / "err.txt", "wb") as err:
        proc = subprocess.Popen(
            [PYTHON, "-m", "paradex_ws_service", *sidecar_args(sim, "--channels", "bbo")],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=err,
            env=clean_env(),
            cwd=tmp_path,
        )
    car = Sidecar(proc, tmp_path / "err.txt")
    try:
        car.expect(lambda e: e["type"] == "result" and e["id"] == 2, 30, "the file's last command answered")
        mark = len(car.events)
        car.expect_type("bbo", 15)  # still streaming after the file's end
        assert proc.poll() is None and len(car.events) > mark
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(EXIT_BOUND_S) == 0
        car.drain()
    finally:
        car.stop()
    events = car.events
    answered = {e["id"] for e in events if e["type"] == "result" and e["ok"]}
    assert answered == {1, 2}  # the last line has no newline and still counts
    assert any(e["type"] == "error" and e["code"] == "BAD_JSON" for e in events)
    assert events[-1]["type"] == "status" and events[-1]["state"] == "closed"
    assert events[-1]["reason"] == "SIGTERM"
