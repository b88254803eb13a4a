"""``pages_grouped``: listing pages grouped into the transaction an engine commits at once."""

from __future__ import annotations

import pytest

from catalog.sync import pages as pages_module
from catalog.sync.pages import pages_grouped
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


def _sizes(groups) -> list[list[int]]:
    return [[len(page.items) for page in group] for group in groups]


def test_it_groups_pages_until_they_hold_the_rows_keeping_each_page_as_it_came():
    listing = _pages([200, 200, 200, 200, 150])
    groups = list(pages_grouped(listing, rows=450, seconds=60))
    assert _sizes(groups) == [[200, 200, 200], [200, 150]]
    assert [page for group in groups for page in group] == listing


def test_a_reject_counts_as_a_row():
    groups = list(pages_grouped(_pages([2, 2, 2], rejects_at=1), rows=5, seconds=60))
    assert _sizes(groups) == [[2, 2], [2]]


def test_a_slow_listing_is_committed_every_seconds():
    assert _sizes(pages_grouped(_pages([1, 1, 1]), rows=100, seconds=0)) == [[1], [1], [1]]


def test_an_error_reading_a_page_surfaces_after_the_pages_read_before_it():
    def listing():
        yield from _pages([10, 10])
        raise ConnectionError("page 3")

    groups = pages_grouped(listing(), rows=100, seconds=60)
    assert _sizes([next(groups)]) == [[10, 10]]
    with pytest.raises(ConnectionError, match="page 3"):
        next(groups)


def test_an_error_on_the_first_page_yields_nothing_first():
    def listing():
        raise ConnectionError("page 1")
        yield  # pragma: no cover

    with pytest.raises(ConnectionError):
        next(pages_grouped(listing()))


def test_it_closes_its_listing_when_it_is_closed_or_ends():
    closed = []

    def listing():
        try:
            yield from _pages([1, 1, 1])
        finally:
            closed.append(True)

    groups = pages_grouped(listing(), rows=1, seconds=60)
    next(groups)
    groups.close()
    assert closed == [True]


def test_an_empty_listing_yields_nothing_and_defaults_are_read_when_called(monkeypatch):
    assert list(pages_grouped(iter([]))) == []
    monkeypatch.setattr(pages_module, "ROWS_PER_COMMIT", 1)
    assert _sizes(pages_grouped(_pages([1, 1]))) == [[1], [1]]
