"""``--signing``: through the real CLI, orders signed either way are accepted by the simulator (which verifies
every signature), and what reached it is what each mode promises — paradex-py's own signature byte for byte
(``deterministic``, the default), or another signature that paradex-py's ``verify_message_signature`` accepts
for paradex-py's message hash (``pooled``)."""

from __future__ import annotations

import urllib.request
from decimal import Decimal
from typing import Any

import orjson
import pytest
from conftest import Sidecar, sidecar_args
from paradex_py.account.utils import typed_data_to_message_hash, verify_message_signature
from paradex_py.common.order import Order, OrderSide, OrderType
from paradex_py.message.order import build_order_message

from paradex_ws_service.paradex.signing import (
    FastOrderSigner,
    chain_id_from_name,
    parse_signature,
    public_key,
)

MARKET = "BTC-USD-PERP"
KEY = 0x5EED0F00D5EED0F00D5EED0F00D
ORDERS = 4
SLOW = 30.0


def _result(sc: Sidecar, cid: str) -> dict[str, Any]:
    return sc.expect(lambda e: e.get("type") == "result" and e.get("id") == cid, SLOW, f"result {cid}")


@pytest.mark.parametrize("mode", ["deterministic", "pooled"])
def test_signing_mode_through_the_cli(start_sim: Any, start_sidecar: Any, mode: str) -> None:
    sim = start_sim()
    address = sim.control("account", {"public_key": hex(public_key(KEY))})["address"]
    env = {"PARADEX_SIM_L2_ADDRESS": address, "PARADEX_SIM_L2_PRIVATE_KEY": hex(KEY)}
    sc = start_sidecar(
        *sidecar_args(sim, "--channels", "orders", "--markets", MARKET, "--signing", mode), env=env
    )
    sc.expect_type("status", SLOW, state="subscribed", channel="orders")
    for n in range(ORDERS):
        cid = f"sig-{mode}-{n}"
        sc.send(
            {"id": cid, "op": "place", "market": MARKET, "side": "BUY", "type": "LIMIT", "tif": "IOC",
             "size": "0.001", "price": "20000", "client_id": cid}
        )  # fmt: skip
        result = _result(sc, cid)
        assert result["ok"] and result["data"]["via"] == "ws", result  # the simulator verified the signature

    with urllib.request.urlopen(f"{sim.rest_url}/system/config", timeout=SLOW) as response:
        chain = chain_id_from_name(orjson.loads(response.read())["starknet_chain_id"])
    arrivals = {a[0]: a for a in sim.get("order_arrivals")["arrivals"]}
    reference = FastOrderSigner(chain, int(address, 16), KEY)  # deterministic: byte-identical to paradex-py
    for n in range(ORDERS):
        cid = f"sig-{mode}-{n}"
        _cid, _received, timestamp, signature = arrivals[cid]
        order = Order(
            MARKET, OrderType.Limit, OrderSide.Buy, Decimal("0.001"), Decimal("20000"),
            client_id=cid, signature_timestamp=int(timestamp), instruction="IOC",
        )  # fmt: skip
        msg_hash = typed_data_to_message_hash(build_order_message(chain, order), int(address, 16))
        assert verify_message_signature(msg_hash, list(parse_signature(signature)), public_key(KEY))
        if mode == "deterministic":
            assert signature == reference.signature(order.dump_to_dict())
        else:
            assert signature != reference.signature(order.dump_to_dict())
    sc.close_stdin()
    assert sc.wait_exit(SLOW) == 0
