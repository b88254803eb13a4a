"""The end of a complete scan: unseen items go MISSING, long-missing ones DELETED.

Only a scan that listed the whole library without an error gets here (an upstream error
never becomes a deletion). DELETED additionally needs every scan of the library that started
within the retention window to have completed: a library whose scans kept failing keeps its
items MISSING, however long.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from catalog.cursors import cursor_set
from catalog.models import MediaItem, PlexLibrary, SyncRun
from catalog.sync.plex.scan import LIVE, Scan

State = MediaItem.State


def library_cursor_key(library_id: int) -> str:
    return f"plex:library:{library_id}"


def window_clean(scan: Scan, since: object) -> bool:
    """Did every other scan of this library that started since ``since`` complete?"""
    troubled = SyncRun.objects.filter(
        kind=SyncRun.Kind.PLEX, scope=f"library:{scan.library.pk}",
        started_at__gte=since, started_at__lte=scan.now,
    ).exclude(pk=scan.run.pk).exclude(status=SyncRun.Status.SUCCEEDED, summary__complete=True)
    return not troubled.exists()


def plex_finalize(scan: Scan, cursor: dict) -> None:
    """Promote states and stamp the library, in one transaction with its checkpoint."""
    library, now, outcome = scan.library, scan.now, scan.outcome
    cutoff = now - timedelta(days=library.retention_days)
    with transaction.atomic():
        outcome.missing_promoted = MediaItem.objects.filter(
            library_id=library.pk, state__in=LIVE, last_seen_at__lt=now,
        ).update(state=State.MISSING, missing_since=now)
        if window_clean(scan, cutoff):
            outcome.deleted_promoted = MediaItem.objects.filter(
                library_id=library.pk, state=State.MISSING, missing_since__lte=cutoff,
            ).update(state=State.DELETED)
        PlexLibrary.objects.filter(pk=library.pk).update(last_synced_at=now,
                                                         last_complete_scan_at=now)
        cursor_set(library_cursor_key(library.pk), cursor)
    library.last_synced_at = library.last_complete_scan_at = now
    outcome.last_synced_at = now.isoformat()
