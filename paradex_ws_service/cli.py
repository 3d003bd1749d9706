"""``paradex-ws``: flags + environment + ``.env.paradex`` → ``Config`` → the app; documented exit codes.

Precedence: command-line flags win over environment variables, which win over ``.env.paradex`` (loaded
with python-dotenv, never overriding the real environment), which win over the defaults.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from dotenv import dotenv_values, load_dotenv

from paradex_ws_service import __version__, trading
from paradex_ws_service import protocol as p
from paradex_ws_service.config import (
    DEFAULT_CHANNELS,
    DEFAULT_MARKETS,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STATS_INTERVAL_S,
    ENVS,
    Config,
)
from paradex_ws_service.paradex.channels import BOOK_FEEDS, parse_kind
from paradex_ws_service.settings import Setting, Settings, boolean, choice, csv, integer, positive_float, url
from paradex_ws_service.sim_launcher import EarlySim, SimLauncher, SimNotInstalled

EPILOG = """\
stdout carries the NDJSON protocol and nothing else (docs/PROTOCOL.md); logs go to stderr.
stdin takes one JSON command per line: {"id":1,"op":"ping"}; ops: ping, subscribe, unsubscribe,
stats, shutdown (+ trading ops). At the end of a stdin pipe (or terminal), commands already received
finish (results, then a placed order's own events) and the process exits 0. Without a command channel
(--no-commands, stdin /dev/null, a regular file, a terminal job in the background) the feed runs until
SIGTERM/SIGINT. Order commands wait for the private channels asked for to be subscribed.

settings: a flag wins over its environment variable (named in each flag's help), which wins over
.env.paradex in the working directory (or $PARADEX_ENV_FILE), which wins over the default. Every source
goes through the same check: a bad value exits 2 naming the flag or variable and the valid values.

exit codes:
  0  clean shutdown (end of the stdin pipe, "shutdown" command, SIGTERM/SIGINT, stdout closed)
  1  unexpected internal error (a bug: please report it with the stderr log)
  2  bad command line or configuration
  3  credentials missing or rejected while private channels or trading were asked for
  4  trading asked for, but Paradex REST could not be reached at start

examples:
  paradex-ws --env sim --channels bbo,trades | jq .
  paradex-ws --env testnet --markets BTC-USD-PERP,ETH-USD-PERP --channels bbo,book --book-feed deltas
"""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _channel(name: str) -> str:
    return parse_kind(name).value  # ValueError names the valid channels


def core_settings() -> list[Setting]:
    """The core's settings; each is checked by the same parser whether it comes from a flag, the
    environment or .env.paradex (see settings.py)."""
    return [
        Setting("env", "--env", "PARADEX_ENV", choice(ENVS), "testnet",
                "which Paradex; 'sim' without --ws-url runs the local simulator (paradex-sim) on a free port",
                "{" + ",".join(ENVS) + "}"),
        Setting("markets", "--markets", "PARADEX_MARKETS", csv(), ",".join(DEFAULT_MARKETS),
                "comma-separated markets; checked against GET /markets at start", "LIST"),
        Setting("channels", "--channels", "PARADEX_CHANNELS", csv(_channel), ",".join(DEFAULT_CHANNELS),
                "comma-separated: bbo, trades, book, summary, funding (public); orders, fills, positions, "
                "account (private: need credentials)", "LIST"),
        Setting("ws_url", "--ws-url", "PARADEX_WS_URL", url(("ws", "wss")), None,
                "WebSocket URL override (default: paradex-py's URL for --env)", "URL"),
        Setting("rest_url", "--rest-url", "PARADEX_REST_URL", url(("http", "https")), None,
                "REST base URL override, …/v1 (default: the --env's, or the --ws-url's host for sim)", "URL"),
        Setting("sbe", "--sbe", "PARADEX_SBE", boolean, "on",
                "binary SBE frames for public channels (Paradex requires them since 2026-09-21)",
                boolean=True),
        Setting("book_feed", "--book-feed", "PARADEX_BOOK_FEED", choice(BOOK_FEEDS), "snapshot",
                "order book feed: full snapshots, or deltas applied to the last snapshot",
                "{snapshot,deltas}"),
        Setting("stale_after", "--stale-after", "PARADEX_STALE_AFTER", positive_float,
                f"{DEFAULT_STALE_AFTER_S:g}",
                "'status stale' after this many seconds of silence on a channel", "SECONDS"),
        Setting("stats_interval", "--stats-interval", "PARADEX_STATS_INTERVAL", positive_float,
                f"{DEFAULT_STATS_INTERVAL_S:g}", "seconds between 'stats' events", "SECONDS"),
        Setting("log_level", "--log-level", "PARADEX_LOG_LEVEL", choice(LOG_LEVELS, str.upper), "INFO",
                "stderr log level", "{DEBUG,INFO,WARNING,ERROR}"),
        Setting("sim_seed", "--sim-seed", None, integer, "1", "seed of the simulator started by --env sim",
                "N"),
        Setting("commands", "--commands", "PARADEX_COMMANDS", boolean, "on",
                "read commands from stdin; with --no-commands stdin is never read and the feed runs until "
                "SIGTERM/SIGINT (also without a command channel: /dev/null, a file, a background terminal)",
                boolean=True),
        Setting("record", "--record", "PARADEX_RECORD", str, None,
                "write every raw frame received (text, or SBE as base64) with its receive time to FILE, "
                "no secrets; replay it with paradex-sim --replay FILE", "FILE"),
    ]  # fmt: skip


def build_parser() -> tuple[argparse.ArgumentParser, Settings]:
    parser = argparse.ArgumentParser(
        prog="paradex-ws",
        description="Paradex market data (and, with credentials, account events and orders) as NDJSON "
        "on stdout, through paradex-py's WebSocket client.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    settings = Settings()
    for setting in core_settings():
        settings.add(parser, setting)
    parser.add_argument(
        "--standby",
        action="store_true",
        help="warm standby for a supervising bridge: do the slow imports, then wait for one line 'go' on "
        "stdin before starting (stdin EOF instead: exit 0 quietly) (default: off)",
    )
    parser.add_argument("--version", action="version", version=f"paradex-ws {__version__}")
    trading.add_arguments(parser, settings)
    return parser, settings


def parse_config(argv: Sequence[str] | None) -> Config:
    """Flags, else environment, else .env.paradex, else defaults → Config; exits 2 on anything invalid,
    naming the flag or variable (and the file) and the valid values."""
    env_file = os.environ.get("PARADEX_ENV_FILE", ".env.paradex")
    from_file: set[str] = set()
    if os.path.isfile(env_file):
        load_dotenv(env_file, override=False)
        # the entry point may have loaded the file already: a variable holding the file's value came from it
        # (for the error message; the real environment still wins, load_dotenv never overrides)
        from_file = {
            k for k, v in dotenv_values(env_file).items() if v is not None and os.environ.get(k) == v
        }
    parser, settings = build_parser()
    args = parser.parse_args(argv)
    settings.resolve(parser, args, os.environ, from_file, env_file)
    return Config(
        env=args.env,
        markets=args.markets,
        channels=args.channels,
        ws_url=args.ws_url,
        rest_url=args.rest_url,
        sbe=args.sbe,
        book_feed=args.book_feed,
        stale_after=args.stale_after,
        stats_interval=args.stats_interval,
        log_level=args.log_level,
        sim_seed=args.sim_seed,
        record=args.record,
        commands=args.commands,
        trading=trading.trading_config(args),
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # paradex-py logs a full traceback for every failed connect (reference §14.6) and the supervisor
    # reports the same failure in one line; keep the SDK quiet unless debugging.
    sdk_level = logging.DEBUG if level == "DEBUG" else logging.CRITICAL
    logging.getLogger("paradex_ws_service.sdk").setLevel(sdk_level)
    for noisy in ("websockets", "aiohttp.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))


def _preload() -> None:
    """Import now what the run imports later (paradex-py and the starknet stack take over a second)."""
    import importlib

    for name in ("paradex_py", "paradex_ws_service.paradex.orders", "paradex_ws_service.paradex.private"):
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part; the run reports it if it is needed
            pass


def _wait_for_go() -> bool:
    """One line from stdin, read byte by byte: the stdin reader that starts next must get every later byte."""
    line = bytearray()
    while True:
        b = os.read(0, 1)
        if not b:
            return False
        if b == b"\n":
            return line.strip() == b"go"
        line += b


def main(argv: Sequence[str] | None = None, early_sim: EarlySim = None) -> NoReturn:
    """``early_sim``: what ``entry.main`` did about the embedded simulator before this module was imported."""
    sim = early_sim if isinstance(early_sim, SimLauncher) else None
    try:
        config = parse_config(argv)
    except BaseException:  # argparse exits with SystemExit: the child must not outlive a refused start
        if sim is not None:
            sim.stop(0.5)
        raise
    if config.embedded_sim and isinstance(early_sim, SimNotInstalled):
        message = f"--env sim without --ws-url runs the local simulator; {early_sim}"
        print(f"paradex-ws: error: {message}", file=sys.stderr)
        os._exit(p.EXIT_USAGE)
    setup_logging(config.log_level)
    from paradex_ws_service.app import run  # after logging: importing paradex-py is slow and may log

    if "--standby" in (sys.argv[1:] if argv is None else argv):
        # A bridge keeps this process ready so that a crash of the live sidecar costs a reconnect, not a
        # Python start-up; it says "go" when it needs it, or closes stdin when it does not.
        _preload()
        # Unconditional (not a log record): the bridge reads it to know the standby is warm.
        sys.stderr.write("paradex-ws: standby ready\n")
        sys.stderr.flush()
        if not _wait_for_go():
            if sim is not None:
                sim.stop(0.5)
            sys.stderr.flush()
            os._exit(p.EXIT_OK)
    code = run(config, sim if config.embedded_sim else None)
    # stdout is flushed and closed by now; end here rather than join threads the trading side may have
    # left running (the shutdown promise is 2 s), see app.run.
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
