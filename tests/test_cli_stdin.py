"""Stdin that behaves, through the real CLI:

- every sidecar example command in README.md and docs/SIDECAR.md is run exactly as written (extracted from
  the markdown): the piped ``place`` gets its result and its order's own events, then exits 0; a feed
  started with no command channel keeps streaming until a signal;
- ``--no-commands``: a closed stdin pipe does not end the feed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import PYTHON, REPO, SimProcess, clean_env, sidecar_args

pytestmark = pytest.mark.timeout(240)

DOCS = ("README.md", "docs/SIDECAR.md")
NO_NETWORK = re.compile(r"--env (testnet|prod|nightly)\b")  # nothing here reaches Paradex


def sidecar_examples() -> list[tuple[str, str]]:
    """(document, command) for each shell line of a fenced block that runs the sidecar."""
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        text = (REPO / doc).read_text()
        for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S):
            joined = re.sub(r"\\\n\s*", "", block)  # continuation lines
            for line in joined.splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                # the program itself (``paradex-ws`` or ``…/bin/paradex-ws``), not a package name to install
                if re.search(r"(?:^|[\s/|])paradex-ws(?:\s|$)|-m paradex_ws_service(?:\s|$)", command):
                    found.append((doc, command))
    return found


EXAMPLES = sidecar_examples()


def test_the_docs_have_sidecar_examples() -> None:
    assert any('op":"place"' in c for _, c in EXAMPLES), EXAMPLES  # the piped place of the README
    assert any("--help" in c for _, c in EXAMPLES)


def _spawn(command: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    env = clean_env({"PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"})
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as stderr:
        proc = subprocess.Popen(
            ["bash", "-c", command],
            stdin=subprocess.DEVNULL,  # as from cron or nohup: no command channel
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=REPO,
            start_new_session=True,  # the pipeline is one group: one signal stops it all
        )
    return proc, err


@pytest.mark.parametrize(("doc", "command"), EXAMPLES, ids=[f"{d}:{c[:60]}" for d, c in EXAMPLES])
def test_documented_example_runs_as_written(doc: str, command: str, tmp_path: Path) -> None:
    if NO_NETWORK.search(command):
        pytest.skip("talks to a real Paradex; no network here")
    proc, err = _spawn(command, tmp_path)
    try:
        if "--help" in command:
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0 and b"exit codes" in out, err.read_text()[-2000:]
            return
        if command.startswith("echo "):
            out, _ = proc.communicate(timeout=180)
            assert proc.returncode == 0, err.read_text()[-3000:]
            events = [orjson.loads(line) for line in out.splitlines()]
            result = next(e for e in events if e["type"] == "result")
            assert result["ok"], result
            order_id = result["data"]["order_id"]
            after = events[events.index(result) :]
            assert any(e["type"] == "order" and e["order_id"] == order_id for e in after), events
            assert any(e["type"] == "fill" and e["order_id"] == order_id for e in after), events
            assert events[-1]["type"] == "status" and events[-1]["reason"] == "stdin closed"
            return
        # a feed: stdin is /dev/null (no command channel), so it must stream until a signal. Its lines may
        # be jq's pretty-printed ones: read raw lines, look for bbo events in the text.
        lines: list[bytes] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")), daemon=True)  # type: ignore[union-attr]
        reader.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (len(lines) > 40 and _bbos(lines) >= 3):
            assert proc.poll() is None, f"the feed stopped by itself; stderr:\n{err.read_text()[-3000:]}"
            time.sleep(0.1)  # polling a list filled by the reader thread, bounded by the deadline
        assert _bbos(lines) >= 3, b"".join(lines[-40:]).decode()
        assert proc.poll() is None, "the feed stopped by itself"
        for pid in _sidecars_in_group(proc.pid):  # SIGTERM to the sidecar: jq then sees EOF, exits 0
            os.kill(pid, signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _sidecars_in_group(pgid: int) -> list[int]:
    """The sidecar processes of the pipeline this test started (its own process group)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        pgrp = int(stat.rsplit(")", 1)[1].split()[2])
        if pgrp == pgid and b"paradex" in cmdline and not cmdline.startswith(b"bash"):
            found.append(int(entry))
    assert found, "no sidecar process in the pipeline"
    return found


def _bbos(lines: list[bytes]) -> int:
    return sum(1 for line in lines if re.search(rb'"type": ?"bbo"', line))


def test_no_commands_keeps_streaming_after_stdin_closes(sim: SimProcess, start_sidecar: object) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo", "--no-commands"))  # type: ignore[operator]
    car.expect_type("bbo", 60)
    car.close_stdin()
    mark = len(car.events)
    car.expect_type("bbo", 30)
    car.expect_type("bbo", 30)
    assert car.proc.poll() is None and len(car.events) >= mark + 2
    car.proc.send_signal(signal.SIGTERM)
    assert car.wait_exit(30) == 0


def test_eof_waits_for_a_running_command(sim: SimProcess, tmp_path: Path) -> None:
    """Commands already received finish before the exit (here a `markets` REST call and a `place`)."""
    lines = (
        b'{"id":"m","op":"markets"}\n'
        b'{"id":"p","op":"place","market":"BTC-USD-PERP","side":"BUY","type":"MARKET","size":"0.01"}\n'
    )
    done = subprocess.run(
        [PYTHON, "-m", "paradex_ws_service", *sidecar_args(sim, "--channels", "orders,fills")],
        input=lines,
        capture_output=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    events = [orjson.loads(line) for line in done.stdout.splitlines()]
    results = {e["id"]: e for e in events if e["type"] == "result"}
    assert results["m"]["ok"] and results["p"]["ok"], results
    assert not any("cancelled" in str(e) for e in events)
    assert any(e["type"] == "fill" and e["order_id"] == results["p"]["data"]["order_id"] for e in events)
