"""django-q2 tasks: thin, idempotent, taking ids. Each claims or re-fetches a run and runs it."""

from __future__ import annotations

import logging

from catalog.jobs import job_run
from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress, runs_reap
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


def tmdb_sync_task(force: bool = False) -> str:
    """The scheduled TMDB batch over the library (placeholders, changed and stale shows)."""
    return _scheduled(SyncRun.Kind.TMDB, {"force": force})


def plex_library_sync_task(library_id: int, deep: bool = False) -> str:
    """The scheduled scan of one Plex library (skipped once it is disabled or gone)."""
    if not PlexLibrary.objects.filter(pk=library_id, enabled=True, server__enabled=True).exists():
        return "skipped: library disabled or removed"
    return _scheduled(SyncRun.Kind.PLEX, {"library_id": library_id, "deep": deep})


def tvmaze_refresh_task(tvmaze_ids: list[int]) -> str:
    """Re-read the given shows from TVMaze as a run (kept for tasks queued before runs)."""
    return _scheduled(SyncRun.Kind.TVMAZE, {"refresh_ids": [int(i) for i in tvmaze_ids]})


def runs_reap_task() -> int:
    """Fail the runs whose owner is gone (a dead process here, an expired lease anywhere)."""
    return runs_reap()


def worker_spawned(**_kwargs: object) -> None:
    """A (re)spawned worker first frees the scopes of workers that died on this host."""
    reaped = runs_reap()
    if reaped:
        log.warning("released %d run(s) abandoned by a dead worker", reaped)
