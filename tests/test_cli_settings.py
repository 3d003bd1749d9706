"""One validation path: a flag, its environment variable and ``.env.paradex`` go through the same check, and
a bad value from any of them exits 2 with one line naming the variable (and file) and the valid values, no
traceback. Unknown markets are refused at start with the list of valid ones. The real CLI, as a subprocess.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest
from conftest import PYTHON, SimProcess, clean_env, sidecar_args

pytestmark = pytest.mark.timeout(180)  # each case is a cold start of the CLI; slow on a loaded machine


def _run(
    args: list[str], env: dict[str, str] | None, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PYTHON, "-m", "paradex_ws_service", *args],
        capture_output=True,
        env=clean_env(env),
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _last_error_line(stderr: bytes) -> str:
    return stderr.decode().strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "value", "valid"),
    [
        ("PARADEX_ENV", "simm", "prod, testnet, nightly, sim"),
        ("PARADEX_STALE_AFTER", "abc", "> 0"),
        ("PARADEX_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR"),
        ("PARADEX_CHANNELS", "bbo,weather", "bbo, trades, book"),
        ("PARADEX_DRY_RUN", "maybe", "true"),
        ("PARADEX_ORDER_TIMEOUT", "120", "(0, 60]"),
    ],
)
def test_a_bad_environment_value_exits_2_naming_the_variable(
    tmp_path: Path, variable: str, value: str, valid: str
) -> None:
    done = _run(["--env", "sim"] if variable != "PARADEX_ENV" else [], {variable: value}, tmp_path)
    assert done.returncode == 2, done.stderr.decode()[-2000:]
    assert done.stdout == b""
    line = _last_error_line(done.stderr)
    assert line.startswith("paradex-ws: error: ") and f"{variable}={value!r}" in line and valid in line, line
    assert b"Traceback" not in done.stderr


def test_dotenv_values_are_checked_the_same_and_the_file_is_named(tmp_path: Path) -> None:
    (tmp_path / ".env.paradex").write_text("PARADEX_ENV=simm\n")
    done = _run([], None, tmp_path)
    assert done.returncode == 2
    line = _last_error_line(done.stderr)
    assert "PARADEX_ENV='simm' (from .env.paradex)" in line and "prod, testnet, nightly, sim" in line, line


def test_the_flag_wins_and_gets_the_same_check(tmp_path: Path) -> None:
    # a bad flag is refused with the same check and message as the variable (a valid flag overriding a
    # bad variable is checked in-process in test_cli_config.py)
    done = _run(["--stale-after", "abc"], None, tmp_path)
    assert done.returncode == 2
    line = _last_error_line(done.stderr)
    assert "argument --stale-after: 'abc': must be a number of seconds > 0" in line, line


def test_unknown_markets_are_refused_at_start_with_the_valid_ones(sim: SimProcess, tmp_path: Path) -> None:
    # stdin stays open (a command channel): the refusal, not an end of input, must end the process
    proc = subprocess.Popen(
        [PYTHON, "-m", "paradex_ws_service", *sidecar_args(sim, "--markets", "BTC-USD,BTC-USD-PERP")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
    )
    try:
        assert proc.wait(60) == 2
    finally:
        proc.kill()
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    events = [orjson.loads(line) for line in stdout.splitlines()]
    errors = [e for e in events if e["type"] == "error" and e["code"] == "UNKNOWN_MARKET"]
    assert len(errors) == 1, events
    assert "BTC-USD;" in errors[0]["message"]
    assert "valid markets: BTC-USD-PERP, ETH-USD-PERP, SOL-USD-PERP" in errors[0]["message"]
    assert events[-1]["type"] == "status" and events[-1]["state"] == "closed"
    assert "unknown market BTC-USD" in stderr.decode()
