"""The end of a complete scan: unseen items go MISSING, long-missing ones DELETED.

Only a scan that listed the whole library without an error gets here (an upstream error
never becomes a deletion). Shows the scan could not account for (an unreadable row, counts
that never agreed) keep their items exactly as they were, and are expanded again next time.
DELETED additionally needs every scan of the library that started
within the retention window to have completed: a library whose scans kept failing keeps its
items MISSING, however long. An operator may also mark missing items deleted, or purge the
deleted, by hand (``items_mark_deleted``, ``items_purge_deleted``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from catalog.db.cursors import cursor_set
from catalog.db.iterables import batched
from catalog.models import MediaItem, PlexLibrary, PlexShow, SyncRun
from catalog.sync.plex.scan import CHUNK, LIVE, Scan

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
    """Promote states and stamp the library, in one transaction with its checkpoint and the
    run's progress (a run that is no longer ours commits none of it)."""
    library, now, outcome = scan.library, scan.now, scan.outcome
    cutoff = now - timedelta(days=library.retention_days)
    with transaction.atomic():
        partial = _partial_ids(scan)
        unseen = MediaItem.objects.filter(library_id=library.pk, state__in=LIVE,
                                          last_seen_at__lt=now)
        outcome.missing_promoted = unseen.exclude(plex_show_id__in=partial).update(
            state=State.MISSING, missing_since=now)
        if window_clean(scan, cutoff):
            outcome.deleted_promoted = MediaItem.objects.filter(
                library_id=library.pk, state=State.MISSING, missing_since__lte=cutoff,
            ).exclude(plex_show_id__in=partial).update(state=State.DELETED)
        PlexShow.objects.filter(pk__in=partial).update(children_hydrated=False)
        PlexLibrary.objects.filter(
            Q(last_complete_scan_at__isnull=True) | Q(last_complete_scan_at__lte=now),
            pk=library.pk,
        ).update(last_synced_at=now, last_complete_scan_at=now)
        cursor_set(library_cursor_key(library.pk), cursor)
        if outcome.mode == "flat":  # a flat read verified every item
            cursor_set(verify_cursor_key(library.pk), {"offset": 0, "at": now.isoformat()})
        scan.report(listing="finalize", event="finalize",
                    detail={"missing": outcome.missing_promoted,
                            "deleted": outcome.deleted_promoted})
    library.last_synced_at = library.last_complete_scan_at = now
    outcome.last_synced_at = now.isoformat()


def _partial_ids(scan: Scan) -> list[int]:
    keys = list(scan.outcome.partial)
    ids: list[int] = []
    for chunk in batched(keys, CHUNK):
        ids.extend(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                   .order_by().values_list("id", flat=True))
    return ids


def verify_cursor_key(library_id: int) -> str:
    return f"plex:library:{library_id}:verify"


def items_mark_deleted(items: QuerySet[MediaItem]) -> int:
    """Missing items become deleted now, without waiting for the retention."""
    return items.filter(state=State.MISSING).update(state=State.DELETED)


def items_purge_deleted(items: QuerySet[MediaItem]) -> int:
    """Remove deleted items from the database for good; returns how many."""
    return items.filter(state=State.DELETED).delete()[0]
