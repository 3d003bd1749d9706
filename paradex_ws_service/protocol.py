"""The one definition of what the sidecar writes on stdout and reads on stdin (protocol version 1).

Every line on stdout is one JSON object with a ``type`` tag and a per-process ``seq`` (1, 2, 3…) that the
single writer assigns, so a consumer can prove that nothing was lost. Decimal values are exact strings in
canonical form (no exponent, no trailing zeros): JSON numbers would lose precision in JavaScript.

The shapes here are checked against ``protocol_examples/*.jsonl``; the TypeScript bridge checks its zod
schemas (``packages/paradex/src/schema.ts``) against the same files, so a field renamed on one side fails
a test on the other. ``docs/PROTOCOL.md`` is the prose version. Change all three together, and bump
``PROTOCOL_VERSION`` (the major) for any change that an older consumer would misread; bump
``PROTOCOL_MINOR`` for an added optional field or a new event type (consumers pass those through).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypedDict, cast

from typing_extensions import NotRequired

PROTOCOL_VERSION = 1
# Minor 1: hello carries ``protocol_minor``; consumers pass unknown fields and event types through.
PROTOCOL_MINOR = 1

Side = Literal["BUY", "SELL"]
PositionSide = Literal["LONG", "SHORT", "FLAT"]
StatusState = Literal[
    "connecting",
    "connected",
    "subscribed",
    "reconnecting",
    "disconnected",
    "stale",
    "live",
    "gap",
    "closed",
]
Level = list[str]  # [price, size], both canonical decimal strings


# --------------------------------------------------------------------------------------------------
# Decimal canonical form
# --------------------------------------------------------------------------------------------------


def canonical_decimal(value: str) -> str:
    """Render a decimal string canonically: ``"65000.50000000"`` → ``"65000.5"``, ``"1E+2"`` → ``"100"``.

    JSON and SBE frames render the same number differently (SBE always has 8 or 12 fractional digits), and
    the protocol promises identical events for both, so every decimal passes through here. The common case
    (plain digits) is a strip and one regex match because this runs on the hot path for every price; the
    rest (exponents, leading zeros, "-0", ".5") goes through ``Decimal``. Raises ``ValueError`` on garbage.
    """
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    if _PLAIN_DECIMAL.fullmatch(value):
        return value
    return _canonical_slow(value)


_PLAIN_DECIMAL = re.compile(r"(?!-0\Z)-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


def _canonical_slow(value: str) -> str:
    try:
        d = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


def optional_decimal(value: Any) -> str | None:
    """Canonical decimal, or ``None`` for the absent values venues send as ``""``/``null``."""
    if value is None or value == "":
        return None
    return canonical_decimal(str(value))


# --------------------------------------------------------------------------------------------------
# Events (stdout). Field order here is the order on the wire: type and seq first.
# --------------------------------------------------------------------------------------------------


class Hello(TypedDict):
    """First line of every run: what this process is and what it will stream."""

    type: Literal["hello"]
    seq: int
    protocol: int
    protocol_minor: int
    version: str
    pid: int
    env: str
    markets: list[str]
    channels: list[str]
    sbe: bool


class Status(TypedDict):
    """A connection or data-flow state change; ``channel``/``market`` narrow it when they apply."""

    type: Literal["status"]
    seq: int
    state: StatusState
    ts: int  # wall clock, ms
    channel: NotRequired[str]
    market: NotRequired[str]
    reason: NotRequired[str]
    attempt: NotRequired[int]
    delay_ms: NotRequired[int]


class Bbo(TypedDict):
    """Best bid and offer. ``source`` is ``"rest"`` only when served by a REST fallback."""

    type: Literal["bbo"]
    seq: int
    market: str
    bid: str | None
    bid_size: str | None
    ask: str | None
    ask_size: str | None
    exchange_ts: int  # ms
    exchange_seq: int | None
    recv_us: int  # wall clock when the frame arrived, µs
    source: NotRequired[Literal["ws", "rest"]]


class Trade(TypedDict):
    """A public trade; ``side`` is the taker's side."""

    type: Literal["trade"]
    seq: int
    market: str
    trade_id: str
    side: Side
    price: str
    size: str
    trade_type: str
    exchange_ts: int
    recv_us: int


class Book(TypedDict):
    """Full top-N book after applying any deltas; levels best first."""

    type: Literal["book"]
    seq: int
    market: str
    bids: list[Level]
    asks: list[Level]
    exchange_seq: int | None
    exchange_ts: int
    recv_us: int


class Summary(TypedDict):
    """Market summary (Paradex ``markets_summary``)."""

    type: Literal["summary"]
    seq: int
    market: str
    mark_price: str | None
    last_price: str | None
    bid: str | None
    ask: str | None
    underlying_price: str | None
    volume_24h: str | None
    open_interest: str | None
    funding_rate: str | None
    price_change_rate_24h: str | None
    exchange_ts: int
    recv_us: int


class Funding(TypedDict):
    """Funding data (Paradex ``funding_data``); ``funding_rate`` is for the market's own period."""

    type: Literal["funding"]
    seq: int
    market: str
    funding_rate: str | None
    funding_rate_8h: str | None
    funding_index: str | None
    funding_premium: str | None
    funding_period_hours: float | None
    exchange_ts: int
    recv_us: int


class Order(TypedDict):
    """An order update of the authenticated account."""

    type: Literal["order"]
    seq: int
    order_id: str
    client_id: str | None
    market: str
    side: Side
    order_type: str
    status: str  # NEW | OPEN | CLOSED (| UNTRIGGERED)
    price: str | None  # None for market orders
    size: str
    remaining_size: str
    avg_fill_price: str | None
    cancel_reason: str | None
    exchange_ts: int
    # The venue's seq_no of this update (WebSocket numbering; "increasing, not consecutive"), as a decimal
    # string: Paradex's are 19 digits, beyond JavaScript's safe integers. Absent on venues without one.
    seq_no: NotRequired[str | None]
    # True when read over REST by the catch-up after a reconnect (the stream was down when it changed).
    recovered: NotRequired[bool]


class Fill(TypedDict):
    """A fill of one of the account's orders."""

    type: Literal["fill"]
    seq: int
    fill_id: str
    order_id: str
    client_id: str | None
    market: str
    side: Side
    liquidity: Literal["MAKER", "TAKER"]
    price: str
    size: str
    fee: str
    fee_currency: str
    exchange_ts: int
    # True when read over REST by the catch-up after a reconnect, not streamed (deduplicated by fill_id).
    recovered: NotRequired[bool]


class Position(TypedDict):
    """A position; ``size`` is signed (negative = short)."""

    type: Literal["position"]
    seq: int
    market: str
    side: PositionSide
    size: str
    average_entry_price: str | None
    unrealized_pnl: str | None
    liquidation_price: str | None
    exchange_ts: int
    seq_no: NotRequired[str | None]  # the venue's seq_no, as on ``order``


class FillBust(TypedDict):
    """A fill the venue retracted (Paradex ``tradebusts``): undo what the ``fill`` with ``fill_id`` did."""

    type: Literal["fill_bust"]
    seq: int
    fill_id: str
    order_id: str | None  # from the fill, when this process saw it
    market: str | None
    exchange_ts: int


class Account(TypedDict):
    """Account margin summary."""

    type: Literal["account"]
    seq: int
    account_value: str
    free_collateral: str
    total_collateral: str
    initial_margin_requirement: str
    maintenance_margin_requirement: str
    status: str
    exchange_ts: int
    seq_no: NotRequired[str | None]  # the venue's seq_no, as on ``order``


class Stats(TypedDict):
    """Periodic self-report. Counts are since the previous ``stats`` line; lag is receive → write."""

    type: Literal["stats"]
    seq: int
    interval_s: float
    events: dict[str, int]
    coalesced: int
    reconnects: int
    bad_frames: int
    queue_depth: int
    lag_p50_us: int | None
    lag_p99_us: int | None


class ErrorBody(TypedDict):
    code: str
    message: str


class Error(TypedDict):
    """Something went wrong that is not the answer to a command (bad frame, bad stdin line without id…)."""

    type: Literal["error"]
    seq: int
    code: str
    message: str
    id: NotRequired[str | int | None]


class Result(TypedDict):
    """Exactly one per stdin command ``id``: ``ok`` with ``data``, or not ``ok`` with ``error``."""

    type: Literal["result"]
    seq: int
    id: str | int | None
    ok: bool
    data: NotRequired[dict[str, Any]]
    error: NotRequired[ErrorBody]


MarketEvent = Bbo | Trade | Book | Summary | Funding
AccountEvent = Order | Fill | FillBust | Position | Account
Event = Hello | Status | MarketEvent | AccountEvent | Stats | Error | Result


# --------------------------------------------------------------------------------------------------
# Constructors: events are built as the TypedDicts above (mypy checks every field), then handed to the
# writer as the plain mutable dict they are at run time (it stamps seq and coalesces in place).
# --------------------------------------------------------------------------------------------------

CommandId = str | int | None


def wire(event: Event) -> dict[str, Any]:
    """The writer's view of a typed event: the same object, no copy (a TypedDict is a dict at run time)."""
    return cast("dict[str, Any]", event)


def error_event(code: str, message: str, id: CommandId = None) -> dict[str, Any]:
    event: Error = {"type": "error", "seq": 0, "code": code, "message": message, "id": id}
    return wire(event)


def result_ok(id: CommandId, data: dict[str, Any]) -> dict[str, Any]:
    event: Result = {"type": "result", "seq": 0, "id": id, "ok": True, "data": data}
    return wire(event)


def result_error(id: CommandId, code: str, message: str) -> dict[str, Any]:
    event: Result = {
        "type": "result",
        "seq": 0,
        "id": id,
        "ok": False,
        "error": {"code": code, "message": message},
    }
    return wire(event)


def status_closed(ts: int, reason: str) -> dict[str, Any]:
    event: Status = {"type": "status", "seq": 0, "state": "closed", "ts": ts, "reason": reason}
    return wire(event)


EVENT_TYPES: dict[str, type] = {
    "hello": Hello,
    "status": Status,
    "bbo": Bbo,
    "trade": Trade,
    "book": Book,
    "summary": Summary,
    "funding": Funding,
    "order": Order,
    "fill": Fill,
    "fill_bust": FillBust,
    "position": Position,
    "account": Account,
    "stats": Stats,
    "error": Error,
    "result": Result,
}

# Events a slow consumer may lose older copies of (latest per market wins); everything else is never dropped.
COALESCIBLE: frozenset[str] = frozenset({"bbo", "book"})


# --------------------------------------------------------------------------------------------------
# Commands (stdin): {"id": ..., "op": ..., ...}
# --------------------------------------------------------------------------------------------------

# op → the parameters it takes besides ``id`` and ``op``; any other key is refused (BAD_PARAMS), as the
# TypeScript schema (packages/paradex/src/schema.ts) refuses it.
COMMAND_PARAMS: dict[str, frozenset[str]] = {
    "ping": frozenset(),
    "subscribe": frozenset({"channel", "market"}),
    "unsubscribe": frozenset({"channel", "market"}),
    "stats": frozenset(),
    "shutdown": frozenset(),
    "markets": frozenset(),
    # trading (needs credentials, or the simulator's paper key)
    "place": frozenset({"market", "side", "type", "size", "price", "tif", "reduce_only", "client_id"}),
    "cancel": frozenset({"order_id", "client_id", "market"}),
    "cancel_all": frozenset({"market"}),
    "snapshot": frozenset({"fills_since"}),
    # one order by client id, open or closed: the definite outcome of a place lost with a dead sidecar
    "order": frozenset({"client_id", "market"}),
    # toolkit
    "balance": frozenset(),
    "klines": frozenset({"market", "resolution", "limit", "start_at", "end_at"}),
    "set_leverage": frozenset({"market", "leverage"}),
}
COMMAND_OPS: frozenset[str] = frozenset(COMMAND_PARAMS)

# Stable error codes: consumers switch on these, people read the message.
ERR_BAD_JSON = "BAD_JSON"
ERR_NOT_OBJECT = "NOT_AN_OBJECT"
ERR_MISSING_ID = "MISSING_ID"
ERR_MISSING_OP = "MISSING_OP"
ERR_UNKNOWN_OP = "UNKNOWN_OP"
ERR_BAD_PARAMS = "BAD_PARAMS"
ERR_DUPLICATE_ID = "DUPLICATE_ID"  # a command id already used for a command with other parameters
ERR_LINE_TOO_LONG = "LINE_TOO_LONG"
ERR_INTERNAL = "INTERNAL"
ERR_BAD_FRAME = "BAD_FRAME"
ERR_NOT_CONNECTED = "NOT_CONNECTED"
ERR_CREDENTIALS = "CREDENTIALS"
ERR_TIMEOUT = "TIMEOUT"
ERR_SUBSCRIBE_FAILED = "SUBSCRIBE_FAILED"  # Paradex refused a subscription (unknown market, …)

# Trading refusals (``result ok:false`` of ``place``/``cancel``/…): stable, one per reason.
ERR_UNKNOWN_MARKET = "UNKNOWN_MARKET"  # market not in GET /markets
ERR_DECIMAL_NOT_STRING = "DECIMAL_NOT_STRING"  # size/price given as a JSON number
ERR_BAD_DECIMAL = "BAD_DECIMAL"  # not a positive plain decimal string
ERR_BAD_SIDE = "BAD_SIDE"
ERR_BAD_ORDER_TYPE = "BAD_ORDER_TYPE"
ERR_BAD_TIF = "BAD_TIF"
ERR_PRICE_NOT_ALLOWED = "PRICE_NOT_ALLOWED"  # price on a MARKET order
ERR_SIZE_INCREMENT = "SIZE_INCREMENT"  # size not a multiple of order_size_increment
ERR_PRICE_TICK = "PRICE_TICK"  # price not a multiple of price_tick_size
ERR_MIN_NOTIONAL = "MIN_NOTIONAL"
ERR_MAX_ORDER_SIZE = "MAX_ORDER_SIZE"
ERR_MAX_NOTIONAL = "MAX_NOTIONAL"  # PARADEX_MAX_ORDER_NOTIONAL
ERR_NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"  # MARKET order before any price is known
ERR_BAD_CLIENT_ID = "BAD_CLIENT_ID"
ERR_CLIENT_ID_REUSED = "CLIENT_ID_REUSED"  # same client_id, different order
ERR_REJECTED = "REJECTED"  # Paradex refused it; the message starts with Paradex's code
ERR_OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"  # no acknowledgement and not found by client_id
ERR_RATE_LIMITED = "RATE_LIMITED"  # HTTP 429 / JSON-RPC 42901: refused, not resent; orders back off
ERR_NOT_FOUND = "NOT_FOUND"  # cancel of an order Paradex does not know (or already closed)
ERR_UNSUPPORTED = "UNSUPPORTED"

# Process exit codes (docs/PROTOCOL.md, `paradex-ws --help`).
EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug: report it with the stderr log
EXIT_USAGE = 2  # bad command line or configuration
EXIT_CREDENTIALS = 3  # credentials missing or refused while private channels or trading were asked for
EXIT_UNREACHABLE = 4  # trading asked for, but Paradex REST could not be reached at start
