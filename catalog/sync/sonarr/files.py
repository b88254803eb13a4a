"""A series' files changed in Sonarr (an import, an upgrade, a rename, a deleted file): bring
Plex's view of that show into the catalog without waiting for the hourly scan.

Each Plex library that holds the show gets the Plex listener's refresh of that one show
(``refresh`` run options, ``plex.live.submit.refresh_enqueue``): its row and its
``allLeaves``, two requests, through the same writer as every scan, one refresh per library
at a time. When no library holds the show yet, the new file may be its first: every enabled
TV library gets its incremental scan instead (Plex answers only what changed since the last
one). A library that cannot take the work now (its scan or its last refresh still running,
the queue refusing) is tried again after the same delay, a few times; beyond that the
scheduled scan is the net. A retry still waiting takes in the libraries a later import of
the series finds busy (their sets are merged), so none is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from catalog.models import PlexLibrary, PlexShow, SyncRun
from catalog.runs import RunInProgress
from catalog.runs.delayed import task_later
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue
from catalog.sync.plex.live.submit import refresh_enqueue

MAX_ATTEMPTS = 3
TRIGGER = "sonarr webhook"


@dataclass(slots=True)
class Work:
    refreshed: list[int] = field(default_factory=list)  # library ids refreshing the show
    queued: list[int] = field(default_factory=list)  # library ids now scanning
    waiting: list[int] = field(default_factory=list)  # a scan was queued already: it will see
    busy: list[int] = field(default_factory=list)  # could not go now: tried again later


def _tv_libraries() -> QuerySet[PlexLibrary]:
    return PlexLibrary.objects.filter(enabled=True, server__enabled=True,
                                      type=PlexLibrary.Type.SHOW)


def shows_holding(tvdb_id: int, library_ids: Sequence[int] | None = None
                  ) -> dict[int, list[str]]:
    """Library id -> the ratingKeys of the show with this TVDB id there, in enabled TV
    libraries of enabled servers (only ``library_ids`` when given)."""
    rows = PlexShow.objects.filter(show__tvdb_id=tvdb_id, library__in=_tv_libraries())
    if library_ids is not None:
        rows = rows.filter(library_id__in=list(library_ids))
    holding: dict[int, list[str]] = {}
    for library_id, key in rows.order_by("library_id", "rating_key").values_list(
            "library_id", "rating_key"):
        holding.setdefault(library_id, []).append(key)
    return holding


def series_files_changed(*, tvdb_id: int, library_ids: Sequence[int] | None = None,
                         attempt: int = 1) -> Work:
    """Refresh the show in each library holding it, or scan every TV library when none does
    (only ``library_ids``, on a retry); what could not go now is tried again later."""
    holding = shows_holding(tvdb_id, library_ids)
    if library_ids is not None:
        targets = list(library_ids)
    else:
        targets = sorted(holding) or list(_tv_libraries().order_by("pk")
                                          .values_list("pk", flat=True))
    live = {lib.pk: lib for lib in _tv_libraries().filter(pk__in=targets)}
    work = Work()
    for library_id in (i for i in targets if i in live):
        if library_id in holding:
            run = refresh_enqueue(live[library_id], {"shows": holding[library_id]},
                                  triggered_by=TRIGGER)
            (work.refreshed if run is not None else work.busy).append(library_id)
        else:
            _scan(library_id, work)
    if work.busy and attempt < MAX_ATTEMPTS:
        task_later("catalog.tasks.sonarr_files_changed_task",
                   name=f"sonarr files tvdb:{tvdb_id} again {attempt}",
                   delay=max(settings.SONARR_WEBHOOK_REFRESH_DELAY, 1),
                   kwargs={"tvdb_id": tvdb_id, "library_ids": sorted(work.busy),
                           "attempt": attempt + 1}, merge="library_ids")
    return work


def _scan(library_id: int, work: Work) -> None:
    """The library's incremental scan (it does not hold the show yet)."""
    try:
        sync_enqueue(kind=SyncRun.Kind.PLEX, options={"library_id": library_id},
                     triggered_by=TRIGGER)
        work.queued.append(library_id)
    except RunInProgress as exc:
        started = exc.run.status != SyncRun.Status.QUEUED
        (work.busy if started else work.waiting).append(library_id)
    except EnqueueFailed:
        work.busy.append(library_id)
