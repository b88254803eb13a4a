"""``prefetched``: a listing read in a thread up to ``ahead`` pages before the caller, with
its errors raised where their page would have been, and no read after the caller stops."""

from __future__ import annotations

import threading

import pytest

from catalog.sync.plex.scan import prefetched
from integrations.values import Page

PAGES = 12


class Listing:
    def __init__(self, fail_at: int | None = None) -> None:
        self.asked: list[int] = []
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def __call__(self, start: int) -> Page[int]:
        with self.lock:
            self.asked.append(start)
        if start == self.fail_at:
            raise ConnectionError(f"page at {start}")
        last = start + 1 >= PAGES
        return Page((start,), None if last else str(start + 1), total=PAGES)


def _settled(listing: Listing, count: int) -> bool:
    """Wait (bounded) until the reader asked for ``count`` pages: it never asks for more."""
    for _ in range(3000):  # up to 30 s on a loaded machine; ends as soon as it holds
        if len(listing.asked) >= count:
            return True
        threading.Event().wait(0.01)
    return False


@pytest.mark.parametrize("ahead", [1, 3])
def test_it_reads_every_page_in_order_at_most_ahead_pages_before_the_caller(ahead):
    listing = Listing()
    pages = prefetched(listing, "test", ahead=ahead)
    assert next(pages).items == (0,)
    # one page taken, ``ahead`` read and waiting for the caller; no read beyond them
    assert _settled(listing, 1 + ahead)
    threading.Event().wait(0.1)
    assert listing.asked == list(range(1 + ahead))
    assert [p.items[0] for p in pages] == list(range(1, PAGES))
    assert listing.asked == list(range(PAGES))


def test_an_error_surfaces_after_the_pages_before_it():
    listing = Listing(fail_at=4)
    pages = prefetched(listing, "test", ahead=3)
    assert [next(pages).items[0] for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(ConnectionError, match="page at 4"):
        next(pages)


def test_a_caller_that_stops_stops_the_reading():
    listing = Listing()
    pages = prefetched(listing, "test", ahead=2)
    next(pages)
    assert _settled(listing, 3)  # the page taken and the two read ahead
    pages.close()  # waits for the reader's thread to end
    asked = list(listing.asked)
    threading.Event().wait(0.2)
    assert listing.asked == asked and len(asked) < PAGES
    assert not [t for t in threading.enumerate() if t.name.startswith("test")]
