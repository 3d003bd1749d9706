"""writer.py + transport.py: seq in write order, type/seq first, immediate writes when idle, coalescing of
bbo/book under a stuck reader with no trade lost, and a claimed stdout that library prints cannot tear."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import orjson

from paradex_ws_service.stats import Stats
from paradex_ws_service.transport import BadLine, LineSplitter, StdoutSink
from paradex_ws_service.writer import Writer


def _bbo(market: str, n: int) -> dict:
    return {"type": "bbo", "seq": 0, "market": market, "bid": str(n), "bid_size": "1", "ask": str(n + 1),
            "ask_size": "1", "exchange_ts": n, "exchange_seq": n, "recv_us": 1}  # fmt: skip


def _trade(n: int) -> dict:
    return {"type": "trade", "seq": 0, "market": "BTC-USD-PERP", "trade_id": str(n), "side": "BUY",
            "price": "1", "size": "1", "trade_type": "FILL", "exchange_ts": n, "recv_us": 1}  # fmt: skip


def _read_all(fd: int) -> list[dict]:
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return [orjson.loads(line) for line in b"".join(chunks).splitlines()]


def test_idle_line_is_written_at_once_with_seq_after_type() -> None:
    async def main() -> None:
        r, w = os.pipe()
        sink = StdoutSink(w)
        await sink.start()
        writer = Writer(sink, Stats())
        writer.start()
        writer.emit({"type": "hello", "seq": 0, "protocol": 1})
        for _ in range(5):  # a few loop turns, no timer: an idle line is never held back for batching
            await asyncio.sleep(0)
        raw = os.read(r, 4096)
        assert raw == b'{"type":"hello","seq":1,"protocol":1}\n'
        writer.emit(_trade(1))
        writer.emit(_trade(2))
        await writer.close()
        assert [e["seq"] for e in _read_all(r)] == [2, 3]

    asyncio.run(main())


def test_stuck_reader_coalesces_bbo_keeps_every_trade_and_seq_contiguous() -> None:
    async def main() -> None:
        r, w = os.pipe()
        stats = Stats()
        sink = StdoutSink(w)
        await sink.start()
        writer = Writer(sink, stats, pressure_depth=100)
        writer.start()
        n = 0
        # nobody reads r: the pipe (64 KiB) and the transport buffer fill, then the writer must coalesce
        for _round in range(60):
            for _ in range(100):
                n += 1
                writer.emit(_bbo("BTC-USD-PERP", n))
                writer.emit(_bbo("ETH-USD-PERP", n))
                if n % 10 == 0:
                    writer.emit(_trade(n))
            await asyncio.sleep(0)
        assert stats.total_coalesced > 0
        assert writer.depth < 1500, "bbo must not pile up while the reader is stuck"
        reader = asyncio.get_running_loop().run_in_executor(None, _drain_blocking, r)
        await writer.close(timeout=5)
        events = await reader
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        trades = [int(e["trade_id"]) for e in events if e["type"] == "trade"]
        assert trades == list(range(10, n + 1, 10)), "every trade, in order"
        for market in ("BTC-USD-PERP", "ETH-USD-PERP"):
            bbos = [e["exchange_seq"] for e in events if e["type"] == "bbo" and e["market"] == market]
            assert bbos[-1] == n, "latest wins"
            assert bbos == sorted(bbos)
        assert stats.total_events == len(events)
        assert stats.total_events + stats.total_coalesced == n * 2 + n // 10

    asyncio.run(main())


def _drain_blocking(fd: int) -> list[dict]:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return [orjson.loads(line) for line in b"".join(chunks).splitlines()]


def test_claimed_stdout_sends_stray_prints_to_stderr() -> None:
    script = textwrap.dedent(
        """
        import asyncio, os
        from paradex_ws_service.stats import Stats
        from paradex_ws_service.transport import StdoutSink
        from paradex_ws_service.writer import Writer

        async def main():
            sink = StdoutSink.claim()
            await sink.start()
            writer = Writer(sink, Stats())
            writer.start()
            print("a stray print from some library", flush=True)
            os.write(1, b"raw bytes on fd 1\\n")
            writer.emit({"type": "hello", "seq": 0})
            await writer.close()

        asyncio.run(main())
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'{"type":"hello","seq":1}\n'
    assert b"a stray print" in proc.stderr and b"raw bytes on fd 1" in proc.stderr


def test_line_splitter_handles_chunking_crlf_and_overlong_lines() -> None:
    s = LineSplitter(max_line=10)
    assert s.feed(b'{"a"') == []
    assert s.feed(b":1}\r\n{") == [b'{"a":1}']
    out = s.feed(b"x" * 30)
    assert out == [BadLine("LINE_TOO_LONG", "stdin line longer than 10 bytes; ignored")]
    assert s.feed(b"yyy\nok\n") == [b"ok"]  # the rest of the long line is dropped, not parsed
    assert s.feed(b"tail") == []
    assert s.finish() == [b"tail"]
