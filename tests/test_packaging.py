"""The sidecar as an installable product: it runs the simulator (its own distribution), never imports it."""

from __future__ import annotations

import os
import subprocess

from conftest import PYTHON, clean_env

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
