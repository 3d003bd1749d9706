"""cli.parse_config in-process: flags win over the environment, which wins over .env.paradex, which wins
over defaults; every invalid value exits 2 with the reason on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from paradex_ws_service.cli import parse_config

ENV_VARS = ("PARADEX_ENV", "PARADEX_MARKETS", "PARADEX_CHANNELS", "PARADEX_SBE", "PARADEX_STALE_AFTER",
            "PARADEX_BOOK_FEED", "PARADEX_WS_URL", "PARADEX_REST_URL", "PARADEX_STATS_INTERVAL",
            "PARADEX_ENV_FILE", "PARADEX_LOG_LEVEL", "PARADEX_DRY_RUN", "PARADEX_MAX_ORDER_NOTIONAL",
            "PARADEX_CANCEL_ON_DISCONNECT", "PARADEX_ORDER_TIMEOUT")  # fmt: skip


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env.paradex


def test_defaults() -> None:
    config = parse_config([])
    assert (config.env, config.markets, config.channels) == ("testnet", ("BTC-USD-PERP",), ("bbo",))
    assert config.sbe is True and config.book_feed == "snapshot" and config.ws_url is None
    assert config.default_rest_url() == "https://api.testnet.paradex.trade/v1"


def test_flags_win_over_environment_which_wins_over_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env.paradex").write_text(
        "PARADEX_ENV=nightly\nPARADEX_MARKETS=SOL-USD-PERP\nPARADEX_CHANNELS=trades\nPARADEX_SBE=0\n"
    )
    monkeypatch.setenv("PARADEX_MARKETS", "ETH-USD-PERP")
    config = parse_config(["--channels", "bbo,book,bbo"])
    assert config.env == "nightly"  # only in .env.paradex
    assert config.markets == ("ETH-USD-PERP",)  # environment beats .env.paradex
    assert config.channels == ("bbo", "book")  # the flag beats both; duplicates dropped
    assert config.sbe is False
    assert parse_config(["--sbe"]).sbe is True


def test_sim_rest_url_follows_a_standalone_simulator_ws_url() -> None:
    config = parse_config(["--env", "sim", "--ws-url", "ws://127.0.0.1:8787/ws/v1"])
    assert config.default_rest_url() == "http://127.0.0.1:8787/v1"
    assert config.embedded_sim is False
    assert parse_config(["--env", "sim"]).embedded_sim is True


@pytest.mark.parametrize(
    "args",
    [
        ["--channels", "weather"],
        ["--env", "mars"],
        ["--stale-after", "-1"],
        ["--stats-interval", "zero"],
        ["--markets", ","],
        ["--book-feed", "full"],
        ["--log-level", "chatty"],
    ],
)
def test_invalid_values_exit_2_with_a_reason(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_config(args)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error:" in captured.err


@pytest.mark.parametrize(
    ("variable", "value", "valid"),
    [
        ("PARADEX_STATS_INTERVAL", "0", "> 0"),
        ("PARADEX_BOOK_FEED", "full", "snapshot, deltas"),
        ("PARADEX_MARKETS", ",", "at least one"),
        ("PARADEX_MAX_ORDER_NOTIONAL", "lots", "positive decimal"),
        ("PARADEX_SBE", "maybe", "true"),
        ("PARADEX_WS_URL", "localhost:8787", "ws://"),
        ("PARADEX_REST_URL", "ftp://x", "http://"),
        ("PARADEX_CANCEL_ON_DISCONNECT", "sure", "false"),
    ],
)
def test_every_environment_variable_goes_through_its_flags_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, valid: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as info:
        parse_config([])
    assert info.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{variable}={value!r}" in line and valid in line, line


def test_bad_boolean_in_environment_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARADEX_SBE", "maybe")
    with pytest.raises(SystemExit) as info:
        parse_config([])
    assert info.value.code == 2


def test_a_valid_flag_wins_over_a_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARADEX_STALE_AFTER", "abc")  # never looked at: the flag is given
    assert parse_config(["--stale-after", "3"]).stale_after == 3.0
