"""Rolling verification: each incremental scan re-reads a slice of the flat episode listing.

Plex does not always stamp a replaced file (``updatedAt`` unchanged), so neither the
updated-since listing nor a show's digest sees such an upgrade; only reading the item's
Media/Part again does. Each scan reads the next slice of the flat listing and compares
digests, sized by the time since the last slice so that the whole library is re-read within
the library's ``verify_hours`` (24 by default; 0 turns it off), however often scans run.
The slice's position is a checkpoint written with each of its pages.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db import transaction

from catalog.db.commits import commit_without_waiting
from catalog.db.cursors import cursor_get, cursor_set
from catalog.sync.plex.finalize import verify_cursor_key
from catalog.sync.plex.flat import placed
from catalog.sync.plex.items import items_touch_rejected, items_write_page
from catalog.sync.plex.scan import Scan
from integrations.values import Page
from integrations.values.plex import PlexItem

PAGE = 1000  # rows per verification request
DEFAULT_GAP = 3600.0  # seconds assumed since the last slice when none is recorded


def verify_slice_size(*, total: int, hours: int, elapsed: float) -> int:
    """Rows to re-read now: the share of the window that passed since the last slice."""
    if hours <= 0 or total <= 0:
        return 0
    share = min(1.0, max(0.0, elapsed) / (hours * 3600))
    return min(total, max(1, math.ceil(total * share)))


def _elapsed(scan: Scan, state: dict) -> float:
    try:
        at = datetime.fromisoformat(state["at"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_GAP
    return (scan.now - at).total_seconds()


def verify_tv(scan: Scan) -> None:
    """Re-read this scan's slice of the episode listing; write what changed."""
    key = verify_cursor_key(scan.library.pk)
    state = cursor_get(key)
    size = verify_slice_size(total=scan.total or 0, hours=scan.library.verify_hours,
                             elapsed=_elapsed(scan, state))
    start = int(state.get("offset", 0) or 0)
    if not size:
        return
    if start >= (scan.total or 0):
        start = 0
    wrapped = False
    while size > 0:
        page = scan.client.items(scan.key, kind="episode", start=start, size=min(PAGE, size))
        got = len(page.items) + len(page.rejects)
        size -= got
        if page.cursor is None:
            start = 0
            if wrapped or got == 0:
                _write(scan, page, key, start)
                return
            wrapped = True
        else:
            start = int(page.cursor)
        _write(scan, page, key, start)


def _write(scan: Scan, page: Page[PlexItem], key: str, following: int) -> None:
    """One transaction: the slice page's changed items, the slice's position, the progress."""
    items, show_ids = placed(scan, page.items)
    with transaction.atomic():
        commit_without_waiting()
        written = items_write_page(scan, items, show_ids)
        items_touch_rejected(scan, page.rejects)
        cursor_set(key, {"offset": following, "at": scan.now.isoformat()})
        scan.report(listing="verify", changed=written.changed,
                    detail={"verified": len(items), "changed": written.changed})
    outcome = scan.outcome
    outcome.verified += len(items)
    outcome.verify_changed += written.changed
    outcome.created += written.created
    outcome.updated += written.updated
