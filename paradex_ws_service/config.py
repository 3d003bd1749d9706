"""The frozen configuration of one run, built by ``cli.py`` from flags, environment and ``.env.paradex``.

It holds no secret: credentials are read by the trading module straight from the environment, so a
``repr(config)`` in a log can never leak a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ENVS = ("prod", "testnet", "nightly", "sim")
DEFAULT_MARKETS = ("BTC-USD-PERP",)
DEFAULT_CHANNELS = ("bbo",)
DEFAULT_STALE_AFTER_S = 10.0
DEFAULT_STATS_INTERVAL_S = 5.0
DEFAULT_ORDER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class TradingConfig:
    """The trading flags (see trading.add_arguments)."""

    dry_run: bool = False
    max_order_notional: Decimal | None = None  # refuse orders above this notional (USD); None: no cap
    cancel_on_disconnect: bool = False
    order_timeout: float = DEFAULT_ORDER_TIMEOUT_S  # seconds to wait for an order's acknowledgement
    pooled_nonces: bool = False  # --signing pooled (see paradex/signing.py NoncePool)


@dataclass(frozen=True)
class Config:
    env: str
    markets: tuple[str, ...]
    channels: tuple[str, ...]
    ws_url: str | None  # None: paradex-py's default for env (or the embedded simulator's)
    rest_url: str | None
    sbe: bool
    book_feed: str
    stale_after: float
    stats_interval: float
    log_level: str
    sim_seed: int = 1
    commands: bool = True  # --no-commands: stdin is never read; the feed runs until a signal
    record: str | None = None  # --record FILE: every raw frame received, for paradex-sim --replay
    trading: TradingConfig = field(default_factory=TradingConfig)

    @property
    def embedded_sim(self) -> bool:
        """``--env sim`` without an explicit URL: start the simulator in this process."""
        return self.env == "sim" and self.ws_url is None

    def default_rest_url(self) -> str | None:
        """``--rest-url``, else the environment's. For a standalone simulator given only by
        ``--ws-url ws://host:port/ws/v1``, its REST API lives on the same port at ``/v1``."""
        if self.rest_url is not None:
            return self.rest_url
        if self.env in ("prod", "testnet", "nightly"):
            return f"https://api.{self.env}.paradex.trade/v1"
        if self.env == "sim" and self.ws_url and self.ws_url.startswith("ws://"):
            base = self.ws_url.split("?", 1)[0]
            if base.endswith("/ws/v1"):
                return "http://" + base[len("ws://") : -len("/ws/v1")] + "/v1"
        return None
