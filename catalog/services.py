"""Starting syncs from web requests: claim the run now, do the work in a worker."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django_q.tasks import async_task

from catalog.jobs import job_run
from catalog.models import MediaItem, PlexLibrary, Show, SyncRun
from catalog.runs import run_claim, run_finish
from catalog.sync.dispatch import scope_for

log = logging.getLogger(__name__)


class EnqueueFailed(Exception):
    """The job queue refused the task; the run was closed so the scope is free again."""


def run_enqueue(run: SyncRun, task: str = "catalog.tasks.execute_run",
                name: str = "run") -> None:
    """Hand a claimed run to the job queue; if the queue refuses it, close the run (freeing
    its scope) and raise EnqueueFailed."""
    try:
        async_task(task, run.pk, task_name=f"{name}-{run.pk}")
    except Exception as exc:
        log.exception("could not enqueue run %s", run.pk)
        run_finish(run, status=SyncRun.Status.FAILED,
                   error=f"could not enqueue the job ({type(exc).__name__})")
        raise EnqueueFailed(f"the job queue is unavailable ({type(exc).__name__})") from None


def sync_enqueue(*, kind: str, options: dict[str, Any], triggered_by: str) -> SyncRun:
    """Claim a queued run (RunInProgress if one is active) and hand it to the queue.

    Inside an outer transaction the hand-off waits for its commit, so that a worker never
    looks for a run it cannot see yet.
    """
    run = run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                    triggered_by=triggered_by)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: run_enqueue(run), robust=True)
    else:
        run_enqueue(run)
    return run


def sync_run_now(*, kind: str, options: dict[str, Any], triggered_by: str) -> SyncRun:
    """Claim a run and execute it in this process (commands, schedules); RunInProgress if
    one is active."""
    return job_run(run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                             triggered_by=triggered_by, starting_here=True))


def tmdb_ids_check(tmdb_ids: list[int]) -> None:
    """Raise ShowNotFoundInLibrary for the first id neither the catalog nor Plex carries
    (read only: the run links Plex-only shows when it gets to them)."""
    from catalog.exceptions import ShowNotFoundInLibrary
    from catalog.sync.tmdb.show import plex_unlinked

    known = set(Show.objects.filter(tmdb_id__in=tmdb_ids).values_list("tmdb_id", flat=True))
    for tmdb_id in (i for i in tmdb_ids if i not in known):  # the rare ids Plex alone holds
        if not plex_unlinked(tmdb_id):
            raise ShowNotFoundInLibrary(tmdb_id)


def plex_libraries_select(*, server: str | None = None, key: str | None = None
                          ) -> list[PlexLibrary]:
    """Enabled libraries of enabled servers, optionally one server (by name) or section key."""
    libraries = PlexLibrary.objects.filter(enabled=True, server__enabled=True)
    if server:
        libraries = libraries.filter(server__name=server)
    if key:
        libraries = libraries.filter(key=key)
    return list(libraries.select_related("server").order_by("server__name", "key"))


def items_mark_deleted(items: QuerySet[MediaItem]) -> int:
    """Missing items become deleted now, without waiting for the retention."""
    return items.filter(state=MediaItem.State.MISSING).update(state=MediaItem.State.DELETED)


def items_purge_deleted(items: QuerySet[MediaItem]) -> int:
    """Remove deleted items from the database for good; returns how many."""
    return items.filter(state=MediaItem.State.DELETED).delete()[0]
