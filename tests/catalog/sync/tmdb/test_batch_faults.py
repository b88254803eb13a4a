"""The TMDB batch when things go wrong: errors, cancels, the world changing mid-run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.models import Show, SyncRun
from catalog.runs import run_cancel
from catalog.runs.execute import job_execute
from catalog.sync.tmdb import tmdb_batch
from integrations.fakes.base import Fault
from integrations.tmdb import TmdbClient
from tests import factories
from tests.catalog.sync.tmdb.helpers import TV, batch, fake_client, feed_read, library_of


@pytest.mark.django_db
def test_it_marks_a_show_tmdb_deleted_as_not_found_and_carries_on(fake, now, new_run):
    gone, kept = fake.ids[50], fake.ids[51]
    fake.remove([gone])
    library_of([gone, kept])
    feed_read(now, timedelta(minutes=1))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded" and run.errors == 0
    statuses = dict(Show.objects.values_list("tmdb_id", "tmdb_status"))
    assert statuses == {gone: "not_found", kept: "fresh"}


@pytest.mark.django_db
def test_it_fails_on_a_bad_key_without_changing_rows_or_showing_the_key(fake, now, new_run):
    library_of(fake.ids[:3])
    feed_read(now, timedelta(minutes=1))
    key = "not-the-key-SECRET-123"
    run = batch(fake, now, new_run, key=key)
    assert run.status == "failed" and "Invalid API key" in run.error
    assert key not in run.error and key not in str(run.summary) and key not in str(run.events)
    assert fake.counts[TV] == 1  # an auth error stops the batch at once
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}


@pytest.mark.django_db
def test_it_keeps_going_past_a_429_it_honours(fake, now, new_run):
    library_of(fake.ids[:4])
    feed_read(now, timedelta(minutes=1))
    fake.inject(Fault("status", status=429, retry_after=0), times=1, path_prefix="/tv/")
    run = batch(fake, now, new_run)
    assert run.status == "succeeded" and run.errors == 0
    assert fake.counts[TV] == 5
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"fresh"}


@pytest.mark.django_db
def test_it_counts_shows_that_keep_failing_and_stops_after_three_in_a_row(fake, now, new_run):
    library_of(fake.ids[:6])
    feed_read(now, timedelta(minutes=1))
    fake.inject(Fault("status", status=503), times=6, path_prefix="/tv/")
    run = batch(fake, now, new_run)
    assert run.status == "failed" and run.errors == 3
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}
    fake.clear_faults()
    assert batch(fake, now, new_run).status == "succeeded"
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"fresh"}


@pytest.mark.django_db
def test_it_writes_nothing_once_the_run_is_cancelled(fake, now, new_run):
    library_of(fake.ids[:3])
    feed_read(now, timedelta(minutes=1))
    run = new_run(SyncRun.Kind.TMDB, "library")
    run_cancel(run.pk, by="otto")
    with pytest.raises(Exception, match="cancelled"):
        tmdb_batch(run, fake_client(fake), now=now)
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}


class _Meddling(TmdbClient):
    """The real client, plus something else happening in the world on the first ``tv``."""

    def __init__(self, fake, meddle) -> None:
        super().__init__(fake_client(fake).http)
        self._meddle = meddle

    def tv(self, tmdb_id: int):
        if self._meddle is not None:
            meddle, self._meddle = self._meddle, None
            meddle()
        return super().tv(tmdb_id)


@pytest.mark.django_db
def test_it_copes_with_shows_deleted_or_refreshed_while_it_runs(fake, now, new_run):
    shows = library_of(fake.ids[:60])
    deleted, refreshed = shows[10], shows[55]  # one in this page, one in the next

    def meddle() -> None:
        Show.objects.filter(pk=deleted.pk).delete()
        Show.objects.filter(pk=refreshed.pk).update(tmdb_status="fresh", tmdb_fetched_at=now)

    feed_read(now, timedelta(minutes=1))
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
    library_of(fake.ids[:5])
    feed_read(now, timedelta(minutes=1))
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
    feed_read(now, timedelta(minutes=1))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded" and fake.total_requests() == 0
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"not_found"}
