"""After Sonarr imports a file, the delayed task scans the Plex libraries that hold the show
(every TV library when none does yet), one run per library through the run machinery; a
library whose scan is already running is tried again later, a few times; the one-off
schedule the webhook leaves is one django-q2's scheduler runs."""

from __future__ import annotations

import pytest
from django_q.models import Schedule
from django_q.scheduler import scheduler

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import run_claim, run_start
from catalog.sync.sonarr.files import MAX_ATTEMPTS, series_libraries_scan
from catalog.sync.sonarr.webhook import sonarr_files_changed
from catalog.tasks import sonarr_files_changed_task
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(monkeypatch) -> list[tuple]:
    """What reached the job queue (each run handed to a worker), instead of running it."""
    sent: list[tuple] = []
    monkeypatch.setattr("catalog.runs.enqueue.async_task",
                        lambda *args, **kwargs: sent.append(args))
    return sent


@pytest.fixture
def plex():
    show = factories.ShowFactory(tvdb_id=81189)
    a = factories.PlexLibraryFactory()
    b = factories.PlexLibraryFactory()  # another server
    idle = factories.PlexLibraryFactory(server=a.server)
    movies = factories.PlexLibraryFactory(server=a.server, type=PlexLibrary.Type.MOVIE)
    off = factories.PlexLibraryFactory(server=a.server, enabled=False)
    for library in (a, b, off):
        factories.PlexShowFactory(library=library, show=show)
    return {"a": a, "b": b, "idle": idle, "movies": movies, "off": off, "show": show}


def _scans() -> list[int]:
    return sorted(SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, status=SyncRun.Status.QUEUED)
                  .values_list("options__library_id", flat=True))


def test_it_scans_the_libraries_that_hold_the_show(plex, queue,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scans = series_libraries_scan(tvdb_id=81189)
    assert sorted(scans.queued) == sorted([plex["a"].pk, plex["b"].pk])
    assert _scans() == sorted([plex["a"].pk, plex["b"].pk])
    assert len(queue) == 2
    run = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX).first()
    assert run.triggered_by == "sonarr webhook" and "deep" not in run.options


def test_it_scans_every_tv_library_when_none_holds_the_show(plex, queue):
    scans = series_libraries_scan(tvdb_id=424242)
    assert sorted(scans.queued) == sorted([plex["a"].pk, plex["b"].pk, plex["idle"].pk])


def test_a_queued_scan_covers_it_and_a_running_one_is_tried_again(plex, queue, settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    waiting = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{plex['a'].pk}",
                        options={"library_id": plex["a"].pk})
    running = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{plex['b'].pk}",
                        options={"library_id": plex["b"].pk})
    assert run_start(running)
    scans = series_libraries_scan(tvdb_id=81189)
    assert (scans.queued, scans.waiting, scans.busy) == ([], [waiting.options["library_id"]],
                                                         [plex["b"].pk])
    again = Schedule.objects.get(name="sonarr files tvdb:81189 again 1")
    assert eval(again.kwargs)["arguments"] == {  # noqa: S307
        "tvdb_id": 81189, "library_ids": [plex["b"].pk], "attempt": 2}
    last = series_libraries_scan(tvdb_id=81189, library_ids=[plex["b"].pk],
                                 attempt=MAX_ATTEMPTS)
    assert last.busy == [plex["b"].pk]
    assert not Schedule.objects.filter(name__endswith=f"again {MAX_ATTEMPTS}").exists()


def test_a_library_disabled_since_is_left_alone(plex, queue):
    PlexLibrary.objects.filter(pk=plex["b"].pk).update(enabled=False)
    assert series_libraries_scan(tvdb_id=81189, library_ids=[plex["b"].pk]).queued == []


def test_the_schedule_the_webhook_leaves_runs_the_scans(plex, queue, settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    sonarr_files_changed(tvdb_id=81189)
    assert _scans() == []  # not before the delay
    Schedule.objects.filter(name="sonarr files tvdb:81189").update(
        next_run="2000-01-01T00:00:00Z")
    scheduler()  # what the cluster does every 30 s (the test settings run tasks in-process)
    assert _scans() == sorted([plex["a"].pk, plex["b"].pk])
    assert not Schedule.objects.filter(name="sonarr files tvdb:81189").exists()
    # Once it ran, the next import queues a new one.
    assert sonarr_files_changed(tvdb_id=81189)["coalesced"] is False


def test_without_a_delay_the_scans_are_queued_at_once(plex, queue, settings,
                                                      django_capture_on_commit_callbacks):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True):
        sonarr_files_changed(tvdb_id=81189)
    assert _scans() == sorted([plex["a"].pk, plex["b"].pk])
    assert not Schedule.objects.filter(name__startswith="sonarr files").exists()


def test_the_task_says_what_it_did(plex, queue):
    text = sonarr_files_changed_task(81189)
    assert text.startswith("tvdb:81189: queued [")
