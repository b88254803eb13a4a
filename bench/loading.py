"""Loading scenario: an operator adds N shows at once; a real django-q2 cluster loads them.

The fakes enforce the upstreams' documented limits (TVMaze 20 calls / 10 s, TMDB 40 / s) and
the clients are configured with the same limits; images come from a second TMDB fake, as the
real image host is not under the API's limit. The adds are real requests through Django's
test client (the whole middleware and DRF stack, no network), eight at a time.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.fakeproc import FakeProcess
from bench.harness import Row, peak_rss_mb
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from integrations.fakes.tvmaze import TvmazeFake

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 5
DONE = ("completed", "partial", "failed")


def _bodies(tvmaze: FakeProcess, tmdb: FakeProcess, shows: int) -> list[dict]:
    """Adds by every kind of id: 60% TVMaze, 20% TVDB, 10% IMDb, 10% TMDB."""
    bodies: list[dict] = []
    for show_id in tvmaze.call("ids"):
        if len(bodies) == shows:
            break
        rec = tvmaze.call("record", show_id)
        if rec.tvdb is None or rec.imdb is None or rec.malformed:
            continue
        slot = len(bodies) % 10
        if slot < 6:
            bodies.append({"tvmaze_id": show_id})
        elif slot < 8:
            bodies.append({"tvdb_id": rec.tvdb})
        elif slot == 8:
            bodies.append({"imdb_id": rec.imdb})
        else:
            found = tmdb.call("ids_for", tvdb_id=rec.tvdb)
            bodies.append({"tmdb_id": found[0]} if found else {"tvmaze_id": show_id})
    return bodies


def _cluster(tvmaze_url: str, tmdb_url: str) -> subprocess.Popen:
    env = {**os.environ, "TVMAZE_BASE_URL": tvmaze_url, "TMDB_BASE_URL": tmdb_url,
           "TMDB_API_KEY": DEFAULT_API_KEY, "TVMAZE_RATE_CALLS": "20", "TVMAZE_RATE_PERIOD": "10",
           "TMDB_RATE_CALLS": "40", "TMDB_RATE_PERIOD": "1", "Q_WORKERS": str(WORKERS),
           "LOADER_CONCURRENCY": str(WORKERS), "LOG_LEVEL": "warning"}
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _add_all(bodies: list[dict]) -> list[float]:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    user = User.objects.create_user("bench-operator", password="x")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    local = threading.local()

    def add(body: dict) -> float:
        if not hasattr(local, "client"):  # one logged-in operator per thread, like a browser
            local.client = Client(HTTP_HOST="localhost")
            local.client.force_login(user)
        started = time.perf_counter()
        response = local.client.post("/api/shows/", body, content_type="application/json")
        took = time.perf_counter() - started
        if response.status_code != 202:
            raise RuntimeError(f"add {body} answered {response.status_code}")
        return took

    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            return list(pool.map(add, bodies))
        finally:
            pool.submit(connection.close)


def _wait_done(shows: int, timeout: float) -> int:
    from catalog.models import Show

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Show.objects.filter(loading_status__in=DONE).count()
        if done >= shows:
            return done
        time.sleep(1)
    return Show.objects.filter(loading_status__in=DONE).count()


def run(shows: int) -> list[Row]:
    from django.core.management import call_command
    from django.db.models import Count
    from django_q.models import Schedule

    from catalog.models import Episode, Show

    call_command("createcachetable", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    Schedule.objects.exclude(name="resume show loading").delete()  # no catalog sync meanwhile
    with FakeProcess(TvmazeFake, count=int(shows * 1.4) + 50, seed=21) as tvmaze, \
            FakeProcess(TmdbFake, count=int(shows * 1.4) + 50, seed=21) as tmdb, \
            FakeProcess(TmdbFake, count=1, seed=1) as images:
        tmdb.call("set_image_host", images.url)
        bodies = _bodies(tvmaze, tmdb, shows)
        tvmaze.call("enforce_rate_limit", 20, 10.0)
        tmdb.call("enforce_rate_limit", 40, 1.0)
        cluster = _cluster(tvmaze.url, tmdb.url)
        try:
            started = time.perf_counter()
            latencies = _add_all(bodies)
            added = time.perf_counter() - started
            done = _wait_done(len(bodies), timeout=3600)
            seconds = time.perf_counter() - started
        finally:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=60)
        counts = {name: fake.call("total_requests") for name, fake in
                  (("tvmaze", tvmaze), ("tmdb", tmdb), ("images", images))}
        limited = tvmaze.call("rate_limited") + tmdb.call("rate_limited")
    statuses = dict(Show.objects.values_list("loading_status").annotate(n=Count("id")))
    failed_parts = Counter(part for errors in Show.objects.exclude(loading_errors={})
                           .values_list("loading_errors", flat=True) for part in errors)
    total = sum(counts.values())
    per_show = {k: round(v / len(bodies), 2) for k, v in counts.items()}
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    note = (f"done {done}/{len(bodies)} {statuses} failed parts {dict(failed_parts)}; "
            f"requests/show {round(total / len(bodies), 2)} "
            f"{per_show}; 429s {limited}; episodes {Episode.objects.count()}; "
            f"adds took {added:.1f} s, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    floor = counts["tvmaze"] / 2
    return [Row(f"add {len(bodies)} shows, load all parts", seconds, total, 0, peak_rss_mb(),
                f"TVMaze floor {floor:.0f} s", note)]
