"""Where an incremental scan starts its updated-since listing, and what the next one keeps.

Everything here is Plex's clock: the newest ``updatedAt`` its sorted probe reported, the
stamps of the rows read, and its ``Date`` header when the scan began (``plex_clock``). Our
own clock is never compared with any of them; it only measures how long ago the last
complete scan was.

``updatedAt>>=`` is strictly later, and Plex may commit a write a little after stamping it,
so the listing used to start a margin below the watermark. That margin can only matter when
the watermark was within it of Plex's clock when it was read: any later edit is stamped at
or after that clock. A library whose items share one old stamp (a bulk import, a migrated
database, a library-wide refresh) therefore costs its listing requests, not a re-listing of
every item it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.sync.plex.scan import Scan
from integrations.values.plex import PlexItem

# Plex's `updatedAt>>=` is strictly later; ask from a little before the watermark so that an
# edit stamped in the same second (or committed a little after its stamp) is not lost.
SINCE_MARGIN = timedelta(seconds=60)
SORT_IGNORED = ("Plex answered the newest-episode probe with an older row: it (or a proxy in "
                "front of it) ignores `sort`; the watermark is taken from the rows read")


def _stamp(seconds: Any) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(seconds), tz=UTC)


def clock_set_back(scan: Scan) -> bool:
    """Did Plex's clock go back since the last complete scan? Judged by its own clock when
    both scans read it; otherwise by its newest stamp falling below the watermark (which a
    deletion of the newest rows, or a probe that ignored ``sort``, also causes: asking
    from lower then only costs rows)."""
    before, now = _stamp(scan.cursor.get("clock")), scan.plex_clock
    if before is not None and now is not None:
        return now < before
    watermark = _stamp(scan.cursor.get("watermark"))
    newest = scan.plex_newest
    return watermark is not None and newest is not None and newest < watermark


def margin_matters(scan: Scan) -> bool:
    """Was the watermark within the margin of Plex's clock when the last scan read it?"""
    clock, watermark = _stamp(scan.cursor.get("clock")), _stamp(scan.cursor.get("watermark"))
    return clock is None or watermark is None or clock - watermark <= SINCE_MARGIN


def watermark_since(scan: Scan) -> datetime:
    """Where the updated-since listing starts: the stored watermark, less the margin where
    it can matter.

    When Plex's clock was set back (after running ahead), every later edit may be stamped
    below the watermark: start from where its clock stands now (or its newest stamp, without
    a clock) less the time since the last complete scan (a duration on our own clock),
    which reaches back to where Plex's clock stood at that scan.
    """
    watermark = datetime.fromtimestamp(int(scan.cursor["watermark"]), tz=UTC)
    if not clock_set_back(scan):
        return watermark - SINCE_MARGIN if margin_matters(scan) else watermark
    base = scan.plex_clock or scan.plex_newest or watermark
    return base - _since_last_complete_scan(scan) - SINCE_MARGIN


def _since_last_complete_scan(scan: Scan) -> timedelta:
    last = scan.cursor.get("complete_scan_at")
    try:
        elapsed = scan.now - datetime.fromisoformat(last) if last else None
    except (TypeError, ValueError):
        elapsed = None
    if elapsed is None and scan.library.last_complete_scan_at is not None:
        elapsed = scan.now - scan.library.last_complete_scan_at
    return max(elapsed or timedelta(0), timedelta(0))


def note_read(scan: Scan, items: Iterable[PlexItem]) -> None:
    """Remember the newest stamp among rows read that Plex held before the scan began
    (stamped before the second its clock showed): the probe should have reported it."""
    clock = scan.plex_clock
    if clock is None:
        return
    newest = max((i.updated_at for i in items if i.updated_at is not None
                  and i.updated_at < clock), default=None)
    if newest is not None and (scan.read_newest is None or newest > scan.read_newest):
        scan.read_newest = newest


def sort_ignored(scan: Scan) -> bool:
    """Did the probe miss a row Plex already held (so it was not sorted), now or, while
    its answers still fall below the watermark, at an earlier scan that said so?"""
    newest, read = scan.plex_newest, scan.read_newest
    if read is not None and (newest is None or read > newest):
        return True
    watermark = _stamp(scan.cursor.get("watermark"))
    return bool(scan.cursor.get("sort_ignored")) and newest is not None \
        and watermark is not None and newest < watermark and not clock_set_back(scan)


def next_cursor(scan: Scan) -> dict[str, object]:
    """The watermark (epoch seconds, Plex's clock), Plex's clock at this scan's start, and
    whether its probe ignores ``sort``, for the next incremental scan.

    The watermark is the newest stamp known when this scan began: the probe's, or a newer
    one read. A lower one replaces the stored one only when Plex's clock was set back (a
    watermark it stamped while running ahead would hide every edit from then on) or, without
    a clock, when its newest rows are gone; either way asking from lower is safe. With a
    clock that did not go back, the stored one stays: every later edit is stamped after it.
    """
    stamps = [s for s in (scan.plex_newest, scan.read_newest) if s is not None]
    stored = _stamp(scan.cursor.get("watermark"))
    if stored is not None and scan.plex_clock is not None and not clock_set_back(scan):
        stamps.append(stored)
    known = int(max(stamps).timestamp()) if stamps else None
    watermark = known if known is not None else int(scan.cursor.get("watermark") or 0)
    out: dict[str, object] = {"watermark": watermark, "sort_ignored": sort_ignored(scan)}
    if scan.plex_clock is not None:
        out["clock"] = int(scan.plex_clock.timestamp())
    return out
