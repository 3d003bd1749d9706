"""Trading extension of the sidecar: credentials and JWT, private channels, and the order commands.

The core finds this module (cli.load_extension), adds its flags (``add_arguments``) and awaits
``install(services)`` before connecting. Without credentials the order commands answer ``CREDENTIALS``
and the process keeps streaming public data; with ``--env sim`` a throwaway paper key is generated instead.
Credentials that are set but wrong stop the process with one ``error`` event and exit code 3.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from decimal import Decimal, InvalidOperation
from typing import Any

from paradex_py.api.api_client import ParadexApiClient

from paradex_ws_service import protocol as p
from paradex_ws_service.app import Services, StartupError
from paradex_ws_service.paradex.auth import (
    SDK_ENV_FOR,
    Auth,
    CredentialError,
    Credentials,
    RestUnreachable,
    SecretRedactor,
)
from paradex_ws_service.paradex.channels import ChannelKind
from paradex_ws_service.paradex.orders import OrderManager, TradingOptions
from paradex_ws_service.paradex.private import PrivateNormalizers

log = logging.getLogger(__name__)

DEFAULT_ORDER_TIMEOUT_S = 5.0


def _decimal_arg(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not a decimal") from None
    if not number.is_finite() or number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive decimal")
    return number


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 60:
        raise argparse.ArgumentTypeError(f"{value!r} must be in (0, 60]")
    return seconds


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "trading",
        "credentials come from PARADEX_L2_ADDRESS + PARADEX_L2_PRIVATE_KEY, or PARADEX_L1_ADDRESS + "
        "PARADEX_L2_PRIVATE_KEY / PARADEX_L1_PRIVATE_KEY (environment or .env.paradex; see "
        ".env.paradex.example); --env sim without them trades on a throwaway paper key",
    )
    group.add_argument(
        "--dry-run",
        action=argparse.BooleanOptionalAction,
        default=_env_flag("PARADEX_DRY_RUN"),
        help="validate 'place' and answer without signing or sending (environment: PARADEX_DRY_RUN=1)",
    )
    group.add_argument(
        "--max-order-notional",
        type=_decimal_arg,
        # a string default goes through ``type`` too: a bad environment value is a usage error (exit 2)
        default=os.environ.get("PARADEX_MAX_ORDER_NOTIONAL") or None,
        metavar="USD",
        help="refuse any order above this notional (default: $PARADEX_MAX_ORDER_NOTIONAL, no cap)",
    )
    group.add_argument(
        "--cancel-on-disconnect",
        action=argparse.BooleanOptionalAction,
        default=_env_flag("PARADEX_CANCEL_ON_DISCONNECT"),
        help="arm Paradex's cancel-on-disconnect on every (re)connection "
        "(environment: PARADEX_CANCEL_ON_DISCONNECT=1)",
    )
    group.add_argument(
        "--order-timeout",
        type=_positive_seconds,
        default=DEFAULT_ORDER_TIMEOUT_S,
        metavar="SECONDS",
        help="wait this long for an order acknowledgement before looking the order up by client id "
        f"(default: {DEFAULT_ORDER_TIMEOUT_S:g})",
    )


def _options(extras: dict[str, Any], markets: tuple[str, ...]) -> TradingOptions:
    return TradingOptions(
        presign_markets=markets,
        dry_run=bool(extras.get("dry_run", False)),
        max_notional=extras.get("max_order_notional"),
        cancel_on_disconnect=bool(extras.get("cancel_on_disconnect", False)),
        order_timeout_s=float(extras.get("order_timeout", DEFAULT_ORDER_TIMEOUT_S)),
    )


async def install(services: Services) -> OrderManager:
    """Wire credentials, private channels and the trading commands into the core's seams."""
    config = services.config
    redactor = SecretRedactor()
    redactor.install()
    if config.log_level != "DEBUG":  # paradex-py logs its whole system config at INFO on every start
        logging.getLogger("paradex_py").setLevel(logging.WARNING)
    auth = await _authenticate(services, redactor)
    if auth is not None:
        services.supervisor.auth = auth
        await _load_markets(services, auth)

    public = None
    if auth is None and services.rest_url:
        public = ParadexApiClient(
            env=SDK_ENV_FOR.get(config.env, "testnet"),  # type: ignore[arg-type]
            api_base_url=services.rest_url,
            retry_strategy=None,
            logger=logging.getLogger("paradex_ws_service.sdk"),
        )
    private = PrivateNormalizers()
    private.attach(services.emit)
    manager = OrderManager(
        auth,
        lambda: services.feed.client,
        services.supervisor.connected,
        lambda: services.markets_meta,
        _options(config.extras, config.markets),
        public_api=public,
        private=private,
    )

    services.feed.register_normalizer(ChannelKind.ORDERS, private.order, private.order_sbe)
    services.feed.register_normalizer(ChannelKind.FILLS, private.fill, private.fill_sbe)
    services.feed.register_normalizer(ChannelKind.POSITIONS, private.position, private.position_sbe)
    services.feed.register_normalizer(ChannelKind.ACCOUNT, private.account, private.account_sbe)
    _track_mids(services, manager)

    for op, fn in (
        ("place", manager.place),
        ("cancel", manager.cancel),
        ("cancel_all", manager.cancel_all),
        ("snapshot", manager.snapshot),
        ("balance", manager.balance),
        ("klines", manager.klines),
        ("set_leverage", manager.set_leverage),
    ):
        services.dispatcher.register(op, manager.handler(fn))
    services.supervisor.add_on_connected(manager.on_connected)
    manager.start_warm_up()
    return manager


async def _authenticate(services: Services, redactor: SecretRedactor) -> Auth | None:
    config = services.config
    try:
        credentials = Credentials.from_env(os.environ)
    except CredentialError as exc:
        raise StartupError(p.ERR_CREDENTIALS, str(exc), p.EXIT_CREDENTIALS) from None
    if credentials is None:
        if config.env != "sim":
            log.info("no credentials: trading commands will answer CREDENTIALS; public data only")
            return None
        credentials = Credentials.paper()
        log.info("--env sim without credentials: trading on a throwaway paper key (this run only)")
    auth = Auth(config.env, services.rest_url, credentials, redactor)
    try:
        await auth.start()
    except CredentialError as exc:
        raise StartupError(
            p.ERR_CREDENTIALS, f"Paradex refused the credentials: {exc}", p.EXIT_CREDENTIALS
        ) from None
    except RestUnreachable as exc:  # not a credentials problem: its own exit code, with what was unreachable
        raise StartupError(p.ERR_NOT_CONNECTED, str(exc), p.EXIT_UNREACHABLE) from None
    log.info("authenticated as %s (%s)", hex(auth.address), credentials.kind)
    return auth


async def _load_markets(services: Services, auth: Auth) -> None:
    """Market metadata for validation, now rather than whenever the core's background fetch lands."""
    if services.markets_meta:
        return
    try:
        assert auth.api is not None
        body = await asyncio.to_thread(auth.api.fetch_markets)
        services.markets_meta.update({m["symbol"]: m for m in body.get("results", [])})
    except Exception as exc:
        log.warning("market metadata unavailable for order validation yet: %s", exc)


def _track_mids(services: Services, manager: OrderManager) -> None:
    """Wrap the bbo normalizers so MARKET orders can be priced from the stream (no REST round trip)."""
    current = services.feed.normalizers.get(ChannelKind.BBO)
    if current is None:
        return
    json_fn, sbe_fn = current.json, current.sbe

    def bbo_json(payload: Any, recv_us: int) -> dict[str, Any] | None:
        event = json_fn(payload, recv_us)
        manager.note_bbo(event)
        return event

    def bbo_sbe(payload: Any, recv_us: int) -> dict[str, Any] | None:
        assert sbe_fn is not None
        event = sbe_fn(payload, recv_us)
        manager.note_bbo(event)
        return event

    services.feed.register_normalizer(ChannelKind.BBO, bbo_json, bbo_sbe if sbe_fn is not None else None)
