"""UI scenario: p50/p95 page times with 100,000 shows, 100,000 Plex items and 100,000
decisions, through Django's test client in-process (no network: the figures are the view,
its queries and the template).

Each page is fetched once to warm caches (the filter facets), then ``REPEAT`` times.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.harness import CLOSED_URL, Row, peak_rss_mb
from catalog.models import (
    Decision,
    DiscoveryRule,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    PlexShow,
    RuleSelection,
    Show,
    SonarrServer,
    SyncRun,
)
from catalog.rules import preview

REPEAT = 15
BATCH = 5000
GENRES = ("Drama", "Comedy", "Crime", "Thriller", "Anime", "Science-Fiction", "Romance")
NETWORKS = ("HBO", "BBC One", "NBC", "Netflix", "NHK", "ABC", "CBS", "Hulu")
LANGS = ("English", "English", "English", "Japanese", "Korean", "French", "German")
STATUSES = ("Running", "Ended", "Ended", "To Be Determined", "In Development")
REASONS = ("genre:Reality", "language:Japanese", "ended", "runtime<20", "exclude:network:CBS")


def _seed(shows: int, items: int) -> tuple[int, int]:
    rng = random.Random(7)
    now = timezone.now()
    for start in range(0, shows, BATCH):
        Show.objects.bulk_create([Show(
            tvmaze_id=i + 1, tvdb_id=70_000 + i, title=f"{rng.choice(('The', 'Dark', 'Lost'))} "
            f"{rng.choice(('River', 'Harbor', 'Signal', 'Crown', 'Echo'))} {i}",
            genres=rng.sample(GENRES, 2), network=rng.choice(NETWORKS),
            language=rng.choice(LANGS), status=rng.choice(STATUSES), country="US",
            premiered=date(1960, 1, 1) + timedelta(days=rng.randrange(23_000)),
            tmdb_season_episodes=[[0, 2], *([s, 10] for s in range(1, 6))] if i % 2 else [])
            for i in range(start, min(shows, start + BATCH))])
    server = PlexServer.objects.create(name="bench", url=CLOSED_URL, token="t")
    PathMapping.objects.create(server=server, plex_prefix="/data/tv", local_prefix="/mnt/tv")
    library = PlexLibrary.objects.create(server=server, key="1", title="TV", type="show",
                                         last_complete_scan_at=now)
    per_show = 50
    show_ids = list(Show.objects.order_by("id").values_list("id", flat=True)[:items // per_show])
    PlexShow.objects.bulk_create([PlexShow(library=library, rating_key=str(n), show_id=sid,
                                           title=f"P{n}") for n, sid in enumerate(show_ids)])
    plex_shows = list(PlexShow.objects.order_by("id").values_list("id", flat=True))
    states = ("active",) * 8 + ("remote_only", "missing")
    for start in range(0, items, BATCH):
        MediaItem.objects.bulk_create([MediaItem(
            library=library, plex_show_id=plex_shows[n // per_show], kind="episode",
            rating_key=str(100_000 + n), season_number=1 + (n % per_show) // 10,
            episode_number=1 + n % 10, digest="0" * 32, state=rng.choice(states),
            file_path=f"/data/tv/s{n // per_show}/e{n}.mkv", first_seen_at=now,
            last_seen_at=now) for n in range(start, min(items, start + BATCH))])
    sonarr = SonarrServer.objects.create(name="s", url=CLOSED_URL, api_key="k")
    rule = DiscoveryRule.objects.create(name="English dramas", server=sonarr, root_folder="/tv",
                                        quality_profile="HD-1080p", exclude_networks=["CBS"])
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"], languages=["English"])
    all_ids = list(Show.objects.values_list("id", flat=True))
    for start in range(0, len(all_ids), BATCH):
        Decision.objects.bulk_create([Decision(
            show_id=sid, rule=rule, status=rng.choice(("filtered",) * 6 + ("pending", "added")),
            reason=rng.choice(REASONS)) for sid in all_ids[start:start + BATCH]])
    SyncRun.objects.bulk_create([SyncRun(
        kind=rng.choice(("tvmaze", "plex")), scope=f"s{n}", status="succeeded",
        started_at=now, finished_at=now + timedelta(seconds=rng.randrange(300)),
        processed=rng.randrange(10_000)) for n in range(500)])
    SyncRun.objects.create(kind="plex", scope="live", status="running", total=100,
                           processed=40, started_at=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return show_ids[0], server.pk


def _time(client: Client, url: str, before: Callable[[], None] = lambda: None
          ) -> tuple[float, float]:
    assert client.get(url).status_code == 200, url  # warm: facets cached, plans prepared
    samples = []
    for _ in range(REPEAT):
        before()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run(shows: int, items: int) -> list[Row]:
    started = time.perf_counter()
    show_id, server_id = _seed(shows, items)
    print(f"(seeded {shows:,} shows, {items:,} items, {shows:,} decisions in "
          f"{time.perf_counter() - started:.1f} s)")
    user = User.objects.create_user("bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    pages = [("dashboard", "/"), ("shows, page 1", "/shows/"),
             ("shows, title search", "/shows/?q=harbor+12"),
             ("shows, genre + in library", "/shows/?genre=Drama&library=yes"),
             ("shows, decision filter", "/shows/?rule=1&decision=pending"),
             ("shows, page 1000 (deep offset)", "/shows/?page=1000"),
             ("show detail (50 items)", f"/shows/{show_id}/"),
             ("libraries", "/libraries/"), ("server", f"/libraries/servers/{server_id}/"),
             (f"rules ({shows:,} decisions)", "/rules/"), ("runs", "/runs/"),
             ("runs fragment (polled)", "/runs/active/"),
             (f"rule preview ({shows:,} shows evaluated)", "/rules/1/preview/?" + urlencode(
                 {"filters": '{"selections": [{"genres_any": ["Crime"], "statuses": '
                             '["Running"]}], "excludes": {"networks": ["CBS"]}}'}))]
    # The preview memoises its fact groupings per process; "cold" forgets them first, as
    # after a shows writer's commit.
    pages.append((f"rule preview, cold ({shows:,} shows grouped anew)", pages[-1][1]))
    rows = []
    for name, url in pages:
        p50, p95 = _time(client, url, preview.memo_forget if "cold" in name else lambda: None)
        rows.append(Row(f"page {name}", p50 / 1000, 0, 0, peak_rss_mb(), "p50 < 200 ms",
                        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms"))
    return rows
