"""A due batch becomes a queued run: a refresh of a few keys, or a library's incremental scan.

Through ``sync_enqueue``, so the run machinery holds the scope (one refresh per library at a
time, one scan per library) and a worker executes it. A batch that cannot be submitted now
(a refresh while the library's scan is queued or running, or while the library's last refresh
still runs; the queue refused) is put back and tried again; a scan that a queued or later
started scan already covers is done. Libraries never scanned completely are left to their
first scan.
"""

from __future__ import annotations

import logging
from datetime import datetime

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue
from catalog.sync.plex.live.coalesce import ALL, Batch

log = logging.getLogger(__name__)
TRIGGER = "plex listener"


def _libraries(batch: Batch) -> list[PlexLibrary]:
    libraries = PlexLibrary.objects.filter(server_id=batch.server_id, enabled=True,
                                           server__enabled=True)
    if batch.section != ALL:
        libraries = libraries.filter(key=batch.section)
    return list(libraries.order_by("id"))


def _covered(run: SyncRun | None, wall: datetime) -> bool:
    """Does this active scan read the library after the change happened?"""
    if run is None or run.status == SyncRun.Status.QUEUED:
        return True
    return run.started_at is not None and run.started_at >= wall


def _active_scan(library: PlexLibrary) -> SyncRun | None:
    return SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}",
                                  status__in=SyncRun.ACTIVE).first()


def _enqueue(options: dict, triggered_by: str = TRIGGER) -> SyncRun | None:
    try:
        return sync_enqueue(kind=SyncRun.Kind.PLEX, options=options, triggered_by=triggered_by)
    except EnqueueFailed as exc:
        log.warning("%s: %s; trying again", triggered_by, exc)
        return None


def _scan(library: PlexLibrary, batch: Batch) -> bool:
    try:
        run = _enqueue({"library_id": library.pk})
    except RunInProgress as busy:
        return _covered(busy.run, batch.wall)
    if run is not None:
        log.info("plex listener: incremental scan of %s queued (run %s, %d events)",
                 library, run.pk, batch.events)
    return run is not None


def refresh_enqueue(library: PlexLibrary, keys: dict[str, list[str]], *,
                    triggered_by: str = TRIGGER) -> SyncRun | None:
    """Queue the refresh of these keys (``items``/``shows``/``seasons``: ratingKeys) of one
    library; None when it cannot go now and must be tried again: the library's scan is queued
    or running (an incremental scan may not see an unstamped upgrade: the refresh comes
    after it), its last refresh still runs, or the queue refused."""
    if _active_scan(library) is not None:
        return None
    try:
        run = _enqueue({"library_id": library.pk, "refresh": keys}, triggered_by)
    except RunInProgress:
        return None
    if run is not None:
        log.info("%s: refresh of %s queued (run %s: %s)", triggered_by, library, run.pk,
                 ", ".join(f"{len(v)} {k}" for k, v in keys.items()))
    return run


def _refresh(library: PlexLibrary, batch: Batch) -> bool:
    keys = {name: sorted(keys) for name, keys in
            (("items", batch.items), ("shows", batch.shows), ("seasons", batch.seasons)) if keys}
    return refresh_enqueue(library, keys) is not None


def batches_ours(batches: list[Batch]) -> list[Batch]:
    """Those of ``batches`` that name an enabled library of ours (one query for them all):
    entries for sections we do not hold, however many, cost nothing more."""
    if not batches:
        return []
    sections = set(PlexLibrary.objects.filter(
        server_id__in={b.server_id for b in batches}, enabled=True, server__enabled=True,
    ).values_list("server_id", "key"))
    servers = {server for server, _ in sections}
    return [b for b in batches if (b.server_id, b.section) in sections
            or (b.section == ALL and b.server_id in servers)]


def batch_submit(batch: Batch) -> bool:
    """Queue the batch's work; False when it must be tried again later."""
    done = True
    for library in _libraries(batch):
        if library.last_complete_scan_at is None:
            log.info("plex listener: %s has not been scanned completely yet; its first scan "
                     "will read what changed", library)
            continue
        if batch.scan or batch.section == ALL:
            done = _scan(library, batch) and done
        elif batch.size():
            done = _refresh(library, batch) and done
    return done
