"""TMDB's TV changes feed: which shows changed upstream since the last batch read it.

The feed takes whole UTC days and at most 14 of them per query; a longer gap cannot be
covered, and the TTL alone then brings the library up to date. Read at most once an hour:
the TTL is counted in days, so a second batch right after the first has nothing to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from integrations.tmdb import MAX_CHANGES_DAYS, TmdbClient

MIN_INTERVAL = timedelta(hours=1)
# The window starts an hour before the last read, so a clock a little off cannot open a gap.
OVERLAP = timedelta(hours=1)
MAX_PAGES = 500  # TMDB's own limit


@dataclass(frozen=True, slots=True)
class Feed:
    ids: frozenset[int]
    note: str
    read: bool  # the watermark advances to this batch's start

    def summary(self) -> dict[str, object]:
        return {"feed": self.note, "feed_ids": len(self.ids)}


def changes_read(client: TmdbClient, *, since: datetime | None, now: datetime) -> Feed:
    """Ids of shows TMDB lists as changed since ``since`` (the last read), or none with the
    reason it was not read. Without a previous read, the last day is read."""
    if since is not None and timedelta(0) <= now - since < MIN_INTERVAL:
        return Feed(frozenset(), "skipped: read less than an hour ago", read=False)
    start = (since - OVERLAP).date() if since is not None else now.date() - timedelta(days=1)
    end = now.date()
    if start > end:  # the last read is in our future: the clock went back
        start = end - timedelta(days=1)
    if (end - start).days > MAX_CHANGES_DAYS:
        return Feed(frozenset(), f"skipped: {(end - start).days} days since the last read "
                    f"(the feed covers {MAX_CHANGES_DAYS}); the TTL covers the gap", read=True)
    ids: set[int] = set()
    page, pages = 1, 0
    while page is not None and pages < MAX_PAGES:
        result = client.changes(start_date=start, end_date=end, page=page)
        ids.update(result.items)
        pages += 1
        page = int(result.cursor) if result.cursor else None
    return Feed(frozenset(ids), f"read {start}..{end} ({pages} pages)", read=True)
