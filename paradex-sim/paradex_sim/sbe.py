"""SBE encoder for Paradex binary frames, compiled at import from the schema XML shipped inside paradex-py.

The block layout (field order, primitive widths, sinceVersion gating, groups, var-data order) is read
from `paradex_py/api/sbe/paradex_1_0.xml`, never restated here, so the sim encodes exactly what the
SDK's generated decoder (`paradex_py.api.sbe.decode_frame`) was generated from.
"""

from __future__ import annotations

import importlib.util
import struct
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_ID = 1
SUPPORTED_VERSIONS = (0, 1, 2)
INT64_NULL = -9223372036854775808

_SBE_NS = "{http://fixprotocol.io/2016/sbe}"
_PRIMITIVES = {
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
}
_HEADER = struct.Struct("<HHHH")
_GROUP_HEADER = struct.Struct("<HH")


@dataclass(frozen=True)
class _Field:
    name: str
    fmt: str  # struct code of the on-wire representation
    since: int
    null: Any  # value written for None
    optional: bool  # None allowed (presence="optional", or an enum with NON_REPRESENTABLE)
    enum: Mapping[str, int] | None  # symbolic names accepted for enums
    choices: Mapping[str, int] | None  # bit positions for sets


@dataclass(frozen=True)
class _Group:
    name: str
    fields: tuple[_Field, ...]
    entry: struct.Struct


@dataclass(frozen=True)
class _Message:
    name: str
    template_id: int
    fields: tuple[_Field, ...]
    groups: tuple[_Group, ...]
    var_data: tuple[tuple[str, int], ...]  # (name, sinceVersion)


class SbeEncodeError(ValueError):
    """A value does not fit the schema (unknown enum name, string longer than 255 bytes, ...)."""


class SbeSchema:
    """The compiled schema: one encoder per message, per negotiated version."""

    def __init__(self, xml_text: str) -> None:
        root = ET.fromstring(xml_text)
        self.schema_id = int(root.attrib["id"])
        self.version = int(root.attrib["version"])
        types = root.find("types")
        if types is None:
            raise SbeEncodeError("schema has no <types>")
        self._types = self._read_types(types)
        self.messages: dict[str, _Message] = {}
        for node in root.iter(f"{_SBE_NS}message"):
            msg = self._read_message(node)
            self.messages[msg.name] = msg
        self._structs: dict[tuple[str, int, frozenset[str]], tuple[struct.Struct, tuple[_Field, ...]]] = {}

    # ── schema reading ──────────────────────────────────────────────────
    def _read_types(self, types: ET.Element) -> dict[str, tuple[str, Any, Any, Any, bool]]:
        """Type name → (struct code, null value, enum map, set map, optional)."""
        out: dict[str, tuple[str, Any, Any, Any, bool]] = {}
        for node in types:
            name = node.attrib.get("name", "")
            if node.tag == "type":
                code = _PRIMITIVES[node.attrib["primitiveType"]]
                length = int(node.attrib.get("length", "1"))
                if length > 1:
                    out[name] = (f"{length}s", b"\x00" * length, None, None, False)
                else:
                    out[name] = (code, INT64_NULL if code == "q" else 0, None, None, False)
            elif node.tag == "composite":
                # Numeric composites carry an int64 mantissa and a constant (off-wire) exponent.
                wire = [t for t in node if t.attrib.get("presence") != "constant"]
                if len(wire) == 1 and wire[0].attrib["primitiveType"] == "int64":
                    optional = wire[0].attrib.get("presence") == "optional"
                    out[name] = ("q", int(wire[0].attrib.get("nullValue", INT64_NULL)), None, None, optional)
            elif node.tag == "enum":
                code = _PRIMITIVES[node.attrib["encodingType"]]
                values = {v.attrib["name"]: int((v.text or "").strip()) for v in node}
                null = values.get("NON_REPRESENTABLE", 0)
                out[name] = (code, null, values, None, "NON_REPRESENTABLE" in values)
            elif node.tag == "set":
                code = _PRIMITIVES[node.attrib["encodingType"]]
                bits = {c.attrib["name"]: int((c.text or "").strip()) for c in node}
                out[name] = (code, 0, None, bits, True)
        return out

    def _field(self, node: ET.Element) -> _Field:
        type_name = node.attrib["type"]
        if type_name in self._types:
            code, null, enum, choices, optional = self._types[type_name]
        else:
            code = _PRIMITIVES[type_name]
            null, enum, choices, optional = (INT64_NULL if code == "q" else 0), None, None, False
        if node.attrib.get("presence") == "optional":
            null, optional = (INT64_NULL if code == "q" else 0), True
        since = int(node.attrib.get("sinceVersion", "0"))
        return _Field(node.attrib["name"], code, since, null, optional, enum, choices)

    def _read_message(self, node: ET.Element) -> _Message:
        fields: list[_Field] = []
        groups: list[_Group] = []
        var_data: list[tuple[str, int]] = []
        for child in node:
            if child.tag == "field":
                fields.append(self._field(child))
            elif child.tag == "group":
                gfields = tuple(self._field(f) for f in child if f.tag == "field")
                entry = struct.Struct("<" + "".join(f.fmt for f in gfields))
                groups.append(_Group(child.attrib["name"], gfields, entry))
            elif child.tag == "data":
                var_data.append((child.attrib["name"], int(child.attrib.get("sinceVersion", "0"))))
        return _Message(
            node.attrib["name"], int(node.attrib["id"]), tuple(fields), tuple(groups), tuple(var_data)
        )

    # ── encoding ────────────────────────────────────────────────────────
    def _block(
        self, msg: _Message, version: int, omit: frozenset[str] = frozenset()
    ) -> tuple[struct.Struct, tuple[_Field, ...]]:
        key = (msg.name, version, omit)
        cached = self._structs.get(key)
        if cached is None:
            present = tuple(f for f in msg.fields if f.since <= version and f.name not in omit)
            cached = (struct.Struct("<" + "".join(f.fmt for f in present)), present)
            self._structs[key] = cached
        return cached

    @staticmethod
    def _value(field: _Field, value: Any) -> Any:
        if value is None:
            if not field.optional:
                raise SbeEncodeError(f"{field.name} is required")
            return field.null
        if field.enum is not None and isinstance(value, str):
            try:
                return field.enum[value]
            except KeyError:
                raise SbeEncodeError(f"{field.name}: {value!r} is not a valid enum name") from None
        if field.choices is not None and not isinstance(value, int):
            bits = 0
            for flag in value:
                if flag not in field.choices:
                    raise SbeEncodeError(f"{field.name}: unknown flag {flag!r}")
                bits |= 1 << field.choices[flag]
            return bits
        if field.fmt.endswith("s") and isinstance(value, str):
            raw = int(value, 16) if value else 0
            return raw.to_bytes(32, "big")
        return value

    def encode(
        self,
        message: str,
        values: Mapping[str, Any],
        *,
        version: int = 2,
        groups: Mapping[str, Sequence[Sequence[int]]] | None = None,
        var: Mapping[str, str] | None = None,
        omit: frozenset[str] = frozenset(),
    ) -> bytes:
        """Encode one message. `values` is keyed by schema field name (camelCase); missing → null.

        `omit` names fields and var-data left out of the frame: schema 1:2 gained some fields *in place*
        (see `IN_PLACE_1_2`), so a 1:2 frame comes in two layouts, with and without them.
        """
        if version not in SUPPORTED_VERSIONS:
            raise SbeEncodeError(f"schema version {version} is not served")
        msg = self.messages[message]
        block, present = self._block(msg, version, omit)
        parts = [
            _HEADER.pack(block.size, msg.template_id, self.schema_id, version),
            block.pack(*(self._value(f, values.get(f.name)) for f in present)),
        ]
        for group in msg.groups:
            rows = (groups or {}).get(group.name, ())
            parts.append(_GROUP_HEADER.pack(group.entry.size, len(rows)))
            parts.extend(group.entry.pack(*row) for row in rows)
        for name, since in msg.var_data:
            if since > version or name in omit:
                continue  # var data appended after the client's version is cut, as the XML says
            raw = (var or {}).get(name, "").encode()
            if len(raw) > 255:
                raise SbeEncodeError(f"{name}: {len(raw)} bytes exceeds varString8")
            parts.append(bytes((len(raw),)) + raw)
        return b"".join(parts)


class FixedPacker:
    """Hot-path encoder of one message at one version: raw block values in schema order, then the
    var-data strings in schema order; no enum names, no nulls, no groups (for BBO at 50k frames/s)."""

    def __init__(self, schema: SbeSchema, message: str, version: int) -> None:
        msg = schema.messages[message]
        if msg.groups:
            raise SbeEncodeError(f"{message} has repeating groups: use SbeSchema.encode")
        block, present = schema._block(msg, version)
        self._header = _HEADER.pack(block.size, msg.template_id, schema.schema_id, version)
        self._pack = block.pack
        self.fields = tuple(f.name for f in present)
        self.var_names = tuple(name for name, since in msg.var_data if since <= version)

    def __call__(self, *values: Any) -> bytes:
        n = len(self.fields)
        parts = [self._header, self._pack(*values[:n])]
        for text in values[n:]:
            raw = text.encode()
            parts.append(bytes((len(raw),)) + raw)
        return b"".join(parts)


def _load_schema() -> SbeSchema:
    # find_spec locates the installed paradex-py without running its __init__, which pulls in
    # starknet-py and costs over a second: the standalone sim must start fast.
    spec = importlib.util.find_spec("paradex_py")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("paradex-py is not installed: the SBE schema ships inside it")
    xml_path = Path(next(iter(spec.submodule_search_locations))) / "api" / "sbe" / "paradex_1_0.xml"
    return SbeSchema(xml_path.read_text(encoding="utf-8"))


SCHEMA = _load_schema()

# Fields schema 1:2 added in place rather than opening a 1:3 (the schema XML's version notes): a 1:2 frame
# exists with and without them, and the header cannot tell the two apart (reference §0a.4).
IN_PLACE_1_2 = frozenset(
    {"tradeIdStr", "requestStatus", "requestType", "requestId", "requestMessage", "lastSeenNotification"}
)


def _signed64(value: int) -> int:
    """Low 64 bits reinterpreted as signed: what the deprecated int64 TradeEvent.tradeId carries."""
    low = value & 0xFFFF_FFFF_FFFF_FFFF
    return low - (1 << 64) if low >= 1 << 63 else low


_BBO_PACKERS = {v: FixedPacker(SCHEMA, "BboEvent", v) for v in SUPPORTED_VERSIONS}


def encode_bbo(
    market: str,
    seq_no: int,
    ts_us: int,
    bid: int | None,
    bid_size: int | None,
    ask: int | None,
    ask_size: int | None,
    version: int = 2,
) -> bytes:
    """BboEvent (template 2); prices and sizes are e8 integers, None for an empty side."""
    if bid is None or bid_size is None or ask is None or ask_size is None:
        values = {"ts": ts_us, "seq": seq_no, "bidPrice": bid, "bidSize": bid_size, "askPrice": ask}
        return SCHEMA.encode(
            "BboEvent", {**values, "askSize": ask_size}, version=version, var={"market": market}
        )
    return _BBO_PACKERS[version](ts_us, seq_no, bid, bid_size, ask, ask_size, market)


def encode_trade(
    market: str,
    seq_no: int,
    ts_us: int,
    trade_id: str,
    side: str,
    price: int,
    size: int,
    created_at_us: int,
    trade_type: str = "FILL",
    version: int = 2,
    omit: frozenset[str] = frozenset(),
) -> bytes:
    """TradeEvent (template 1); `trade_id` is the 28-digit string id (JSON `id`); `omit` = IN_PLACE_1_2
    gives the 1:2 layout without `tradeIdStr`."""
    return SCHEMA.encode(
        "TradeEvent",
        {
            "ts": ts_us,
            "seq": seq_no,
            "tradeId": _signed64(int(trade_id)),
            "side": side,
            "price": price,
            "size": size,
            "createdAt": created_at_us,
            "tradeType": trade_type,
        },
        version=version,
        var={"market": market, "tradeIdStr": trade_id},
        omit=omit,
    )


def encode_book(
    market: str,
    seq_no: int,
    ts_us: int,
    snapshot: bool,
    bids: Sequence[tuple[int, int]],
    asks: Sequence[tuple[int, int]],
    version: int = 2,
) -> bytes:
    """BookEvent (template 3) for the non-interactive feeds: best-price fields null, size 0 = delete."""
    return SCHEMA.encode(
        "BookEvent",
        {"ts": ts_us, "seq": seq_no, "pkgType": "SNAPSHOT" if snapshot else "DELTA"},
        version=version,
        groups={"bids": bids, "asks": asks},
        var={"market": market},
    )


def encode_market_summary(
    market: str, seq_no: int, ts_us: int, fields: Mapping[str, Any], version: int = 2
) -> bytes:
    """MarketSummaryEvent (template 4); `fields` keyed by schema field name, e8/e12 integers."""
    return SCHEMA.encode(
        "MarketSummaryEvent", {"ts": ts_us, "seq": seq_no, **fields}, version=version, var={"market": market}
    )


def encode_funding_data(
    market: str, seq_no: int, ts_us: int, fields: Mapping[str, Any], version: int = 2
) -> bytes:
    """FundingDataEvent (template 5); `fields` keyed by schema field name."""
    return SCHEMA.encode(
        "FundingDataEvent", {"ts": ts_us, "seq": seq_no, **fields}, version=version, var={"market": market}
    )


def encode_funding_rate_comparison(
    market: str, ts_us: int, last_updated_us: int, hourly_rate_e12: int, version: int = 2
) -> bytes:
    """FundingRateComparisonEvent (template 6): the hourly rate at 12 decimals (Rate12), Paradex's own row."""
    return SCHEMA.encode(
        "FundingRateComparisonEvent",
        {
            "ts": ts_us,
            "lastUpdatedAt": last_updated_us,
            "hourlyFundingRate": hourly_rate_e12,
            # The schema's enum names (JSON spells them ASSET_KIND_…, SOURCE_…).
            "assetKind": "PERPETUAL_FUTURE",
            "source": "PARADEX",
        },
        version=version,
        var={"market": market},
    )


def encode_heartbeat(seq_no: int, ts_us: int, version: int = 2) -> bytes:
    """HeartbeatEvent (template 40): the SDK discards it; it proves the binary path is alive."""
    return SCHEMA.encode("HeartbeatEvent", {"ts": ts_us, "seq": seq_no}, version=version)
