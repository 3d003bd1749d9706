"""WebSocket authentication of the simulator: who a bearer token belongs to, and the default check.

The default verifier reads the JWT payload without checking a signature (paradex-py does the same on
its side) and enforces `exp`; the trading extension replaces it with one that knows the JWTs it minted.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field
from typing import Any

import orjson


class JsonRpcError(Exception):
    """An error answer to a JSON-RPC request: `{"error": {"code", "message", "data"?}}`."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


MALFORMED_TOKEN = 40110
INVALID_TOKEN = 40111
PERMISSION_DENIED = 40300


@dataclass(frozen=True)
class AuthedAccount:
    """The account a connection authenticated as. `address` is the 0x L2 address (JWT `sub`)."""

    address: str
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def same_as(self, address: str) -> bool:
        """Address equality on the number, so '0x0abc' and '0xabc' match."""
        try:
            return int(self.address, 16) == int(address, 16)
        except ValueError:
            return self.address == address


def decode_jwt_payload(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified; raises 40110 when it is not a JWT at all."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JsonRpcError(MALFORMED_TOKEN, "malformed bearer token")
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError) as exc:
        raise JsonRpcError(MALFORMED_TOKEN, "malformed bearer token") from exc
    if not isinstance(claims, dict):
        raise JsonRpcError(MALFORMED_TOKEN, "malformed bearer token")
    return claims


def default_verifier(token: str) -> AuthedAccount:
    """Accept any well-formed, unexpired JWT whose `sub` names the account."""
    claims = decode_jwt_payload(token)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= time.time():
        raise JsonRpcError(INVALID_TOKEN, "invalid bearer token", "token is expired")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise JsonRpcError(INVALID_TOKEN, "invalid bearer token", "token has no subject")
    return AuthedAccount(sub, claims)


def mint_unsigned_jwt(sub: str, lifetime_s: float = 300.0, now: float | None = None) -> str:
    """An unsigned `header.payload.` JWT with `sub`, `iat`, `exp`: what the default verifier accepts."""
    issued = int(now if now is not None else time.time())

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(obj)).rstrip(b"=").decode()

    header = b64({"alg": "none", "typ": "at+JWT"})
    payload = b64({"sub": sub, "iat": issued, "exp": issued + int(lifetime_s), "iss": "paradex-sim"})
    return f"{header}.{payload}.sim"
