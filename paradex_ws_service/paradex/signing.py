"""Sign Paradex orders several times faster than paradex-py, producing byte-identical signatures.

paradex-py's ``ParadexAccount.sign_order`` spends ≈3.9 ms rebuilding and re-hashing the whole StarkNet
typed-data document (schema parsing, type hashes by keccak, the domain hash) for every order, then ≈0.6 ms
in ECDSA. Almost all of that is constant for one account: the domain hash, the ``Order`` type hash and the
first links of both Pedersen hash chains. :class:`FastOrderSigner` computes those once (through starknet-py's
own ``TypedData``, so the constants cannot drift from the SDK) and per order hashes only what varies: after
the price is known, four Pedersen hashes and one signature.

The curve work itself is done by a library, never here. Two backends (:class:`Backend`):

* ``fast_stark_crypto`` (Extended's Rust build of starknet-crypto, precomputed Pedersen tables), a default
  dependency where it ships wheels: Pedersen hashes, and ``k·G`` for the signature;
* ``starknet_crypto_py``, the library paradex-py itself signs with: the fallback when the native one is not
  importable (same bytes, ≈2-3x slower).

The signature is ECDSA exactly as starknet-crypto computes it for paradex-py: the nonce ``k`` of RFC 6979
with paradex-py's extra entropy ``seed = 32`` (crypto-cpp-py's port of cairo-lang's ``generate_k_rfc6979``),
``r = x(k·G)``, ``s = (z + r·d) / k mod N``. fast-stark-crypto's own ``sign`` derives ``k`` without that seed
(different, equally valid signatures), so only its ``k·G`` is used: with it the output is byte-identical to
``sign_order``, which ``tests/test_signing_identity.py`` checks on both backends. A case the formula does not
cover (``r`` or ``s`` out of range, ≈2⁻⁵⁵) is handed to ``starknet_crypto_py``, which retries the nonce as
paradex-py would.

**Pooled nonces** (``--signing pooled``, off by default). With RFC 6979 the nonce depends on the message,
so ``k·G`` (half the signing time) can only start once the price is known. A :class:`NoncePool` instead
draws uniformly random nonces from the OS (``secrets``) and does their ``k·G`` ahead, in idle time; signing
an order is then its four Pedersen hashes and ``s = (z + r·d)·k⁻¹ mod N``. Each nonce is used once (popped)
and kept only in memory, like the key itself. Such signatures are as valid as paradex-py's (the same ECDSA,
checked with starknet-crypto's own ``verify``) but not byte-identical to ``sign_order``: no signature made
with a random nonce is. An empty pool signs deterministically, as above.

The class implements paradex-py's ``Signer`` protocol (``sign_order(order_dict) -> order_dict``), so it is
passed to ``submit_order(order, signer=…)``: no patching of the SDK.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import starknet_crypto_py
from crypto_cpp_py.utils import cpp_generate_k_rfc6979
from starknet_py.cairo.felt import encode_shortstring
from starknet_py.net.models.typed_data import ParameterDict
from starknet_py.utils.typed_data import TypedData, parse_felt

try:  # the native backend; see the module docstring
    import fast_stark_crypto
except ImportError:  # pragma: no cover - depends on the platform's wheels
    fast_stark_crypto = None  # type: ignore[assignment]  # the optional-module idiom; checked before use

# Stark curve y² = x³ + x + β over F_p, generator of order N (StarkWare's published parameters): only what
# the range checks below need.
FIELD_PRIME = 0x800000000000011000000000000000000000000000000000000000000000001
EC_ORDER = 0x800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
_BETA = 0x6F21413EFBE40DE150E596D72F7A8C5609AD26C15C915C1F4CDFCB99CEE9E89
ELEMENT_UPPER_BOUND = 1 << 251  # r, s and the message hash of a Stark signature must be below this
_SEED = 32  # the extra RFC 6979 entropy paradex-py passes (account/utils.py message_signature)


def _reference_sign(private_key: int, msg_hash: int) -> tuple[int, int]:
    """paradex-py's own signature (``message_signature``): starknet_crypto_py with the same seed."""
    return starknet_crypto_py.sign(private_key=private_key, msg_hash=msg_hash, seed=_SEED)


def _native_sign(private_key: int, msg_hash: int) -> tuple[int, int]:
    """starknet-crypto's ECDSA with the point multiplication ``k·G`` done by fast_stark_crypto."""
    assert fast_stark_crypto is not None
    if msg_hash >= ELEMENT_UPPER_BOUND:  # the reference refuses it; let it say so
        return _reference_sign(private_key, msg_hash)
    k = cpp_generate_k_rfc6979(msg_hash, private_key, _SEED)
    r = fast_stark_crypto.get_public_key(k)  # the x of k·G
    if not 0 < r < ELEMENT_UPPER_BOUND:
        return _reference_sign(private_key, msg_hash)
    s = (msg_hash + r * private_key) * pow(k, -1, EC_ORDER) % EC_ORDER
    if not 0 < s < ELEMENT_UPPER_BOUND:
        return _reference_sign(private_key, msg_hash)
    return r, s


def _pooled_sign(private_key: int, msg_hash: int, nonce: tuple[int, int]) -> tuple[int, int] | None:
    """ECDSA with a nonce whose ``r = x(k·G)`` and ``k⁻¹`` were computed ahead; None when the formula does
    not give a valid signature (a range check fails, ≈2⁻⁵⁵): the caller signs deterministically instead."""
    if msg_hash >= ELEMENT_UPPER_BOUND:
        return None
    r, k_inverse = nonce
    s = (msg_hash + r * private_key) * k_inverse % EC_ORDER
    # The same range checks as the deterministic path (and starknet-crypto's sign). Cairo's verify also wants
    # s⁻¹ below 2^251; neither path spends an inversion on that ≈2⁻⁵⁵ case (the venue would refuse that one
    # order as badly signed: a definite answer, never a lost or doubled order).
    if not 0 < s < ELEMENT_UPPER_BOUND:
        return None
    return r, s


@dataclass(frozen=True)
class Backend:
    """Where the curve work happens: a Pedersen hash, a signature and a signature check."""

    name: str
    pedersen: Callable[[int, int], int]
    sign: Callable[[int, int], tuple[int, int]]  # (private key, message hash) -> (r, s)
    verify: Callable[[int, int, int, int], bool]  # (public key, message hash, r, s), inputs range-checked
    point_x: Callable[[int], int]  # x(k·G): a public key from a private one, a nonce's r from the nonce


FALLBACK = Backend(
    name="starknet_crypto_py",
    pedersen=starknet_crypto_py.pedersen_hash,
    sign=_reference_sign,
    verify=starknet_crypto_py.verify,
    point_x=lambda k: int(starknet_crypto_py.get_public_key(k)),
)
NATIVE: Backend | None = (
    Backend(
        name="fast_stark_crypto",
        pedersen=fast_stark_crypto.pedersen_hash,
        sign=_native_sign,
        verify=fast_stark_crypto.verify,
        point_x=fast_stark_crypto.get_public_key,
    )
    if fast_stark_crypto is not None
    else None
)
DEFAULT: Backend = NATIVE or FALLBACK


def backend() -> str:
    """The name of the backend in use (reported by the benchmark)."""
    return DEFAULT.name


# --------------------------------------------------------------------------------------------------
# The Paradex order message
# --------------------------------------------------------------------------------------------------

_ORDER_TYPES: dict[str, list[ParameterDict]] = {
    "StarkNetDomain": [
        {"name": "name", "type": "felt"},
        {"name": "chainId", "type": "felt"},
        {"name": "version", "type": "felt"},
    ],
    "Order": [
        {"name": "timestamp", "type": "felt"},
        {"name": "market", "type": "felt"},
        {"name": "side", "type": "felt"},
        {"name": "orderType", "type": "felt"},
        {"name": "size", "type": "felt"},
        {"name": "price", "type": "felt"},
    ],
}
_SIDE_FELT = {"BUY": 1, "SELL": 2}  # OrderSide.chain_side()


def chain_id_from_name(starknet_chain_id: str) -> int:
    """``/system/config.starknet_chain_id`` (ASCII) read as a big-endian integer, as ParadexAccount does."""
    return int.from_bytes(starknet_chain_id.encode(), "big")


def quantize_e8(value: str | Decimal) -> int:
    """The signed integer of a size or price: times 10^8, truncated, as ``Order.chain_size`` computes it."""
    return int(Decimal(value).scaleb(8))


class OrderHasher:
    """Message hash of a Paradex ``Order`` typed-data document for one (chain, account) pair.

    Equal to paradex-py's ``typed_data_to_message_hash(build_order_message(chain, order), address)``.
    The simulator uses it to verify signatures; :class:`FastOrderSigner` to produce them.
    """

    def __init__(self, chain_id: int, account_address: int, backend: Backend | None = None) -> None:
        self._hash = (backend or DEFAULT).pedersen
        h = self._hash
        domain = {"name": "Paradex", "chainId": hex(chain_id), "version": "1"}
        template = TypedData.from_dict(
            {
                "types": _ORDER_TYPES,
                "primaryType": "Order",
                # starknet-py's DomainDict declares "revision" required; Paradex's domain has none (rev. 0)
                "domain": domain,  # type: ignore[typeddict-item]
                "message": {k["name"]: "0" for k in _ORDER_TYPES["Order"]},
            }
        )
        domain_hash = template.struct_hash("StarkNetDomain", domain)
        # compute_hash_on_elements(xs) = H(…H(H(0, x0), x1)…, len(xs)): fold the constant heads once.
        self._struct_head = h(0, template.type_hash("Order"))
        self._message_head = h(h(h(0, encode_shortstring("StarkNet Message")), domain_hash), account_address)
        self._felts: dict[str, int] = {}

    def _felt(self, text: str) -> int:
        """A market or order-type name as paradex-py encodes it (``parse_felt``), cached."""
        felt = self._felts.get(text)
        if felt is None:
            felt = self._felts[text] = parse_felt(text)
        return felt

    def struct_prefix(self, *, timestamp_ms: int, market: str, side: str, order_type: str) -> int:
        """The first four links of the ``Order`` struct's hash chain: what is known before size and price."""
        h = self._hash
        link = h(self._struct_head, timestamp_ms)
        link = h(link, self._felt(market))
        link = h(link, _SIDE_FELT[side])
        return h(link, self._felt(order_type))

    def sized(self, prefix: int, size_e8: int) -> int:
        """:meth:`struct_prefix` one link further: the size hashed in."""
        return self._hash(prefix, size_e8)

    def message_hash(
        self,
        *,
        timestamp_ms: int,
        market: str,
        side: str,
        order_type: str,
        size_e8: int,
        price_e8: int,
        prefix: int | None = None,
        sized: int | None = None,
    ) -> int:
        """The message hash. ``prefix`` is :meth:`struct_prefix` of the same four fields and ``sized`` the
        chain one link further (the size hashed in), when they were precomputed."""
        h = self._hash
        link = sized
        if link is None:
            if prefix is None:
                prefix = self.struct_prefix(
                    timestamp_ms=timestamp_ms, market=market, side=side, order_type=order_type
                )
            link = h(prefix, size_e8)
        struct_hash = h(h(link, price_e8), 7)  # 7 = type hash + 6 fields
        return h(h(self._message_head, struct_hash), 4)  # 4 = prefix, domain, account, struct

    def hash_order_dict(self, order: dict[str, Any], cache: PrefixCache | None = None) -> int:
        """Hash an order as it travels (``Order.dump_to_dict()`` / the ``order.create`` params)."""
        order_type = order["type"]
        price = order.get("price")
        price_e8 = 0 if order_type == "MARKET" or price in (None, "") else quantize_e8(price)
        timestamp_ms = int(order["signature_timestamp"])
        size_e8 = quantize_e8(order["size"])
        prefix = sized = None
        if cache is not None:
            key = (timestamp_ms, order["market"], order["side"], order_type)
            sized = cache.sized.get((*key, size_e8))
            prefix = cache.prefixes.get(key)
        return self.message_hash(
            timestamp_ms=timestamp_ms,
            market=order["market"],
            side=order["side"],
            order_type=order_type,
            size_e8=size_e8,
            price_e8=price_e8,
            prefix=prefix,
            sized=sized,
        )


PrefixKey = tuple[int, str, str, str]  # (signature timestamp ms, market, side, order type)


@dataclass
class PrefixCache:
    """Hash-chain links computed ahead of orders: after the order type, and after the size as well."""

    prefixes: dict[PrefixKey, int] = field(default_factory=dict)
    sized: dict[tuple[int, str, str, str, int], int] = field(default_factory=dict)
    # (market, side, type) → the newest timestamp in ``prefixes``: found in O(1) on the order path (a scan
    # of every prefix kept for the last second cost ≈50 µs per order)
    newest: dict[tuple[str, str, str], int] = field(default_factory=dict)


POOL_SIZE = 16  # nonces kept ready: a burst of 16 orders signs without k·G; each refill costs one k·G


class NoncePool:
    """Random ECDSA nonces, each with ``r = x(k·G)`` and ``k⁻¹ mod N`` computed ahead (see the module
    docstring). Single-threaded by design: the event loop refills it and signing takes from it."""

    __slots__ = ("_backend", "_ready", "size", "used")

    def __init__(self, backend: Backend | None = None, size: int = POOL_SIZE) -> None:
        self._backend = backend or DEFAULT
        self._ready: list[tuple[int, int]] = []
        self.size = size
        self.used = 0  # signatures made with a pooled nonce (the rest were deterministic)

    def __repr__(self) -> str:  # nonces are as secret as the key: never shown
        return f"NoncePool({len(self._ready)}/{self.size} ready)"

    def __len__(self) -> int:
        return len(self._ready)

    def refill_one(self) -> bool:
        """Add one nonce (one ``k·G``); False when the pool is already full."""
        if len(self._ready) >= self.size:
            return False
        while True:
            k = secrets.randbelow(EC_ORDER - 1) + 1
            r = self._backend.point_x(k)
            if 0 < r < ELEMENT_UPPER_BOUND:  # else draw again, as a signer retries its nonce
                self._ready.append((r, pow(k, -1, EC_ORDER)))
                return True

    def take(self) -> tuple[int, int] | None:
        """A nonce, never handed out twice; None when the pool is empty."""
        return self._ready.pop() if self._ready else None


def flatten_signature(r: int, s: int) -> str:
    """Paradex's wire form of a signature: a JSON array of two decimal strings, inside a string."""
    return f'["{r}","{s}"]'


def parse_signature(text: str) -> tuple[int, int]:
    """Inverse of :func:`flatten_signature`; raises ``ValueError`` on anything else."""
    parts = text.strip().removeprefix("[").removesuffix("]").split(",")
    if len(parts) != 2:
        raise ValueError("signature must be a JSON array of two numbers")
    r, s = (int(p.strip().strip('"'), 0) for p in parts)
    return r, s


class FastOrderSigner:
    """paradex-py ``Signer`` (``sign_order(dict) -> dict``) that signs new orders for one account.

    ``account_address`` is the main account's address even for a subkey (the SDK hashes with it too).
    Modify orders (a dict with ``id``) are not supported: they use another typed-data type.
    """

    def __init__(
        self, chain_id: int, account_address: int, private_key: int, backend: Backend | None = None
    ) -> None:
        self._backend = backend or DEFAULT
        self._hasher = OrderHasher(chain_id, account_address, self._backend)
        self._private_key = private_key
        self._cache = PrefixCache()
        self.nonces: NoncePool | None = None  # set: pooled nonces first (see NoncePool)

    def __repr__(self) -> str:  # never show the key
        return "FastOrderSigner(<redacted>)"

    def precompute(
        self, timestamp_ms: int, market: str, side: str, order_type: str, size: str | None = None
    ) -> None:
        """Hash the (timestamp, market, side, type) prefix ahead of time, for an order signed with that
        timestamp: four of the nine Pedersen hashes are then already done when the order comes (five when
        its ``size`` was guessed right, e.g. a bot's usual size)."""
        key = (timestamp_ms, market, side, order_type)
        cache = self._cache
        prefix = cache.prefixes.get(key)
        if prefix is None:
            prefix = cache.prefixes[key] = self._hasher.struct_prefix(
                timestamp_ms=timestamp_ms, market=market, side=side, order_type=order_type
            )
            kind = (market, side, order_type)
            if timestamp_ms > cache.newest.get(kind, -1):
                cache.newest[kind] = timestamp_ms
        if size is not None:
            size_e8 = quantize_e8(size)
            sized_key = (*key, size_e8)
            if sized_key not in cache.sized:
                cache.sized[sized_key] = self._hasher.sized(prefix, size_e8)

    def prefixed_timestamp(self, market: str, side: str, order_type: str, not_before: int) -> int | None:
        """The newest precomputed timestamp for this kind of order that is ≥ ``not_before``, if any."""
        ts = self._cache.newest.get((market, side, order_type))
        return ts if ts is not None and ts >= not_before else None

    def forget_prefixes(self, older_than: int) -> None:
        cache = self._cache
        for key in [k for k in cache.prefixes if k[0] < older_than]:
            del cache.prefixes[key]
        for skey in [k for k in cache.sized if k[0] < older_than]:
            del cache.sized[skey]
        for kind in [k for k, ts in cache.newest.items() if ts < older_than]:
            del cache.newest[kind]

    def signature(self, order: dict[str, Any]) -> str:
        if order.get("id"):
            raise ValueError("FastOrderSigner signs new orders only, not modifications")
        msg_hash = self._hasher.hash_order_dict(order, self._cache)
        pool = self.nonces
        if pool is not None and (nonce := pool.take()) is not None:
            pooled = _pooled_sign(self._private_key, msg_hash, nonce)
            if pooled is not None:
                pool.used += 1
                return flatten_signature(*pooled)
        r, s = self._backend.sign(self._private_key, msg_hash)
        return flatten_signature(r, s)

    def sign_order(self, order_data: dict[str, Any]) -> dict[str, Any]:
        signed = dict(order_data)
        signed["signature"] = self.signature(order_data)
        return signed

    def sign_batch(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.sign_order(o) for o in orders]


def public_key(private_key: int) -> int:
    """The Stark public key (x of d·G) of a private key."""
    return int(starknet_crypto_py.get_public_key(private_key))


def is_valid_public_key(key: int) -> bool:
    """Whether ``key`` is the x of a point on the Stark curve (y² = x³ + x + β has a root)."""
    if not 0 < key < FIELD_PRIME:
        return False
    rhs = (key * key * key + key + _BETA) % FIELD_PRIME
    return rhs == 0 or pow(rhs, (FIELD_PRIME - 1) // 2, FIELD_PRIME) == 1


def verify_signature(public_key_: int, msg_hash: int, signature: str) -> bool:
    """Check a wire-form signature against a message hash; malformed input is ``False``, never a crash.

    starknet_crypto_py is built with ``panic = "abort"`` (and fast_stark_crypto panics): an out-of-range
    input would kill the process, so every range starknet-crypto's ``verify`` checks is checked here first.
    """
    try:
        r, s = parse_signature(signature)
    except ValueError:
        return False
    if not (
        0 < r < ELEMENT_UPPER_BOUND and 0 < s < ELEMENT_UPPER_BOUND and 0 <= msg_hash < ELEMENT_UPPER_BOUND
    ):
        return False
    if not is_valid_public_key(public_key_):
        return False
    return bool(DEFAULT.verify(public_key_, msg_hash, r, s))
