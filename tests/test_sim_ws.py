"""The simulator's WebSocket JSON-RPC: acks, error codes, auth, channel names, feeds, extension seam."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from paradex_sim import AuthedAccount, JsonRpcError, SimConfig, SimServer, mint_unsigned_jwt
from paradex_sim.markets import MARKETS
from paradex_sim.testing import RawClient, run_in_sim

ACCOUNT = "0x1234abcd"


def run(test: Callable[[SimServer], Awaitable[None]], timeout: float = 20.0, **config: Any) -> None:
    """Run `test` against the market-data half alone (extensions=(): the default JWT verifier)."""
    config.setdefault("extensions", ())
    run_in_sim(test, seed=7, timeout=timeout, **config)


def test_subscribe_ack_echoes_channel_and_id_type() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            ack = await client.request("subscribe", {"channel": "bbo.BTC-USD-PERP"}, req_id=1700000000123456)
            assert ack["result"] == {"channel": "bbo.BTC-USD-PERP"}
            assert ack["id"] == 1700000000123456 and isinstance(ack["id"], int)
            assert ack["jsonrpc"] == "2.0" and isinstance(ack["usIn"], int) and isinstance(ack["usDiff"], int)
            # paradex-py unsubscribes with a string id; the answer must carry the same string.
            unsub = await client.request(
                "unsubscribe", {"channel": "bbo.BTC-USD-PERP"}, req_id="1700000000123457"
            )
            assert unsub["id"] == "1700000000123457" and unsub["result"] == {"channel": "bbo.BTC-USD-PERP"}
        finally:
            await client.close()

    run(body)


@pytest.mark.parametrize(
    "channel",
    [
        "bbo.BTC-USD-PERP",
        "bbo.ALL",
        "trades.ETH-USD-PERP",
        "trades.ALL",
        "order_book.SOL-USD-PERP.snapshot@15@100ms",
        "order_book.SOL-USD-PERP.snapshot@15@50ms",
        "order_book.BTC-USD-PERP.deltas@15@100ms",
        "order_book.BTC-USD-PERP.deltas@15@50ms",
        "markets_summary",
        "markets_summary.ALL",
        "markets_summary.ETH-USD-PERP",
        "funding_data.BTC-USD-PERP",
    ],
)
def test_every_public_channel_delivers_with_its_exact_name(channel: str) -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            assert (await client.subscribe(channel))["result"] == {"channel": channel}
            [payload] = await client.collect(channel, 1, timeout=5)
            assert isinstance(payload, dict) and payload
        finally:
            await client.close()

    run(body, bbo_rate=20, trade_rate=20, summary_interval=0.2, funding_interval=0.2)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"jsonrpc":"2.0","method":"subscribe","params":{"channel":"bbo.DOGE-USD-PERP"},"id":5}', -32600),
        (
            '{"jsonrpc":"2.0","method":"subscribe","params":{"channel":"order_book.BTC-USD-PERP.snapshot@20@100ms"},"id":5}',
            -32600,
        ),
        ('{"jsonrpc":"2.0","method":"subscribe","params":{},"id":5}', -32602),
        ('{"jsonrpc":"2.0","method":"no.such.method","params":{},"id":5}', -32601),
        ('{"jsonrpc":"2.0","method":"unsubscribe","params":{"channel":"bbo.BTC-USD-PERP"},"id":5}', -32600),
        ('{"jsonrpc":"2.0","method":"subscribe","params":{"channel":"orders.ALL"},"id":5}', 40300),
        ('{"jsonrpc":"2.0","method":"auth","params":{"bearer":"not-a-jwt"},"id":5}', 40110),
        ('{"jsonrpc":"2.0","method":"auth","params":{},"id":5}', -32602),
        ('{"method":"subscribe","params":{"channel":"bbo.BTC-USD-PERP"},"id":5}', -32600),
    ],
)
def test_request_errors_carry_reference_codes(frame: str, code: int) -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.send_raw(frame)
            reply = await client.response_for(5)
            assert reply["error"]["code"] == code
            assert isinstance(reply["error"]["message"], str) and "result" not in reply
        finally:
            await client.close()

    run(body)


def test_parse_error_and_non_object_are_answered_and_connection_survives() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.send_raw("{nope")
            reply = await client.response_for(None)
            assert reply["error"]["code"] == -32700
            await client.send_raw("[1,2]")
            assert (await client.response_for(None))["error"]["code"] == -32600
            assert (await client.subscribe("bbo.ETH-USD-PERP"))["result"]["channel"] == "bbo.ETH-USD-PERP"
        finally:
            await client.close()

    run(body)


def test_duplicate_subscription_is_an_error() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            assert "result" in await client.subscribe("trades.ALL")
            dup = await client.subscribe("trades.ALL")
            assert dup["error"]["code"] == -32600 and "already" in dup["error"]["data"]
        finally:
            await client.close()

    run(body)


def test_auth_then_private_channels_and_expired_token() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            expired = mint_unsigned_jwt(ACCOUNT, lifetime_s=10, now=1_000_000)
            assert (await client.request("auth", {"bearer": expired}))["error"]["code"] == 40111
            assert (await client.subscribe("positions"))["error"]["code"] == 40300
            ok = await client.request("auth", {"bearer": mint_unsigned_jwt(ACCOUNT)})
            assert isinstance(ok["result"]["node_id"], str)
            for channel in (
                "orders.ALL",
                "orders.BTC-USD-PERP",
                "fills.ALL",
                "fills.ETH-USD-PERP",
                "positions",
                "account",
            ):
                assert (await client.subscribe(channel))["result"] == {"channel": channel}
        finally:
            await client.close()

    run(body)


def test_handshake_bearer_header_authenticates() -> None:
    async def body(server: SimServer) -> None:
        headers = {"Authorization": f"Bearer {mint_unsigned_jwt(ACCOUNT)}"}
        client = await RawClient.connect(server.ws_url, headers=headers)
        try:
            assert (await client.subscribe("account"))["result"] == {"channel": "account"}
        finally:
            await client.close()

    run(body)


def test_replaceable_verifier_and_its_error_codes() -> None:
    def verifier(token: str) -> AuthedAccount:
        if token == "good":
            return AuthedAccount("0xabc")
        raise JsonRpcError(40111, "invalid bearer token")

    async def body(server: SimServer) -> None:
        server.auth_verifier = verifier
        client = await RawClient.connect(server.ws_url)
        try:
            assert (await client.request("auth", {"bearer": "bad"}))["error"]["code"] == 40111
            assert "result" in await client.request("auth", {"bearer": "good"})
        finally:
            await client.close()

    run(body)


def test_extension_seam_methods_rest_publish_and_disconnect_hook() -> None:
    async def body(server: SimServer) -> None:
        seen_disconnects: list[int] = []

        async def echo(conn: Any, params: Any) -> dict[str, Any]:
            if conn.account is None:
                raise JsonRpcError(40300, "permission denied")
            return {"echo": params, "account": conn.account.address}

        async def not_an_object(conn: Any, params: Any) -> Any:
            return None

        async def rest_hello(request: aiohttp.web.Request, params: dict[str, str]) -> Any:
            from paradex_sim.server import json_response

            return json_response({"id": params["order_id"]})

        server.register_ws_method("order.echo", echo)
        server.register_ws_method("order.bad", not_an_object)
        server.register_rest("GET", "/v1/orders/{order_id}", rest_hello)
        server.on_disconnect(lambda conn: seen_disconnects.append(conn.id))

        mine = await RawClient.connect(server.ws_url)
        other = await RawClient.connect(server.ws_url)
        try:
            assert (await mine.request("order.echo", {"x": 1}, req_id=1))["error"]["code"] == 40300
            await mine.request("auth", {"bearer": mint_unsigned_jwt(ACCOUNT)})
            await other.request("auth", {"bearer": mint_unsigned_jwt("0x999")})
            reply = await mine.request("order.echo", {"x": 1}, req_id=2)
            assert reply["result"] == {"echo": {"x": 1}, "account": ACCOUNT} and reply["id"] == 2
            assert (await mine.request("order.bad", {}, req_id=3))["error"]["code"] == -32603
            await mine.subscribe("orders.ALL")
            await other.subscribe("orders.ALL")
            assert server.publish("orders.ALL", {"id": "o1"}, account="0x00001234ABCD") == 1
            [data] = await mine.collect("orders.ALL", 1)
            assert data == {"id": "o1"}
            assert not [n for n in other.notifications if n[0] == "orders.ALL"]
            async with aiohttp.ClientSession() as http:
                async with http.get(server.rest_url + "/orders/42") as resp:
                    assert resp.status == 200 and await resp.json() == {"id": "42"}
        finally:
            await mine.close()
            await other.close()
        for _ in range(100):
            if len(seen_disconnects) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(seen_disconnects) == 2

    run(body)


def _dec(value: str) -> Decimal:
    return Decimal(value)


def test_bbo_on_tick_and_step_never_crossed_and_trades_at_the_touch() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe("bbo.ALL")
            await client.subscribe("trades.ALL")
            bbos = await client.collect("bbo.ALL", 90, timeout=10)
            trades = await client.collect("trades.ALL", 10, timeout=10)
        finally:
            await client.close()
        last_seq: dict[str, int] = {}
        for b in bbos:
            spec = MARKETS[b["market"]]
            tick, step = Decimal(spec.tick_e8) / 10**8, Decimal(spec.step_e8) / 10**8
            bid, ask = _dec(b["bid"]), _dec(b["ask"])
            assert bid < ask
            for price in (bid, ask):
                assert price % tick == 0
            for size in (_dec(b["bid_size"]), _dec(b["ask_size"])):
                assert size > 0 and size % step == 0
            assert b["seq_no"] > last_seq.get(b["market"], 0)
            last_seq[b["market"]] = b["seq_no"]
        for t in trades:
            spec = MARKETS[t["market"]]
            assert t["side"] in ("BUY", "SELL") and t["trade_type"] == "FILL"
            assert len(t["id"]) == 28 and t["id"].isdigit()
            assert _dec(t["price"]) % (Decimal(spec.tick_e8) / 10**8) == 0
        # What went out on the wire is what the sim recorded (REST /trades and klines read that history).
        for t in trades:
            history = server.market(t["market"]).trades
            record = next(r for r in history if r.event.trade_id == t["id"])
            assert record.event.json() == t

    run(body, bbo_rate=30, trade_rate=10)


def test_trade_prices_match_the_book_they_hit() -> None:
    server_config = SimConfig(seed=3, bbo_rate=50, trade_rate=25)
    sim = SimServer(server_config).sim
    book_before: dict[str, tuple[int, int]] = {}
    checked = 0

    def sink(event: Any, channels: tuple[str, ...]) -> None:
        nonlocal checked
        if channels[0].startswith("bbo."):
            book_before[event.market] = (event.bid, event.ask)
        elif channels[0].startswith("trades."):
            bid, ask = sim.markets[event.market].best_prices()
            # The trade consumed size at the touch; the touch prices it hit are the current ones.
            assert event.price == (ask if event.side == "BUY" else bid)
            checked += 1

    sim.sink = sink
    sim.run_until(20.0, limit=100_000)
    assert checked > 50


def test_deltas_feed_starts_with_a_snapshot_then_contiguous_seq_and_rebuilds_the_book() -> None:
    channel = "order_book.BTC-USD-PERP.deltas@15@50ms"

    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe(channel)
            messages = await client.collect(channel, 30, timeout=10)
        finally:
            await client.close()
        first = messages[0]
        assert first["update_type"] == "s" and not first["updates"] and not first["deletes"]
        book = {(e["side"], e["price"]): e["size"] for e in first["inserts"]}
        seq = first["seq_no"]
        for msg in messages[1:]:
            assert msg["update_type"] == "d" and msg["seq_no"] == seq + 1
            seq = msg["seq_no"]
            for e in msg["deletes"]:
                del book[(e["side"], e["price"])]
            for e in msg["updates"]:
                assert (e["side"], e["price"]) in book
                book[(e["side"], e["price"])] = e["size"]
            for e in msg["inserts"]:
                assert (e["side"], e["price"]) not in book
                book[(e["side"], e["price"])] = e["size"]
            bids = sorted((Decimal(p) for s, p in book if s == "BUY"), reverse=True)
            asks = sorted(Decimal(p) for s, p in book if s == "SELL")
            assert len(bids) == 15 and len(asks) == 15 and bids[0] < asks[0]

    run(body, bbo_rate=40)


def test_snapshot_feed_is_full_top_15_and_uncrossed() -> None:
    channel = "order_book.ETH-USD-PERP.snapshot@15@100ms"

    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe(channel)
            messages = await client.collect(channel, 5, timeout=5)
        finally:
            await client.close()
        for msg in messages:
            assert msg["update_type"] == "s"
            bids = [Decimal(e["price"]) for e in msg["inserts"] if e["side"] == "BUY"]
            asks = [Decimal(e["price"]) for e in msg["inserts"] if e["side"] == "SELL"]
            assert len(bids) == len(asks) == 15
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
        seqs = [m["seq_no"] for m in messages]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    run(body)


def test_unsupported_sbe_version_is_refused_at_handshake() -> None:
    async def body(server: SimServer) -> None:
        async with aiohttp.ClientSession() as session:
            for query in ("sbeSchemaId=1&sbeSchemaVersion=3", "sbeSchemaId=2&sbeSchemaVersion=2"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                    await session.ws_connect(f"{server.ws_url}?{query}")
                assert info.value.status == 400

    run(body)


def test_client_that_does_not_pong_is_dropped() -> None:
    async def body(server: SimServer) -> None:
        silent = await RawClient.connect(server.ws_url, autoping=False)
        polite = await RawClient.connect(server.ws_url)
        try:
            await silent.wait_closed(timeout=5)
            assert not polite.closed
            assert "result" in await polite.subscribe("bbo.BTC-USD-PERP")
        finally:
            await silent.close()
            await polite.close()

    run(body, ping_interval=0.2, pong_timeout=0.3)


def test_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SimServer(SimConfig(host="0.0.0.0"))
