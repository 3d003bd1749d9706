"""Trading: its flags, and the wiring of credentials, private channels and the order commands.

``cli`` adds the flags (``add_arguments``) and ``app`` awaits ``install(services)`` before connecting, both
explicitly. The command handlers here turn stdin parameters into the adapter's typed requests
(order_params.py), answer a repeated command ``id`` with the first outcome, and turn the adapter's
``ParadexError`` into the command's error. Without credentials the order commands answer ``CREDENTIALS``
and the process keeps streaming public data; with ``--env sim`` a throwaway paper key is generated instead.
Credentials that are set but wrong stop the process with one ``error`` event and exit code 3.

The adapter's trading modules (auth, signing, orders: paradex-py's account code and the Stark curve) are
imported inside ``install``, so merely importing this module costs nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from paradex_ws_service import protocol as p
from paradex_ws_service.commands import Command, CommandError, Context, Handler
from paradex_ws_service.config import DEFAULT_ORDER_TIMEOUT_S, TradingConfig
from paradex_ws_service.memo import FirstOutcomes, Mismatch, digest
from paradex_ws_service.order_params import (
    parse_cancel,
    parse_fills_since,
    parse_klines,
    parse_leverage,
    parse_place,
    refuse_nulls,
)
from paradex_ws_service.paradex.errors import ParadexError
from paradex_ws_service.settings import Setting, Settings, boolean, choice, positive_decimal, seconds_upto

if TYPE_CHECKING:
    from paradex_ws_service.paradex.auth import Auth
    from paradex_ws_service.paradex.orders import OrderManager
    from paradex_ws_service.paradex.private import PrivateNormalizers
    from paradex_ws_service.paradex.redact import SecretRedactor
    from paradex_ws_service.services import Services

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # settled command ids kept for deduplication (commands running are never forgotten)
PRIVATE_CHANNELS = ("orders", "fills", "positions", "account", "tradebusts")
SIM_PREFIX = "PARADEX_SIM_"
ORDER_OPS = ("place", "cancel", "cancel_all")  # ops whose own events come on the private channels
# Reads: their answers (a snapshot with fills, klines) can be large and reading twice changes nothing, so a
# repeated read id is read again; only what it asked is remembered (another command under it is refused).
READ_OPS = ("snapshot", "balance", "order", "klines")
PRIVATE_WAIT_S = 10.0  # longest wait for the private channels before an order command goes anyway
CREDENTIAL_NAMES = ("L1_ADDRESS", "L1_PRIVATE_KEY", "L2_ADDRESS", "L2_PRIVATE_KEY")
SIGNING_MODES = ("deterministic", "pooled")


def add_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    group = parser.add_argument_group(
        "trading",
        "credentials: PARADEX_L2_ADDRESS + PARADEX_L2_PRIVATE_KEY, or PARADEX_L1_ADDRESS + "
        "PARADEX_L2_PRIVATE_KEY / PARADEX_L1_PRIVATE_KEY (environment or .env.paradex; see "
        ".env.paradex.example) for prod, testnet and nightly. --env sim never reads those: it trades on "
        "a throwaway paper key, or on PARADEX_SIM_L2_ADDRESS + PARADEX_SIM_L2_PRIVATE_KEY (or the L1 "
        "forms, prefixed PARADEX_SIM_). With public channels only, nothing logs in until a command needs "
        "the account.",
    )
    for setting in (
        Setting("dry_run", "--dry-run", "PARADEX_DRY_RUN", boolean, "off",
                "validate 'place' and answer without signing or sending", boolean=True),
        Setting("max_order_notional", "--max-order-notional", "PARADEX_MAX_ORDER_NOTIONAL", positive_decimal,
                None, "refuse any order above this notional (default: no cap)", "USD"),
        Setting("cancel_on_disconnect", "--cancel-on-disconnect", "PARADEX_CANCEL_ON_DISCONNECT", boolean,
                "off", "arm Paradex's cancel-on-disconnect on every (re)connection", boolean=True),
        Setting("signing", "--signing", "PARADEX_SIGNING", choice(SIGNING_MODES), "deterministic",
                "deterministic: RFC 6979 nonces, signatures byte-identical to paradex-py's; pooled: random "
                "nonces whose k·G is computed ahead in idle time (faster orders, equally valid signatures)",
                "MODE"),
        Setting("order_timeout", "--order-timeout", "PARADEX_ORDER_TIMEOUT", seconds_upto(60),
                f"{DEFAULT_ORDER_TIMEOUT_S:g}", "wait this long for an order acknowledgement before looking "
                "the order up by client id", "SECONDS"),
    ):  # fmt: skip
        settings.add(group, setting)


def trading_config(args: argparse.Namespace) -> TradingConfig:
    """The parsed trading flags (``add_arguments``) as the typed part of ``Config``."""
    return TradingConfig(
        dry_run=bool(args.dry_run),
        max_order_notional=args.max_order_notional,
        cancel_on_disconnect=bool(args.cancel_on_disconnect),
        order_timeout=float(args.order_timeout),
        pooled_nonces=args.signing == "pooled",
    )


async def install(services: Services) -> None:
    """Wire credentials, private channels and the trading commands into the core.

    With private channels the account logs in and the order manager is built now. With public channels
    only, the account side (paradex-py's account code, the signer) is imported on a thread while the stream
    connects, and the manager built from it; a trading command that comes earlier waits for it, and the
    first one that needs the account logs in (LazyLogin).
    """
    from paradex_ws_service.paradex.channels import ChannelKind
    from paradex_ws_service.paradex.private import PrivateNormalizers
    from paradex_ws_service.paradex.redact import SecretRedactor

    config = services.config
    redactor = SecretRedactor()
    redactor.install()
    if config.log_level != "DEBUG":  # paradex-py logs its whole system config at INFO on every start
        logging.getLogger("paradex_py").setLevel(logging.WARNING)
    private = PrivateNormalizers()
    emit = services.emit

    def emit_private(event: dict[str, Any]) -> None:
        services.last_private_event = time.monotonic()
        emit(event)

    private.attach(emit_private)
    services.feed.register_normalizer(ChannelKind.ORDERS, private.order, private.order_sbe)
    services.feed.register_normalizer(ChannelKind.FILLS, private.fill, private.fill_sbe)
    services.feed.register_normalizer(ChannelKind.POSITIONS, private.position, private.position_sbe)
    services.feed.register_normalizer(ChannelKind.ACCOUNT, private.account, private.account_sbe)
    services.feed.register_normalizer(ChannelKind.TRADEBUSTS, private.tradebust)
    # An order command waits until the private channels asked for are subscribed, so a `place` sent at
    # start-up (`echo '{"op":"place",…}' | paradex-ws …`) still gets its own order/fill events.
    wanted = {c for c in config.channels if c in PRIVATE_CHANNELS}
    # Public channels only: authenticate nowhere at start. The first command that needs the account logs
    # in then (LazyLogin); its orders go over REST, since the socket is not an authenticated one.
    if wanted:
        auth = await _authenticate(services, redactor)
        if auth is not None:
            services.supervisor.auth = auth
            await _load_markets(services, auth)
        commands = TradingCommands(_build_manager(services, auth, private), None, services, wanted)
    else:

        async def build() -> OrderManager:
            # paradex-py's account code and the signer: ≈1 s of imports, on a thread so the stream goes on
            await asyncio.to_thread(importlib.import_module, "paradex_ws_service.paradex.orders")
            return _build_manager(services, None, private)

        commands = TradingCommands(None, LazyLogin(services, redactor), None, wanted, build=build)
        commands.warm_up()
    commands.register(services)
    services.supervisor.add_on_connected(commands.on_connected)


def _build_manager(services: Services, auth: Auth | None, private: PrivateNormalizers) -> OrderManager:
    from paradex_ws_service.paradex.auth import public_api
    from paradex_ws_service.paradex.orders import OrderManager, TradingOptions

    config, trading = services.config, services.config.trading
    public = public_api(config.env, services.rest_url) if auth is None and services.rest_url else None
    manager = OrderManager(
        auth,
        lambda: services.feed.client,
        services.supervisor.connected,
        services.supervisor.connection_lost,
        lambda: services.markets_meta,
        services.feed.touch,
        TradingOptions(
            presign_markets=config.markets,
            dry_run=trading.dry_run,
            max_notional=trading.max_order_notional,
            cancel_on_disconnect=trading.cancel_on_disconnect,
            order_timeout_s=trading.order_timeout,
            pooled_nonces=trading.pooled_nonces,
        ),
        public_api=public,
        private=private,
    )
    manager.start_warm_up()
    return manager


def parse_order_lookup(command: Command) -> tuple[str, str | None]:
    """``order`` parameters: the client id (required) and, optionally, its market."""
    return command.str_param("client_id") or "", command.str_param("market", required=False)


class TradingCommands:
    """The stdin side of the order ops: parse → adapter call → result, once per command id."""

    def __init__(
        self,
        manager: OrderManager | None,
        login: LazyLogin | None = None,
        services: Services | None = None,
        private: set[str] | None = None,
        build: Callable[[], Awaitable[OrderManager]] | None = None,
    ) -> None:
        self._manager = manager
        self._build = build  # how to build the manager when it is not given (public channels only)
        self._building: asyncio.Future[OrderManager] | None = None
        self._login = login
        self._services = services
        self._private = private or set()
        self._by_command = FirstOutcomes(REMEMBERED)  # command id → its first outcome

    def warm_up(self) -> None:
        """Start building the manager now, ahead of the first command (its imports run on a thread)."""
        if self._manager is None and self._building is None and self._build is not None:
            self._building = asyncio.ensure_future(self._build())
            self._building.add_done_callback(lambda f: f.cancelled() or f.exception())  # commands report it

    async def _ready(self) -> OrderManager:
        if self._manager is None:
            self.warm_up()
            assert self._building is not None
            self._manager = await asyncio.shield(self._building)
        return self._manager

    def _m(self) -> OrderManager:
        assert self._manager is not None
        return self._manager

    async def on_connected(self, client: Any) -> None:
        """The manager's on-connected hook, once it exists (re-arms cancel-on-disconnect)."""
        if self._manager is not None:
            await self._manager.on_connected(client)

    async def _private_ready(self, op: str) -> None:
        """Wait (bounded) for the private channels' acknowledgement; say so when they are not there."""
        if self._services is None:
            return
        supervisor = self._services.supervisor
        if await supervisor.wait_subscribed(self._private, PRIVATE_WAIT_S):
            return
        log.warning(
            "%s: private channels %s not subscribed after %.0f s (connection down?); sending anyway, its "
            "events follow once they are",
            op,
            ", ".join(sorted(self._private)),
            PRIVATE_WAIT_S,
        )
        # command id → (its parameters, its outcome)

    def register(self, services: Services) -> None:
        ops: dict[str, tuple[bool, Callable[[Command], Awaitable[dict[str, Any]]]]] = {
            # op → (needs credentials before its parameters are looked at, run)
            "place": (True, lambda c: self._m().place(parse_place(c.params))),
            "cancel": (True, lambda c: self._m().cancel(parse_cancel(c))),
            "cancel_all": (True, lambda c: self._m().cancel_all(c.str_param("market", required=False))),
            "snapshot": (True, lambda c: self._m().snapshot(parse_fills_since(c))),
            "order": (True, lambda c: self._m().order_by_client_id(*parse_order_lookup(c))),
            "balance": (True, lambda c: self._m().balance()),
            "klines": (False, lambda c: self._m().klines(parse_klines(c))),  # public: never logs in for it
            "set_leverage": (False, lambda c: self._m().set_leverage(parse_leverage(c))),
        }
        for op, (needs_auth, run) in ops.items():
            services.dispatcher.register(op, self._once(needs_auth, run, login=op != "klines"))

    def _once(
        self, needs_auth: bool, run: Callable[[Command], Awaitable[dict[str, Any]]], login: bool = True
    ) -> Handler:
        """A handler whose repeated command ``id`` gets the first outcome instead of a second run, when the
        command is the same (same op and parameters, in any key order); with other parameters it is refused
        (``DUPLICATE_ID``): an id reused by mistake must not be answered with another order's outcome. A
        repeated read (READ_OPS) is read again once the first has answered."""

        async def handle(command: Command, ctx: Context) -> dict[str, Any]:
            keep = command.op not in READ_OPS
            manager = await self._ready()
            if login and self._login is not None:
                await self._login.ensure(manager)
            if command.op in ORDER_OPS:
                await self._private_ready(command.op)
            asked = digest(orjson.dumps(dict(command.params), option=orjson.OPT_SORT_KEYS))
            try:
                first = self._by_command.first(command.id, asked)
            except Mismatch:
                raise CommandError(
                    p.ERR_DUPLICATE_ID,
                    f"{command.op}: id {command.id!r} was already used for another command; "
                    "give each command its own id",
                ) from None
            if first is not None:
                outcome: dict[str, Any] = await first
                return outcome
            self._by_command.begin(command.id, asked)
            try:
                if needs_auth:
                    manager.require_auth()
                refuse_nulls(command)
                result = await run(command)
            except ParadexError as exc:
                error = CommandError(exc.code, exc.message)
                self._by_command.fail(command.id, error, keep)
                raise error from None
            except BaseException as exc:
                failed = (
                    exc
                    if isinstance(exc, CommandError)
                    else CommandError(p.ERR_INTERNAL, f"{type(exc).__name__}: {exc}")
                )
                self._by_command.fail(command.id, failed, keep)
                raise
            self._by_command.succeed(command.id, result, keep)
            return result

        return handle


class LazyLogin:
    """Public channels only: log in once, on the first command that needs the account, not at start."""

    def __init__(self, services: Services, redactor: SecretRedactor) -> None:
        self._services, self._redactor = services, redactor
        self._task: asyncio.Future[None] | None = None

    async def ensure(self, manager: OrderManager) -> None:
        """Wait for the login (started by the first caller); a failed one is tried again next time."""
        task = self._task
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._task = asyncio.ensure_future(self._run(manager))
        await asyncio.shield(task)

    async def _run(self, manager: OrderManager) -> None:
        from paradex_ws_service.services import StartupError

        try:
            auth = await _authenticate(self._services, self._redactor)
        except StartupError as exc:  # here a command's refusal, not a reason to stop the feed
            raise CommandError(exc.code, exc.message) from None
        if auth is None:
            return  # no credentials: the command answers CREDENTIALS, saying which variables to set
        await _load_markets(self._services, auth)
        manager.attach_auth(auth)


def credential_prefix(env: str) -> str:
    """Where this environment's credentials live: the simulator never sees an exchange's keys."""
    return SIM_PREFIX if env == "sim" else "PARADEX_"


async def _authenticate(services: Services, redactor: SecretRedactor) -> Auth | None:
    from paradex_ws_service.paradex.auth import Auth, CredentialError, Credentials, RestUnreachable
    from paradex_ws_service.services import StartupError  # with paradex-py: not needed to parse flags

    config = services.config
    prefix = credential_prefix(config.env)
    try:
        credentials = Credentials.from_env(os.environ, prefix)
    except CredentialError as exc:
        raise StartupError(p.ERR_CREDENTIALS, str(exc), p.EXIT_CREDENTIALS) from None
    if credentials is None:
        if config.env != "sim":
            log.info("no credentials: trading commands will answer CREDENTIALS; public data only")
            return None
        if any(os.environ.get(f"PARADEX_{name}") for name in CREDENTIAL_NAMES):
            log.info(
                "--env sim ignores PARADEX_L1_*/PARADEX_L2_* (an exchange's credentials); "
                "give the simulator's as PARADEX_SIM_L2_ADDRESS + PARADEX_SIM_L2_PRIVATE_KEY "
                "(or the L1 forms)"
            )
        credentials = Credentials.paper()
        log.info(
            "--env sim without PARADEX_SIM_* credentials: trading on a throwaway paper key (this run only)"
        )
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
        services.markets_meta.update({m["symbol"]: m for m in await auth.fetch_markets()})
    except Exception as exc:
        log.warning("market metadata unavailable for order validation yet: %s", exc)
