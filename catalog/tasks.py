"""django-q2 tasks: thin, idempotent, taking ids. Each claims or re-fetches a run and runs it."""

from __future__ import annotations

import logging

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress, runs_reap
from catalog.runs.execute import job_run, sync_run_now

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


def sonarr_sync_task() -> str:
    """The scheduled push: one run per Sonarr server with an enabled rule (a busy server is
    skipped); rules whose filters changed unnoticed are refiltered first."""
    from catalog.rules.services import rules_refilter_stale, sonarr_servers_select

    rules_refilter_stale(triggered_by="schedule")
    results = [_scheduled(SyncRun.Kind.SONARR, {"server_id": server.pk})
               for server, _ in sonarr_servers_select()]
    return ", ".join(results) or "skipped: no enabled Sonarr server with an enabled rule"


def tvmaze_refresh_task(tvmaze_ids: list[int]) -> str:
    """Re-read the given shows from TVMaze as a run (kept for tasks queued before runs)."""
    return _scheduled(SyncRun.Kind.TVMAZE, {"refresh_ids": [int(i) for i in tvmaze_ids]})


def runs_reap_task() -> int:
    """Fail the runs whose owner is gone (a dead process here, an expired lease anywhere)."""
    return runs_reap()


def worker_spawned(**_kwargs: object) -> None:
    """A (re)spawned worker first frees the scopes of workers that died on this host.

    Best effort: django-q2 sends this signal unguarded, so raising would kill the new worker
    (and the cluster would respawn it in a loop while the database is unreachable); the reaper
    schedule and the next claim free those scopes anyway.
    """
    try:
        reaped = runs_reap()
    except Exception as exc:
        log.warning("could not release abandoned runs at worker start: %s", type(exc).__name__)
        return
    if reaped:
        log.warning("released %d run(s) abandoned by a dead worker", reaped)


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


def sonarr_files_changed_task(tvdb_id: int, library_ids: list[int] | None = None,
                              attempt: int = 1) -> str:
    """Sonarr imported, renamed or deleted a file of this series a little while ago (its
    webhook): refresh the show in the Plex libraries that hold it (scan every TV library
    when none does)."""
    from catalog.sync.sonarr.files import series_files_changed

    work = series_files_changed(tvdb_id=int(tvdb_id), library_ids=library_ids,
                                attempt=int(attempt))
    return (f"tvdb:{tvdb_id}: refreshed in {work.refreshed}, scans queued {work.queued}, "
            f"already queued {work.waiting}, busy {work.busy}")
