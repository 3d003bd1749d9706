"""The sidecar as an installable product: it runs the simulator (its own distribution), never imports it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import PYTHON, REPO, clean_env

from paradex_ws_service import protocol as p

# The CLI with paradex_sim made unimportable in its interpreter (a None in sys.modules is what find_spec
# reports as absent) and no paradex-sim on PATH: an installation of the product alone.
WITHOUT_SIM = (
    "import sys; sys.modules['paradex_sim'] = None; from paradex_ws_service.entry import main; main()"
)


def test_env_sim_without_the_simulator_installed_exits_2_naming_the_package(
    tmp_path: os.PathLike[str],
) -> None:
    proc = subprocess.run(
        [PYTHON, "-c", WITHOUT_SIM, "--env", "sim", "--markets", "BTC-USD-PERP"],
        capture_output=True,
        env=clean_env({"PATH": "/usr/bin:/bin"}),
        cwd=tmp_path,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == p.EXIT_USAGE, proc.stderr
    assert proc.stdout == b""
    assert b"pip install paradex-sim" in proc.stderr


# One fresh virtualenv per session, outside the repository, built the way a user installs: the wheels of
# this checkout (scripts/install-sidecar-venv.sh, shared with the TypeScript install test) and their
# dependencies from PyPI through pip's cache. Slow (paradex-py's dependency tree), hence a single test.
@pytest.mark.timeout(900)
def test_wheels_install_into_a_fresh_venv_and_stream_from_the_embedded_simulator(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    venv = tmp_path_factory.mktemp("user-venv") / "venv"
    built = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-sidecar-venv.sh"), str(venv)],
        capture_output=True,
        text=True,
        timeout=840,
        stdin=subprocess.DEVNULL,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    bin_dir = Path(built.stdout.strip().splitlines()[-1])
    assert bin_dir == venv.resolve() / "bin"

    # The product wheel: the sidecar with its protocol examples; no simulator, no test helpers.
    (product,) = (venv / "wheels").glob("paradex_ws_service-*.whl")
    names = zipfile.ZipFile(product).namelist()
    assert "paradex_ws_service/protocol_examples/events.jsonl" in names
    assert not [n for n in names if "sim/" in n or n.startswith("paradex_sim") or "testing" in n], names
    assert not [n for n in names if n.startswith("tests/")]

    # A user's shell: the venv's bin on PATH, a working directory outside the checkout, no PYTHONPATH.
    env = {k: v for k, v in clean_env().items() if k != "PYTHONPATH"}
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin:/bin"
    home = tmp_path_factory.mktemp("user-project")
    shown = subprocess.run(
        ["paradex-ws", "--help"], capture_output=True, text=True, env=env, cwd=home, timeout=120
    )
    assert shown.returncode == 0 and "--env" in shown.stdout, shown.stderr

    stderr = home / "stderr.log"
    with open(stderr, "wb") as log:  # the child keeps its own copy (the simulator child writes there too)
        proc = subprocess.Popen(
            ["paradex-ws", "--env", "sim", "--markets", "BTC-USD-PERP", "--channels", "bbo"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            cwd=home,
            start_new_session=True,
        )
    try:
        lines = _first_lines(proc, until="bbo", timeout=120, stderr=stderr)
        assert lines[0]["type"] == "hello" and lines[0]["env"] == "sim"
        assert lines[-1]["type"] == "bbo" and lines[-1]["market"] == "BTC-USD-PERP"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # end of stdin: a clean shutdown, which stops the simulator child too
        try:
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _first_lines(
    proc: subprocess.Popen[bytes], until: str, timeout: float, stderr: Path
) -> list[dict[str, Any]]:
    """Stdout lines parsed up to the first of type ``until``, read on a thread with a deadline."""
    found: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            found.put(orjson.loads(line))
        found.put(None)

    threading.Thread(target=read, daemon=True).start()
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not lines or lines[-1]["type"] != until:
        try:
            event = found.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            event = None
        if event is None:
            log = stderr.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"no {until} line (timeout {timeout}s or end of stdout): {lines[-10:]}\n{log}"
            )
        lines.append(event)
    return lines
