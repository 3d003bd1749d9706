"""The one launcher of the Paradex simulator process (`paradex-sim`, its own distribution).

Used by ``paradex-ws --env sim`` without a URL (the "embedded" simulator), by the tests' fixtures and by the
benchmarks (through ``paradex_sim.testing.SimProcess``). It lives in the product because the product must
start the simulator but may never import it: it runs the executable and reads its one ``sim_ready`` line.
``paradex_sim.testing`` builds its control-API helpers on top of this; the simulator already depends on this
distribution (it signs and verifies with ``paradex_ws_service.paradex.signing``), so no arrow is added.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeAlias, TypedDict

import orjson

INSTALL_HINT = "pip install paradex-sim (from a checkout: pip install ./paradex-sim)"


class SimReady(TypedDict):
    """The simulator's first stdout line."""

    type: str  # "sim_ready"
    ws_url: str
    rest_url: str
    control_url: str
    pid: int
    seed: int


class SimNotInstalled(RuntimeError):
    """Neither ``paradex_sim`` in this interpreter nor ``paradex-sim`` on PATH."""


class SimStartError(RuntimeError):
    """The simulator exited or stayed silent before its ``sim_ready`` line."""


def sim_command() -> list[str]:
    """How to run the simulator: this interpreter's ``-m paradex_sim`` when it can import it (same venv, same
    dependencies), else a ``paradex-sim`` executable on PATH. ``find_spec`` locates without importing."""
    if importlib.util.find_spec("paradex_sim") is not None:
        return [sys.executable, "-m", "paradex_sim"]
    exe = shutil.which("paradex-sim")
    if exe is not None:
        return [exe]
    raise SimNotInstalled(f"the Paradex simulator is not installed: {INSTALL_HINT}")


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the parent dies, even by SIGKILL, so an embedded
    simulator never outlives its sidecar."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


class SimLauncher:
    """A started ``paradex-sim --port 0`` child; ``wait_ready()`` returns its ``sim_ready`` line."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        stderr: IO[Any] | int | None = None,
        new_session: bool = False,
        die_with_parent: bool = False,
        command: Sequence[str] | None = None,
    ) -> None:
        """Start the child now (``args`` are the simulator's flags after ``--port 0``); ``stderr`` None
        inherits ours. ``new_session``: own process group (tests); ``die_with_parent``: the embedded mode."""
        argv = [*(command or sim_command()), "--port", "0", *args]
        preexec = _die_with_parent if die_with_parent and sys.platform == "linux" else None
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"},
            cwd=cwd,
            start_new_session=new_session,
            preexec_fn=preexec,
        )
        self._ready: SimReady | None = None

    def wait_ready(self, timeout: float) -> SimReady:
        """Block until the ``sim_ready`` line (once; later calls return it). On timeout or an early exit the
        child is stopped and ``SimStartError`` raised (with its exit code when it exited)."""
        if self._ready is not None:
            return self._ready
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        line = b""
        while b"\n" not in line:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise SimStartError(f"simulator not ready within {timeout:g}s")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self.proc.wait()
                raise SimStartError(f"simulator exited early (exit {code})")
            line += chunk
        try:
            ready = orjson.loads(line.split(b"\n", 1)[0])
        except orjson.JSONDecodeError:
            ready = None
        if not isinstance(ready, dict) or ready.get("type") != "sim_ready":
            self.stop()
            raise SimStartError(f"unexpected first line from the simulator: {line[:200]!r}")
        self._ready = SimReady(
            type="sim_ready",
            ws_url=str(ready["ws_url"]),
            rest_url=str(ready["rest_url"]),
            control_url=str(ready["control_url"]),
            pid=int(ready["pid"]),
            seed=int(ready.get("seed") or 0),  # a replaying simulator (--replay) has no seed
        )
        return self._ready

    def stop(self, grace: float = 3.0) -> int:
        """SIGTERM, wait up to ``grace``, then SIGKILL; returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def start_embedded(seed: int, log_level: str) -> SimLauncher:
    """The simulator of ``paradex-ws --env sim`` (no URL): our stderr, quiet unless debugging, and killed
    with us. Raises ``SimNotInstalled`` when the paradex-sim distribution is missing."""
    level = "INFO" if log_level == "DEBUG" else "WARNING"
    return SimLauncher("--seed", str(seed), "--log-level", level, die_with_parent=True)


# What the entry point did about the embedded simulator before the CLI was imported (see entry.py).
EarlySim: TypeAlias = "SimLauncher | SimNotInstalled | None"
