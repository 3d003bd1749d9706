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

from dotenv import load_dotenv

from paradex_ws_service import __version__, trading
from paradex_ws_service.config import (
    DEFAULT_CHANNELS,
    DEFAULT_MARKETS,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_STATS_INTERVAL_S,
    ENVS,
    Config,
)
from paradex_ws_service.paradex.channels import BOOK_FEEDS, parse_kind

EPILOG = """\
stdout carries the NDJSON protocol and nothing else (docs/PROTOCOL.md); logs go to stderr.
stdin takes one JSON command per line: {"id":1,"op":"ping"}; ops: ping, subscribe, unsubscribe,
stats, shutdown (+ trading ops when enabled). End of stdin, SIGTERM or "shutdown" stop the process.

environment (flags win; .env.paradex in the working directory, or $PARADEX_ENV_FILE, is read too, never
overriding the real environment):
  PARADEX_ENV, PARADEX_MARKETS, PARADEX_CHANNELS, PARADEX_WS_URL, PARADEX_REST_URL, PARADEX_SBE (1/0),
  PARADEX_BOOK_FEED, PARADEX_STALE_AFTER, PARADEX_STATS_INTERVAL, PARADEX_LOG_LEVEL

exit codes:
  0  clean shutdown (stdin EOF, "shutdown" command, SIGTERM/SIGINT)
  1  unexpected internal error (a bug: please report it with the stderr log)
  2  bad command line or configuration
  3  credentials missing or rejected while private channels or trading were asked for
  4  trading asked for, but Paradex REST could not be reached at start

examples:
  paradex-ws --env sim --channels bbo,trades | jq .
  paradex-ws --env testnet --markets BTC-USD-PERP,ETH-USD-PERP --channels bbo,book --book-feed deltas
"""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env_bool(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be > 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="paradex-ws",
        description="Paradex market data (and, with credentials, account events and orders) as NDJSON "
        "on stdout, through paradex-py's WebSocket client.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--env",
        choices=ENVS,
        default=env("PARADEX_ENV") or "testnet",
        help="which Paradex; 'sim' starts the local simulator in-process on a free loopback port "
        "(default: $PARADEX_ENV or testnet)",
    )
    parser.add_argument(
        "--markets",
        type=_csv,
        default=_csv(env("PARADEX_MARKETS") or ",".join(DEFAULT_MARKETS)),
        help="comma-separated markets (default: $PARADEX_MARKETS or BTC-USD-PERP)",
    )
    parser.add_argument(
        "--channels",
        type=_csv,
        default=_csv(env("PARADEX_CHANNELS") or ",".join(DEFAULT_CHANNELS)),
        help="comma-separated: bbo, trades, book, summary, funding (public); orders, fills, positions, "
        "account (need credentials) (default: $PARADEX_CHANNELS or bbo)",
    )
    parser.add_argument("--ws-url", default=env("PARADEX_WS_URL"), help="WebSocket URL override")
    parser.add_argument("--rest-url", default=env("PARADEX_REST_URL"), help="REST base URL override (…/v1)")
    parser.add_argument(
        "--sbe",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="binary SBE frames for public channels (default: on; Paradex requires it since 2026-09-21)",
    )
    parser.add_argument(
        "--book-feed",
        choices=BOOK_FEEDS,
        default=env("PARADEX_BOOK_FEED") or "snapshot",
        help="order book feed: full snapshots, or deltas applied to the last snapshot (default: snapshot)",
    )
    parser.add_argument(
        "--stale-after",
        type=_positive_float,
        default=_positive_float(env("PARADEX_STALE_AFTER") or str(DEFAULT_STALE_AFTER_S)),
        metavar="SECONDS",
        help=f"'status stale' after this much silence on a channel (default: {DEFAULT_STALE_AFTER_S:g})",
    )
    parser.add_argument(
        "--stats-interval",
        type=_positive_float,
        default=_positive_float(env("PARADEX_STATS_INTERVAL") or str(DEFAULT_STATS_INTERVAL_S)),
        metavar="SECONDS",
        help=f"seconds between 'stats' events (default: {DEFAULT_STATS_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default=(env("PARADEX_LOG_LEVEL") or "INFO").upper(),
        help="stderr log level (default: INFO)",
    )
    parser.add_argument("--sim-seed", type=int, default=1, help="seed of the embedded simulator (--env sim)")
    parser.add_argument(
        "--record",
        metavar="FILE",
        default=env("PARADEX_RECORD"),
        help="write every raw frame received (text, or SBE as base64) with its receive time to FILE, "
        "no secrets; replay it with paradex-sim --replay FILE",
    )
    parser.add_argument("--version", action="version", version=f"paradex-ws {__version__}")
    trading.add_arguments(parser)
    return parser


def parse_config(argv: Sequence[str] | None) -> Config:
    """Flags + environment → Config; exits 2 (argparse's convention) on anything invalid."""
    env_file = os.environ.get("PARADEX_ENV_FILE", ".env.paradex")
    if os.path.isfile(env_file):
        load_dotenv(env_file, override=False)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        sbe = args.sbe if args.sbe is not None else _env_bool("PARADEX_SBE")
        for channel in args.channels:
            parse_kind(channel)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.markets:
        parser.error("--markets is empty")
    if not args.channels:
        parser.error("--channels is empty")
    return Config(
        env=args.env,
        markets=args.markets,
        channels=args.channels,
        ws_url=args.ws_url,
        rest_url=args.rest_url,
        sbe=True if sbe is None else sbe,
        book_feed=args.book_feed,
        stale_after=args.stale_after,
        stats_interval=args.stats_interval,
        log_level=args.log_level,
        sim_seed=args.sim_seed,
        record=args.record,
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


def main(argv: Sequence[str] | None = None) -> NoReturn:
    config = parse_config(argv)
    setup_logging(config.log_level)
    from paradex_ws_service.app import run  # after logging: importing paradex-py is slow and may log

    code = run(config)
    # stdout is flushed and closed by now; end here rather than join threads the trading side may have
    # left running (the shutdown promise is 2 s), see app.run.
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
