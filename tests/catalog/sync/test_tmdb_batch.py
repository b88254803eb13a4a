"""The TMDB batch as a SyncRun against the TMDB fake: what is due is fetched, nothing else."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from catalog.cursors import cursor_get, cursor_set
from catalog.jobs import job_execute
from catalog.models import Decision, PlexShow, Show, SyncRun
from catalog.runs import run_cancel
from catalog.sync.tmdb import tmdb_batch
from integrations.fakes.base import Fault
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from integrations.tmdb import TmdbClient
from tests import factories
from tests.catalog.sync.conftest import fast_http

FIND, TV, CHANGES = "GET /find/:id", "GET /tv/:id", "GET /tv/changes"


@pytest.fixture(autouse=True)
def _ttl(settings):
    settings.TMDB_CACHE_TTL_DAYS = 7


@pytest.fixture(scope="module")
def fake():
    with TmdbFake(count=400, seed=5) as server:
        yield server


@pytest.fixture
def now(fake):
    fake.reset_counts()
    fake.clear_faults()
    return datetime.fromtimestamp(fake.now, tz=UTC)


def _client(fake, key: str = DEFAULT_API_KEY) -> TmdbClient:
    return TmdbClient(fast_http("tmdb", fake.url, max_retries=1, params={"api_key": key}))


def _library(tmdb_ids, **fields) -> list[Show]:
    """Library shows (each linked to a Plex show) with these TMDB ids."""
    library = factories.PlexLibraryFactory()
    shows = Show.objects.bulk_create([Show(title=f"S{i}", tmdb_id=i, **fields) for i in tmdb_ids])
    PlexShow.objects.bulk_create([PlexShow(library=library, rating_key=str(s.pk), show=s,
                                           title=s.title) for s in shows])
    return shows


def _batch(fake, now, new_run, *, key=DEFAULT_API_KEY, **options) -> SyncRun:
    run = new_run(SyncRun.Kind.TMDB, "library", start=False)
    return job_execute(run, lambda r: tmdb_batch(r, _client(fake, key), now=now, **options),
                       upstream="tmdb")


def _feed_read(now, ago: timedelta) -> None:
    cursor_set("tmdb", {"changes_read_at": (now - ago).isoformat()})


@pytest.mark.django_db
def test_it_refreshes_placeholders_and_stale_shows_and_skips_fresh_ones(fake, now, new_run):
    ids = fake.ids
    placeholders = _library(ids[:5])
    stale = _library(ids[5:12], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=8))
    fresh = _library(ids[12:20], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=2),
                     overview="kept")
    outsider = Show.objects.create(title="TVMaze only", tmdb_id=ids[20], tvmaze_id=1)
    _feed_read(now, timedelta(minutes=10))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded", run.error
    assert fake.counts == Counter({TV: 12})
    assert (run.total, run.processed, run.skipped, run.changed) == (20, 20, 8, 12)
    assert run.summary["due"] == {"placeholder": 5, "stale": 7}
    refreshed = Show.objects.filter(pk__in=[s.pk for s in placeholders + stale])
    assert {s.tmdb_status for s in refreshed} == {"fresh"}
    assert {s.tmdb_fetched_at for s in refreshed} == {now}
    for show in refreshed:
        assert show.title == fake.record(show.tmdb_id).name
        assert show.tmdb_season_episodes and all(s > 0 for s, _ in show.tmdb_season_episodes)
    assert set(Show.objects.filter(pk__in=[s.pk for s in fresh])
               .values_list("overview", flat=True)) == {"kept"}
    assert Show.objects.get(pk=outsider.pk).tmdb_status == "unknown"


@pytest.mark.django_db
def test_it_makes_no_request_on_an_immediate_second_batch(fake, now, new_run):
    _library(fake.ids[:30])
    assert _batch(fake, now, new_run).status == "succeeded"
    first = fake.total_requests()
    assert fake.counts[TV] == 30 and fake.counts[CHANGES] >= 1
    second = _batch(fake, now + timedelta(minutes=3), new_run)
    assert fake.total_requests() == first and second.requests == 0
    assert second.summary["feed"].startswith("skipped")
    assert (second.processed, second.skipped) == (30, 30)


@pytest.mark.django_db
def test_it_refreshes_library_shows_the_changes_feed_lists_inside_their_ttl(fake, now, new_run):
    ids = fake.ids[100:140]
    shows = _library(ids, tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=1))
    fake.change(ids[:4], ts=fake.now - 3600)
    elsewhere = fake.ids[300]
    fake.change([elsewhere], ts=fake.now - 60)  # changed upstream, not in the library
    _feed_read(now, timedelta(days=2))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded", run.error
    assert run.summary["due"] == {"changed": 4}
    assert fake.counts[TV] == 4
    changed = {s.tmdb_id: s for s in Show.objects.filter(pk__in=[s.pk for s in shows])}
    for tmdb_id in ids[:4]:
        assert changed[tmdb_id].tmdb_series_status == fake.record(tmdb_id).status
        assert changed[tmdb_id].tmdb_fetched_at == now
    assert not Show.objects.filter(tmdb_id=elsewhere).exists()
    start = (now - timedelta(days=2, hours=1)).date()
    assert run.summary["feed"].startswith(f"read {start}..{now.date()}")
    assert cursor_get("tmdb")["changes_read_at"] == now.isoformat()


@pytest.mark.django_db
def test_it_relies_on_the_ttl_alone_after_a_gap_longer_than_14_days(fake, now, new_run):
    _library(fake.ids[:3], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=1))
    _feed_read(now, timedelta(days=15))
    run = _batch(fake, now, new_run)
    assert fake.total_requests() == 0
    assert "the TTL covers the gap" in run.summary["feed"]
    assert cursor_get("tmdb")["changes_read_at"] == now.isoformat()


@pytest.mark.django_db
def test_it_spreads_expiry_with_a_per_row_jitter(fake, now, new_run):
    shows = _library(fake.ids[:200])
    _feed_read(now, timedelta(minutes=1))
    _batch(fake, now, new_run)
    jitters = Counter(Show.objects.filter(pk__in=[s.pk for s in shows])
                      .values_list("tmdb_jitter_days", flat=True))
    assert set(jitters) == {0, 1, 2, 3}  # up to half the TTL of 7 days
    assert max(jitters.values()) < 100
    fake.reset_counts()
    _feed_read(now + timedelta(days=5), timedelta(minutes=1))
    later = _batch(fake, now + timedelta(days=5), new_run)  # due: jitter 2 and 3 only
    assert fake.counts[TV] == jitters[2] + jitters[3] == sum(later.summary["due"].values())


@pytest.mark.django_db
def test_it_finds_missing_tmdb_ids_and_remembers_shows_tmdb_lacks(fake, now, new_run):
    rec = fake.record(fake.ids[7])
    known = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=rec.imdb)
    absent = factories.ShowFactory(tvdb_id=9_999_999, imdb_id="tt0000001")
    for show in (known, absent):
        factories.PlexShowFactory(show=show)
    _feed_read(now, timedelta(minutes=1))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded", run.error
    known.refresh_from_db()
    absent.refresh_from_db()
    assert (known.tmdb_id, known.tmdb_status) == (rec.id, "fresh")
    assert (absent.tmdb_id, absent.tmdb_status) == (None, "not_found")
    assert fake.counts == Counter({FIND: 3, TV: 1})  # tvdb hit; tvdb then imdb miss
    fake.reset_counts()
    _feed_read(now + timedelta(days=3), timedelta(minutes=1))
    _batch(fake, now + timedelta(days=3), new_run)
    assert fake.total_requests() == 0  # "not on TMDB" is remembered within the TTL
    _feed_read(now + timedelta(days=8), timedelta(minutes=1))
    _batch(fake, now + timedelta(days=8), new_run)
    assert fake.counts[FIND] == 2


@pytest.mark.django_db
def test_it_lets_the_imdb_id_decide_between_two_tmdb_shows_sharing_a_tvdb_id(fake, now,
                                                                            new_run):
    doubled = next(i for i in fake.ids if len(fake.ids_for(tvdb_id=fake.record(i).tvdb or 0)) > 1)
    rec = fake.record(doubled)
    show = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=rec.imdb)
    factories.PlexShowFactory(show=show)
    _feed_read(now, timedelta(minutes=1))
    _batch(fake, now, new_run)
    show.refresh_from_db()
    assert show.tmdb_id == fake.ids_for(imdb_id=rec.imdb)[0] == doubled


@pytest.mark.django_db
def test_it_reports_a_found_id_another_show_holds_instead_of_failing(fake, now, new_run):
    rec = fake.record(fake.ids[9])
    holder = _library([rec.id])[0]
    twin = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=None)
    factories.PlexShowFactory(show=twin)
    _feed_read(now, timedelta(minutes=1))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded"
    twin.refresh_from_db()
    assert (twin.tmdb_id, twin.tmdb_status) == (None, "error")
    assert f"belongs to show {holder.pk}" in run.summary["conflicts"][0]


@pytest.mark.django_db
def test_it_marks_a_show_tmdb_deleted_as_not_found_and_carries_on(fake, now, new_run):
    gone, kept = fake.ids[50], fake.ids[51]
    fake.remove([gone])
    _library([gone, kept])
    _feed_read(now, timedelta(minutes=1))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded" and run.errors == 0
    statuses = dict(Show.objects.values_list("tmdb_id", "tmdb_status"))
    assert statuses == {gone: "not_found", kept: "fresh"}


@pytest.mark.django_db
def test_it_fails_on_a_bad_key_without_changing_rows_or_showing_the_key(fake, now, new_run):
    _library(fake.ids[:3])
    _feed_read(now, timedelta(minutes=1))
    key = "not-the-key-SECRET-123"
    run = _batch(fake, now, new_run, key=key)
    assert run.status == "failed" and "Invalid API key" in run.error
    assert key not in run.error and key not in str(run.summary) and key not in str(run.events)
    assert fake.counts[TV] == 1  # an auth error stops the batch at once
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}


@pytest.mark.django_db
def test_it_keeps_going_past_a_429_it_honours(fake, now, new_run):
    _library(fake.ids[:4])
    _feed_read(now, timedelta(minutes=1))
    fake.inject(Fault("status", status=429, retry_after=0), times=1, path_prefix="/tv/")
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded" and run.errors == 0
    assert fake.counts[TV] == 5
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"fresh"}


@pytest.mark.django_db
def test_it_counts_shows_that_keep_failing_and_stops_after_three_in_a_row(fake, now, new_run):
    _library(fake.ids[:6])
    _feed_read(now, timedelta(minutes=1))
    fake.inject(Fault("status", status=503), times=6, path_prefix="/tv/")
    run = _batch(fake, now, new_run)
    assert run.status == "failed" and run.errors == 3
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}
    fake.clear_faults()
    assert _batch(fake, now, new_run).status == "succeeded"
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"fresh"}


@pytest.mark.django_db
def test_it_refreshes_only_the_shows_asked_for_and_reports_unknown_ids(fake, now, new_run):
    asked, other = _library(fake.ids[:2])
    run = _batch(fake, now, new_run, tmdb_ids=[asked.tmdb_id, 424242])
    assert run.status == "succeeded"
    assert fake.counts == Counter({TV: 1})
    assert run.errors == 1 and "TMDB id 424242" in run.summary["error_list"][0]
    assert Show.objects.get(pk=other.pk).tmdb_status == "unknown"
    assert "changes_read_at" not in cursor_get("tmdb")


@pytest.mark.django_db
def test_it_forces_fresh_shows_and_counts_a_show_added_to_sonarr_as_library(fake, now,
                                                                            new_run):
    fresh = _library(fake.ids[:3], tmdb_status="fresh", tmdb_fetched_at=now)
    in_sonarr = factories.DecisionFactory(status=Decision.Status.ADDED,
                                          show__tmdb_id=fake.ids[3]).show
    factories.DecisionFactory(status=Decision.Status.FILTERED, show__tmdb_id=fake.ids[4])
    pinned = factories.ShowFactory(tmdb_id=fake.ids[5], operator_added=True)
    run = _batch(fake, now + timedelta(minutes=5), new_run, force=True)
    assert fake.counts == Counter({TV: 5})
    refreshed = set(Show.objects.filter(tmdb_fetched_at=now + timedelta(minutes=5))
                    .values_list("pk", flat=True))
    assert refreshed == {s.pk for s in fresh} | {in_sonarr.pk, pinned.pk}
    assert run.summary["due"] == {"forced": 5}


@pytest.mark.django_db
def test_it_writes_nothing_once_the_run_is_cancelled(fake, now, new_run):
    _library(fake.ids[:3])
    _feed_read(now, timedelta(minutes=1))
    run = new_run(SyncRun.Kind.TMDB, "library")
    run_cancel(run.pk, by="otto")
    with pytest.raises(Exception, match="cancelled"):
        tmdb_batch(run, _client(fake), now=now)
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}


class _Meddling(TmdbClient):
    """The real client, plus something else happening in the world on the first ``tv``."""

    def __init__(self, fake, meddle) -> None:
        super().__init__(_client(fake).http)
        self._meddle = meddle

    def tv(self, tmdb_id: int):
        if self._meddle is not None:
            meddle, self._meddle = self._meddle, None
            meddle()
        return super().tv(tmdb_id)


@pytest.mark.django_db
def test_it_copes_with_shows_deleted_or_refreshed_while_it_runs(fake, now, new_run):
    shows = _library(fake.ids[:60])
    deleted, refreshed = shows[10], shows[55]  # one in this page, one in the next

    def meddle() -> None:
        Show.objects.filter(pk=deleted.pk).delete()
        Show.objects.filter(pk=refreshed.pk).update(tmdb_status="fresh", tmdb_fetched_at=now)

    _feed_read(now, timedelta(minutes=1))
    run = new_run(SyncRun.Kind.TMDB, "library", start=False)
    run = job_execute(run, lambda r: tmdb_batch(r, _Meddling(fake, meddle), now=now),
                      upstream="tmdb")
    assert run.status == "succeeded", run.error
    assert not Show.objects.filter(pk=deleted.pk).exists()  # never resurrected
    assert fake.counts[TV] == 59  # the one refreshed meanwhile is not fetched again
    assert run.processed == run.total == 60
    assert Show.objects.filter(tmdb_status="fresh").count() == 59


@pytest.mark.django_db
def test_it_rolls_the_page_back_when_the_run_is_cancelled_mid_page(fake, now, new_run):
    _library(fake.ids[:5])
    _feed_read(now, timedelta(minutes=1))
    run = new_run(SyncRun.Kind.TMDB, "library")
    client = _Meddling(fake, lambda: run_cancel(run.pk, by="otto"))
    with pytest.raises(Exception, match="cancelled"):
        tmdb_batch(run, client, now=now)
    assert fake.counts[TV] == 5
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}


@pytest.mark.django_db
def test_it_never_asks_find_with_a_malformed_imdb_id_or_no_id_at_all(fake, now, new_run):
    hostile = factories.ShowFactory(tvdb_id=None, imdb_id="../tv/1?x=")
    bare = factories.ShowFactory(tvdb_id=None, imdb_id=None)
    for show in (hostile, bare):
        factories.PlexShowFactory(show=show)
    _feed_read(now, timedelta(minutes=1))
    run = _batch(fake, now, new_run)
    assert run.status == "succeeded" and fake.total_requests() == 0
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"not_found"}
