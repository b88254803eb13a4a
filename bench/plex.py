"""Plex scenario: first ingest of a large TV library, the naive plexapi walk for comparison,
an unchanged re-scan, a one-show-changed re-scan, an unchanged re-scan of a bulk-imported
library (every item sharing one stamp), and peak RSS as the library grows.

The fake runs in its own process (rows pre-rendered by a warm-up pass, Nagle off), so the
figures are mediasync's. Scans run on the fake's clock (``now`` injected) so that Plex's
``updatedAt`` filters and the scans agree.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from django.db import connection

from bench.fakeproc import FakeProcess
from bench.harness import Row, measure, peak_rss_mb
from catalog.models import PlexLibrary, PlexServer, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.plex import plex_library_sync
from catalog.sync.plex.verify import PAGE as VERIFY_PAGE
from integrations.fakes.plex import BASE_NOW, LibrarySpec, PlexFake
from integrations.plex import PlexClient
from integrations.plex.client import PAGE_SIZE

TOKEN = "bench-token"
T0 = datetime.fromtimestamp(BASE_NOW + 600, tz=UTC)


def _warm(url: str, key: str, kind: int) -> None:
    """Render every row of a listing once, as XML (plexapi) and JSON (our client), so no
    measured request pays the fake's first render."""
    session = requests.Session()
    for accept, row in (("application/xml", b"ratingKey="), ("application/json", b'"ratingKey"')):
        start = 0
        while True:
            response = session.get(f"{url}/library/sections/{key}/all", timeout=60, params={
                "type": kind, "includeGuids": 1, "X-Plex-Container-Start": start,
                "X-Plex-Container-Size": 5000, "X-Plex-Token": TOKEN},
                headers={"Accept": accept})
            response.raise_for_status()
            if row not in response.content:
                break
            start += 5000


def _first_episode(url: str, key: str) -> str:
    response = requests.get(f"{url}/library/sections/{key}/all", timeout=30, params={
        "type": 4, "X-Plex-Container-Size": 1, "X-Plex-Token": TOKEN})
    response.raise_for_status()
    return response.text.split('ratingKey="', 2)[1].split('"', 1)[0]


def _sync(client: PlexClient, library: PlexLibrary, now: datetime) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}",
                    options={"library_id": library.pk})
    done = job_execute(run, lambda r: plex_library_sync(r, library_id=library.pk,
                                                        client=client, now=now),
                       upstream="plex")
    if done.status != SyncRun.Status.SUCCEEDED or not done.summary.get("complete"):
        raise RuntimeError(f"plex sync failed: {done.error or done.summary.get('errors')}")
    return done


def _listing_requests(shows: int) -> int:
    """The newest-episode probe, one updated-since page, and the show pages."""
    return 1 + 1 + math.ceil(shows / PAGE_SIZE)


def _naive(url: str, key: str) -> int:
    """What a plexapi script does: section.all(), then show.episodes() and each episode's
    media (auto-reload left as the client sets it: off). Returns how many parts it read."""
    client = PlexClient.build(base_url=url, token=TOKEN, rate_limit=None)
    client.connect()
    section = client.server.library.sectionByID(int(key))
    seen = 0
    for show in section.all():
        for episode in show.episodes():
            for media in episode.media:
                for part in media.parts:
                    seen += bool(part.file and part.size is not None)
    client.close()
    return seen


def _naive_row(fake: FakeProcess, key: str, episodes: int) -> Row:
    requests_of: Callable[[], int] = lambda: fake.call("total_requests")  # noqa: E731
    row, seen = measure(f"naive plexapi walk ({episodes:,} ep)", "reference: 1/3 of it",
                        lambda: _naive(fake.url, key), requests_of)
    row.note = f"{seen:,} parts read"
    return row


def _sqlite_cache_mb() -> float:
    """The page cache SQLite may fill (settings' PRAGMA cache_size), part of any peak RSS."""
    if connection.vendor != "sqlite":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        page = int(cursor.fetchone()[0])
    return -size / 1024 if size < 0 else size * page / 2**20


def run(shows: int, episodes: int) -> list[Row]:
    specs = [LibrarySpec("1", "show", "TV", shows=shows, episodes=episodes),
             LibrarySpec("2", "show", "Small", shows=max(1, shows // 5),
                         episodes=max(1, episodes // 5), root="/data/small")]
    started = time.perf_counter()
    with FakeProcess(PlexFake, libraries=specs, token=TOKEN, seed=21) as fake:
        fake.call("set_now", BASE_NOW - 3600)  # the small library: bulk-imported an hour ago
        fake.call("refresh_all", specs[1].key)
        fake.call("set_now", BASE_NOW)
        for spec in specs:
            _warm(fake.url, spec.key, 2)
            _warm(fake.url, spec.key, 4)
        print(f"(fake generated and warmed in {time.perf_counter() - started:.1f} s)")
        rows = _scans(fake, specs, shows, episodes)
        naive = _naive_row(fake, "1", episodes)  # last: its objects must not swell our RSS
    first = rows[1]
    first.note = (f"{naive.seconds / first.seconds:.1f}x faster than the naive walk "
                  f"({first.seconds / naive.seconds:.2f} of its wall time)")
    return [*rows, naive]


def _scans(fake: FakeProcess, specs: list[LibrarySpec], shows: int, episodes: int
           ) -> list[Row]:
    server = PlexServer.objects.create(name="bench", url=fake.url, token=TOKEN)
    tv, small = (PlexLibrary.objects.create(server=server, key=s.key, title=s.title, type="show")
                 for s in specs[:2])
    client = PlexClient.build(base_url=fake.url, token=TOKEN, rate_limit=None)
    requests_of: Callable[[], int] = lambda: fake.call("total_requests")  # noqa: E731
    small_row, _ = measure(f"plex first ingest ({specs[1].shows:,} / {specs[1].episodes:,})",
                           "RSS baseline", lambda: _sync(client, small, T0), requests_of)
    first, _ = measure(f"plex first ingest ({shows:,} shows / {episodes:,} ep)",
                       "511 req, <= 4 s CPU, <= naive/6",
                       lambda: _sync(client, tv, T0), requests_of)
    same, done = measure("plex unchanged re-scan", "< 2 s, listings + verification slice",
                         lambda: _sync(client, tv, T0 + timedelta(hours=1)), requests_of)
    same.note = (f"rows = the bulk 'seen' touch; {_listing_requests(shows)} listing requests "
                 f"+ {math.ceil(done.summary['verified'] / VERIFY_PAGE)} for the hour's "
                 f"verification slice ({done.summary['verified']:,} items re-read, "
                 f"{done.summary['verify_changed']} changed)")
    bulk, done = measure(f"plex unchanged re-scan, bulk import ({specs[1].episodes:,} ep)",
                         "<= 20 req (was every row)",
                         lambda: _sync(client, small, T0 + timedelta(hours=1)), requests_of)
    bulk.note = (f"one stamp for every item; {done.summary['verified']:,} re-read by the "
                 "verification slice, nothing re-listed")
    fake.call("set_now", int((T0 + timedelta(hours=1, minutes=30)).timestamp()))
    fake.call("replace_file", _first_episode(fake.url, "1"))
    one, done = measure("plex one-show-changed re-scan", "<= unchanged + 1 request",
                        lambda: _sync(client, tv, T0 + timedelta(hours=2)), requests_of)
    one.note = (f"{done.summary['expanded_shows']} expansion, {done.summary['updated']} "
                "updated, and the hour's verification slice")
    rss = Row("peak RSS as the library grows", 0, 0, 0, peak_rss_mb(), "< 300 MB, flat",
              f"{small_row.peak_rss_mb:.0f} MB after {specs[1].episodes:,} episodes, "
              f"{first.peak_rss_mb:.0f} MB after {episodes:,} (growth within SQLite's page cache, "
              f"capped at {_sqlite_cache_mb():.0f} MB; pages are streamed)")
    client.close()
    return [small_row, first, same, bulk, one, rss]
