"""A production capture of the bare SBE deltas channel replayed through the real sidecar (reference §0a.2).

Fixture: `fixtures/paradex_replay/btc-order-book-deltas-sbe-2026-10-08.jsonl` (its first line names the
source: FueledByChai/fueledbychai-rs, a capture of Paradex production). It opens with a whole-book snapshot
(115 bids, 60 asks), then deltas at consecutive `seq_no`, most of them without levels, one removing the best
bid and one the best ask. The sidecar's book must be the capture's book after every frame that changed it,
top 15, with no gap reported and no event for a frame that changed nothing.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import sidecar_args
from paradex_py.api.sbe import decode_frame

from paradex_ws_service.protocol import canonical_decimal

CAPTURE = Path(__file__).parent / "fixtures" / "paradex_replay" / "btc-order-book-deltas-sbe-2026-10-08.jsonl"
SLOW = 30.0


def _books_after_each_change() -> list[tuple[int, list[list[str]], list[list[str]]]]:
    """The capture's book (top 15 per side) after each frame that carried levels: the test's oracle."""
    bids: dict[Decimal, str] = {}
    asks: dict[Decimal, str] = {}
    out = []
    for line in CAPTURE.read_bytes().splitlines():
        frame = orjson.loads(line)
        if frame.get("opcode") != "binary":
            continue
        _, m = decode_frame(base64.b64decode(frame["b64"]))
        if m.pkg_type == "SNAPSHOT":
            bids.clear()
            asks.clear()
        elif not m.bids and not m.asks:
            continue
        for side, levels in ((bids, m.bids), (asks, m.asks)):
            for price, size in levels:
                if Decimal(size) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = canonical_decimal(size)
        top_bids = [[canonical_decimal(str(p)), bids[p]] for p in sorted(bids, reverse=True)[:15]]
        top_asks = [[canonical_decimal(str(p)), asks[p]] for p in sorted(asks)[:15]]
        out.append((m.seq_no, top_bids, top_asks))
    return out


@pytest.mark.timeout(180)  # two processes' cold starts on a busy 2-core machine
def test_a_captured_whole_book_deltas_session_builds_the_same_book(
    start_sim: Any, start_sidecar: Any
) -> None:
    expected = _books_after_each_change()
    assert len(expected) == 8  # the snapshot and the seven deltas that carry levels
    sim = start_sim("--replay", str(CAPTURE), "--fast")
    sc = start_sidecar(*sidecar_args(sim, "--channels", "book", "--book-feed", "deltas"))
    got = [sc.expect_type("book", timeout=SLOW) for _ in expected]
    assert [(e["exchange_seq"], e["bids"], e["asks"]) for e in got] == expected
    assert not [e for e in sc.events if e.get("type") == "status" and e.get("state") == "gap"]
    assert all(Decimal(e["bids"][0][0]) < Decimal(e["asks"][0][0]) for e in got)
