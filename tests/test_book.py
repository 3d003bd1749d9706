"""book.py: snapshots replace, deltas patch, a seq_no gap or a crossed book invalidates until a snapshot."""

from __future__ import annotations

import pytest

from paradex_ws_service.paradex.book import CrossedBook, OrderBook, SequenceGap
from paradex_ws_service.paradex.normalize import BookUpdate


def upd(
    seq: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]], snapshot: bool = False
) -> BookUpdate:
    return BookUpdate("BTC-USD-PERP", snapshot, seq, 1000 + seq, 5000 + seq, bids, asks)


def snap(seq: int = 10) -> BookUpdate:
    return upd(
        seq, [("99", "1"), ("98", "2"), ("9.5", "3")], [("100", "1"), ("101", "2"), ("1000", "3")], True
    )


def test_snapshot_renders_best_first_in_numeric_order() -> None:
    book = OrderBook("BTC-USD-PERP")
    assert book.apply(snap(), check_seq=True)
    event = book.render()
    assert event["bids"] == [["99", "1"], ["98", "2"], ["9.5", "3"]]  # "9.5" sorts below "98" numerically
    assert event["asks"] == [["100", "1"], ["101", "2"], ["1000", "3"]]
    assert (event["exchange_seq"], event["exchange_ts"], event["recv_us"]) == (10, 1010, 5010)
    assert event["type"] == "book" and list(event)[:2] == ["type", "seq"]


def test_deltas_insert_update_and_delete() -> None:
    book = OrderBook("BTC-USD-PERP")
    book.apply(snap(), check_seq=True)
    assert book.apply(upd(11, [("99", "0"), ("98", "5"), ("98.5", "1")], [("100.5", "4")]), check_seq=True)
    event = book.render()
    assert event["bids"] == [["98.5", "1"], ["98", "5"], ["9.5", "3"]]
    assert event["asks"][:2] == [["100", "1"], ["100.5", "4"]]
    assert event["exchange_seq"] == 11


def test_a_gap_raises_invalidates_and_ignores_deltas_until_a_snapshot() -> None:
    book = OrderBook("BTC-USD-PERP")
    book.apply(snap(10), check_seq=True)
    with pytest.raises(SequenceGap) as info:
        book.apply(upd(12, [("98", "9")], []), check_seq=True)
    assert "seq_no 12 after 10" in str(info.value)
    assert not book.valid
    assert book.apply(upd(13, [("98", "9")], []), check_seq=True) is False  # ignored, nothing to render
    assert book.apply(snap(20), check_seq=True)
    assert book.render()["bids"][0] == ["99", "1"]


def test_snapshot_feed_does_not_check_seq() -> None:
    book = OrderBook("BTC-USD-PERP")
    book.apply(snap(10), check_seq=False)
    assert book.apply(snap(15), check_seq=False)


def test_a_crossed_book_is_never_rendered_as_fresh() -> None:
    book = OrderBook("BTC-USD-PERP")
    book.apply(snap(), check_seq=True)
    with pytest.raises(CrossedBook):
        book.apply(upd(11, [("100", "1")], []), check_seq=True)
    assert not book.valid
    assert book.apply(upd(12, [], []), check_seq=True) is False


def test_depth_caps_rendered_levels() -> None:
    book = OrderBook("BTC-USD-PERP", depth=2)
    book.apply(snap(), check_seq=True)
    event = book.render()
    assert len(event["bids"]) == 2 and len(event["asks"]) == 2


def test_deltas_before_the_first_snapshot_are_ignored() -> None:
    book = OrderBook("BTC-USD-PERP")
    assert book.apply(upd(5, [("1", "1")], []), check_seq=True) is False
    assert not book.valid


def test_a_delta_without_levels_advances_seq_and_renders_nothing() -> None:
    """Paradex's SBE deltas channel sends a frame per book sequence, many with no level (reference §0a.2)."""
    book = OrderBook("BTC-USD-PERP")
    book.apply(snap(10), check_seq=True)
    assert book.apply(upd(11, [], []), check_seq=True) is False
    assert book.valid and book.seq_no == 11
    assert book.apply(upd(12, [("98", "7")], []), check_seq=True)  # 12 follows 11: no gap
    with pytest.raises(SequenceGap):
        book.apply(upd(14, [], []), check_seq=True)  # an empty frame can reveal a gap too


def test_a_whole_book_renders_its_top_levels_only() -> None:
    book = OrderBook("BTC-USD-PERP", depth=15)
    bids = [(str(1000 - i), "1") for i in range(115)]
    asks = [(f"{1001 + i}.5", "2") for i in range(60)]
    book.apply(upd(1, bids, asks, snapshot=True), check_seq=True)
    event = book.render()
    assert event["bids"] == [[str(1000 - i), "1"] for i in range(15)]
    assert event["asks"][0] == ["1001.5", "2"] and len(event["asks"]) == 15
    book.apply(upd(2, [("1000", "0"), ("999.5", "3")], []), check_seq=True)
    assert book.render()["bids"][:2] == [["999.5", "3"], ["999", "1"]]
