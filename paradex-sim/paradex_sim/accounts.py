"""Simulated Paradex accounts: onboarding, signed auth requests, subkeys and the JWTs the simulator mints.

Checks are the real ones, with paradex-py's own typed-data builders: an onboarding request must be signed
by the key it onboards and name the address that key derives to (``derive_l2_address_starknet`` with the
simulator's class hashes); an auth request must carry a valid signature of the ``Request`` typed data by a
key of that account (main key or registered subkey) and a timestamp that is not stale. JWTs are HS256 with a
per-process secret (Paradex uses ES384; paradex-py never verifies them), carry ``sub`` = the account
address, ``pubkey`` = the signing key, and expire after ``jwt_lifetime`` seconds (tests shorten it).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from paradex_py.account.utils import derive_l2_address_starknet, typed_data_to_message_hash
from paradex_py.api.models import SystemConfigSchema
from paradex_py.message.auth import build_auth_message
from paradex_py.message.onboarding import build_onboarding_message

from paradex_ws_service.paradex.signing import (
    chain_id_from_name,
    is_valid_public_key,
    verify_signature,
)

from .markets import system_config

DEFAULT_JWT_LIFETIME_S = 300.0  # Paradex: 5 minutes
DEFAULT_COLLATERAL_E8 = 100_000 * 10**8  # a paper account starts with 100,000 USDC
MAX_SIGNATURE_EXPIRATION_S = 7 * 24 * 3600  # Paradex accepts at most one week


class ApiError(Exception):
    """A REST error as Paradex sends it: HTTP ``status`` + body ``{"error": code, "message": …}``.

    ``code=None`` is the gateway's bare form, ``{"message": …}`` with no ``error`` key: what an expired JWT
    gets (``401 {"message": "missing or malformed jwt: token is expired by 9.46872137s"}``, ccxt #24259).
    """

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        if self.code is None:
            return {"message": self.message}
        return {"error": self.code, "message": self.message, "data": None}


class TokenError(Exception):
    """A bearer token the simulator will not accept; ``expired`` distinguishes 40111 from 40110."""

    def __init__(self, message: str, expired: bool) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass
class SimAccount:
    """One onboarded account: its address, the keys allowed to sign for it, its collateral and settings."""

    address: int
    main_key: int
    l1_address: str
    collateral_e8: int = DEFAULT_COLLATERAL_E8
    subkeys: set[int] = field(default_factory=set)
    leverage: dict[str, int] = field(default_factory=dict)

    @property
    def address_hex(self) -> str:
        return hex(self.address)

    def keys(self) -> set[int]:
        return {self.main_key, *self.subkeys}


def _int(value: str | None, what: str) -> int:
    if not value:
        raise ApiError(400, "INVALID_REQUEST_PARAMETER", f"missing {what}")
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        raise ApiError(400, "INVALID_REQUEST_PARAMETER", f"{what} is not a number: {value!r}") from None


class Accounts:
    """Registry of simulated accounts and the JWT authority of one simulator run."""

    def __init__(self, chain_id_name: str, jwt_lifetime: float = DEFAULT_JWT_LIFETIME_S) -> None:
        self.chain_id = chain_id_from_name(chain_id_name)
        self.config = SystemConfigSchema().load(system_config(chain_id_name), unknown="exclude")
        self.jwt_lifetime = jwt_lifetime
        self._secret = secrets.token_bytes(32)
        self.by_address: dict[int, SimAccount] = {}
        self._by_key: dict[int, int] = {}  # public key → account address
        self.tokens_issued = 0
        # Tokens minted so far (jti → exp); `expire_all()` moves them to `_expired`: the server then treats
        # them as expired although their `exp` is ahead (a client clock behind the exchange's looks so).
        self._issued: dict[str, float] = {}
        self._expired: dict[str, float] = {}

    # ------------------------------------------------------------------ registry

    def create(self, public_key: int, address: int | None = None, l1_address: str = "0x0") -> SimAccount:
        """Register an onboarded account (onboarding, or ``POST /_sim/account`` for a prepared one)."""
        if not is_valid_public_key(public_key):
            raise ApiError(400, "PUBLIC_KEY_INVALID", "public key is not a point of the Stark curve")
        if address is None:
            address = derive_l2_address_starknet(self.config, public_key)
        existing = self.by_address.get(address)
        if existing is not None:
            return existing
        account = SimAccount(address, public_key, l1_address)
        self.by_address[address] = account
        self._by_key[public_key] = address
        return account

    def add_subkey(self, address: int, public_key: int) -> SimAccount:
        account = self.by_address.get(address)
        if account is None:
            raise ApiError(404, "ACCOUNT_NOT_FOUND", f"no account {hex(address)}")
        if not is_valid_public_key(public_key):
            raise ApiError(400, "PUBLIC_KEY_INVALID", "public key is not a point of the Stark curve")
        account.subkeys.add(public_key)
        self._by_key[public_key] = address
        return account

    def account_of(self, address: str | int) -> SimAccount | None:
        value = int(address, 16) if isinstance(address, str) else address
        return self.by_address.get(value)

    # ------------------------------------------------------------------ onboarding

    def onboard(self, headers: Mapping[str, str], body: Mapping[str, Any]) -> SimAccount:
        """``POST /v1/onboarding``: the key signs the ``Constant(action)`` message for its derived address."""
        public_key = _int(str(body.get("public_key") or ""), "public_key")
        address = _int(headers.get("PARADEX-STARKNET-ACCOUNT"), "PARADEX-STARKNET-ACCOUNT header")
        signature = headers.get("PARADEX-STARKNET-SIGNATURE") or ""
        if not is_valid_public_key(public_key):
            raise ApiError(400, "PUBLIC_KEY_INVALID", "public key is not a point of the Stark curve")
        if derive_l2_address_starknet(self.config, public_key) != address:
            raise ApiError(400, "INVALID_STARKNET_ADDRESS", "account address does not derive from the key")
        msg_hash = typed_data_to_message_hash(build_onboarding_message(self.chain_id), address)
        if not verify_signature(public_key, msg_hash, signature):
            raise ApiError(400, "STARKNET_SIGNATURE_VERIFICATION_FAILED", "onboarding signature is invalid")
        l1 = headers.get("PARADEX-ETHEREUM-ACCOUNT") or "0x0"
        return self.create(public_key, address, l1)

    # ------------------------------------------------------------------ auth

    def authenticate(self, headers: Mapping[str, str], path_key: str | None) -> str:
        """``POST /v1/auth[/{public_key}]`` → a JWT, after checking the signed ``Request`` typed data."""
        address = _int(headers.get("PARADEX-STARKNET-ACCOUNT"), "PARADEX-STARKNET-ACCOUNT header")
        timestamp = _int(headers.get("PARADEX-TIMESTAMP"), "PARADEX-TIMESTAMP header")
        expiration = _int(headers.get("PARADEX-SIGNATURE-EXPIRATION"), "PARADEX-SIGNATURE-EXPIRATION header")
        signature = headers.get("PARADEX-STARKNET-SIGNATURE") or ""
        now = int(time.time())
        if expiration <= now or expiration - timestamp > MAX_SIGNATURE_EXPIRATION_S or timestamp > now + 300:
            raise ApiError(400, "INVALID_TIMESTAMP", "signature timestamp or expiration out of range")
        account = self.by_address.get(address)
        public_key = _int(path_key, "public key") if path_key else (account.main_key if account else 0)
        if account is None or public_key not in account.keys():
            if self._by_key.get(public_key) is None:
                raise ApiError(400, "NOT_ONBOARDED", "account not onboarded: POST /v1/onboarding first")
            raise ApiError(401, "UNAUTHORIZED_ERROR", "this key does not belong to that account")
        msg_hash = typed_data_to_message_hash(
            build_auth_message(self.chain_id, timestamp, expiration), address
        )
        if not verify_signature(public_key, msg_hash, signature):
            raise ApiError(401, "STARKNET_SIGNATURE_VERIFICATION_FAILED", "auth signature is invalid")
        return self.mint(account, public_key)

    def mint(self, account: SimAccount, public_key: int) -> str:
        now = time.time()
        jti = secrets.token_hex(8)
        claims = {
            "typ": "at+JWT",
            "iss": "paradex-sim",
            "sub": account.address_hex,
            "pubkey": hex(public_key),
            "iat": int(now),
            "exp": now + self.jwt_lifetime,  # fractional: tests use lifetimes of a second or two
            "jti": jti,
        }
        self._issued[jti] = now
        if len(self._issued) > 10_000:  # bounded: the oldest are long expired anyway
            self._issued.pop(next(iter(self._issued)))
        self.tokens_issued += 1
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def expire_all(self) -> int:
        """Every token minted so far is expired from now on (``POST /_sim/expire_jwt``); returns how many."""
        now = time.time()
        for jti in self._issued:
            self._expired.setdefault(jti, now)
        count = len(self._issued)
        self._issued.clear()
        return count

    def verify_token(self, token: str) -> dict[str, Any]:
        """Claims of a token this simulator minted; raises :class:`TokenError` otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            raise TokenError(f"token is expired by {_expired_by(token)}", expired=True) from None
        except jwt.InvalidTokenError:
            raise TokenError("malformed bearer token", expired=False) from None
        revoked_at = self._expired.get(str(claims.get("jti")))
        if revoked_at is not None:
            raise TokenError(f"token is expired by {time.time() - revoked_at:.8f}s", expired=True)
        if self.account_of(str(claims.get("sub", "0x0"))) is None:
            raise TokenError("unknown account", expired=True)
        return claims

    def bearer(self, headers: Mapping[str, str]) -> tuple[SimAccount, int]:
        """Account and signing key of an ``Authorization: Bearer`` REST request, or a 401 like Paradex's."""
        header = headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise ApiError(401, "UNAUTHORIZED_ERROR", "missing or malformed jwt")
        try:
            claims = self.verify_token(header[7:].strip())
        except TokenError as exc:
            if exc.expired:  # the gateway's own answer: no `error` key at all
                raise ApiError(401, None, f"missing or malformed jwt: {exc}") from None
            raise ApiError(401, "UNAUTHORIZED_ERROR", f"missing or malformed jwt: {exc}") from None
        account = self.account_of(claims["sub"])
        assert account is not None
        return account, int(claims["pubkey"], 16)


def _expired_by(token: str) -> str:
    """``9.46872137s``: how long ago an expired token's ``exp`` passed (the wording Paradex uses)."""
    try:
        exp = float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    except jwt.InvalidTokenError:
        return "?"
    return f"{max(time.time() - exp, 0):.8f}s"
