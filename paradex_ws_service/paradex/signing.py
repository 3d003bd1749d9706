"""Sign Paradex orders about ten times faster than paradex-py, producing byte-identical signatures.

paradex-py's ``ParadexAccount.sign_order`` spends ≈3.9 ms rebuilding and re-hashing the whole StarkNet
typed-data document (schema parsing, type hashes by keccak, the domain hash) for every order, then ≈0.55 ms
in Rust ECDSA. Almost all of that is constant for one account: the domain hash, the ``Order`` type hash and
the first links of both Pedersen hash chains. :class:`FastOrderSigner` computes those once (through
starknet-py's own ``TypedData``, so the constants cannot drift from the SDK) and per order hashes only what
varies.

The per-order Pedersen hashes and the ECDSA nonce point run on one of two backends:

* ``fast_stark_crypto`` (a Rust build of starknet-crypto with precomputed tables, ≈45 µs per hash), used
  when it is installed;
* otherwise a windowed Pedersen in Python over precomputed multiples of the five constant points, where
  operands known in advance (market, side, order type, the chain constants) are folded into cached points.

The tables (≈250k points) take 1-3 s to build; the Pedersen ones are cached on disk. Until they are ready
(they build on a background thread at first use, or through :func:`warm_up_tables`), hashes and signatures
come from ``starknet_crypto_py`` itself: same bytes, ≈2 ms slower, and no caller ever waits on a build.

ECDSA uses the nonce ``k`` of RFC 6979 exactly as starknet-crypto does (``seed = 32``, via crypto-cpp-py's
implementation of cairo-lang's ``generate_k_rfc6979``) and a fixed-base table for ``k·G``. Any degenerate
case (a point doubling inside a sum, an ``r`` or ``s`` out of range) is handed back to ``starknet_crypto_py``,
the library paradex-py signs with, so the output is always what ``sign_order`` would produce.
``tests/test_signing_identity.py`` proves it over thousands of random orders and the reference test vector.

The class implements paradex-py's ``Signer`` protocol (``sign_order(order_dict) -> order_dict``), so it is
passed to ``submit_order(order, signer=…)``: no patching of the SDK.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from crypto_cpp_py.utils import cpp_generate_k_rfc6979
from starknet_crypto_py import get_public_key as _rs_public_key
from starknet_crypto_py import pedersen_hash as _rs_pedersen
from starknet_crypto_py import sign as _rs_sign
from starknet_crypto_py import verify as _rs_verify
from starknet_py.cairo.felt import encode_shortstring
from starknet_py.utils.typed_data import TypedData, parse_felt

try:  # optional native backend; see the module docstring
    from fast_stark_crypto import pedersen_hash as _native_pedersen
except ImportError:  # pragma: no cover - depends on the environment
    _native_pedersen = None

# Stark curve y² = x³ + x + β over F_p, generator G of order N (StarkWare's published parameters).
FIELD_PRIME = 0x800000000000011000000000000000000000000000000000000000000000001
EC_ORDER = 0x800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
EC_GEN = (
    0x1EF15C18599971B7BECED415A40F0C7DEACFD9B0D1819E03D723D8BC943CFCA,
    0x5668060AA49730B7BE4801DF46EC62DE53ECD11ABE43A32873000C36E8DC1F,
)
# Pedersen constant points: P0 is the shift point, P1/P2 take the low 248 / high 4 bits of the left operand,
# P3/P4 those of the right operand.
PEDERSEN_POINTS = (
    (
        0x49EE3EBA8C1600700EE1B87EB599F16716B0B1022947733551FDE4050CA6804,
        0x3CA0CFE4B3BC6DDF346D49D06EA0ED34E621062C0E056C1D0405D266E10268A,
    ),
    (
        0x234287DCBAFFE7F969C748655FCA9E58FA8120B6D56EB0C1080D17957EBE47B,
        0x3B056F100F96FB21E889527D41F4E39940135DD7A6C94CC6ED0268EE89E5615,
    ),
    (
        0x4FA56F376C83DB33F9DAB2656558F3399099EC1DE5E3018B7A6932DBA8AA378,
        0x3FA0984C931C9E38113E0C0E47E4401562761F92A7A23B45168F4E80FF5B54D,
    ),
    (
        0x4BA4CC166BE8DEC764910F75B45F74B40C690C74709E90F3AA372F0BD2D6997,
        0x40301CF5C1751F4B971E46C4EDE85FCAC5C59A5CE5AE7C48151F27B24B219C,
    ),
    (
        0x54302DCB0E6CC1C6E44CCA8F61A63BB2CA65048D53FB325D36FF12C49A58202,
        0x1B77B3E37D13504B348046268D8AE25CE98AD783C25561A879DCC77E99C2426,
    ),
)
_BETA = 0x6F21413EFBE40DE150E596D72F7A8C5609AD26C15C915C1F4CDFCB99CEE9E89
ELEMENT_UPPER_BOUND = 1 << 251  # r and s of a Stark signature must be below this
_LOW_BITS = 248
_LOW_MASK = (1 << _LOW_BITS) - 1
# Bits per table window. Most operands are full 252-bit felts: 12-bit windows take 21 additions per scalar
# (31 with 8 bits) for tables of 21 x 4095 points each (≈15 MB, ≈1 s to build, cached on disk for Pedersen).
_WINDOW = int(os.environ.get("PARADEX_SIGNER_WINDOW", "12"))
_SEED = 32  # the extra RFC 6979 entropy paradex-py passes (account/utils.py message_signature)

Point = tuple[int, int]


class _Degenerate(Exception):
    """A sum hit P + P or P + (-P): rare enough (≈2⁻²⁵⁰) to hand over to the reference implementation."""


# --------------------------------------------------------------------------------------------------
# Elliptic-curve arithmetic over the Stark field (Python ints)
# --------------------------------------------------------------------------------------------------


def _affine_add(a: Point | None, b: Point | None) -> Point | None:
    """Textbook affine addition (with doubling); used only to build tables, never per order."""
    if a is None:
        return b
    if b is None:
        return a
    p = FIELD_PRIME
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        slope = (3 * x1 * x1 + 1) * pow(2 * y1, -1, p) % p
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (slope * slope - x1 - x2) % p
    return x3, (slope * (x1 - x3) - y1) % p


def _window_table(base: Point, bits: int, window: int) -> list[list[Point]]:
    """``table[i][d] = d · 2^(window·i) · base`` for every window ``i`` of a ``bits``-bit scalar."""
    table: list[list[Point]] = []
    for _ in range((bits + window - 1) // window):
        row: list[Any] = [None]
        acc: Point | None = None
        for _ in range((1 << window) - 1):
            acc = _affine_add(acc, base)
            row.append(acc)
        table.append(row)
        nxt = _affine_add(acc, base)
        assert nxt is not None
        base = nxt
    return table


def _add_scalar(
    x: int, y: int, z: int, scalar: int, table: list[list[Point]], window: int
) -> tuple[int, int, int]:
    """Jacobian ``(x, y, z) + scalar·B`` where ``table`` holds the windowed multiples of ``B``.

    Mixed Jacobian-affine addition (8M + 3S). ``z == 0`` means "start from the point at infinity": the first
    table point is then taken as it is. Any doubling or cancellation raises :class:`_Degenerate`.
    """
    p = FIELD_PRIME
    mask = (1 << window) - 1
    i = 0
    while scalar:
        d = scalar & mask
        if d:
            x2, y2 = table[i][d]
            if z == 0:
                x, y, z = x2, y2, 1
                scalar >>= window
                i += 1
                continue
            zz = z * z % p
            h = (x2 * zz - x) % p
            r = (y2 * zz % p * z - y) % p
            if h == 0:
                raise _Degenerate
            hh = h * h % p
            hhh = h * hh % p
            v = x * hh % p
            x = (r * r - hhh - 2 * v) % p
            y = (r * (v - x) - y * hhh) % p
            z = z * h % p
        scalar >>= window
        i += 1
    return x, y, z


def _add_point(x: int, y: int, z: int, point: Point) -> tuple[int, int, int]:
    """Jacobian ``(x, y, z) + point`` for one affine point."""
    return _add_scalar(x, y, z, 1, [[point, point]], 1)


def _to_affine(x: int, y: int, z: int) -> Point:
    zi = pow(z, -1, FIELD_PRIME)
    zi2 = zi * zi % FIELD_PRIME
    return x * zi2 % FIELD_PRIME, y * zi2 * zi % FIELD_PRIME


class _Tables:
    """Windowed multiples of the Pedersen points and of G, built once per process (thread-safe, lazy).

    The Pedersen tables (≈170k points, 2-3 s to compute) are cached on disk (``$XDG_CACHE_HOME/paradex-ws``,
    ``PARADEX_SIGNER_CACHE=0`` to disable), checked by a SHA-256 and every point on the curve when read.
    The generator's table (:class:`_GenTable`) is always computed, so no file can change the ECDSA nonce.
    """

    _lock = threading.Lock()
    _start_lock = threading.Lock()
    built: _Tables | None = None
    _builder: threading.Thread | None = None

    def __init__(self, pedersen: dict[str, list[list[Point]]]) -> None:
        self.left_low = pedersen["left_low"]
        self.left_high = pedersen["left_high"]
        self.right_low = pedersen["right_low"]
        self.right_high = pedersen["right_high"]

    @staticmethod
    def _specs() -> list[tuple[str, Point, int, int]]:
        _, p1, p2, p3, p4 = PEDERSEN_POINTS
        return [
            ("left_low", p1, _LOW_BITS, _WINDOW),
            ("left_high", p2, 4, 4),
            ("right_low", p3, _LOW_BITS, _WINDOW),
            ("right_high", p4, 4, 4),
        ]

    @classmethod
    def get(cls) -> _Tables:
        """The tables, built now if needed (blocks for up to a few seconds the first time)."""
        if cls.built is None:
            with cls._lock:
                if cls.built is None:
                    cls.built = cls(cls._pedersen_tables())
        return cls.built

    @classmethod
    def build_in_background(cls) -> None:
        """Start building on a daemon thread (once); callers use the reference library until done."""
        with cls._start_lock:  # not the build lock: that one is held for the whole build
            if cls._builder is None:
                cls._builder = threading.Thread(target=cls.get, name="pedersen-tables", daemon=True)
                cls._builder.start()

    @classmethod
    def _pedersen_tables(cls) -> dict[str, list[list[Point]]]:
        path = _cache_path()
        if path is not None:
            loaded = cls._load(path)
            if loaded is not None:
                return loaded
        tables = {name: _window_table(base, bits, w) for name, base, bits, w in cls._specs()}
        if path is not None:
            cls._save(path, tables)
        return tables

    @classmethod
    def _save(cls, path: Path, tables: dict[str, list[list[Point]]]) -> None:
        data = bytearray()
        for name, *_ in cls._specs():
            for row in tables[name]:
                for x, y in row[1:]:
                    data += x.to_bytes(32, "big") + y.to_bytes(32, "big")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(bytes(data) + hashlib.sha256(data).digest())
            os.replace(tmp, path)
        except OSError:  # a read-only home is fine: the tables are rebuilt next time
            pass

    @classmethod
    def _load(cls, path: Path) -> dict[str, list[list[Point]]] | None:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        data, digest = raw[:-32], raw[-32:]
        if hashlib.sha256(data).digest() != digest:
            return None
        view = memoryview(data)
        tables: dict[str, list[list[Point]]] = {}
        offset = 0
        p = FIELD_PRIME
        for name, base, bits, w in cls._specs():
            rows: list[list[Point]] = []
            for _ in range((bits + w - 1) // w):
                row: list[Any] = [None]
                for _ in range((1 << w) - 1):
                    if offset + 64 > len(view):
                        return None
                    x = int.from_bytes(view[offset : offset + 32], "big")
                    y = int.from_bytes(view[offset + 32 : offset + 64], "big")
                    if (y * y - x * x * x - x - _BETA) % p:
                        return None
                    row.append((x, y))
                    offset += 64
                rows.append(row)
            if rows[0][1] != base:
                return None
            tables[name] = rows
        return tables if offset == len(view) else None


def _cache_path() -> Path | None:
    if os.environ.get("PARADEX_SIGNER_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "paradex-ws" / f"pedersen-tables-v2-w{_WINDOW}.bin"


class _GenTable:
    """Windowed multiples of G for the ECDSA nonce point; built in memory only (signers need it, the
    simulator's verifier does not), never read from a file that could change it."""

    _lock = threading.Lock()
    _start_lock = threading.Lock()
    built: list[list[Point]] | None = None
    _builder: threading.Thread | None = None

    @classmethod
    def get(cls) -> list[list[Point]]:
        if cls.built is None:
            with cls._lock:
                if cls.built is None:
                    cls.built = _window_table(EC_GEN, 252, _WINDOW)
        return cls.built

    @classmethod
    def build_in_background(cls) -> None:
        with cls._start_lock:  # not the build lock: that one is held for the whole build
            if cls._builder is None:
                cls._builder = threading.Thread(target=cls.get, name="stark-gen-table", daemon=True)
                cls._builder.start()


# --------------------------------------------------------------------------------------------------
# Pedersen: H(a, b) = [P0 + a_low·P1 + a_high·P2 + b_low·P3 + b_high·P4].x
# --------------------------------------------------------------------------------------------------


class PedersenOperand:
    """A felt known before signing time, with the curve point it contributes cached (Python backend).

    As a left operand it caches ``P0 + a_low·P1 + a_high·P2``; as a right operand ``b_low·P3 + b_high·P4``.
    """

    __slots__ = ("_left", "_right", "value")

    def __init__(self, value: int) -> None:
        self.value = value
        self._left: Point | None = None
        self._right: Point | None = None

    def left_point(self, tables: _Tables) -> Point:
        if self._left is None:
            x, y = PEDERSEN_POINTS[0]
            x, y, z = _add_scalar(x, y, 1, self.value & _LOW_MASK, tables.left_low, _WINDOW)
            x, y, z = _add_scalar(x, y, z, self.value >> _LOW_BITS, tables.left_high, 4)
            self._left = _to_affine(x, y, z)
        return self._left

    def right_point(self, tables: _Tables) -> Point:
        if self._right is None:
            point: Point | None = None
            _, _, _, p3, p4 = PEDERSEN_POINTS
            for base, scalar in ((p3, self.value & _LOW_MASK), (p4, self.value >> _LOW_BITS)):
                while scalar:  # double-and-add: runs once per constant, speed irrelevant
                    if scalar & 1:
                        point = _affine_add(point, base)
                    base = _affine_add(base, base)  # type: ignore[assignment]
                    scalar >>= 1
            if point is None:
                raise _Degenerate  # b == 0 has no point; pedersen() handles it without one
            self._right = point
        return self._right


def pedersen(left: int | PedersenOperand, right: int | PedersenOperand) -> int:
    """Pedersen hash of two felts, identical to ``starknet_crypto_py.pedersen_hash``.

    Passing a :class:`PedersenOperand` for an operand known in advance skips its scalar multiplication.
    """
    lv = left.value if isinstance(left, PedersenOperand) else left
    rv = right.value if isinstance(right, PedersenOperand) else right
    if _native_pedersen is not None:
        return int(_native_pedersen(lv, rv))
    if _Tables.built is None:  # still building in the background: the reference library meanwhile
        _Tables.build_in_background()
        return int(_rs_pedersen(lv, rv))
    try:
        return _py_pedersen(left, right, lv, rv)
    except _Degenerate:
        return int(_rs_pedersen(lv, rv))


def _py_pedersen(left: int | PedersenOperand, right: int | PedersenOperand, lv: int, rv: int) -> int:
    t = _Tables.built
    assert t is not None
    if isinstance(left, PedersenOperand):
        x, y = left.left_point(t)
        z = 1
    else:
        x, y = PEDERSEN_POINTS[0]
        x, y, z = _add_scalar(x, y, 1, lv & _LOW_MASK, t.left_low, _WINDOW)
        x, y, z = _add_scalar(x, y, z, lv >> _LOW_BITS, t.left_high, 4)
    if isinstance(right, PedersenOperand) and rv:
        x, y, z = _add_point(x, y, z, right.right_point(t))
    else:
        x, y, z = _add_scalar(x, y, z, rv & _LOW_MASK, t.right_low, _WINDOW)
        x, y, z = _add_scalar(x, y, z, rv >> _LOW_BITS, t.right_high, 4)
    zi = pow(z, -1, FIELD_PRIME)
    return x * zi * zi % FIELD_PRIME


# --------------------------------------------------------------------------------------------------
# ECDSA on the Stark curve, as starknet-crypto 0.6 signs (r = x(k·G), s = (z + r·d) / k mod N)
# --------------------------------------------------------------------------------------------------


def stark_sign(private_key: int, msg_hash: int) -> tuple[int, int]:
    """Same ``(r, s)`` as ``starknet_crypto_py.sign(private_key, msg_hash, seed=32)``."""
    k = cpp_generate_k_rfc6979(msg_hash, private_key, _SEED)
    try:
        if msg_hash >= ELEMENT_UPPER_BOUND or k == 0:
            raise _Degenerate
        table = _GenTable.built
        if table is None:  # still building in the background: the reference library meanwhile
            _GenTable.build_in_background()
            raise _Degenerate
        x, _, z = _add_scalar(0, 0, 0, k, table, _WINDOW)
        zi = pow(z, -1, FIELD_PRIME)
        r = x * zi * zi % FIELD_PRIME
        if r == 0 or r >= ELEMENT_UPPER_BOUND:
            raise _Degenerate
        s = (msg_hash + r * private_key) * pow(k, -1, EC_ORDER) % EC_ORDER
        if s == 0 or s >= ELEMENT_UPPER_BOUND:
            raise _Degenerate
        return r, s
    except _Degenerate:
        return _rs_sign(private_key=private_key, msg_hash=msg_hash, seed=_SEED)


# --------------------------------------------------------------------------------------------------
# The Paradex order message
# --------------------------------------------------------------------------------------------------

_ORDER_TYPES = {
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
_LIMIT_TYPES = frozenset({"LIMIT", "STOP_LIMIT", "TAKE_PROFIT_LIMIT", "STOP_LOSS_LIMIT"})


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

    def __init__(self, chain_id: int, account_address: int) -> None:
        domain = {"name": "Paradex", "chainId": hex(chain_id), "version": "1"}
        template = TypedData.from_dict(
            {
                "types": _ORDER_TYPES,
                "primaryType": "Order",
                "domain": domain,
                "message": {k["name"]: "0" for k in _ORDER_TYPES["Order"]},
            }
        )
        domain_hash = template.struct_hash("StarkNetDomain", domain)
        # compute_hash_on_elements(xs) = H(…H(H(0, x0), x1)…, len(xs)): fold the constant heads once.
        self._struct_head = PedersenOperand(pedersen(0, template.type_hash("Order")))
        head = pedersen(pedersen(0, encode_shortstring("StarkNet Message")), domain_hash)
        self._message_head = PedersenOperand(pedersen(head, account_address))
        self._len6 = PedersenOperand(7)  # type hash + 6 fields
        self._len4 = PedersenOperand(4)
        self._sides = {name: PedersenOperand(v) for name, v in _SIDE_FELT.items()}
        self._felts: dict[str, PedersenOperand] = {}

    def _felt(self, text: str) -> PedersenOperand:
        """A market or order-type name as paradex-py encodes it (``parse_felt``), cached with its point."""
        operand = self._felts.get(text)
        if operand is None:
            operand = self._felts[text] = PedersenOperand(parse_felt(text))
        return operand

    def struct_prefix(self, *, timestamp_ms: int, market: str, side: str, order_type: str) -> int:
        """The first four links of the ``Order`` struct's hash chain: what is known before size and price."""
        h = pedersen(self._struct_head, timestamp_ms)
        h = pedersen(h, self._felt(market))
        h = pedersen(h, self._sides[side])
        return pedersen(h, self._felt(order_type))

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
        h = sized
        if h is None:
            if prefix is None:
                prefix = self.struct_prefix(
                    timestamp_ms=timestamp_ms, market=market, side=side, order_type=order_type
                )
            h = pedersen(prefix, size_e8)
        h = pedersen(h, price_e8)
        struct_hash = pedersen(h, self._len6)
        return pedersen(pedersen(self._message_head, struct_hash), self._len4)

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

    def __init__(self, chain_id: int, account_address: int, private_key: int) -> None:
        self._hasher = OrderHasher(chain_id, account_address)
        self._private_key = private_key
        self._cache = PrefixCache()

    def __repr__(self) -> str:  # never show the key
        return "FastOrderSigner(<redacted>)"

    def warm_up(self) -> None:
        """Build the precomputed tables now, blocking (≈1-3 s). Without it they are built on a background
        thread at first use, and signatures come from the reference library (slower, same bytes) meanwhile."""
        warm_up_tables()

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
        if size is not None:
            size_e8 = quantize_e8(size)
            if (*key, size_e8) not in cache.sized:
                cache.sized[(*key, size_e8)] = pedersen(prefix, size_e8)

    def prefixed_timestamp(self, market: str, side: str, order_type: str, not_before: int) -> int | None:
        """The newest precomputed timestamp for this kind of order that is ≥ ``not_before``, if any."""
        best = None
        for ts, m, sd, t in self._cache.prefixes:
            if (
                m == market
                and sd == side
                and t == order_type
                and ts >= not_before
                and (best is None or ts > best)
            ):
                best = ts
        return best

    def forget_prefixes(self, older_than: int) -> None:
        cache = self._cache
        for key in [k for k in cache.prefixes if k[0] < older_than]:
            del cache.prefixes[key]
        for skey in [k for k in cache.sized if k[0] < older_than]:
            del cache.sized[skey]

    def signature(self, order: dict[str, Any]) -> str:
        if order.get("id"):
            raise ValueError("FastOrderSigner signs new orders only, not modifications")
        r, s = stark_sign(self._private_key, self._hasher.hash_order_dict(order, self._cache))
        return flatten_signature(r, s)

    def sign_order(self, order_data: dict[str, Any]) -> dict[str, Any]:
        signed = dict(order_data)
        signed["signature"] = self.signature(order_data)
        return signed

    def sign_batch(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.sign_order(o) for o in orders]


def public_key(private_key: int) -> int:
    """The Stark public key (x of d·G) of a private key."""
    return int(_rs_public_key(private_key))


def is_valid_public_key(key: int) -> bool:
    """Whether ``key`` is the x of a point on the Stark curve (y² = x³ + x + β has a root)."""
    if not 0 < key < FIELD_PRIME:
        return False
    rhs = (key * key * key + key + _BETA) % FIELD_PRIME
    return rhs == 0 or pow(rhs, (FIELD_PRIME - 1) // 2, FIELD_PRIME) == 1


def verify_signature(public_key_: int, msg_hash: int, signature: str) -> bool:
    """Check a wire-form signature against a message hash; malformed input is ``False``, never a crash.

    starknet_crypto_py is built with ``panic = "abort"``: an out-of-range input would kill the process, so
    every range starknet-crypto's ``verify`` checks is checked here first.
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
    return bool(_rs_verify(public_key_, msg_hash, r, s))


def warm_up_tables(signing: bool = True) -> None:
    """Build the tables now, blocking (idempotent, thread-safe); ``signing=False``: Pedersen only."""
    if _native_pedersen is None:
        _Tables.get()
    if signing:
        _GenTable.get()


def backend() -> str:
    """Which Pedersen implementation is in use (reported by the benchmark)."""
    return "fast_stark_crypto" if _native_pedersen is not None else "python-windowed"
