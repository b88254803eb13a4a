"""Upstream pages taken together into the page an engine writes in one transaction.

A listing's pages are sized by the upstream (250 TVMaze shows, 200 Plex items), not by what a
commit costs us: each commit rewrites the index leaves its rows touched (SQLite's WAL) and is
a round trip and a flush request on PostgreSQL. Writing a few pages at a time cut a 100,000-show
mirror's CPU by a fifth on SQLite and its wall time by 40% on PostgreSQL. A slow upstream
still commits whatever it has every few seconds, so progress moves and a crash loses little.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from integrations.values import Page, Reject

T = TypeVar("T")

ROWS_PER_COMMIT = 1_000
SECONDS_PER_COMMIT = 5.0


def pages_joined(pages: Iterable[Page[T]], *, rows: int | None = None,
                 seconds: float | None = None) -> Iterator[tuple[int, Page[T]]]:
    """``(pages taken, one page of their items and rejects)``, each once the pages hold
    ``rows`` rows (``ROWS_PER_COMMIT``), ``seconds`` (``SECONDS_PER_COMMIT``) have passed
    since the first was read, or the listing ended. The joined page keeps the last page's
    cursor and total. An error reading a page surfaces after the pages before it."""
    rows = ROWS_PER_COMMIT if rows is None else rows
    seconds = SECONDS_PER_COMMIT if seconds is None else seconds
    items: list[T] = []
    rejects: list[Reject] = []
    taken, opened = 0, time.monotonic()
    last: Page[T] | None = None
    listing = iter(pages)
    while True:
        try:
            last = next(listing)
        except StopIteration:
            break
        except Exception:  # what was read is written before the upstream's error surfaces
            if taken and last is not None:
                yield taken, Page(tuple(items), last.cursor, last.total, tuple(rejects))
            raise
        items.extend(last.items)
        rejects.extend(last.rejects)
        taken += 1
        if len(items) + len(rejects) >= rows or time.monotonic() - opened >= seconds:
            yield taken, Page(tuple(items), last.cursor, last.total, tuple(rejects))
            items, rejects, taken, opened = [], [], 0, time.monotonic()
    if taken and last is not None:
        yield taken, Page(tuple(items), last.cursor, last.total, tuple(rejects))
