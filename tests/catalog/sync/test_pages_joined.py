"""``pages_joined``: listing pages taken together into the page an engine commits at once."""

from __future__ import annotations

import pytest

from catalog.sync import pages as pages_module
from catalog.sync.pages import pages_joined
from integrations.values import Page, Reject


def _pages(sizes: list[int], *, rejects_at: int = -1) -> list[Page[int]]:
    out, n = [], 0
    for index, size in enumerate(sizes):
        items = tuple(range(n, n + size))
        n += size
        rejects = (Reject(ref=f"#{index}", reason="bad"),) if index == rejects_at else ()
        out.append(Page(items, str(index + 1) if index + 1 < len(sizes) else None,
                        total=1000 + index, rejects=rejects))
    return out


def test_it_joins_pages_until_they_hold_the_rows_and_keeps_the_last_cursor_and_total():
    joined = list(pages_joined(_pages([200, 200, 200, 200, 150]), rows=450, seconds=60))
    assert [taken for taken, _ in joined] == [3, 2]
    assert [len(page.items) for _, page in joined] == [600, 350]
    assert [page.items for _, page in joined] == [tuple(range(600)), tuple(range(600, 950))]
    assert [(page.cursor, page.total) for _, page in joined] == [("3", 1002), (None, 1004)]


def test_a_reject_counts_as_a_row_and_travels_with_its_batch():
    joined = list(pages_joined(_pages([2, 2, 2], rejects_at=1), rows=5, seconds=60))
    assert [taken for taken, _ in joined] == [2, 1]
    assert [r.ref for r in joined[0][1].rejects] == ["#1"] and joined[1][1].rejects == ()


def test_a_slow_listing_is_committed_every_seconds():
    assert [taken for taken, _ in pages_joined(_pages([1, 1, 1]), rows=100, seconds=0)] == [
        1, 1, 1]


def test_an_error_reading_a_page_surfaces_after_the_pages_read_before_it():
    def listing():
        yield from _pages([10, 10])
        raise ConnectionError("page 3")

    joined = pages_joined(listing(), rows=100, seconds=60)
    taken, page = next(joined)
    assert (taken, len(page.items)) == (2, 20)
    with pytest.raises(ConnectionError, match="page 3"):
        next(joined)


def test_an_error_on_the_first_page_yields_nothing_first():
    def listing():
        raise ConnectionError("page 1")
        yield  # pragma: no cover

    with pytest.raises(ConnectionError):
        next(pages_joined(listing()))


def test_an_empty_listing_yields_nothing_and_defaults_are_read_when_called(monkeypatch):
    assert list(pages_joined(iter([]))) == []
    monkeypatch.setattr(pages_module, "ROWS_PER_COMMIT", 1)
    assert [t for t, _ in pages_joined(_pages([1, 1]))] == [1, 1]
