"""Fault injection and the /_sim control API, in-process and against the standalone simulator process."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from paradex_sim import SimServer, mint_unsigned_jwt
from paradex_sim.testing import RawClient, SimProcess, run_in_sim

SBE_QUERY = "?sbeSchemaId=1&sbeSchemaVersion=2"


def run(test: Callable[[SimServer], Awaitable[None]], timeout: float = 20.0, **config: Any) -> None:
    """Run `test` against the market-data half alone (extensions=(): the default JWT verifier)."""
    config.setdefault("extensions", ())
    run_in_sim(test, seed=4, timeout=timeout, **config)


async def control(
    base_url: str, action: str, body: dict[str, Any] | None = None, method: str = "POST"
) -> Any:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"{base_url}/_sim/{action}", json=body) as resp:
            payload = await resp.json()
            payload["_status"] = resp.status
            return payload


async def until(predicate: Callable[[], Awaitable[bool] | bool], timeout: float, step: float = 0.05) -> None:
    """Poll a condition (sync or async) until it holds; fail after `timeout`."""

    async def holds() -> bool:
        result = predicate()
        return await result if inspect.isawaitable(result) else bool(result)

    deadline = time.monotonic() + timeout
    while not await holds():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


def test_drop_cuts_connections_and_the_server_stays_up() -> None:
    async def body(server: SimServer) -> None:
        a = await RawClient.connect(server.ws_url)
        b = await RawClient.connect(server.ws_url + SBE_QUERY)
        try:
            reply = await control(server.base_url, "drop")
            assert reply["ok"] and reply["dropped"] == 2
            await a.wait_closed()
            await b.wait_closed()
            c = await RawClient.connect(server.ws_url)
            assert "result" in await c.subscribe("bbo.BTC-USD-PERP")
            await c.close()
        finally:
            await a.close()
            await b.close()

    run(body)


def test_clean_drop_sends_a_going_away_close_frame() -> None:
    async def body(server: SimServer) -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url)
            assert (await control(server.base_url, "drop", {"clean": True}))["dropped"] == 1
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
            await ws.close()

    run(body)


def test_silence_one_channel_while_others_flow() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe("bbo.BTC-USD-PERP")
            await client.subscribe("bbo.ETH-USD-PERP")
            await client.collect("bbo.BTC-USD-PERP", 1)
            started = time.monotonic()
            reply = await control(server.base_url, "silence", {"channel": "bbo.BTC-USD-PERP", "seconds": 1.0})
            assert reply["ok"]
            eth_seq_at_silence = server.market("ETH-USD-PERP").seq_no
            # One connection is FIFO: once an ETH frame newer than the silence arrived, every BTC
            # frame sent before the silence has arrived too, and can be discarded.
            while (await client.collect("bbo.ETH-USD-PERP", 1))[0]["seq_no"] <= eth_seq_at_silence:
                pass
            client.notifications.clear()
            await client.collect("bbo.ETH-USD-PERP", 6, timeout=2)
            assert not [n for n in client.notifications if n[0] == "bbo.BTC-USD-PERP"]
            await client.collect("bbo.BTC-USD-PERP", 1, timeout=3)
            assert time.monotonic() - started >= 1.0
        finally:
            await client.close()

    run(body, bbo_rate=40)


def test_skip_seq_makes_a_gap_in_the_deltas_feed() -> None:
    channel = "order_book.SOL-USD-PERP.deltas@15@50ms"

    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe(channel)
            first = await client.collect(channel, 3)
            assert [m["seq_no"] for m in first] == list(range(first[0]["seq_no"], first[0]["seq_no"] + 3))
            assert (await control(server.base_url, "skip_seq", {"market": "SOL-USD-PERP"}))["feeds"] == 3
            more = await client.collect(channel, 5)  # the gap lands on the first message after the control
            seqs = [first[-1]["seq_no"]] + [m["seq_no"] for m in more]
            steps = [b - a for a, b in itertools.pairwise(seqs)]
            assert steps.count(2) == 1 and steps.count(1) == 4
        finally:
            await client.close()

    run(body, bbo_rate=40)


def test_malformed_frames_arrive_and_the_connection_survives() -> None:
    async def body(server: SimServer) -> None:
        js = await RawClient.connect(server.ws_url)
        sb = await RawClient.connect(server.ws_url + SBE_QUERY)
        try:
            assert (await control(server.base_url, "malformed", {"count": 4}))["connections"] == 2
            await js._wait(lambda: len(js.garbage) >= 4, 5)
            await sb._wait(lambda: len(sb.garbage) >= 4, 5)
            assert any(isinstance(g, bytes) for g in sb.garbage)
            assert "result" in await js.subscribe("bbo.BTC-USD-PERP")
            assert "result" in await sb.subscribe("bbo.BTC-USD-PERP")
        finally:
            await js.close()
            await sb.close()

    run(body)


def test_auth_40111_answers_the_next_attempts() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        token = mint_unsigned_jwt("0xabc")
        try:
            server.faults.auth_40111(2)
            assert (await client.request("auth", {"bearer": token}))["error"]["code"] == 40111
            assert (await client.request("auth", {"bearer": token}))["error"]["code"] == 40111
            assert "result" in await client.request("auth", {"bearer": token})
            assert (await control(server.base_url, "auth_40111", {"count": 1}))["ok"]
            assert (await client.request("auth", {"bearer": token}))["error"]["code"] == 40111
        finally:
            await client.close()

    run(body)


def test_price_jump_rate_pause_resume_sent_and_state() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        try:
            await client.subscribe("bbo.BTC-USD-PERP")
            [before] = await client.collect("bbo.BTC-USD-PERP", 1)
            assert abs(Decimal(before["bid"]) - 95000) < 2000
            jump = await control(server.base_url, "price", {"market": "BTC-USD-PERP", "mid": "70000"})
            assert jump["ok"] and abs(jump["bid_e8"] - 70000 * 10**8) < 10**8
            # Frames already in flight may predate the jump; the first one after it is at the new mid.
            for _ in range(20):
                [bbo] = await client.collect("bbo.BTC-USD-PERP", 1)
                if bbo["seq_no"] > before["seq_no"] and abs(Decimal(bbo["bid"]) - 70000) < 100:
                    break
            else:
                raise AssertionError("no bbo at the new mid")
            assert (await control(server.base_url, "rate", {"bbo_per_s": 200}))["rates"][
                "BTC-USD-PERP"
            ] == 200
            frames = await client.collect("bbo.BTC-USD-PERP", 100, timeout=4)  # ~25 s at the default 4/s
            sent = await control(server.base_url, "sent?channel=bbo.BTC-USD-PERP&n=5", method="GET")
            assert sent["payloads"][-1]["seq_no"] >= frames[-1]["seq_no"]
            by_seq = {f["seq_no"]: f for f in frames}
            for payload in sent["payloads"]:
                if payload["seq_no"] in by_seq:
                    assert payload == by_seq[payload["seq_no"]]
            assert (await control(server.base_url, "pause"))["ok"]
            state = await control(server.base_url, "state", method="GET")
            assert state["paused"] is True and set(state["markets"]) == {
                "BTC-USD-PERP",
                "ETH-USD-PERP",
                "SOL-USD-PERP",
            }
            assert state["connections"][0]["subscriptions"] == ["bbo.BTC-USD-PERP"]
            steps = state["markets"]["BTC-USD-PERP"]["steps"]
            await asyncio.sleep(0.3)
            assert (await control(server.base_url, "state", method="GET"))["markets"]["BTC-USD-PERP"][
                "steps"
            ] == steps
            assert (await control(server.base_url, "resume"))["ok"]
            client.notifications.clear()
            await client.collect("bbo.BTC-USD-PERP", 5, timeout=3)
        finally:
            await client.close()

    run(body)


def test_burst_emits_exactly_n_bbo_frames_with_send_times() -> None:
    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url + SBE_QUERY)
        try:
            await client.subscribe("bbo.ETH-USD-PERP")
            assert (await control(server.base_url, "record_sendtimes", {"enabled": True}))["enabled"]
            await control(server.base_url, "sendtimes?clear=1", method="GET")
            reply = await control(
                server.base_url,
                "burst",
                {"market": "ETH-USD-PERP", "count": 2000, "rate": 20000, "wait": True},
            )
            first, last = reply["first_seq"], reply["last_seq"]
            assert last - first + 1 == 2000
            frames = []

            async def have_all() -> bool:
                frames.extend(d for ch, d, _ in client.notifications if ch == "bbo.ETH-USD-PERP")
                client.notifications.clear()
                return any(f["seq_no"] == last for f in frames)

            await until(have_all, 5)
            burst = [f["seq_no"] for f in frames if first <= f["seq_no"] <= last]
            assert burst == list(range(first, last + 1))
            times = (await control(server.base_url, "sendtimes?market=ETH-USD-PERP", method="GET"))[
                "sendtimes"
            ]
            stamped = [seq for _, seq, _ in times if first <= seq <= last]
            assert stamped == list(range(first, last + 1))
            assert all(isinstance(ns, int) and ns > 0 for _, _, ns in times)
        finally:
            await client.close()

    run(body, bbo_rate=2)


def test_down_keep_rest_takes_only_the_websocket_side_down() -> None:
    """A stream outage: connections cut, upgrades refused with 503, REST answering throughout."""

    async def connects(url: str) -> bool:
        try:
            c = await RawClient.connect(url)
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 503
            return False
        await c.close()
        return True

    async def rest_bbo(session: aiohttp.ClientSession, server: SimServer) -> dict[str, Any]:
        async with session.get(f"{server.rest_url}/bbo/BTC-USD-PERP") as resp:
            assert resp.status == 200
            return dict(await resp.json())

    async def body(server: SimServer) -> None:
        client = await RawClient.connect(server.ws_url)
        async with aiohttp.ClientSession() as session:
            try:
                await client.subscribe("bbo.BTC-USD-PERP")
                await client.collect("bbo.BTC-USD-PERP", 1)
                reply = await control(server.base_url, "down", {"seconds": 1.5, "keep_rest": True})
                assert reply["ok"] and reply["keep_rest"] is True
                await client.wait_closed()
                assert not await connects(server.ws_url)
                assert not await connects(server.ws_url + SBE_QUERY)
                state = await control(server.base_url, "state", method="GET")
                assert state["ws_down"] is True and state["down"] is False
                # REST keeps answering, from the market that keeps moving underneath.
                first = await rest_bbo(session, server)
                await until(lambda: server.market("BTC-USD-PERP").seq_no > first["seq_no"], 5)
                assert (await rest_bbo(session, server))["seq_no"] > first["seq_no"]
                await until(lambda: connects(server.ws_url), 5)
                again = await RawClient.connect(server.ws_url)
                try:
                    assert "result" in await again.subscribe("bbo.BTC-USD-PERP")
                    await again.collect("bbo.BTC-USD-PERP", 2)
                finally:
                    await again.close()
                assert server.faults.counters["ws_down"] == 1
            finally:
                await client.close()

    run(body, bbo_rate=20)


def test_a_stream_only_down_replaces_a_full_one_in_progress() -> None:
    async def body(server: SimServer) -> None:
        assert (await control(server.base_url, "down", {"seconds": 30}))["ok"]
        with pytest.raises(aiohttp.ClientConnectionError):
            await control(server.base_url, "state", method="GET")
        # In-process: the control API itself is unreachable while the server is fully down.
        await server.faults.down(0.5, keep_rest=True)
        assert (await control(server.base_url, "state", method="GET"))["ws_down"] is True
        await until(lambda: server.ws_down_until is None, 5)
        client = await RawClient.connect(server.ws_url)
        await client.close()
        assert server.down_until is None

    run(body)


def test_control_api_rejects_bad_requests() -> None:
    async def body(server: SimServer) -> None:
        assert (await control(server.base_url, "nope"))["_status"] == 404
        assert (await control(server.base_url, "down", {"seconds": -1}))["_status"] == 400
        assert (await control(server.base_url, "down", {"seconds": 1, "keep_rest": "yes"}))["_status"] == 400
        assert (await control(server.base_url, "price", {"market": "DOGE-USD-PERP", "mid": "1"}))[
            "_status"
        ] == 400
        assert (await control(server.base_url, "price", {"market": "BTC-USD-PERP", "mid": "1.123456789"}))[
            "_status"
        ] == 400
        assert (await control(server.base_url, "rate", {"bbo_per_s": "fast"}))["_status"] == 400
        assert (await control(server.base_url, "price", {"market": "BTC-USD-PERP", "mid": "abc"}))[
            "_status"
        ] == 400
        # A JSON number is accepted (rounded to the tick), as the TypeScript bots send one.
        jumped = await control(server.base_url, "price", {"market": "ETH-USD-PERP", "mid": 3100.123})
        assert jumped["ok"] and jumped["bid_e8"] <= 3100_12000000 <= jumped["ask_e8"]
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{server.base_url}/_sim/drop", data=b"{not json") as resp:
                assert resp.status == 400
        assert (await control(server.base_url, "state", method="GET"))["ok"]

    run(body)


def test_standalone_process_ready_line_down_and_sigterm(tmp_path: Any) -> None:
    sendtimes = tmp_path / "sendtimes.jsonl"
    sim = SimProcess("--seed", "3", "--bbo-rate", "20", "--sendtimes-file", str(sendtimes))
    try:
        ready = sim.ready
        assert ready["type"] == "sim_ready" and ready["pid"] == sim.proc.pid
        assert ready["ws_url"].startswith("ws://127.0.0.1:") and ready["ws_url"].endswith("/ws/v1")
        assert ready["rest_url"].endswith("/v1") and ready["control_url"].endswith("/_sim")
        base = ready["control_url"].removesuffix("/_sim")

        async def scenario() -> None:
            client = await RawClient.connect(ready["ws_url"])
            await client.subscribe("bbo.BTC-USD-PERP")
            await client.collect("bbo.BTC-USD-PERP", 2)
            reply = await control(base, "down", {"seconds": 1.0})
            assert reply["ok"]
            await client.wait_closed()
            await client.close()
            with pytest.raises((aiohttp.ClientConnectionError, aiohttp.WSServerHandshakeError)):
                await RawClient.connect(ready["ws_url"])

            async def back() -> bool:
                try:
                    c = await RawClient.connect(ready["ws_url"])
                except (aiohttp.ClientConnectionError, aiohttp.WSServerHandshakeError):
                    return False
                await c.close()
                return True

            await until(back, 5)

        asyncio.run(asyncio.wait_for(scenario(), 15))
        started = time.monotonic()
        assert sim.terminate() == 0
        assert time.monotonic() - started < 2.0
        assert sendtimes.exists()
    finally:
        sim.terminate()


@pytest.mark.parametrize(
    "argv",
    [
        ["--host", "10.0.0.1"],
        ["--markets", "DOGE-USD-PERP"],
        ["--bbo-rate", "0"],
        ["--price-path", "/nonexistent/path.jsonl"],
    ],
)
def test_standalone_process_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(RuntimeError, match="exited early") as info:
        SimProcess(*argv)
    message = str(info.value)
    assert "(exit 2)" in message and "error:" in message and "Traceback" not in message


def test_a_client_that_stops_reading_is_dropped() -> None:
    """Paradex disconnects clients that leave 2000 messages unread; the others keep their feed."""

    async def body(server: SimServer) -> None:
        session = aiohttp.ClientSession()
        polite = await RawClient.connect(server.ws_url)
        try:
            stalled = await session.ws_connect(server.ws_url)
            await stalled.send_str(
                '{"jsonrpc":"2.0","method":"subscribe","params":{"channel":"bbo.ALL"},"id":1}'
            )
            await polite.subscribe("bbo.SOL-USD-PERP")
            await until(
                lambda: (
                    len(server.connections) == 2 and all(c.subscriptions for c in server.connections.values())
                ),
                5,
            )
            [stalled_id] = [i for i, c in server.connections.items() if "bbo.ALL" in c.subscriptions]
            # Never read `stalled` again: ~12 MB of frames cannot fit in socket buffers.
            _, _, task = server.sim.burst("BTC-USD-PERP", 60_000, 100_000)
            await until(lambda: stalled_id not in server.connections, 15)
            await task
            assert not polite.closed
            polite.notifications.clear()
            await polite.collect("bbo.SOL-USD-PERP", 2, timeout=5)
        finally:
            await polite.close()
            await session.close()

    run(body, bbo_rate=20)
