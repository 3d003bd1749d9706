"""The fast order signer is byte-identical to paradex-py's ``ParadexAccount.sign_order``, on every backend.

Checked against the reference's test vector (paradex-protocol.md §6.2) and a few hundred random orders signed
by a real paradex-py ``SubkeyAccount``; the pieces (Pedersen, ECDSA) are also compared with
``starknet_crypto_py``, the library paradex-py signs with, and signatures checked with its ``verify``.
"""

from __future__ import annotations

import platform
import random
import sys
from decimal import Decimal

import pytest
import signing_vector as vector
from paradex_py.account.subkey_account import SubkeyAccount
from paradex_py.account.utils import message_signature
from paradex_py.api.models import SystemConfigSchema
from paradex_py.common.order import Order, OrderSide, OrderType
from starknet_crypto_py import pedersen_hash as rs_pedersen
from starknet_crypto_py import verify as rs_verify

from paradex_sim.markets import system_config
from paradex_ws_service.paradex import signing
from paradex_ws_service.paradex.signing import (
    EC_ORDER,
    FIELD_PRIME,
    Backend,
    FastOrderSigner,
    OrderHasher,
    chain_id_from_name,
    parse_signature,
)

BACKENDS = [b for b in (signing.NATIVE, signing.FALLBACK) if b is not None]
CHAINS = ["PRIVATE_SN_POTC_SEPOLIA", "PRIVATE_SN_PARACLEAR_MAINNET", "PRIVATE_SN_PARACLEAR_TESTNET"]
MARKETS = ["BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP", "kBONK-USD-PERP", "BTC-USD-8MAY26-78000-C"]


def _account(chain: str, key: int, address: int) -> SubkeyAccount:
    config = SystemConfigSchema().load(system_config(chain), unknown="exclude")
    return SubkeyAccount(config=config, l2_private_key=hex(key), l2_address=hex(address))


def _random_decimal(rng: random.Random, max_int_digits: int) -> Decimal:
    whole = rng.randrange(10**max_int_digits)
    places = rng.randrange(0, 9)
    frac = rng.randrange(10**places) if places else 0
    value = Decimal(f"{whole}.{frac:0{places}d}") if places else Decimal(whole)
    return value if value > 0 else Decimal("0.00000001")


def test_native_backend_is_the_default_where_it_ships_wheels() -> None:
    """fast-stark-crypto is a dependency on these platforms: a broken install must not silently fall back."""
    machine = platform.machine()
    if (sys.platform, machine) in {("linux", "x86_64"), ("darwin", "arm64"), ("win32", "AMD64")}:
        assert signing.NATIVE is not None and signing.DEFAULT is signing.NATIVE
        assert signing.backend() == "fast_stark_crypto"
    else:
        assert signing.DEFAULT is signing.FALLBACK or signing.NATIVE is not None


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_reference_test_vector(backend: Backend) -> None:
    """paradex-protocol.md §6.2: key 0x1, account 0x123456789abcdef, Sepolia, BUY LIMIT 0.001 @ 65000.5."""
    chain = chain_id_from_name(vector.CHAIN)
    order = vector.order()
    assert OrderHasher(chain, vector.ACCOUNT, backend).hash_order_dict(order) == vector.MESSAGE_HASH
    assert FastOrderSigner(chain, vector.ACCOUNT, vector.KEY, backend).signature(order) == vector.SIGNATURE


@pytest.mark.parametrize("chunk", range(3))
def test_identical_to_sign_order_on_random_orders(chunk: int) -> None:
    """3 x 100 random orders (keys, accounts, chains, markets, sides, types, sizes, prices, timestamps),
    each signed once by paradex-py and by our signer on every backend."""
    rng = random.Random(1000 + chunk)
    for _ in range(4):  # four accounts per chunk, 25 orders each
        key = rng.randrange(1, EC_ORDER)
        address = rng.randrange(1, FIELD_PRIME)
        chain = rng.choice(CHAINS)
        account = _account(chain, key, address)
        signers = [FastOrderSigner(chain_id_from_name(chain), address, key, b) for b in BACKENDS]
        for _ in range(25):
            order_type = rng.choice([OrderType.Limit, OrderType.Market])
            order = Order(
                rng.choice(MARKETS),
                order_type,
                rng.choice([OrderSide.Buy, OrderSide.Sell]),
                _random_decimal(rng, rng.choice([1, 3, 6])),
                _random_decimal(rng, rng.choice([1, 5, 7])),
                client_id=f"c{rng.randrange(10**6)}",
                signature_timestamp=rng.randrange(1_600_000_000_000, 1_900_000_000_000),
                instruction=rng.choice(["GTC", "IOC", "POST_ONLY"]),
            )
            wire = order.dump_to_dict()
            expected = account.sign_order(order)
            roll = rng.random()  # a third through a precomputed prefix, a third through prefix + size
            for signer in signers:
                if roll < 2 / 3:
                    size = wire["size"] if roll < 1 / 3 else None
                    ts, market, side, kind = (
                        wire[k] for k in ("signature_timestamp", "market", "side", "type")
                    )
                    signer.precompute(ts, market, side, kind, size)
                assert signer.signature(wire) == expected, wire
                assert signer.sign_order(wire)["signature"] == expected


def test_precomputed_prefix_is_used_only_for_its_own_order() -> None:
    chain = chain_id_from_name("PRIVATE_SN_POTC_SEPOLIA")
    signer = FastOrderSigner(chain, 0x123456789ABCDEF, 1)
    signer.precompute(1700000000000, "BTC-USD-PERP", "BUY", "LIMIT")
    signer.precompute(1700000000000, "BTC-USD-PERP", "SELL", "LIMIT")
    assert (
        signer.prefixed_timestamp("BTC-USD-PERP", "BUY", "LIMIT", not_before=1699999999000) == 1700000000000
    )
    assert signer.prefixed_timestamp("BTC-USD-PERP", "BUY", "LIMIT", not_before=1700000000001) is None
    assert signer.prefixed_timestamp("ETH-USD-PERP", "BUY", "LIMIT", not_before=0) is None
    assert signer.signature(vector.order()) == vector.SIGNATURE
    signer.forget_prefixes(older_than=1700000000001)
    assert signer.prefixed_timestamp("BTC-USD-PERP", "SELL", "LIMIT", not_before=0) is None


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_pedersen_matches_starknet_crypto(backend: Backend) -> None:
    rng = random.Random(7)
    edges = [0, 1, 2, (1 << 248) - 1, 1 << 248, FIELD_PRIME - 1, (1 << 251) + 5]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [(rng.randrange(FIELD_PRIME), rng.randrange(FIELD_PRIME)) for _ in range(100)]
    pairs += [(rng.randrange(FIELD_PRIME), rng.randrange(1 << 48)) for _ in range(50)]
    for a, b in pairs:
        assert backend.pedersen(a, b) == int(rs_pedersen(a, b))


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_sign_matches_paradex_py_and_verifies(backend: Backend) -> None:
    """Same (r, s) as paradex-py's ``message_signature``; valid by starknet_crypto_py's and the backend's
    ``verify``; a tampered signature is not."""
    rng = random.Random(11)
    for _ in range(50):
        key = rng.randrange(1, EC_ORDER)
        msg = rng.randrange(1 << 251)
        r, s = backend.sign(key, msg)
        assert (r, s) == message_signature(msg, key)
        pub = signing.public_key(key)
        assert rs_verify(pub, msg, r, s) and backend.verify(pub, msg, r, s)
        assert signing.verify_signature(pub, msg, signing.flatten_signature(r, s))
        assert not signing.verify_signature(pub, msg ^ 1, signing.flatten_signature(r, s))


@pytest.mark.skipif(signing.NATIVE is None, reason="no native backend on this platform")
def test_native_sign_hands_an_out_of_range_r_to_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """r >= 2^251 (about 2^-55 of nonces) goes to the reference library, which retries the nonce."""
    handed: list[int] = []
    monkeypatch.setattr(signing.fast_stark_crypto, "get_public_key", lambda k: (1 << 251) + 1)
    monkeypatch.setattr(signing, "_reference_sign", lambda d, z: handed.append(z) or (1, 2))
    assert signing._native_sign(5, 42) == (1, 2) and handed == [42]


def test_signature_wire_form_round_trips() -> None:
    assert parse_signature('["12","34"]') == (12, 34)
    assert parse_signature('[ "0x10" , "5" ]') == (16, 5)
    with pytest.raises(ValueError):
        parse_signature('["1"]')
    # out-of-range values must be refused before they reach starknet_crypto_py (which aborts the process)
    pub = signing.public_key(5)
    assert not signing.verify_signature(pub, 1, '["0","1"]')
    assert not signing.verify_signature(pub, 1, f'["{1 << 300}","1"]')
    assert not signing.verify_signature(pub, 1 << 252, '["1","1"]')
    assert not signing.verify_signature(4, 1, '["1","1"]') or signing.is_valid_public_key(4)
    assert not signing.verify_signature(pub, 1, "garbage")


def test_repr_hides_the_key() -> None:
    signer = FastOrderSigner(1, 2, 0xDEADBEEF)
    assert "deadbeef" not in repr(signer).lower() and str(0xDEADBEEF) not in repr(signer)


def test_modify_orders_are_refused() -> None:
    signer = FastOrderSigner(1, 2, 3)
    with pytest.raises(ValueError):
        signer.signature({"id": "1", "market": "BTC-USD-PERP"})
