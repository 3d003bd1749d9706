"""The public REST subset of the simulator (reference §5.2), served from the same market state as the
WebSocket feeds so a REST snapshot and the stream agree.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .markets import MARKETS, e8_str, system_config
from .server import RestError, error_response, json_response

if TYPE_CHECKING:
    from .server import SimServer

_KLINE_RESOLUTIONS = {1, 3, 5, 15, 30, 60}


def _int_param(request: web.Request, name: str, default: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def install(server: SimServer) -> None:
    """Register the public endpoints on `server`."""

    def market_or_404(symbol: str) -> Any:
        if symbol not in server.market_names:
            raise RestError(404, "MARKET_NOT_FOUND", f"market {symbol} not found")
        return server.market(symbol)

    async def config(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        return json_response(system_config(server.config.chain_id))

    async def system_time(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        return json_response({"server_time": str(time.time_ns() // 1_000_000)})

    async def system_state(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        return json_response({"status": "ok"})

    async def markets(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        wanted = request.query.get("market")
        results = [MARKETS[m].market_resp() for m in server.sim.markets if wanted in (None, "", m)]
        return json_response({"results": results})

    async def summary(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        wanted = request.query.get("market")
        if not wanted:
            return error_response(400, "VALIDATION_ERROR", "market is required (a symbol or ALL)")
        if wanted != "ALL":
            market_or_404(wanted)
        now_us = time.time_ns() // 1000
        results = []
        for m, proc in server.sim.markets.items():
            if wanted in ("ALL", m):
                results.append(proc.summary(now_us).json())
        return json_response({"results": results})

    async def bbo(request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        proc = market_or_404(params["market"])
        return json_response(proc.bbo(time.time_ns() // 1000).json())

    async def orderbook(request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        proc = market_or_404(params["market"])
        try:
            depth = _int_param(request, "depth", 20)
        except ValueError as exc:
            return error_response(400, "VALIDATION_ERROR", str(exc))
        if not 1 <= depth <= 100:
            return error_response(400, "VALIDATION_ERROR", "depth must be between 1 and 100")
        bids, asks = proc.levels(0, depth), proc.levels(1, depth)
        pair = [[e8_str(p), e8_str(s)] for p, s in bids[:1]] or [[]]
        ask_pair = [[e8_str(p), e8_str(s)] for p, s in asks[:1]] or [[]]
        return json_response(
            {
                "market": proc.symbol,
                "seq_no": proc.seq_no,
                "last_updated_at": time.time_ns() // 1_000_000,
                "bids": [[e8_str(p), e8_str(s)] for p, s in bids],
                "asks": [[e8_str(p), e8_str(s)] for p, s in asks],
                "best_bid_api": pair[0],
                "best_ask_api": ask_pair[0],
                "best_bid_interactive": pair[0],
                "best_ask_interactive": ask_pair[0],
            }
        )

    async def trades(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        symbol = request.query.get("market")
        if not symbol:
            return error_response(400, "VALIDATION_ERROR", "market is required")
        proc = market_or_404(symbol)
        try:
            page_size = _int_param(request, "page_size", 100)
            start_ms = _int_param(request, "start_at", 0)
            end_ms = _int_param(request, "end_at", 2**62)
        except ValueError as exc:
            return error_response(400, "VALIDATION_ERROR", str(exc))
        if not 1 <= page_size <= 1000:
            return error_response(400, "VALIDATION_ERROR", "page_size must be between 1 and 1000")
        picked = list(proc.trades_between(start_ms * 1000, end_ms * 1000 + 999))
        newest_first = [t.json() for t in reversed(picked[-page_size:])]
        return json_response({"next": None, "prev": None, "results": newest_first})

    async def klines(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        symbol = request.query.get("symbol")
        if not symbol:
            return error_response(400, "VALIDATION_ERROR", "symbol is required")
        proc = market_or_404(symbol)
        try:
            resolution = _int_param(request, "resolution")
            start_ms = _int_param(request, "start_at")
            end_ms = _int_param(request, "end_at")
        except ValueError as exc:
            return error_response(400, "VALIDATION_ERROR", str(exc))
        if resolution not in _KLINE_RESOLUTIONS:
            return error_response(
                400, "VALIDATION_ERROR", f"resolution must be one of {sorted(_KLINE_RESOLUTIONS)}"
            )
        if end_ms < start_ms:
            return error_response(400, "VALIDATION_ERROR", "end_at is before start_at")
        return json_response({"results": build_klines(proc, resolution, start_ms, end_ms)})

    async def funding(request: web.Request, _: dict[str, str]) -> web.StreamResponse:
        symbol = request.query.get("market")
        if not symbol:
            return error_response(400, "VALIDATION_ERROR", "market is required")
        proc = market_or_404(symbol)
        newest_first = [e.json() for e in reversed(proc.funding_history)]
        return json_response({"next": None, "prev": None, "results": newest_first})

    for path, handler in (
        ("/v1/system/config", config),
        ("/v1/system/time", system_time),
        ("/v1/system/state", system_state),
        ("/v1/markets", markets),
        ("/v1/markets/summary", summary),
        ("/v1/markets/klines", klines),
        ("/v1/bbo/{market}", bbo),
        ("/v1/orderbook/{market}", orderbook),
        ("/v1/trades", trades),
        ("/v1/funding/data", funding),
    ):
        server.register_rest("GET", path, handler)


def build_klines(proc: Any, resolution_min: int, start_ms: int, end_ms: int) -> list[list[float | int]]:
    """OHLCV candles from the sim's own trade history: `[ts_ms, open, high, low, close, volume]`.

    Numbers, not strings: that is what third-party clients parse from Paradex (reference §5.2).
    Buckets without trades are omitted.
    """
    width = resolution_min * 60_000
    buckets: dict[int, list[int]] = {}
    for trade in proc.trades_between(start_ms * 1000, end_ms * 1000 + 999):
        key = (trade.ts_us // 1000) // width * width
        candle = buckets.get(key)
        if candle is None:
            buckets[key] = [trade.price, trade.price, trade.price, trade.price, trade.size]
        else:
            candle[1] = max(candle[1], trade.price)
            candle[2] = min(candle[2], trade.price)
            candle[3] = trade.price
            candle[4] += trade.size
    return [[ts, *(float(e8_str(v)) for v in candle)] for ts, candle in sorted(buckets.items())]
