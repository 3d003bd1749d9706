"""Shared fixtures: real processes over loopback, lines read with deadlines, never sleep-and-hope.

- ``sim`` / ``start_sim(...)``: the standalone simulator (``paradex-sim --port 0``) as a subprocess, through
  the one launcher (``paradex_sim.testing.SimProcess``); ``SimProcess.control(action, body)`` drives
  ``POST /_sim/<action>`` and ``SimProcess.sent(channel, n)`` reads ``GET /_sim/sent``.
- ``start_sidecar(*args)``: the real CLI (``python -m paradex_ws_service``) as a subprocess with a clean
  environment (no ``PARADEX_*`` from the developer's shell, cwd in a temp dir so no ``.env.paradex``);
  ``Sidecar.expect(pred, timeout)`` waits for a matching stdout line, ``Sidecar.send(cmd)`` writes stdin.
  Every process started is stopped at teardown (SIGTERM, then SIGKILL), whatever the test did.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from paradex_sim.testing import READY_TIMEOUT_S, SimProcess

__all__ = ["SimProcess"]  # re-exported: tests import it from here

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_TIMEOUT = 10.0

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment minus every PARADEX_* variable (tests must not see a developer's keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARADEX_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _stop(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)


# ------------------------------------------------------------------------------------------------------
# the simulator
# ------------------------------------------------------------------------------------------------------


@pytest.fixture
def start_sim(tmp_path: Path) -> Iterator[Callable[..., SimProcess]]:
    """Factory: ``start_sim(seed=1, "--bbo-rate", "50")`` → a running ``SimProcess``."""
    started: list[SimProcess] = []

    # A cold start imports the starknet stack: seconds on a busy 2-core machine, hence the generous wait.
    def start(*args: str, seed: int = 1, timeout: float = READY_TIMEOUT_S) -> SimProcess:
        sim = SimProcess(
            "--seed",
            str(seed),
            *args,
            env=clean_env(),
            cwd=tmp_path,
            stderr_path=tmp_path / f"sim-{len(started)}.log",
            timeout=timeout,
        )
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(start_sim: Callable[..., SimProcess]) -> SimProcess:
    """A simulator with default settings (seed 1)."""
    return start_sim()


# ------------------------------------------------------------------------------------------------------
# the sidecar CLI
# ------------------------------------------------------------------------------------------------------


class Sidecar:
    """The ``paradex-ws`` CLI as a subprocess; stdout lines are parsed on a thread and queued."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr_path: Path) -> None:
        self.proc = proc
        self.stderr_path = stderr_path
        self.lines: list[bytes] = []  # every raw stdout line, in order
        self.events: list[Event] = []  # every parsed line seen by expect()/collect(), in order
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._reading = threading.Event()  # cleared: the reader thread stops reading (a stalled consumer)
        self._reading.set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
            self._reading.wait()
        self._queue.put(None)

    # -- reading -----------------------------------------------------------------------------------

    def next_event(self, timeout: float = DEFAULT_TIMEOUT) -> Event | None:
        """The next stdout line parsed (None at EOF). Raises ``TimeoutError`` after ``timeout``."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(
                f"no stdout line within {timeout}s; stderr:\n{self.stderr()[-3000:]}"
            ) from None
        if line is None:
            self._queue.put(None)  # keep reporting EOF
            return None
        event = orjson.loads(line)
        self.events.append(event)
        return event

    def expect(self, pred: Predicate, timeout: float = DEFAULT_TIMEOUT, what: str = "") -> Event:
        """Read until a line matches ``pred``; fail with the recent lines if none does in time."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                event = self.next_event(remaining)
            except TimeoutError:
                break
            if event is None:
                raise AssertionError(
                    f"stdout closed before {what or 'a match'}; stderr:\n{self.stderr()[-3000:]}"
                )
            if pred(event):
                return event
        recent = "\n".join(json.dumps(e)[:300] for e in self.events[-15:])
        raise AssertionError(
            f"no {what or 'matching line'} within {timeout}s; last lines:\n{recent}\n"
            f"stderr:\n{self.stderr()[-3000:]}"
        )

    def expect_type(self, etype: str, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Event:
        def match(e: Event) -> bool:
            return e.get("type") == etype and all(e.get(k) == v for k, v in fields.items())

        return self.expect(match, timeout, what=f"{etype} {fields or ''}".strip())

    def collect_until(self, pred: Predicate, timeout: float = DEFAULT_TIMEOUT, what: str = "") -> list[Event]:
        """Every event read up to and including the first that matches ``pred``."""
        start = len(self.events)
        self.expect(pred, timeout, what)
        return self.events[start:]

    def drain(self, timeout: float = DEFAULT_TIMEOUT) -> list[Event]:
        """Read to EOF (after the process ended or was asked to); returns what was read."""
        start = len(self.events)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.next_event(max(0.01, deadline - time.monotonic())) is None:
                return self.events[start:]
        raise TimeoutError(f"stdout not closed within {timeout}s")

    def stall(self) -> None:
        """Stop reading stdout (after the current line): the pipe fills up like a stuck consumer's."""
        self._reading.clear()

    def unstall(self) -> None:
        self._reading.set()

    # -- writing and lifecycle ------------------------------------------------------------------------

    def send(self, command: Event | bytes | str) -> None:
        assert self.proc.stdin is not None
        if isinstance(command, dict):
            data = orjson.dumps(command) + b"\n"
        elif isinstance(command, str):
            data = command.encode()
        else:
            data = command
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()

    def wait_exit(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        self._reading.set()
        _stop(self.proc)


@pytest.fixture
def start_sidecar(tmp_path: Path) -> Iterator[Callable[..., Sidecar]]:
    """Factory: ``start_sidecar("--ws-url", sim.ws_url, "--channels", "bbo")`` → a running ``Sidecar``."""
    started: list[Sidecar] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Sidecar:
        stderr_path = tmp_path / f"sidecar-{len(started)}.stderr"
        with open(stderr_path, "wb") as stderr:  # the child keeps its own copy
            proc = subprocess.Popen(
                [PYTHON, "-m", "paradex_ws_service", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=clean_env(env),
                cwd=tmp_path,
                start_new_session=True,
            )
        sidecar = Sidecar(proc, stderr_path)
        started.append(sidecar)
        return sidecar

    yield start
    for sidecar in started:
        sidecar.stop()


def sidecar_args(sim: SimProcess, *extra: str, sbe: bool = True) -> list[str]:
    """CLI arguments pointing the sidecar at ``sim``."""
    return [
        "--env",
        "sim",
        "--ws-url",
        sim.ws_url,
        "--rest-url",
        sim.rest_url,
        "--sbe" if sbe else "--no-sbe",
        *extra,
    ]
