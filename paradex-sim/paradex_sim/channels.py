"""Channel names the simulator serves, parsed exactly as paradex-py builds them (reference §3)."""

from __future__ import annotations

import re
from dataclasses import dataclass

PRIVATE_FIXED = frozenset(
    {"positions", "account", "balance_events", "tradebusts", "transaction", "transfers"}
)
PRIVATE_PER_MARKET = frozenset({"orders", "fills", "funding_payments"})
_BOOK = re.compile(
    r"^order_book\.(?P<market>[A-Z0-9-]+)\.(?P<feed>snapshot|deltas)(?:@15@(?P<rate>50ms|100ms))?$"
)
# The RPI-inclusive deltas stream (reference §0a.10), bare like the SBE deltas name: no parameters.
_INTERACTIVE_DELTAS = re.compile(r"^order_book\.(?P<market>[A-Z0-9-]+)\.interactive_deltas$")
# Cross-venue hourly funding rates: only `.ALL`, at 500ms or 1000ms (paradex-py's ws_client comment: the
# server's channel regex is anchored to `funding_rate_comparison.ALL@{500ms|1000ms}`).
FUNDING_COMPARISON = ("funding_rate_comparison.ALL@500ms", "funding_rate_comparison.ALL@1000ms")


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str  # bbo, trades, order_book, markets_summary, funding_data, or a private channel's prefix
    market: str | None  # None for ALL / account-wide channels
    private: bool
    # order_book only: "snapshot", "deltas" or "interactive_deltas", and whether the name carries
    # `@15@{rate}` parameters
    feed: str | None = None
    params: bool = False


def parse_channel(name: str, markets: frozenset[str]) -> Channel | None:
    """The channel a subscribe names, or None when the simulator has no such channel."""
    if name in ("markets_summary", "markets_summary.ALL"):
        return Channel(name, "markets_summary", None, False)
    if name == "funding_data":  # every market's funding_data (asyncapi lists the bare name too)
        return Channel(name, "funding_data", None, False)
    if name == "markets":  # listing changes (CREATED/SETTLED/DELETED/UPDATED): none while the sim runs
        return Channel(name, "markets", None, False)
    if name in FUNDING_COMPARISON:
        return Channel(name, "funding_rate_comparison", None, False)
    if name in PRIVATE_FIXED:
        return Channel(name, name, None, True)
    interactive = _INTERACTIVE_DELTAS.match(name)
    if interactive:
        market = interactive["market"]
        return Channel(name, "order_book", market, False, "interactive_deltas") if market in markets else None
    book = _BOOK.match(name)
    if book:
        market, feed, params = book["market"], book["feed"], book["rate"] is not None
        if market not in markets or not (params or feed == "deltas"):
            return None  # a bare snapshot name is not a channel
        return Channel(name, "order_book", market, False, feed, params)
    prefix, dot, rest = name.partition(".")
    if not dot:
        return None
    if prefix in ("bbo", "trades") and rest == "ALL":
        return Channel(name, prefix, None, False)
    if prefix in ("bbo", "trades", "markets_summary", "funding_data", "markets") and rest in markets:
        return Channel(name, prefix, rest, False)
    if prefix == "bbo" and rest.endswith(".interactive") and rest[: -len(".interactive")] in markets:
        # The RPI-inclusive touch; the simulator has no RPI orders, so it is the bbo itself.
        return Channel(name, "bbo", rest[: -len(".interactive")], False)
    if prefix in PRIVATE_PER_MARKET and (rest == "ALL" or rest in markets):
        return Channel(name, prefix, None if rest == "ALL" else rest, True)
    return None
