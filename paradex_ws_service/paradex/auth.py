"""Credentials, the paradex-py account, and the JWT's life: REST auth and onboarding off the event loop,
refresh before expiry, forced re-auth after a 40111, and secrets kept out of every log line.

Credentials come from the environment (``.env.paradex`` is loaded by the CLI):

* ``PARADEX_L2_ADDRESS`` + ``PARADEX_L2_PRIVATE_KEY``: a main account's or a subkey's Stark key with the
  (main) account address, through ``SubkeyAccount`` (never onboards);
* ``PARADEX_L1_ADDRESS`` + ``PARADEX_L2_PRIVATE_KEY``: the address is derived, onboarded if needed;
* ``PARADEX_L1_ADDRESS`` + ``PARADEX_L1_PRIVATE_KEY``: the Stark key is derived from the Ethereum key;
* none, with ``--env sim``: a throwaway paper key is generated for this run and onboarded on the simulator.

paradex-py's REST client is synchronous (httpx): every call goes through ``asyncio.to_thread``. It is built
with ``retry_strategy=None`` because its default retries a timed-out ``POST /orders`` (reference §0.6).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from paradex_py.account.account import ParadexAccount
from paradex_py.account.subkey_account import SubkeyAccount
from paradex_py.api.api_client import ParadexApiClient

from paradex_ws_service.paradex.redact import SecretRedactor
from paradex_ws_service.paradex.signing import EC_ORDER, FastOrderSigner

__all__ = ["Auth", "CredentialError", "Credentials", "RestUnreachable", "SecretRedactor", "public_api"]

log = logging.getLogger(__name__)

SDK_ENV_FOR = {"prod": "prod", "testnet": "testnet", "nightly": "nightly", "sim": "testnet"}
REFRESH_MARGIN_S = 60.0  # refresh a 5-minute JWT one minute before it expires
MIN_REFRESH_DELAY_S = 0.2
START_ATTEMPTS = 3


class CredentialError(Exception):
    """Credentials missing, inconsistent or rejected; the message never contains a secret."""


class RestUnreachable(Exception):
    """Paradex's REST API could not be reached to authenticate (network, DNS, server down)."""


@dataclass(frozen=True)
class Credentials:
    """Which key material this run has. ``repr`` shows the kind and the public address only."""

    kind: str  # "l2" (address + key), "l1-l2" (L1 address + L2 key), "l1" (L1 key), "paper"
    l1_address: str = ""
    l2_address: str = ""
    l1_private_key: str = field(default="", repr=False)
    l2_private_key: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return (
            f"Credentials(kind={self.kind!r}, l1_address={self.l1_address!r}, l2_address={self.l2_address!r})"
        )

    def secrets(self) -> list[str]:
        return [s for s in (self.l1_private_key, self.l2_private_key) if s]

    @classmethod
    def from_env(cls, environ: Mapping[str, str], prefix: str = "PARADEX_") -> Credentials | None:
        """Read ``{prefix}L1_ADDRESS`` and friends; ``None`` when there are none, an error when they don't
        fit. The simulator's credentials use the prefix ``PARADEX_SIM_`` so that an exchange's keys are
        never sent to it (and a simulator's never to an exchange)."""
        l1_name, l1_key_name = f"{prefix}L1_ADDRESS", f"{prefix}L1_PRIVATE_KEY"
        l2_name, l2_key_name = f"{prefix}L2_ADDRESS", f"{prefix}L2_PRIVATE_KEY"
        l1_addr = _hex(environ.get(l1_name, ""))
        l1_key = _hex(environ.get(l1_key_name, ""))
        l2_addr = _hex(environ.get(l2_name, ""))
        l2_key = _hex(environ.get(l2_key_name, ""))
        if not any((l1_addr, l1_key, l2_addr, l2_key)):
            return None
        for name, value in ((l1_key_name, l1_key), (l2_key_name, l2_key)):
            if value and not _is_hex_key(value):
                raise CredentialError(f"{name} is not a hex private key (up to 64 hex digits, 0x optional)")
        for name, value in ((l1_name, l1_addr), (l2_name, l2_addr)):
            if value and not re.fullmatch(r"0x[0-9a-fA-F]{1,64}", value):
                raise CredentialError(f"{name} is not a 0x hex address")
        if l2_key and l2_addr:
            return cls("l2", l1_addr, l2_addr, l1_key, l2_key)
        if l2_key and l1_addr:
            return cls("l1-l2", l1_addr, "", l1_key, l2_key)
        if l1_key and l1_addr:
            return cls("l1", l1_addr, "", l1_key, "")
        raise CredentialError(
            f"incomplete credentials: set {l2_name} + {l2_key_name}, or {l1_name} + {l2_key_name}, "
            f"or {l1_name} + {l1_key_name}"
        )

    @classmethod
    def paper(cls) -> Credentials:
        """A throwaway key for the simulator: generated per run, never written anywhere."""
        key = secrets.randbelow(EC_ORDER - 1) + 1
        return cls("paper", "0x" + secrets.token_hex(20), "", "", hex(key))


def _hex(value: str) -> str:
    """Trimmed, with a ``0x`` prefix when it looks like bare hex (Ethereum keys are often written without)."""
    value = value.strip()
    if value and not value.lower().startswith("0x") and re.fullmatch(r"[0-9a-fA-F]+", value):
        return "0x" + value
    return value


def _is_hex_key(value: str) -> bool:
    return re.fullmatch(r"0x[0-9a-fA-F]{1,64}", value) is not None and int(value, 16) != 0


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verification (as paradex-py does)."""
    try:
        segment = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, int | float) else None
    except (IndexError, ValueError, TypeError):
        return None


class Auth:
    """The ``AuthProvider`` of the supervisor: one account, its JWT kept fresh for REST and WebSocket."""

    def __init__(
        self, env: str, rest_url: str | None, credentials: Credentials, redactor: SecretRedactor
    ) -> None:
        self.env = env
        self.rest_url = rest_url
        self.credentials = credentials
        self._redactor = redactor
        self.api: ParadexApiClient | None = None
        self._account: ParadexAccount | None = None
        self._lock = asyncio.Lock()
        self._refresher: asyncio.Task[None] | None = None
        self.refreshes = 0
        redactor.add(*credentials.secrets())

    @property
    def account(self) -> ParadexAccount:
        if self._account is None:
            raise CredentialError("not authenticated yet")
        return self._account

    @property
    def address(self) -> int:
        return int(self.account.l2_address)

    @property
    def jwt_expires_at(self) -> float | None:
        token = getattr(self._account, "jwt_token", None)
        return jwt_expiry(token) if token else None

    def signer(self) -> FastOrderSigner:
        account = self.account
        return FastOrderSigner(int(account.l2_chain_id), int(account.l2_address), int(account.l2_private_key))

    async def start(self, attempts: int = START_ATTEMPTS) -> None:
        """Fetch the system config, build the account, authenticate (and onboard if needed).

        Raises :class:`CredentialError` when Paradex answers and refuses, :class:`RestUnreachable` when it
        could not be reached ``attempts`` times in a row (one second apart).
        """
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self._init_sync)
                break
            except CredentialError:
                raise
            except httpx.TransportError as exc:
                if attempt == attempts:
                    where = f"cannot reach Paradex REST at {self.rest_url}"
                    raise RestUnreachable(self._describe(exc, where)) from None
                log.warning("Paradex REST unreachable (%s), retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
            except Exception as exc:
                raise CredentialError(self._describe(exc, "authentication failed")) from None
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop(), name="jwt-refresh")

    def _init_sync(self) -> None:
        sdk_logger = logging.getLogger("paradex_ws_service.sdk")
        api = ParadexApiClient(
            env=SDK_ENV_FOR.get(self.env, "testnet"),  # type: ignore[arg-type]
            logger=sdk_logger,
            api_base_url=self.rest_url,
            retry_strategy=None,
        )
        config = api.fetch_system_config()
        c = self.credentials
        try:
            if c.kind == "l2":
                account: ParadexAccount = SubkeyAccount(
                    config=config, l2_private_key=c.l2_private_key, l2_address=c.l2_address
                )
            elif c.kind == "l1":
                account = ParadexAccount(
                    config=config, l1_address=c.l1_address, l1_private_key=c.l1_private_key
                )
            else:
                account = ParadexAccount(
                    config=config, l1_address=c.l1_address, l2_private_key=c.l2_private_key
                )
        except Exception as exc:
            raise CredentialError(
                self._describe(exc, "the credentials do not make a Paradex account")
            ) from None
        self._redactor.add(hex(account.l2_private_key), str(account.l2_private_key))
        api.init_account(account)  # POST /auth, with onboarding on NOT_ONBOARDED
        self._remember_token(account)
        self.api, self._account = api, account

    def _remember_token(self, account: Any) -> None:
        token = getattr(account, "jwt_token", None)
        if token:
            self._redactor.add(token)

    async def ensure_fresh(self, force: bool = False) -> None:
        """Re-authenticate when forced (a 40111) or when the JWT expires within the refresh margin."""
        async with self._lock:
            expires = self.jwt_expires_at
            if not force and expires is not None and expires - time.time() > self._margin():
                return
            await asyncio.to_thread(self._reauth_sync)

    def _reauth_sync(self) -> None:
        assert self.api is not None
        try:
            self.api.auth()
        except Exception as exc:
            raise CredentialError(self._describe(exc, "re-authentication failed")) from None
        self._remember_token(self.api.account)
        self.refreshes += 1
        log.info("JWT refreshed (expires in %.0f s)", (self.jwt_expires_at or time.time()) - time.time())

    def _margin(self) -> float:
        """Refresh one minute early, or at two thirds of a short lifetime (tests use seconds-long JWTs)."""
        token = getattr(self._account, "jwt_token", None)
        exp = jwt_expiry(token) if token else None
        lifetime = (exp - self._issued) if exp and self._issued else 300.0
        return min(REFRESH_MARGIN_S, max(lifetime / 3, 0.1))

    @property
    def _issued(self) -> float:
        return float(getattr(self.api, "auth_timestamp", 0) or 0)

    async def _refresh_loop(self) -> None:
        """Keep the token fresh in the background so neither REST calls nor reconnects wait on auth."""
        while True:
            expires = self.jwt_expires_at
            delay = (expires - time.time() - self._margin()) if expires else REFRESH_MARGIN_S
            await asyncio.sleep(max(MIN_REFRESH_DELAY_S, delay))
            try:
                await self.ensure_fresh()
            except CredentialError as exc:
                log.warning("%s; retrying", exc)
                await asyncio.sleep(1.0)

    async def fetch_markets(self) -> list[dict[str, Any]]:
        """``GET /markets`` through the account's REST client (off the event loop)."""
        assert self.api is not None
        body = await asyncio.to_thread(self.api.fetch_markets)
        return list(body.get("results", []))

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher

    def _describe(self, exc: BaseException, what: str) -> str:
        return self._redactor.redact(f"{what}: {type(exc).__name__}: {exc}")


def public_api(env: str, rest_url: str) -> ParadexApiClient:
    """A REST client without an account, for public endpoints (klines) when there are no credentials."""
    return ParadexApiClient(
        env=SDK_ENV_FOR.get(env, "testnet"),  # type: ignore[arg-type]
        api_base_url=rest_url,
        retry_strategy=None,
        logger=logging.getLogger("paradex_ws_service.sdk"),
    )
