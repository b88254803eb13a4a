"""A series' files changed in Sonarr (an import, an upgrade, a rename, a deleted file): bring
Plex's view of that show into the catalog without waiting for the hourly scan.

There is no per-show refresh through the scan writer yet, so the libraries that hold the
show get their incremental scan (cheap: Plex answers only what changed since the last one,
and it goes through the same writer as every scan); when no library holds the show yet,
every enabled TV library is scanned, since the new file may be its first. Each scan is a run
of its own (one per library at a time, as always). A library whose scan is already running
may have read past the new file: it is tried again after the same delay, a few times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress
from catalog.runs.delayed import task_later
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue

MAX_ATTEMPTS = 3
TRIGGER = "sonarr webhook"


@dataclass(slots=True)
class Scans:
    queued: list[int] = field(default_factory=list)  # library ids now scanning
    waiting: list[int] = field(default_factory=list)  # a scan was queued already: it will see
    busy: list[int] = field(default_factory=list)  # a scan was running: tried again later


def libraries_for_series(tvdb_id: int) -> list[int]:
    """Enabled TV libraries holding the show with this TVDB id; all of them when none does."""
    live = PlexLibrary.objects.filter(enabled=True, server__enabled=True,
                                      type=PlexLibrary.Type.SHOW)
    holding = list(live.filter(shows__show__tvdb_id=tvdb_id).distinct()
                   .order_by("pk").values_list("pk", flat=True))
    return holding or list(live.order_by("pk").values_list("pk", flat=True))


def series_libraries_scan(*, tvdb_id: int, library_ids: Sequence[int] | None = None,
                          attempt: int = 1) -> Scans:
    """Queue the incremental scan of each library (``libraries_for_series`` unless given)."""
    ids = list(library_ids) if library_ids is not None else libraries_for_series(tvdb_id)
    live = set(PlexLibrary.objects.filter(pk__in=ids, enabled=True, server__enabled=True)
               .values_list("pk", flat=True))
    scans = Scans()
    for library_id in (i for i in ids if i in live):
        try:
            sync_enqueue(kind=SyncRun.Kind.PLEX, options={"library_id": library_id},
                         triggered_by=TRIGGER)
            scans.queued.append(library_id)
        except RunInProgress as exc:
            started = exc.run.status != SyncRun.Status.QUEUED
            (scans.busy if started else scans.waiting).append(library_id)
        except EnqueueFailed:
            scans.busy.append(library_id)
    if scans.busy and attempt < MAX_ATTEMPTS:
        task_later("catalog.tasks.sonarr_files_changed_task",
                   name=f"sonarr files tvdb:{tvdb_id} again {attempt}",
                   delay=max(settings.SONARR_WEBHOOK_REFRESH_DELAY, 1),
                   kwargs={"tvdb_id": tvdb_id, "library_ids": scans.busy,
                           "attempt": attempt + 1})
    return scans
