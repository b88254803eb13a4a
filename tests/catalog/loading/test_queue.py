"""Claiming, the cluster-wide cap, backoff, resume after a killed worker, library signals."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog import tasks
from catalog.models import Show, SyncRun
from catalog.runs import run_claim, run_start
from catalog.runs.owner import host_identity
from catalog.sync import signals
from catalog.sync.loading import loaders_kick, show_add, show_claim_next, shows_requeue_orphans
from catalog.sync.loading.state import PARTS
from integrations.fakes.base import Fault
from tests.catalog.loading.conftest import reload
from tests.factories import ShowFactory

DEAD_PID = 4_194_303  # above any pid the kernel hands out by default


@pytest.mark.django_db
def test_it_lets_only_one_loader_claim_a_show(db):
    show = ShowFactory(loading_status="pending", loading_parts=list(PARTS),
                       loading_next_at=timezone.now())
    assert show_claim_next(token="a" * 32) == show.pk
    assert show_claim_next(token="b" * 32) is None
    show = reload(show)
    assert (show.loading_status, show.loading_owner) == ("loading_facts", "a" * 32)


@pytest.mark.django_db
def test_two_loaders_interleaved_at_the_claim_take_different_shows(db, monkeypatch):
    """Both read the same candidates; the second claims the first show between the first
    loader's read and its conditional update, which must then find it taken and move on."""
    from catalog.sync.loading import queue

    now = timezone.now()
    first, second = [ShowFactory(loading_status="pending", loading_parts=list(PARTS),
                                 loading_next_at=now - timedelta(seconds=n)) for n in (2, 1)]
    original, taken, started = queue.loading_status_for, [], []

    def between_read_and_update(part: str) -> str:
        if not started:  # once: the other loader runs whole at this instant
            started.append(True)
            taken.append(show_claim_next(token="b" * 32))
        return original(part)

    monkeypatch.setattr(queue, "loading_status_for", between_read_and_update)
    assert show_claim_next(token="a" * 32) == second.pk
    assert taken == [first.pk]
    assert reload(first).loading_owner == "b" * 32
    assert reload(second).loading_owner == "a" * 32


@pytest.mark.django_db
def test_it_claims_nothing_before_a_retry_is_due(db):
    ShowFactory(loading_status="pending", loading_parts=["episodes"],
                loading_next_at=timezone.now() + timedelta(seconds=30))
    assert show_claim_next(token="a" * 32) is None


@pytest.mark.django_db
def test_it_backs_off_exponentially_between_transient_tries(fakes, drain, settings):
    settings.LOADER_RETRY_SECONDS = 30
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    fakes.tvmaze.inject(Fault("status", status=503), times=100,
                        path_prefix=f"/shows/{tvmaze_id}/episodes")
    delays = []
    for _ in range(3):
        drain()
        show = reload(show)
        if show.loading_status != "pending":
            break
        assert show.loading_parts == ["episodes"] and show.loading_owner == ""
        delays.append((show.loading_next_at - show.loading_changed_at).total_seconds())
        Show.objects.filter(pk=show.pk).update(loading_next_at=timezone.now())
    assert delays == [30, 60]
    assert show.loading_status == "partial" and show.loading_attempts == {"episodes": 3}


@pytest.mark.django_db
def test_it_starts_no_more_loaders_than_the_cluster_cap(settings, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # queue the tasks instead of running them
    settings.LOADER_CONCURRENCY = 2
    for n in range(6):
        show_add(field="tvdb_id", value=100 + n)
    assert len(loaders_kick()) == 2
    assert loaders_kick() == []
    active = SyncRun.objects.filter(kind="load", status__in=SyncRun.ACTIVE)
    assert sorted(active.values_list("scope", flat=True)) == ["slot:0", "slot:1"]


def _kick_between_read_and_claim(monkeypatch) -> list[list[int]]:
    """At a kick's first slot claim (it has read the active slots and chosen to claim), a
    second kick runs whole; returns what that second kick started."""
    from catalog.sync.loading import queue

    original, other = queue.run_claim, []

    def between_read_and_claim(**kwargs: object) -> SyncRun:
        if not other:
            other.append([])  # once: the second kick's own claims go straight through
            other[0] = loaders_kick()
        return original(**kwargs)

    monkeypatch.setattr(queue, "run_claim", between_read_and_claim)
    return other


@pytest.mark.django_db
def test_two_kicks_interleaved_at_the_slot_claim_start_no_more_loaders_than_the_cap(
        monkeypatch, settings):
    """Both kicks see every slot free; the second takes them all between the first one's
    read and its claims, which must then find each slot taken and start nothing."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # queue the tasks instead of running them
    settings.LOADER_CONCURRENCY = 2
    for n in range(4):
        show_add(field="tvdb_id", value=300 + n)
    other = _kick_between_read_and_claim(monkeypatch)
    assert loaders_kick() == []
    assert len(other) == 1 and len(other[0]) == 2
    active = SyncRun.objects.filter(kind="load", status__in=SyncRun.ACTIVE)
    assert sorted(active.values_list("pk", flat=True)) == sorted(other[0])
    assert sorted(active.values_list("scope", flat=True)) == ["slot:0", "slot:1"]


@pytest.mark.django_db
def test_a_kick_that_read_one_free_slot_loses_it_to_a_kick_interleaved_before_its_claim(
        monkeypatch, settings):
    """One loader runs; both kicks read the one free slot, the second claims it between the
    first one's read and its claim: exactly one of them starts a loader there."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.LOADER_CONCURRENCY = 2
    running = run_claim(kind="load", scope="slot:0")
    assert run_start(running)
    for n in range(3):
        show_add(field="tvdb_id", value=400 + n)
    other = _kick_between_read_and_claim(monkeypatch)
    assert loaders_kick() == []
    assert len(other) == 1 and len(other[0]) == 1
    active = SyncRun.objects.filter(kind="load", status__in=SyncRun.ACTIVE)
    assert sorted(active.values_list("scope", flat=True)) == ["slot:0", "slot:1"]
    assert active.get(scope="slot:1").pk == other[0][0]


@pytest.mark.django_db
def test_it_starts_no_loader_when_nothing_is_due(monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.LOADER_CONCURRENCY = 5
    ShowFactory(loading_status="completed")
    ShowFactory(loading_status="pending", loading_parts=["facts"],
                loading_next_at=timezone.now() + timedelta(minutes=1))
    assert loaders_kick() == []
    ShowFactory(loading_status="pending", loading_parts=["facts"], loading_next_at=timezone.now())
    assert len(loaders_kick()) == 1


@pytest.mark.django_db
def test_it_pauses_loading_when_the_concurrency_is_zero(monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.LOADER_CONCURRENCY = 0
    show_add(field="tvdb_id", value=5)
    assert loaders_kick() == []
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_moves_on_when_a_show_is_deleted_while_queued(fakes, drain):
    gone = show_add(field="tvdb_id", value=1).show
    kept = show_add(field="tvmaze_id", value=fakes.tvmaze_show()).show
    Show.objects.filter(pk=gone.pk).delete()
    run = drain()
    assert run.status == "succeeded" and run.summary["completed"] == 1
    assert reload(kept).loading_status == "completed"


@pytest.mark.django_db
def test_it_resumes_a_load_whose_worker_was_killed(fakes):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    dead = SyncRun.objects.create(
        kind="load", scope="slot:0", status="running", started_at=timezone.now(),
        owner_host=host_identity(), owner_pid=DEAD_PID, owner_started=1, owner_token="d" * 32,
        lease_expires_at=timezone.now() + timedelta(minutes=1))
    Show.objects.filter(pk=show.pk).update(
        tvdb_id=fakes.tvmaze.record(tvmaze_id).tvdb, facts_loaded=True,
        loading_status="loading_episodes",
        loading_parts=["episodes", "metadata", "artwork"], loading_owner="d" * 32)
    assert tasks.loading_resume_task() == (
        "requeued 1, queued 0 library show(s), started 1 loader(s)")
    show = reload(show)
    assert show.loading_status == "completed", show.loading_errors
    assert "GET /shows/:id" not in fakes.tvmaze.counts  # facts were done: not asked again
    assert fakes.tvmaze.counts["GET /shows/:id/episodes"] == 1
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error.startswith("abandoned")


@pytest.mark.django_db
def test_it_leaves_a_live_loaders_show_alone(db):
    run = run_claim(kind="load", scope="slot:4")
    assert run_start(run)
    show = ShowFactory(loading_status="loading_metadata", loading_parts=["metadata"],
                       loading_owner=run.owner_token)
    assert shows_requeue_orphans() == 0
    assert reload(show).loading_status == "loading_metadata"


@pytest.mark.django_db
def test_it_queues_shows_entering_the_library_once(db):
    new, done = ShowFactory(), ShowFactory(loading_status="completed")
    signals.shows_entered_library([new.pk, done.pk])
    assert reload(new).loading_status == "pending"
    assert reload(new).loading_parts == list(PARTS)
    assert reload(done).loading_status == "completed"
    Show.objects.filter(pk=new.pk).update(loading_status="loading_facts")
    signals.shows_entered_library([new.pk])
    assert reload(new).loading_status == "loading_facts"


@pytest.mark.django_db
def test_it_queues_the_shows_a_plex_scan_links(db):
    from integrations.fakes.plex import LibrarySpec, PlexFake
    from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

    with PlexFake([LibrarySpec("1", "show", "TV", shows=12, episodes=24)], seed=1) as fake:
        library = library_for(server_for(fake, "plex"), "1")
        scan(library, fake, T0)
    linked = Show.objects.filter(plex_shows__library=library).distinct()
    assert linked.count() == 12
    assert set(linked.values_list("loading_status", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_it_loads_fifty_shows_added_in_a_burst_each_exactly_once(fakes, settings):
    settings.LOADER_CONCURRENCY = 3
    ids = [fakes.tvmaze_show(with_tmdb=False, skip=n) for n in range(50)]
    errors: list[BaseException] = []

    def add(chunk: list[int]) -> None:
        try:
            for tvmaze_id in chunk:  # every id twice, from two threads: one row each
                show_add(field="tvmaze_id", value=tvmaze_id, by="burst")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    chunks = [ids[n::5] for n in range(5)] * 2
    threads = [threading.Thread(target=add, args=(c,)) for c in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    tasks.loading_resume_task()  # whatever a thread's loader left due (none expected)
    shows = Show.objects.filter(tvmaze_id__in=ids)
    assert shows.count() == 50
    assert set(shows.values_list("loading_status", flat=True)) <= {"completed", "partial"}
    assert not shows.filter(facts_loaded=False).exists()
    assert not shows.filter(episodes_loaded=False).exists()
    assert (fakes.tvmaze.counts["GET /shows/:id"],
            fakes.tvmaze.counts["GET /shows/:id/episodes"]) == (50, 50), (
        fakes.tvmaze.counts, fakes.tvmaze.connections_opened,
        list(SyncRun.objects.filter(kind="load").values_list("status", "error", "summary")))
    assert SyncRun.objects.filter(kind="load", status__in=SyncRun.ACTIVE).count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_resumes_a_load_cancelled_mid_part_without_its_half_write(fakes, clients, settings):
    from catalog.runs import run_cancel
    from catalog.runs.execute import job_execute
    from catalog.sync.loading import loader_work

    settings.LOADER_CONCURRENCY = 0  # this test runs the loaders itself
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    run = run_claim(kind="load", scope="slot:0")

    def cancel_mid_part(_request: object) -> None:
        """The operator cancels while the loader waits for the show's facts."""
        try:
            run_cancel(run.pk, by="otto")
        finally:
            connection.close()  # the fake's thread's own connection

    fakes.tvmaze.on_request(cancel_mid_part, path_prefix=f"/shows/{tvmaze_id}")
    finished = job_execute(run, lambda r: loader_work(r, clients=clients), upstream="tvmaze")
    assert fakes.tvmaze.hook_errors == []
    assert finished.status == "cancelled" and finished.error == "cancelled by otto"
    show = reload(show)
    assert show.loading_status == "loading_facts" and not show.facts_loaded
    assert show.title == f"TVMaze {tvmaze_id}"  # the fetched facts were rolled back
    assert shows_requeue_orphans() == 1
    run = run_claim(kind="load", scope="slot:0")
    job_execute(run, lambda r: loader_work(r, clients=clients), upstream="tvmaze")
    show = reload(show)
    assert show.loading_status == "completed" and show.title != f"TVMaze {tvmaze_id}"


@pytest.mark.django_db
def test_it_fails_facts_at_once_on_a_malformed_answer(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    fakes.tvmaze.malform(tvmaze_id, "id")
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    drain()
    show = reload(show)
    assert "malformed record" in show.loading_errors["facts"]
    assert show.loading_attempts["facts"] == 1
    assert fakes.tvmaze.counts["GET /shows/:id"] == 1


@pytest.mark.django_db
def test_it_refreshes_the_episodes_of_a_loaded_show_tvmaze_reports_changed(
        fakes, drain, tvmaze_client_for):
    from catalog.models import Episode
    from catalog.runs import run_claim, run_start
    from catalog.sync.tvmaze import tvmaze_refresh

    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    drain()
    never = ShowFactory(tvmaze_id=fakes.tvmaze_show(skip=1), tvdb_id=None, imdb_id=None)
    rec = fakes.tvmaze.record(tvmaze_id)
    rec.per_season += 1
    fakes.tvmaze.set_now(fakes.tvmaze.now + 3600)
    fakes.tvmaze.change([tvmaze_id, never.tvmaze_id], name="Changed")
    run = run_claim(kind="tvmaze", scope="refresh")
    assert run_start(run)
    tvmaze_refresh(run, tvmaze_client_for(fakes.tvmaze), [tvmaze_id, never.tvmaze_id])
    show = reload(show)
    assert (show.loading_status, show.loading_parts) == ("pending", ["episodes"])
    assert reload(never).loading_status == "idle"  # never loaded: not the library's
    fakes.tvmaze.reset_counts()
    drain()
    assert reload(show).loading_status == "completed"
    assert fakes.tvmaze.counts == {"GET /shows/:id/episodes": 1}
    assert Episode.objects.filter(show=show, season=1).exclude(number=None).count() == (
        rec.per_season)


@pytest.mark.django_db
def test_it_sweeps_library_shows_nobody_queued_into_the_queue(settings):
    from tests.factories import DecisionFactory, PlexShowFactory

    settings.LOADER_CONCURRENCY = 0  # only the queue is looked at here
    added = DecisionFactory(status="added").show
    exists = DecisionFactory(status="exists").show
    filtered = DecisionFactory(status="filtered").show
    in_plex = PlexShowFactory().show
    loaded = PlexShowFactory(show=ShowFactory(loading_status="completed")).show
    mirror_only = ShowFactory()
    assert tasks.loading_resume_task() == (
        "requeued 0, queued 3 library show(s), started 0 loader(s)")
    assert {s.pk for s in Show.objects.filter(loading_status="pending")} == {
        added.pk, exists.pk, in_plex.pk}
    for show in (filtered, loaded, mirror_only):
        assert reload(show).loading_status in ("idle", "completed")
    assert tasks.loading_resume_task().startswith("requeued 0, queued 0 library")


@pytest.mark.django_db
def test_it_queues_nothing_from_a_copy_read_before_a_load_finished(db):
    stale = ShowFactory(loading_status="pending", loading_parts=list(PARTS))
    Show.objects.filter(pk=stale.pk).update(
        loading_status="completed", facts_loaded=True, episodes_loaded=True, tmdb_loaded=True,
        artwork_loaded=True, loading_parts=[])
    from catalog.sync.loading import show_request

    assert not show_request(stale)  # its copy still says pending with every part missing
    assert reload(stale).loading_status == "completed"


@pytest.mark.django_db
def test_it_gives_up_on_a_part_whose_worker_dies_every_time(fakes, drain):
    """A part that kills its worker (out of memory, the queue's hard timeout) counts a try
    each time: it fails after three, instead of taking a loader down every minute forever."""
    show = show_add(field="tvmaze_id", value=fakes.tvmaze_show()).show
    for tries in range(1, 4):
        Show.objects.filter(pk=show.pk).update(loading_status="loading_facts",
                                               loading_owner="d" * 32)  # died in facts
        assert shows_requeue_orphans() == 1
        show = reload(show)
        assert show.loading_status == "pending"
        assert show.loading_attempts["facts"] == tries
        assert ("facts" in show.loading_parts) == (tries < 3)
    assert "interrupted 3 times" in show.loading_errors["facts"]
    assert show.loading_parts == ["episodes", "metadata", "artwork"]
    drain()
    show = reload(show)
    assert show.loading_status == "partial" and not show.facts_loaded
    assert fakes.tvmaze.counts["GET /shows/:id"] == 0
