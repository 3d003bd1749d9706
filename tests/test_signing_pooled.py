"""Pooled nonces (``--signing pooled``): signatures paradex-py's own ``verify_message_signature`` accepts for
the message hash paradex-py computes, never a nonce used twice, and the deterministic signature when the pool
is empty. The CLI side (the simulator verifies what it receives) is in tests/test_signing_modes.py."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
import signing_vector as vector
from paradex_py.account.utils import typed_data_to_message_hash, verify_message_signature
from paradex_py.common.order import Order, OrderSide, OrderType
from paradex_py.message.order import build_order_message

from paradex_ws_service.paradex import signing
from paradex_ws_service.paradex.signing import (
    EC_ORDER,
    FIELD_PRIME,
    Backend,
    FastOrderSigner,
    NoncePool,
    chain_id_from_name,
    parse_signature,
)

BACKENDS = [b for b in (signing.NATIVE, signing.FALLBACK) if b is not None]
CHAIN = "PRIVATE_SN_POTC_SEPOLIA"


def _order(rng: random.Random) -> Order:
    return Order(
        rng.choice(["BTC-USD-PERP", "ETH-USD-PERP"]),
        rng.choice([OrderType.Limit, OrderType.Market]),
        rng.choice([OrderSide.Buy, OrderSide.Sell]),
        Decimal(rng.randrange(1, 10**6)) / 1000,
        Decimal(rng.randrange(1, 10**8)) / 10,
        signature_timestamp=rng.randrange(1_600_000_000_000, 1_900_000_000_000),
    )


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_pooled_signatures_verify_with_paradex_py(backend: Backend) -> None:
    rng = random.Random(5)
    chain = chain_id_from_name(CHAIN)
    for _ in range(3):
        key, address = rng.randrange(1, EC_ORDER), rng.randrange(1, FIELD_PRIME)
        public = signing.public_key(key)
        signer = FastOrderSigner(chain, address, key, backend)
        signer.nonces = NoncePool(backend, size=20)
        while signer.nonces.refill_one():
            pass
        for _ in range(20):
            order = _order(rng)
            r, s = parse_signature(signer.signature(order.dump_to_dict()))
            msg_hash = typed_data_to_message_hash(build_order_message(chain, order), address)
            assert verify_message_signature(msg_hash, [r, s], public)
            assert not verify_message_signature(msg_hash ^ 1, [r, s], public)
        assert signer.nonces.used == 20 and len(signer.nonces) == 0


def test_a_nonce_is_never_used_twice() -> None:
    """Two signatures with one nonce would give the key away: every r differs, also for the same order."""
    signer = FastOrderSigner(chain_id_from_name(CHAIN), 0x123, 0x456)
    pool = signer.nonces = NoncePool(size=8)
    wire = _order(random.Random(1)).dump_to_dict()
    seen: set[int] = set()
    for _ in range(5):
        while pool.refill_one():
            pass
        for _ in range(8):
            r, _s = parse_signature(signer.signature(wire))
            assert r not in seen
            seen.add(r)
    assert len(seen) == 40 and pool.used == 40


def test_an_empty_pool_signs_deterministically() -> None:
    """Orders faster than the refill are signed as paradex-py signs them (RFC 6979), not held back."""
    chain, order = chain_id_from_name(vector.CHAIN), vector.order()
    deterministic = FastOrderSigner(chain, vector.ACCOUNT, vector.KEY).signature(order)
    assert deterministic == vector.SIGNATURE
    pooled = FastOrderSigner(chain, vector.ACCOUNT, vector.KEY)
    pooled.nonces = NoncePool(size=1)
    assert pooled.signature(order) == deterministic  # empty: deterministic
    assert pooled.nonces.refill_one() and not pooled.nonces.refill_one()  # full at its size
    assert pooled.signature(order) != deterministic and pooled.nonces.used == 1
    assert pooled.signature(order) == deterministic  # drained again


def test_an_out_of_range_s_falls_back_to_the_deterministic_signature() -> None:
    """s ≥ 2^251 (≈2⁻⁵⁵ of nonces) is not a Stark signature: the order is signed deterministically."""
    assert signing._pooled_sign(1, 5, (7, 0)) is None  # s = 0
    assert signing._pooled_sign(1, 1 << 251, (7, 1)) is None  # a message hash the reference refuses
    assert signing._pooled_sign(1, (1 << 251) - 7, (7, 1)) is None  # s = 2^251: just out of range
    assert signing._pooled_sign(2, 3, (5, 1)) == (5, 13)


def test_repr_hides_the_nonces() -> None:
    pool = NoncePool(size=2)
    pool.refill_one()
    r, k_inverse = pool._ready[0]
    assert str(r) not in repr(pool) and str(k_inverse) not in repr(pool) and "1/2" in repr(pool)
