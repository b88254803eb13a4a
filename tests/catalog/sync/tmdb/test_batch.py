"""The TMDB batch as a SyncRun against the TMDB fake: what is due is fetched, nothing else."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from catalog.db.cursors import cursor_get
from catalog.models import Decision, Show
from tests import factories
from tests.catalog.sync.tmdb.helpers import CHANGES, FIND, TV, batch, feed_read, library_of


@pytest.mark.django_db
def test_it_refreshes_placeholders_and_stale_shows_and_skips_fresh_ones(fake, now, new_run):
    ids = fake.ids
    placeholders = library_of(ids[:5])
    stale = library_of(ids[5:12], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=8))
    fresh = library_of(ids[12:20], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=2),
                     overview="kept")
    outsider = Show.objects.create(title="TVMaze only", tmdb_id=ids[20], tvmaze_id=1)
    factories.MediaItemFactory(plex_show=placeholders[0].plex_shows.get(), season_number=1,
                               episode_number=1)
    feed_read(now, timedelta(minutes=10))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded", run.error
    assert fake.counts == Counter({TV: 12})
    assert (run.total, run.processed, run.skipped, run.changed) == (20, 20, 8, 12)
    assert run.summary["due"] == {"placeholder": 5, "stale": 7}
    assert run.summary["plex_absent"] == 11  # one placeholder has an episode in Plex
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
def test_it_makes_no_request_on_an_immediate_secondbatch(fake, now, new_run):
    library_of(fake.ids[:30])
    assert batch(fake, now, new_run).status == "succeeded"
    first = fake.total_requests()
    assert fake.counts[TV] == 30 and fake.counts[CHANGES] >= 1
    second = batch(fake, now + timedelta(minutes=3), new_run)
    assert fake.total_requests() == first and second.requests == 0
    assert second.summary["feed"].startswith("skipped")
    assert (second.processed, second.skipped) == (30, 30)


@pytest.mark.django_db
def test_it_refreshes_library_shows_the_changes_feed_lists_inside_their_ttl(fake, now, new_run):
    ids = fake.ids[100:140]
    shows = library_of(ids, tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=1))
    fake.change(ids[:4], ts=fake.now - 3600)
    elsewhere = fake.ids[300]
    fake.change([elsewhere], ts=fake.now - 60)  # changed upstream, not in the library
    feed_read(now, timedelta(days=2))
    run = batch(fake, now, new_run)
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
    library_of(fake.ids[:3], tmdb_status="fresh", tmdb_fetched_at=now - timedelta(days=1))
    feed_read(now, timedelta(days=15))
    run = batch(fake, now, new_run)
    assert fake.total_requests() == 0
    assert "the TTL covers the gap" in run.summary["feed"]
    assert cursor_get("tmdb")["changes_read_at"] == now.isoformat()


@pytest.mark.django_db
def test_it_spreads_expiry_with_a_per_row_jitter(fake, now, new_run):
    shows = library_of(fake.ids[:200])
    feed_read(now, timedelta(minutes=1))
    batch(fake, now, new_run)
    jitters = Counter(Show.objects.filter(pk__in=[s.pk for s in shows])
                      .values_list("tmdb_jitter_days", flat=True))
    assert set(jitters) == {0, 1, 2, 3}  # up to half the TTL of 7 days
    assert max(jitters.values()) < 100
    fake.reset_counts()
    feed_read(now + timedelta(days=5), timedelta(minutes=1))
    later = batch(fake, now + timedelta(days=5), new_run)  # due: jitter 2 and 3 only
    assert fake.counts[TV] == jitters[2] + jitters[3] == sum(later.summary["due"].values())


@pytest.mark.django_db
def test_it_finds_missing_tmdb_ids_and_remembers_shows_tmdb_lacks(fake, now, new_run):
    rec = fake.record(fake.ids[7])
    known = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=rec.imdb)
    absent = factories.ShowFactory(tvdb_id=9_999_999, imdb_id="tt0000001")
    for show in (known, absent):
        factories.PlexShowFactory(show=show)
    feed_read(now, timedelta(minutes=1))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded", run.error
    known.refresh_from_db()
    absent.refresh_from_db()
    assert (known.tmdb_id, known.tmdb_status) == (rec.id, "fresh")
    assert (absent.tmdb_id, absent.tmdb_status) == (None, "not_found")
    assert fake.counts == Counter({FIND: 3, TV: 1})  # tvdb hit; tvdb then imdb miss
    fake.reset_counts()
    feed_read(now + timedelta(days=3), timedelta(minutes=1))
    batch(fake, now + timedelta(days=3), new_run)
    assert fake.total_requests() == 0  # "not on TMDB" is remembered within the TTL
    feed_read(now + timedelta(days=8), timedelta(minutes=1))
    batch(fake, now + timedelta(days=8), new_run)
    assert fake.counts[FIND] == 2


@pytest.mark.django_db
def test_it_lets_the_imdb_id_decide_between_two_tmdb_shows_sharing_a_tvdb_id(fake, now,
                                                                            new_run):
    doubled = next(i for i in fake.ids if len(fake.ids_for(tvdb_id=fake.record(i).tvdb or 0)) > 1)
    rec = fake.record(doubled)
    show = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=rec.imdb)
    factories.PlexShowFactory(show=show)
    feed_read(now, timedelta(minutes=1))
    batch(fake, now, new_run)
    show.refresh_from_db()
    assert show.tmdb_id == fake.ids_for(imdb_id=rec.imdb)[0] == doubled


@pytest.mark.django_db
def test_it_reports_a_found_id_another_show_holds_instead_of_failing(fake, now, new_run):
    rec = fake.record(fake.ids[9])
    holder = library_of([rec.id])[0]
    twin = factories.ShowFactory(tvdb_id=rec.tvdb, imdb_id=None)
    factories.PlexShowFactory(show=twin)
    feed_read(now, timedelta(minutes=1))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded"
    twin.refresh_from_db()
    assert (twin.tmdb_id, twin.tmdb_status) == (None, "error")
    assert f"belongs to show {holder.pk}" in run.summary["conflicts"][0]


@pytest.mark.django_db
def test_it_refreshes_only_the_shows_asked_for_and_reports_unknown_ids(fake, now, new_run):
    asked, other = library_of(fake.ids[:2])
    run = batch(fake, now, new_run, tmdb_ids=[asked.tmdb_id, 424242])
    assert run.status == "succeeded"
    assert fake.counts == Counter({TV: 1})
    assert run.errors == 1 and "TMDB id 424242" in run.summary["error_list"][0]
    assert Show.objects.get(pk=other.pk).tmdb_status == "unknown"
    assert "changes_read_at" not in cursor_get("tmdb")


@pytest.mark.django_db
def test_it_forces_fresh_shows_and_counts_a_show_added_to_sonarr_aslibrary_of(fake, now,
                                                                            new_run):
    fresh = library_of(fake.ids[:3], tmdb_status="fresh", tmdb_fetched_at=now)
    in_sonarr = factories.DecisionFactory(status=Decision.Status.ADDED,
                                          show__tmdb_id=fake.ids[3]).show
    factories.DecisionFactory(status=Decision.Status.FILTERED, show__tmdb_id=fake.ids[4])
    pinned = factories.ShowFactory(tmdb_id=fake.ids[5], operator_added=True)
    run = batch(fake, now + timedelta(minutes=5), new_run, force=True)
    assert fake.counts == Counter({TV: 5})
    refreshed = set(Show.objects.filter(tmdb_fetched_at=now + timedelta(minutes=5))
                    .values_list("pk", flat=True))
    assert refreshed == {s.pk for s in fresh} | {in_sonarr.pk, pinned.pk}
    assert run.summary["due"] == {"forced": 5}
