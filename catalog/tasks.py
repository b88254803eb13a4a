"""django-q2 tasks: thin, idempotent, taking ids. Each claims or re-fetches a run and runs it."""

from __future__ import annotations

import logging

from catalog.jobs import job_run
from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress
from catalog.services import sync_run_now

log = logging.getLogger(__name__)


def execute_run(run_id: int) -> str:
    """Run a queued SyncRun (enqueued by the API or an admin action)."""
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None:
        return f"run {run_id} no longer exists"
    return job_run(run).status


def _scheduled(kind: str, options: dict) -> str:
    try:
        return sync_run_now(kind=kind, options=options, triggered_by="schedule").status
    except RunInProgress as exc:
        log.info("skipping scheduled %s sync: %s", kind, exc)
        return "skipped: already running"


def tvmaze_sync_task(full: bool = False) -> str:
    """The scheduled TVMaze sync (incremental unless ``full``)."""
    return _scheduled(SyncRun.Kind.TVMAZE, {"full": full})


def plex_library_sync_task(library_id: int, deep: bool = False) -> str:
    """The scheduled scan of one Plex library (skipped once it is disabled or gone)."""
    if not PlexLibrary.objects.filter(pk=library_id, enabled=True, server__enabled=True).exists():
        return "skipped: library disabled or removed"
    return _scheduled(SyncRun.Kind.PLEX, {"library_id": library_id, "deep": deep})


def tvmaze_refresh_task(tvmaze_ids: list[int]) -> dict:
    """Re-fetch the given shows from TVMaze (queued by the admin's refresh action)."""
    from catalog.sync.tvmaze import tvmaze_refresh
    from catalog.upstreams import tvmaze_client

    return tvmaze_refresh(tvmaze_client(), [int(i) for i in tvmaze_ids])


def load_shows_task(run_id: int) -> str:
    """A loader run: drain the load queue, then wake loaders for what arrived meanwhile
    (an add that found this run still active relied on it)."""
    from catalog.sync.loading import loaders_kick

    status = execute_run(run_id)
    loaders_kick()
    return status


def loading_resume_task() -> str:
    """Every minute: loads left behind by a killed worker go back to the queue, and loaders
    start for whatever is due (pending adds, retries whose backoff ran out)."""
    from catalog.sync.loading import loaders_kick, shows_requeue_orphans
    from catalog.sync.loading.queue import shows_queue_library

    requeued = shows_requeue_orphans()
    joined = shows_queue_library()
    started = loaders_kick()
    return f"requeued {requeued}, queued {joined} library show(s), started {len(started)} loader(s)"
