"""Help everywhere, through the real programs: ``paradex-ws --help`` (defaults and exit codes),
``paradex-sim --help`` (its real name, the ``sim_ready`` line, the ``/_sim`` controls), ``make help``."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO, clean_env

pytestmark = pytest.mark.timeout(180)


def _run(*argv: str) -> str:
    done = subprocess.run(list(argv), capture_output=True, env=clean_env(), cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode()


def test_paradex_ws_help_shows_every_default_and_the_exit_codes() -> None:
    text = _run(str(REPO / ".venv/bin/paradex-ws"), "--help")
    assert text.startswith("usage: paradex-ws ")
    options = re.split(r"\n  (?=--)", text.split("options:", 1)[1].split("\nstdout carries", 1)[0])
    for option in options[1:]:
        flag = option.split()[0].rstrip(",")
        if flag in ("--version",):
            continue
        assert "default:" in option, f"{flag} shows no default:\n{option}"
    for code in ("0  clean shutdown", "1  unexpected", "2  bad command line", "3  credentials", "4  trading"):
        assert code in text, code
    assert "--no-commands" in text


def test_paradex_sim_help_has_its_real_name_the_ready_line_and_the_controls() -> None:
    text = _run(str(REPO / ".venv/bin/paradex-sim"), "--help")
    assert text.startswith("usage: paradex-sim ")
    assert '{"type":"sim_ready","ws_url":' in text and "control_url" in text
    for control in (
        "price",
        "pause",
        "drop",
        "down",
        "silence",
        "auth_40111",
        "account",
        "jwt_lifetime",
        "sent",
    ):
        assert re.search(rf"\b{control}\b", text), control
    assert _run(str(REPO / ".venv/bin/python"), "-m", "paradex_sim", "--help").startswith(
        "usage: python -m paradex_sim "
    )


def test_make_help_lists_every_documented_target() -> None:
    makefile = (REPO / "Makefile").read_text()
    documented = re.findall(r"^## ([a-z-]+):", makefile, flags=re.M)
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    assert {"demo", "test", "feed", "help", "sim"} <= set(documented)
    assert set(documented) <= targets, "a ## comment names no target"
    text = _run("make", "--no-print-directory", "help")
    listed = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert listed == documented, text
