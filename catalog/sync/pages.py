"""Upstream pages grouped into the transaction an engine commits at once.

A listing's pages are sized by the upstream (250 TVMaze shows, 200 Plex items), not by what a
commit costs us: each commit is a round trip and a flush request on PostgreSQL and rewrites
the index leaves its rows touched in SQLite's WAL. Each page is still written on its own, in
order, inside the group's transaction, so the rows (and who holds an id two shows claim) are
those of a commit per page wherever a group ends (a crash, an upstream error, a slow
upstream). A slow upstream still commits what it has every few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from integrations.values import Page

T = TypeVar("T")

ROWS_PER_COMMIT = 1_000
SECONDS_PER_COMMIT = 5.0


def pages_per_group(page_size: int) -> int:
    """How many pages of ``page_size`` rows a full group takes (how far a reader reads ahead,
    and where a test holds a listing past the first group)."""
    return -(-ROWS_PER_COMMIT // page_size)


def pages_grouped(pages: Iterable[Page[T]], *, rows: int | None = None,
                  seconds: float | None = None) -> Iterator[list[Page[T]]]:
    """Consecutive pages, a group once they hold ``rows`` rows (``ROWS_PER_COMMIT``), once
    ``seconds`` (``SECONDS_PER_COMMIT``) have passed since its first was read, or at the
    listing's end. An error reading a page surfaces after the group of the pages before it.
    Closes ``pages`` (a generator reading ahead in a thread) when it ends or is closed."""
    rows = ROWS_PER_COMMIT if rows is None else rows
    seconds = SECONDS_PER_COMMIT if seconds is None else seconds
    group: list[Page[T]] = []
    held, opened = 0, time.monotonic()
    listing = iter(pages)
    try:
        while True:
            try:
                page = next(listing)
            except StopIteration:
                break
            except Exception:  # what was read is written before the upstream's error
                if group:
                    yield group
                raise
            group.append(page)
            held += len(page.items) + len(page.rejects)
            if held >= rows or time.monotonic() - opened >= seconds:
                yield group
                group, held, opened = [], 0, time.monotonic()
        if group:
            yield group
    finally:
        close = getattr(listing, "close", None)
        if close is not None:
            close()
