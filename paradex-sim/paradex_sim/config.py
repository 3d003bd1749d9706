"""The simulator's configuration and its validation: same seed + same config → same payload values."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .markets import MARKETS

DEFAULT_EXTENSIONS = ("paradex_sim.trading",)


@dataclass
class SimConfig:
    """Everything that shapes a simulator run. Same seed + same config → same payload values."""

    seed: int = 1
    host: str = "127.0.0.1"
    port: int = 0
    markets: tuple[str, ...] = tuple(MARKETS)
    bbo_rate: float = 4.0  # bbo frames per second per market
    trade_rate: float = 1.0  # average public trades per second per market
    summary_interval: float = 1.0
    funding_interval: float = 5.0
    price_path: str | None = None  # JSON lines {"t": s, "BTC": "65000.5", ...}
    ping_interval: float = 55.0  # protocol pings, like production
    pong_timeout: float = 5.0
    sbe_heartbeat_interval: float | None = 20.0  # SBE HeartbeatEvent on binary connections
    # Schema 1:2 was extended in place (tradeIdStr, request_info fields, lastSeenNotification): production
    # may send 1:2 frames with or without them (reference §0a.4). False = the layout without them.
    sbe_in_place_additions: bool = True
    max_queue: int = 2000  # Paradex drops a client that leaves this many messages unread
    sent_history: int = 1000  # payloads kept per channel for GET /_sim/sent
    record_sendtimes: bool = False  # bench mode: wall-clock send time of every bbo frame
    chain_id: str = "PRIVATE_SN_POTC_SEPOLIA"
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS  # modules whose install(server) runs at start


def validate(config: SimConfig) -> None:
    """Refuse a configuration that cannot run, with a message naming the field."""
    _check_loopback(config.host)
    checks = {
        "port must be in [0, 65535]": 0 <= config.port <= 65535,
        "bbo_rate must be in (0, 1e6]": 0 < config.bbo_rate <= 1_000_000,
        "trade_rate must be in [0, 1e6]": 0 <= config.trade_rate <= 1_000_000,
        "summary_interval must be >= 0.01 s": config.summary_interval >= 0.01,
        "funding_interval must be >= 0.01 s": config.funding_interval >= 0.01,
        "ping_interval and pong_timeout must be > 0": config.ping_interval > 0 and config.pong_timeout > 0,
        "max_queue must be > 0": config.max_queue > 0,
        "sent_history must be >= 0": config.sent_history >= 0,
        "markets must not be empty": bool(config.markets),
    }
    failed = [message for message, ok in checks.items() if not ok]
    if failed:
        raise ValueError("; ".join(failed))


def _check_loopback(host: str) -> None:
    """The simulator listens on loopback only: nothing off this machine may ever reach it."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the simulator binds loopback addresses only, not {host!r}")
