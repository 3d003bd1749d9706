"""Static metadata of the simulated markets and the fixed-point helpers every sim module prices with.

All prices and sizes inside the simulator are integers at exponent -8 ("e8"), the exact representation
of Paradex's SBE schema: a JSON decimal string and an SBE mantissa are then two renderings of one int,
so the JSON and SBE twins of a frame can never disagree by rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

E8 = 100_000_000
E12 = 1_000_000_000_000


def to_e8(value: str | Decimal) -> int:
    """Parse a decimal string into an exact e8 integer; refuses values finer than 1e-8."""
    scaled = Decimal(value).scaleb(8)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more than 8 decimal places")
    return int(scaled)


_E8_CACHE: dict[int, str] = {}
_E8_CACHE_MAX = 65_536  # prices and sizes repeat constantly; the cache is reset when it fills


def e8_str(value: int) -> str:
    """Canonical decimal string of an e8 integer: no exponent, no trailing zeros ("65000.5", "0.001")."""
    text = _E8_CACHE.get(value)
    if text is not None:
        return text
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), E8)
    text = f"{sign}{whole}" if frac == 0 else f"{sign}{whole}.{frac:08d}".rstrip("0")
    if len(_E8_CACHE) >= _E8_CACHE_MAX:
        _E8_CACHE.clear()
    _E8_CACHE[value] = text
    return text


def e12_str(value: int) -> str:
    """Canonical decimal string of an e12 integer (Paradex's high-precision funding rates)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), E12)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:012d}".rstrip("0")


@dataclass(frozen=True)
class MarketSpec:
    """One perpetual market: exchange metadata plus the parameters of its simulated price process."""

    symbol: str
    base: str
    index: int  # stable small integer used in trade ids and seeds
    tick_e8: int  # price_tick_size
    step_e8: int  # order_size_increment
    min_notional: str
    max_order_size: str
    position_limit: str
    fee_maker: str
    fee_taker: str
    imf_base: str
    mmf_factor: str
    initial_mid: str
    # Price process: annualised-ish volatility expressed per sqrt(second), as a fraction of price.
    vol_per_sqrt_s: float
    level_gap_ticks: int  # distance between consecutive book levels
    max_spread_ticks: int  # the spread wanders between 1 and this many ticks
    typical_size: str  # median resting size of a level, base units
    open_interest: str  # starting open interest, base units

    @property
    def quote(self) -> str:
        return "USD"

    def round_price_e8(self, value_e8: int) -> int:
        """Round an e8 price to the nearest tick."""
        return ((value_e8 + self.tick_e8 // 2) // self.tick_e8) * self.tick_e8

    def market_resp(self) -> dict[str, Any]:
        """The `GET /v1/markets` entry (reference §9), values shaped like production's."""
        return {
            "symbol": self.symbol,
            "base_currency": self.base,
            "quote_currency": "USD",
            "settlement_currency": "USDC",
            "asset_kind": "PERP",
            "market_kind": "cross",
            "order_size_increment": e8_str(self.step_e8),
            "price_tick_size": e8_str(self.tick_e8),
            "min_notional": self.min_notional,
            "max_order_size": self.max_order_size,
            "position_limit": self.position_limit,
            "max_open_orders": 100,
            "max_slippage": "0.05",
            "price_bands_width": "0.05",
            "iv_bands_width": "0",
            "max_tob_spread": "0.2",
            "funding_period_hours": 8,
            "funding_multiplier": 1,
            "max_funding_rate": "0.05",
            "max_funding_rate_change": "0.0005",
            "interest_rate": "0.0001",
            "clamp_rate": "0.0005",
            "oracle_ewma_factor": "0.2",
            "open_at": 1_700_000_000_000,
            "expiry_at": 0,
            "delta1_cross_margin_params": {
                "imf_base": self.imf_base,
                "imf_factor": "0",
                "imf_shift": "0",
                "mmf_factor": self.mmf_factor,
            },
            "fee_config": {
                "api_fee": {
                    "maker_fee": {"fee": self.fee_maker},
                    "taker_fee": {"fee": self.fee_taker},
                },
            },
            "chain_details": {
                "symbol": self.symbol,
                "collateral_address": "0x" + "c0" * 8,
                "contract_address": f"0x{0x5A1000 + self.index:x}",
                "fee_account_address": "0x" + "fe" * 8,
                "fee_maker": self.fee_maker,
                "fee_taker": self.fee_taker,
                "insurance_fund_address": "0x" + "1f" * 8,
                "liquidation_fee": "0.006",
                "oracle_address": "0x" + "0a" * 8,
            },
            "price_feed_id": f"SIM_{self.base}_USD",
            "tags": [],
        }


# Tick/step/min-notional/max-size mirror Paradex production's listings for these perps (BTC tick 0.1 and
# step 0.00001 as quoted in the reference; ETH and SOL follow the same pattern one/two price decades down).
MARKETS: dict[str, MarketSpec] = {
    spec.symbol: spec
    for spec in (
        MarketSpec(
            symbol="BTC-USD-PERP",
            base="BTC",
            index=1,
            tick_e8=to_e8("0.1"),
            step_e8=to_e8("0.00001"),
            min_notional="10",
            max_order_size="100",
            position_limit="500",
            fee_maker="-0.00005",
            fee_taker="0.0002",
            imf_base="0.02",
            mmf_factor="0.5",
            initial_mid="95000",
            vol_per_sqrt_s=0.00008,
            level_gap_ticks=5,
            max_spread_ticks=6,
            typical_size="0.25",
            open_interest="1250.5",
        ),
        MarketSpec(
            symbol="ETH-USD-PERP",
            base="ETH",
            index=2,
            tick_e8=to_e8("0.01"),
            step_e8=to_e8("0.0001"),
            min_notional="10",
            max_order_size="1000",
            position_limit="5000",
            fee_maker="-0.00005",
            fee_taker="0.0002",
            imf_base="0.02",
            mmf_factor="0.5",
            initial_mid="3400",
            vol_per_sqrt_s=0.0001,
            level_gap_ticks=5,
            max_spread_ticks=6,
            typical_size="4",
            open_interest="18250.25",
        ),
        MarketSpec(
            symbol="SOL-USD-PERP",
            base="SOL",
            index=3,
            tick_e8=to_e8("0.001"),
            step_e8=to_e8("0.001"),
            min_notional="10",
            max_order_size="10000",
            position_limit="50000",
            fee_maker="-0.00005",
            fee_taker="0.0002",
            imf_base="0.05",
            mmf_factor="0.5",
            initial_mid="180",
            vol_per_sqrt_s=0.00012,
            level_gap_ticks=5,
            max_spread_ticks=8,
            typical_size="60",
            open_interest="402000.5",
        ),
    )
}


def system_config(chain_id: str = "PRIVATE_SN_POTC_SEPOLIA") -> dict[str, Any]:
    """`GET /v1/system/config`: every field paradex-py's marshmallow schema requires (reference §7.4).

    The class hashes are the public testnet values, so paradex-py derives real-looking account
    addresses from a key; nothing here is ever contacted (the RPC URL is loopback-only and unused).
    """
    return {
        "starknet_fullnode_rpc_url": "http://127.0.0.1:9/rpc/v0_7",
        "starknet_fullnode_rpc_base_url": "http://127.0.0.1:9",
        "starknet_gateway_url": "http://127.0.0.1:9",
        "starknet_chain_id": chain_id,
        "block_explorer_url": "http://127.0.0.1:9/explorer/",
        "paraclear_address": "0x286003f7c7bfc3f94e8f0af48b48302e7aee2fb13c23b141479ba00832ef2c6",
        "paraclear_decimals": 8,
        "paraclear_account_proxy_hash": "0x3530cc4759d78042f1b543bf797f5f3d647cde0388c33734cf91b7f7b9314a9",
        "paraclear_account_hash": "0x033434ad846cdd5f23eb73ff09fe6fddd568284a0fb7d1be20ee482f044dabe2",
        "oracle_address": "0x47c622ce5f7ff7fa17725df596f4f506364e49be0621eb142a75b44ee3689c6",
        "bridged_tokens": [
            {
                "name": "USD Coin",
                "symbol": "USDC",
                "decimals": 6,
                "l1_token_address": "0x29A873159D5e14AcBd63913D4A7E2df04570c666",
                "l1_bridge_address": "0x8586e05adc0C35aa11609023d4Ae6075Cb813b4C",
                "l2_token_address": "0x6f373b346561036d98ea10fb3e60d2f459c872b1933b50b21fe6ef4fda3b75e",
                "l2_bridge_address": "0x46e9237f5408b5f899e72125dd69bd55485a287aaf24663d3ebe00d237fc7ef",
            }
        ],
        "l1_core_contract_address": "0x582CC5d9b509391232cd544cDF9da036e55833Af",
        "l1_operator_address": "0x11bACdFbBcd3Febe5e8CEAa75E0Ef6444d9B45FB",
        "l1_chain_id": "11155111",
        "liquidation_fee": "0.2",
        "environment": "sim",
    }
