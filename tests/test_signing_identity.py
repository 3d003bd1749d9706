"""The fast order signer is byte-identical to paradex-py's ``ParadexAccount.sign_order``.

Checked against the reference's test vector (paradex-protocol.md §6.2) and thousands of random orders signed
by a real paradex-py ``SubkeyAccount``; the pieces (Pedersen, ECDSA) are also compared with
``starknet_crypto_py``, the library paradex-py signs with.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from paradex_py.account.subkey_account import SubkeyAccount
from paradex_py.api.models import SystemConfigSchema
from paradex_py.common.order import Order, OrderSide, OrderType
from starknet_crypto_py import pedersen_hash as rs_pedersen
from starknet_crypto_py import sign as rs_sign
from starknet_crypto_py import verify as rs_verify

from paradex_sim.markets import system_config
from paradex_ws_service.paradex import signing
from paradex_ws_service.paradex.signing import (
    EC_ORDER,
    FIELD_PRIME,
    FastOrderSigner,
    OrderHasher,
    PedersenOperand,
    chain_id_from_name,
    parse_signature,
    pedersen,
    stark_sign,
)


@pytest.fixture(autouse=True, scope="module")
def _python_backend_ready() -> None:
    """Tables built before any check: otherwise the signer would (rightly) use the reference library while
    they build, and these tests would compare starknet_crypto_py with itself."""
    signing.warm_up_tables()
    assert signing._GenTable.built is not None
    assert signing._Tables.built is not None or signing.backend() == "fast_stark_crypto"


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


def test_reference_test_vector() -> None:
    """paradex-protocol.md §6.2: key 0x1, account 0x123456789abcdef, Sepolia, BUY LIMIT 0.001 @ 65000.5."""
    chain = chain_id_from_name("PRIVATE_SN_POTC_SEPOLIA")
    order = Order(
        "BTC-USD-PERP",
        OrderType.Limit,
        OrderSide.Buy,
        Decimal("0.001"),
        Decimal("65000.5"),
        signature_timestamp=1700000000000,
    ).dump_to_dict()
    assert OrderHasher(chain, 0x123456789ABCDEF).hash_order_dict(order) == (
        0x9360DF9E0645B873F4C51B63403847281F7E564F143B6FF00FF9367727100A
    )
    assert FastOrderSigner(chain, 0x123456789ABCDEF, 1).signature(order) == (
        '["1586471474825112621152400979500691692884435797665924967149607412637341745943",'
        '"690640521739866090333365680961326096721739748548836520834995452750067395610"]'
    )


@pytest.mark.parametrize("chunk", range(4))
def test_identical_to_sign_order_on_random_orders(chunk: int) -> None:
    """4 x 500 random orders (keys, accounts, chains, markets, sides, types, sizes, prices, timestamps)."""
    rng = random.Random(1000 + chunk)
    for _ in range(5):  # five accounts per chunk, 100 orders each
        key = rng.randrange(1, EC_ORDER)
        address = rng.randrange(1, FIELD_PRIME)
        chain = rng.choice(CHAINS)
        account = _account(chain, key, address)
        fast = FastOrderSigner(chain_id_from_name(chain), address, key)
        for _ in range(100):
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
            roll = rng.random()  # a third through a precomputed prefix, a third through prefix + size
            if roll < 2 / 3:
                size = wire["size"] if roll < 1 / 3 else None
                fast.precompute(wire["signature_timestamp"], wire["market"], wire["side"], wire["type"], size)
            expected = account.sign_order(order)
            assert fast.signature(wire) == expected, wire
            assert fast.sign_order(wire)["signature"] == expected


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
    order = Order(
        "BTC-USD-PERP",
        OrderType.Limit,
        OrderSide.Buy,
        Decimal("0.001"),
        Decimal("65000.5"),
        signature_timestamp=1700000000000,
    ).dump_to_dict()
    assert signer.signature(order).startswith(
        '["1586471474825112621152400979500691692884435797665924967149607412637341745943"'
    )
    signer.forget_prefixes(older_than=1700000000001)
    assert signer.prefixed_timestamp("BTC-USD-PERP", "SELL", "LIMIT", not_before=0) is None


def test_python_pedersen_matches_starknet_crypto(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pure-Python backend (whatever backend is active), incl. cached operands and edge values."""
    monkeypatch.setattr(signing, "_native_pedersen", None)
    signing._Tables.get()  # the Python tables, even when a native backend made them unnecessary
    rng = random.Random(7)
    edges = [0, 1, 2, (1 << 248) - 1, 1 << 248, FIELD_PRIME - 1, (1 << 251) + 5]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [(rng.randrange(FIELD_PRIME), rng.randrange(FIELD_PRIME)) for _ in range(300)]
    pairs += [(rng.randrange(FIELD_PRIME), rng.randrange(1 << 48)) for _ in range(100)]
    for a, b in pairs:
        expected = int(rs_pedersen(a, b))
        assert pedersen(a, b) == expected
        assert pedersen(PedersenOperand(a), b) == expected
        assert pedersen(a, PedersenOperand(b)) == expected


def test_stark_sign_matches_starknet_crypto_and_verifies() -> None:
    rng = random.Random(11)
    for _ in range(300):
        key = rng.randrange(1, EC_ORDER)
        msg = rng.randrange(1 << 251)
        r, s = stark_sign(key, msg)
        assert (r, s) == rs_sign(private_key=key, msg_hash=msg, seed=32)
        assert rs_verify(signing.public_key(key), msg, r, s)
        assert signing.verify_signature(signing.public_key(key), msg, signing.flatten_signature(r, s))


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
