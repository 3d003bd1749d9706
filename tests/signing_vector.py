"""The reference order of paradex-protocol.md §6.2, shared by the signing tests: key 0x1, account
0x123456789abcdef, Sepolia, BUY LIMIT 0.001 @ 65000.5 signed at 1700000000000 ms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paradex_py.common.order import Order, OrderSide, OrderType

KEY = 1
ACCOUNT = 0x123456789ABCDEF
CHAIN = "PRIVATE_SN_POTC_SEPOLIA"
TIMESTAMP_MS = 1700000000000
MESSAGE_HASH = 0x9360DF9E0645B873F4C51B63403847281F7E564F143B6FF00FF9367727100A
SIGNATURE = (
    '["1586471474825112621152400979500691692884435797665924967149607412637341745943",'
    '"690640521739866090333365680961326096721739748548836520834995452750067395610"]'
)


def order() -> dict[str, Any]:
    """The order as it travels (``Order.dump_to_dict()``)."""
    return Order(
        "BTC-USD-PERP", OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("65000.5"),
        signature_timestamp=TIMESTAMP_MS,
    ).dump_to_dict()  # fmt: skip
