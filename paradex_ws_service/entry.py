"""``paradex-ws`` and ``python -m paradex_ws_service``: start the embedded simulator first, then the CLI.

Importing the CLI imports paradex-py and the starknet stack (about a second, much more on a busy machine).
``--env sim`` without a URL needs a simulator child that imports the same stack; starting it before that
import lets both start-ups overlap. Only the few flags that decide it are looked at here; the CLI parses
and validates everything afterwards and stops the child if it refuses to start.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from dotenv import load_dotenv

from paradex_ws_service.sim_launcher import EarlySim, SimNotInstalled, start_embedded


def start_sim_early(argv: Sequence[str]) -> EarlySim:
    """The simulator child when the flags (or the environment, or ``.env.paradex``) ask for the embedded one;
    ``SimNotInstalled`` is returned, not raised: the CLI reports it after its own validation."""
    env_file = os.environ.get("PARADEX_ENV_FILE", ".env.paradex")
    if os.path.isfile(env_file):
        load_dotenv(env_file, override=False)  # the CLI loads it again: idempotent, never overrides
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--env", default=os.environ.get("PARADEX_ENV") or "testnet")
    pre.add_argument("--ws-url", default=os.environ.get("PARADEX_WS_URL"))
    pre.add_argument("--sim-seed", default="1")
    pre.add_argument("--log-level", default=os.environ.get("PARADEX_LOG_LEVEL") or "INFO")
    pre.add_argument("-h", "--help", "--version", dest="info", action="store_true")
    known, _ = pre.parse_known_args(argv)
    if known.info or known.env != "sim" or known.ws_url or not str(known.sim_seed).isdigit():
        return None
    try:
        return start_embedded(int(known.sim_seed), str(known.log_level).upper())
    except SimNotInstalled as exc:
        return exc


def main() -> NoReturn:
    early = start_sim_early(sys.argv[1:])
    from paradex_ws_service.cli import main as cli_main  # the slow import, now overlapping the child's

    cli_main(None, early)
