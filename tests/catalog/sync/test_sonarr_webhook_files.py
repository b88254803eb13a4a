"""After Sonarr imports a file, the delayed task refreshes the show in each Plex library that
holds it (the listener's per-show refresh), or scans every TV library when none holds it
yet, one run per library through the run machinery; a library that cannot take it now is
tried again later, a few times; the one-off schedule the webhook leaves is one django-q2's
scheduler runs. Against the Plex fake, one import costs two upstream requests."""

from __future__ import annotations

import pytest
from django_q.models import Schedule
from django_q.scheduler import scheduler

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import run_claim, run_start
from catalog.sync.sonarr.files import MAX_ATTEMPTS, series_files_changed
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
    return sorted(SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, status=SyncRun.Status.QUEUED,
                                         scope__startswith="library:")
                  .values_list("options__library_id", flat=True))


def _refreshes() -> dict[int, dict]:
    return dict(SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, status=SyncRun.Status.QUEUED,
                                       scope__startswith="live:")
                .values_list("options__library_id", "options__refresh"))


def test_it_refreshes_the_show_in_the_libraries_that_hold_it(plex, queue,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        work = series_files_changed(tvdb_id=81189)
    assert sorted(work.refreshed) == sorted([plex["a"].pk, plex["b"].pk])
    assert (work.queued, work.busy) == ([], [])
    keys = {lib: [ps.rating_key for ps in plex["show"].plex_shows.filter(library_id=lib)]
            for lib in (plex["a"].pk, plex["b"].pk)}
    assert _refreshes() == {lib: {"shows": rks} for lib, rks in keys.items()}
    assert _scans() == []  # no library scan: the show's refresh is enough
    assert len(queue) == 2
    run = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX).first()
    assert run.triggered_by == "sonarr webhook" and run.scope.startswith("live:")


def test_it_scans_every_tv_library_when_none_holds_the_show(plex, queue):
    work = series_files_changed(tvdb_id=424242)
    assert sorted(work.queued) == sorted([plex["a"].pk, plex["b"].pk, plex["idle"].pk])
    assert work.refreshed == [] and _refreshes() == {}


def test_a_busy_library_is_tried_again_a_few_times(plex, queue, settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    scanning = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{plex['b'].pk}",
                         options={"library_id": plex["b"].pk})
    assert run_start(scanning)  # b's scan runs: the refresh comes after it
    refreshing = run_claim(kind=SyncRun.Kind.PLEX, scope=f"live:{plex['a'].pk}",
                           options={"library_id": plex["a"].pk, "refresh": {"items": ["1"]}})
    assert run_start(refreshing)  # a's last refresh still runs: this one waits for it
    work = series_files_changed(tvdb_id=81189)
    assert (work.refreshed, sorted(work.busy)) == ([], sorted([plex["a"].pk, plex["b"].pk]))
    again = Schedule.objects.get(name="sonarr files tvdb:81189 again 1")
    assert eval(again.kwargs)["arguments"] == {  # noqa: S307
        "tvdb_id": 81189, "library_ids": sorted([plex["a"].pk, plex["b"].pk]), "attempt": 2}
    last = series_files_changed(tvdb_id=81189, library_ids=[plex["b"].pk],
                                attempt=MAX_ATTEMPTS)
    assert last.busy == [plex["b"].pk]
    assert not Schedule.objects.filter(name__endswith=f"again {MAX_ATTEMPTS}").exists()


def test_a_retry_scans_a_library_that_does_not_hold_the_show(plex, queue, settings):
    waiting = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{plex['idle'].pk}",
                        options={"library_id": plex["idle"].pk})
    work = series_files_changed(tvdb_id=81189, library_ids=[plex["idle"].pk, plex["a"].pk],
                                attempt=2)
    assert work.waiting == [waiting.options["library_id"]]  # its queued scan will see it
    assert work.refreshed == [plex["a"].pk]


def test_a_library_disabled_since_is_left_alone(plex, queue):
    PlexLibrary.objects.filter(pk=plex["b"].pk).update(enabled=False)
    work = series_files_changed(tvdb_id=81189, library_ids=[plex["b"].pk])
    assert (work.refreshed, work.queued, work.busy) == ([], [], [])


def test_the_schedule_the_webhook_leaves_runs_the_refreshes(plex, queue, settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    sonarr_files_changed(tvdb_id=81189)
    assert _refreshes() == {}  # not before the delay
    Schedule.objects.filter(name="sonarr files tvdb:81189").update(
        next_run="2000-01-01T00:00:00Z")
    scheduler()  # what the cluster does every 30 s (the test settings run tasks in-process)
    assert sorted(_refreshes()) == sorted([plex["a"].pk, plex["b"].pk])
    assert not Schedule.objects.filter(name="sonarr files tvdb:81189").exists()
    # Once it ran, the next import queues a new one.
    assert sonarr_files_changed(tvdb_id=81189)["coalesced"] is False


def test_without_a_delay_the_refreshes_are_queued_at_once(plex, queue, settings,
                                                          django_capture_on_commit_callbacks):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True):
        sonarr_files_changed(tvdb_id=81189)
    assert sorted(_refreshes()) == sorted([plex["a"].pk, plex["b"].pk])
    assert not Schedule.objects.filter(name__startswith="sonarr files").exists()


def test_the_task_says_what_it_did(plex, queue):
    text = sonarr_files_changed_task(81189)
    assert text.startswith("tvdb:81189: refreshed in [")
