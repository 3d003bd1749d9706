"""The `/_sim/<action>` HTTP control API: each route calls the same method a test would call in-process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .markets import to_e8

if TYPE_CHECKING:
    from .server import SimServer

ControlHandler = Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]


def _num(body: dict[str, Any], key: str, default: float | None = None) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} is required (a number)")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {value!r}") from None


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is required (a string)")
    return value


def routes(server: SimServer) -> dict[tuple[str, str], ControlHandler]:
    """(HTTP method, action) → handler returning the JSON fields added to `{"ok": true}`."""
    faults, sim = server.faults, server.sim

    async def drop(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"dropped": faults.drop_all(clean=bool(body.get("clean", False)))}

    async def down(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        keep_rest = body.get("keep_rest", False)
        if not isinstance(keep_rest, bool):
            raise ValueError("keep_rest must be true or false")
        return {"until": await faults.down(_num(body, "seconds"), keep_rest), "keep_rest": keep_rest}

    async def silence(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        faults.silence(_str(body, "channel"), _num(body, "seconds"))
        return {}

    async def skip_seq(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"feeds": faults.skip_seq(_str(body, "market"))}

    async def malformed(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"connections": faults.malformed(int(_num(body, "count", 1)))}

    async def auth_40111(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        faults.auth_40111(int(_num(body, "count", 1)))
        return {}

    async def price(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        market = _str(body, "market")
        mid = body.get("mid")
        if isinstance(mid, bool) or not isinstance(mid, str | int | float):
            raise ValueError("mid is required (a decimal string or a number)")
        # A JSON number is accepted for convenience and rounded to 8 places; the mid is then rounded to tick.
        value = Decimal(repr(mid)).quantize(Decimal("1e-8")) if isinstance(mid, float) else Decimal(str(mid))
        if not (value.is_finite() and value > 0):
            raise ValueError("mid must be a positive price")
        sim.set_mid(market, to_e8(value))
        bid, ask = sim.market(market).best_prices()
        return {"market": market, "bid_e8": bid, "ask_e8": ask}

    async def rate(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        market = body.get("market")
        sim.set_rate(_num(body, "bbo_per_s"), market if isinstance(market, str) else None)
        return {"rates": dict(sim.rates)}

    async def pause(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        sim.pause()
        return {}

    async def resume(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        sim.resume()
        return {}

    async def burst(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        first, last, task = sim.burst(_str(body, "market"), int(_num(body, "count")), _num(body, "rate"))
        if body.get("wait"):
            await task
        return {"first_seq": first, "last_seq": last}

    async def sent(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        channel = request.query.get("channel")
        if not channel:
            raise ValueError("channel is required")
        n = int(request.query.get("n", "100"))
        return {"channel": channel, "payloads": server.sent(channel, n)}

    async def state(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        return server.state()

    async def sendtimes(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        out = [list(r) for r in server.sendtimes.records(request.query.get("market"))]
        if request.query.get("clear") in ("1", "true"):
            server.sendtimes.clear()
        return {"enabled": server.config.record_sendtimes, "sendtimes": out}

    async def record(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        server.config.record_sendtimes = bool(body.get("enabled", True))
        return {"enabled": server.config.record_sendtimes}

    async def sbe_layout(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """Which 1:2 layout SBE frames take from now on: with the in-place additions or without."""
        value = body.get("in_place_additions")
        if not isinstance(value, bool):
            raise ValueError("in_place_additions must be true or false")
        server.config.sbe_in_place_additions = value
        return {"in_place_additions": value}

    table: dict[tuple[str, str], ControlHandler] = {
        ("POST", "drop"): drop,
        ("POST", "down"): down,
        ("POST", "silence"): silence,
        ("POST", "skip_seq"): skip_seq,
        ("POST", "malformed"): malformed,
        ("POST", "auth_40111"): auth_40111,
        ("POST", "price"): price,
        ("POST", "rate"): rate,
        ("POST", "pause"): pause,
        ("POST", "resume"): resume,
        ("POST", "burst"): burst,
        ("POST", "record_sendtimes"): record,
        ("POST", "sbe_layout"): sbe_layout,
        ("GET", "sent"): sent,
        ("GET", "state"): state,
        ("GET", "sendtimes"): sendtimes,
    }
    return table
