"""The channels the sidecar can subscribe to, and the exact Paradex channel names they map to.

Routing of incoming frames is a dict lookup on the exact channel string (never a prefix scan), so every
name a frame can carry for a subscription is computed here once, when the subscription is made: the name
we subscribed (JSON frames echo it byte for byte) and the bare name SBE frames carry
(``order_book.BTC-USD-PERP`` for ``order_book.BTC-USD-PERP.deltas@15@100ms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ChannelKind(str, Enum):
    """A channel as the protocol names it (``--channels``, the ``subscribe`` command)."""

    BBO = "bbo"
    TRADES = "trades"
    BOOK = "book"
    SUMMARY = "summary"
    FUNDING = "funding"
    # Private (need an authenticated connection; normalizers are registered by the trading module).
    ORDERS = "orders"
    FILLS = "fills"
    POSITIONS = "positions"
    ACCOUNT = "account"
    TRADEBUSTS = "tradebusts"  # fills retracted by the chain; subscribed along with fills

    @property
    def private(self) -> bool:
        return self in _PRIVATE

    @property
    def per_market(self) -> bool:
        """False for channels that exist once per account (``positions``, ``account``)."""
        return self not in (ChannelKind.POSITIONS, ChannelKind.ACCOUNT, ChannelKind.TRADEBUSTS)


_PRIVATE = frozenset(
    {
        ChannelKind.ORDERS,
        ChannelKind.FILLS,
        ChannelKind.POSITIONS,
        ChannelKind.ACCOUNT,
        ChannelKind.TRADEBUSTS,
    }
)

PUBLIC_KINDS: tuple[ChannelKind, ...] = tuple(k for k in ChannelKind if not k.private)
PRIVATE_KINDS: tuple[ChannelKind, ...] = tuple(k for k in ChannelKind if k.private)

# Paradex's name prefix per kind (reference §3).
_PREFIX: dict[ChannelKind, str] = {
    ChannelKind.BBO: "bbo",
    ChannelKind.TRADES: "trades",
    ChannelKind.BOOK: "order_book",
    ChannelKind.SUMMARY: "markets_summary",
    ChannelKind.FUNDING: "funding_data",
    ChannelKind.ORDERS: "orders",
    ChannelKind.FILLS: "fills",
    ChannelKind.POSITIONS: "positions",
    ChannelKind.ACCOUNT: "account",
    ChannelKind.TRADEBUSTS: "tradebusts",
}

BOOK_FEEDS = ("snapshot", "deltas")
BOOK_REFRESH = "100ms"  # Paradex accepts 50ms or 100ms; 100ms is the SDK's default.
BOOK_DEPTH = 15  # the only depth Paradex serves


def parse_kind(name: str) -> ChannelKind:
    """``"bbo"`` → ``ChannelKind.BBO``; raises ``ValueError`` naming the valid kinds."""
    try:
        return ChannelKind(name)
    except ValueError:
        valid = ", ".join(k.value for k in ChannelKind)
        raise ValueError(f"unknown channel {name!r}; valid channels: {valid}") from None


@dataclass(frozen=True)
class ChannelSpec:
    """One subscription: which kind, for which market (None for account-wide channels), and its names."""

    kind: ChannelKind
    market: str | None
    name: str  # exact Paradex channel name we subscribe with
    sbe_name: str  # the bare name SBE frames carry for it

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity in the protocol: (kind, market)."""
        return (self.kind.value, self.market)


def channel_spec(
    kind: ChannelKind, market: str | None, book_feed: str = "snapshot", sbe: bool = False
) -> ChannelSpec:
    """Build the exact names for ``kind``/``market``.

    Private per-market channels default to ``.ALL`` (one subscription for every market), which is what the
    account stream needs; ``positions`` and ``account`` take no market at all. On an SBE session the deltas
    book is the bare ``order_book.{m}.deltas``: production refuses the documented ``@15@{rate}`` suffix
    there ("no parameters expected for deltas topic.", reference §0a.1) and streams the whole book.
    """
    prefix = _PREFIX[kind]
    if not kind.per_market:
        return ChannelSpec(kind, None, prefix, prefix)
    if market is None:
        if not kind.private:
            raise ValueError(f"channel {kind.value!r} needs a market")
        market = "ALL"
    if kind is ChannelKind.BOOK:
        if book_feed not in BOOK_FEEDS:
            raise ValueError(f"book feed must be one of {BOOK_FEEDS}, not {book_feed!r}")
        if sbe and book_feed == "deltas":
            name = f"{prefix}.{market}.deltas"
        else:
            name = f"{prefix}.{market}.{book_feed}@{BOOK_DEPTH}@{BOOK_REFRESH}"
        return ChannelSpec(kind, market, name, f"{prefix}.{market}")
    name = f"{prefix}.{market}"
    return ChannelSpec(kind, market, name, name)


def sbe_aliases(spec: ChannelSpec, markets: list[str]) -> list[str]:
    """Every SBE channel name that must route to ``spec``.

    SBE frames for an ``orders.ALL`` subscription carry per-market names (``orders.BTC-USD-PERP``), so an
    ``.ALL`` subscription is reachable under one name per known market; the table is rebuilt when market
    metadata arrives.
    """
    names = {spec.sbe_name}
    if spec.market == "ALL":
        prefix = _PREFIX[spec.kind]
        names.update(f"{prefix}.{m}" for m in markets)
    return sorted(names)
