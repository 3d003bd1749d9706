"""A feed started in the background of an interactive terminal, or moved there with Ctrl-Z and `bg`, keeps
streaming: it never reads the terminal from the background (SIGTTIN ignored), so it is never "Stopped (tty
input)" (docs/SIDECAR.md, "Stdin: command channel or not"). Run in a real terminal (tmux) with job control.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "paradex-ws"
FEED = f"{BIN} --env sim --markets BTC-USD-PERP --channels bbo"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True, timeout=10).stdout


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """An interactive bash (job control on) in a tmux pane; yields a function that types one line."""
    session = f"pws-bg-{os.getpid()}-{tmp_path.name}"
    _tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "bash", "--norc", "--noprofile", "-i")
    try:
        yield lambda line: _tmux("send-keys", "-t", session, line, "Enter")
    finally:
        pid_file = tmp_path / "pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=10)


def _until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def _bbo_lines(out: Path) -> int:
    return out.read_bytes().count(b'"type":"bbo"') if out.exists() else 0


def _state(pid: int) -> str:
    # /proc/<pid>/stat: "pid (comm) S …" — the state letter follows the last ")".
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def _streams_while_in_background(out: Path, pid: int) -> None:
    _until(lambda: _bbo_lines(out) > 0, 90, "the first bbo line")
    before = _bbo_lines(out)
    _until(lambda: _bbo_lines(out) > before + 5, 30, "bbo lines to keep coming")
    assert _state(pid) != "T", "stopped: the background job read the terminal"


def _terminate(pid: int, err: Path) -> None:
    os.kill(pid, signal.SIGTERM)
    _until(lambda: not Path(f"/proc/{pid}").exists() or _state(pid) == "Z", 20, "the feed to exit on SIGTERM")
    assert "Traceback" not in err.read_text()


def test_started_with_ampersand_it_streams_and_is_never_stopped(
    terminal: Callable[[str], None], tmp_path: Path
) -> None:
    out, err, pid_file = tmp_path / "out.ndjson", tmp_path / "err.log", tmp_path / "pid"
    terminal(f"cd {tmp_path} && sh -c 'echo $$ > {pid_file}; exec {FEED}' > {out} 2> {err} &")
    _until(pid_file.exists, 30, "the pid file")
    pid = int(pid_file.read_text())
    _streams_while_in_background(out, pid)
    _terminate(pid, err)


def test_moved_to_the_background_with_ctrl_z_and_bg_it_keeps_streaming(
    terminal: Callable[[str], None], tmp_path: Path
) -> None:
    out, err, pid_file = tmp_path / "out.ndjson", tmp_path / "err.log", tmp_path / "pid"
    # In the foreground the terminal is its command channel…
    terminal(f"cd {tmp_path} && sh -c 'echo $$ > {pid_file}; exec {FEED}' > {out} 2> {err}")
    _until(pid_file.exists, 30, "the pid file")
    pid = int(pid_file.read_text())
    _until(lambda: _bbo_lines(out) > 0, 90, "the first bbo line")
    # …then Ctrl-Z stops it (as it must) and `bg` resumes it in the background, where the tty is not read.
    terminal("C-z")  # send-keys with a key name: Ctrl-Z (followed by Enter, harmless at the shell prompt)
    _until(lambda: _state(pid) == "T", 15, "Ctrl-Z to stop the job")
    terminal("bg")
    _until(lambda: _state(pid) != "T", 15, "bg to resume the job")
    _streams_while_in_background(out, pid)
    time.sleep(1.0)  # the stimulus: a background read attempt would have stopped it again by now
    assert _state(pid) != "T", "stopped (tty input) after bg"
    _terminate(pid, err)
