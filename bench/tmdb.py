"""TMDB scenario: a batch over N library shows with 10% stale, then an immediate second batch.

The batch runs through the production client (shared SQLite rate-limit bucket, 40 calls a
second by default), so its time is bounded below by the rate limit: ``requests / 40`` s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from bench.fakeproc import FakeProcess
from bench.harness import CLOSED_URL, Row, measure
from catalog.db.cursors import cursor_set
from catalog.models import PlexLibrary, PlexServer, PlexShow, Show, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.tmdb import tmdb_batch
from catalog.upstreams.clients import tmdb_client
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake

START = 1_700_000_000
LATER = START + 90 * 86_400  # the fake's own changes are all older than the feed window


def _library(ids: list[int], now: datetime, stale_every: int) -> None:
    """Library shows: fresh (a day old) but every ``stale_every``-th one past the TTL."""
    server = PlexServer.objects.create(name="bench", url=CLOSED_URL, token="t")
    library = PlexLibrary.objects.create(server=server, key="1", title="TV", type="show")
    shows = Show.objects.bulk_create(
        [Show(title=f"Show {i}", tmdb_id=tmdb_id, tmdb_status=Show.TmdbStatus.FRESH,
              tmdb_fetched_at=now - timedelta(days=8 if i % stale_every == 0 else 1))
         for i, tmdb_id in enumerate(ids)], batch_size=1000)
    PlexShow.objects.bulk_create(
        [PlexShow(library=library, rating_key=str(s.pk), show=s, title=s.title) for s in shows],
        batch_size=1000)
    cursor_set("tmdb", {"changes_read_at": (now - timedelta(days=2)).isoformat()})


def _batch(now: datetime) -> SyncRun:
    client = tmdb_client()
    run = run_claim(kind=SyncRun.Kind.TMDB, scope="library")
    done = job_execute(run, lambda r: tmdb_batch(r, client, now=now), upstream="tmdb")
    if done.status != SyncRun.Status.SUCCEEDED:
        raise RuntimeError(f"tmdb batch failed: {done.error}")
    return done


def run(shows: int) -> list[Row]:
    calls, period = settings.TMDB_RATE_CALLS, settings.TMDB_RATE_PERIOD
    with FakeProcess(TmdbFake, count=int(shows * 1.05) + 50, seed=13, start_ts=START) as fake:
        settings.TMDB_BASE_URL, settings.TMDB_API_KEY = fake.url, DEFAULT_API_KEY
        fake.call("set_now", LATER)
        fake.call("add", 50)  # changed upstream now, but not in the library
        now = datetime.fromtimestamp(LATER, tz=UTC)
        _library(fake.call("ids")[:shows], now, stale_every=10)
        requests = lambda: fake.call("total_requests")  # noqa: E731
        first, done = measure(f"tmdb batch ({shows:,} library, 10% stale)", "", lambda: _batch(now),
                              requests)
        floor = first.requests / calls * period if calls else 0.0
        first.target = f"~{shows // 10:,} requests, <= {floor * 1.1:.1f} s (floor {floor:.1f} s)"
        first.note = f"refreshed {done.summary['refreshed']}, feed: {done.summary['feed']}"
        second, _ = measure("tmdb immediate second batch", "0 requests",
                            lambda: _batch(now + timedelta(minutes=1)), requests)
    return [first, second]
