"""Live scenario: how soon a change in Plex is in the catalog, through the real processes.

The Plex fake runs in a process of its own; ``manage.py listen`` and ``manage.py qcluster``
run as they do in production (the listener queues a refresh run, a worker executes it). For
each of ``events`` changes, made one at a time (an episode added, a file upgraded, an
episode deleted, in turn), the clock runs from the change in the fake until the catalog row
shows it (polled every 10 ms). Requests are the fake's library requests, per change. First
``sequential`` changes one at a time (each its own refresh: the cost of one event), then
``events`` changes arriving every ``every`` seconds (bursts coalesce, as they do in Plex).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django_q.models import OrmQ, Schedule

from bench.fakeproc import FakeProcess
from bench.harness import Row, peak_rss_mb
from catalog.models import (
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexListenerState,
    PlexServer,
    PlexShow,
)
from catalog.runs.execute import sync_run_now
from integrations.fakes.plex import BASE_NOW, LibrarySpec, PlexFake

TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 20.0


def _spawn(*argv: str) -> subprocess.Popen:
    env = {**os.environ, "Q_WORKERS": "2", "LOADER_CONCURRENCY": "0",  # no TVMaze here
           "TVMAZE_BASE_URL": "http://127.0.0.1:9", "TMDB_BASE_URL": "http://127.0.0.1:9"}
    log = open(Path(os.environ["DATA_DIR"]) / f"{argv[0]}.log", "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "manage.py", *argv], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _until(check: Callable[[], bool], timeout: float = TIMEOUT) -> float | None:
    """Seconds until ``check`` holds (None when it never did)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        time.sleep(0.01)
    return None


class Changes:
    """The n-th change in the fake, and the check that the catalog shows it: an episode
    added, a file upgraded, an episode deleted, in turn (each on an item no other change
    touches)."""

    def __init__(self, fake: FakeProcess, library: PlexLibrary) -> None:
        self.fake, self.library = fake, library
        self.items = MediaItem.objects.filter(library=library)
        self.shows = list(PlexShow.objects.filter(library=library).values_list("rating_key",
                                                                               flat=True))
        self.spare = list(self.items.filter(state=MediaItem.State.ACTIVE).order_by("id"))

    def make(self, n: int) -> Callable[[], bool]:
        items = self.items
        if n % 3 == 0:
            rk = self.fake.call("add_episode", self.shows[n % len(self.shows)])
            return lambda: items.filter(rating_key=rk).exists()
        item = self.spare.pop((n * 37) % len(self.spare))
        if n % 3 == 1:
            self.fake.call("replace_file", item.rating_key)
            return lambda: items.filter(pk=item.pk).exclude(digest=item.digest).exists()
        self.fake.call("remove_item", item.rating_key)
        return lambda: items.filter(pk=item.pk, state=MediaItem.State.MISSING).exists()


def _one_at_a_time(changes: Changes, first: int, count: int) -> list[float]:
    latencies = []
    for n in range(first, first + count):
        seen = _until(changes.make(n))
        if seen is None:
            raise RuntimeError(f"change {n} never reached the catalog")
        latencies.append(seen)
    return latencies


def _a_stream(changes: Changes, first: int, count: int, every: float) -> list[float]:
    """A change every ``every`` seconds, whatever is still pending; each one's latency."""
    pending: dict[int, tuple[float, Callable[[], bool]]] = {}
    latencies: list[float] = []
    next_at, n = time.perf_counter(), first
    while n < first + count or pending:
        now = time.perf_counter()
        if n < first + count and now >= next_at:
            pending[n] = (time.perf_counter(), changes.make(n))
            n, next_at = n + 1, next_at + every
        for key, (made, check) in list(pending.items()):
            if check():
                latencies.append(time.perf_counter() - made)
                del pending[key]
            elif time.perf_counter() - made > TIMEOUT:
                raise RuntimeError(f"change {key} never reached the catalog")
        time.sleep(0.01)
    return latencies


def _figures(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return (f"p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, "
            f"max {ordered[-1]:.2f} s")


def run(*, events: int = 200, sequential: int = 20, every: float = 0.5, shows: int = 50,
        episodes: int = 2000) -> list[Row]:
    fake = FakeProcess(PlexFake, libraries=[LibrarySpec("1", "show", "TV", shows=shows,
                                                        episodes=episodes)],
                       token=TOKEN, seed=4)
    processes: list[subprocess.Popen] = []
    try:
        server = PlexServer.objects.create(name="bench", url=fake.url, token=TOKEN)
        PathMapping.objects.create(server=server, plex_prefix="/data/tv", local_prefix="/mnt/tv")
        library = PlexLibrary.objects.create(server=server, key="1", title="TV", type="show")
        fake.call("set_now", BASE_NOW + 600)
        first = sync_run_now(kind="plex", options={"library_id": library.pk},
                             triggered_by="bench")
        assert first.summary.get("complete"), first.summary
        # The ingest queued show loads (TVMaze lookups), and the new library got its hourly
        # scan schedule: neither is this scenario's work.
        OrmQ.objects.all().delete()
        Schedule.objects.all().delete()
        processes = [_spawn("qcluster"), _spawn("listen")]
        assert _until(lambda: PlexListenerState.objects.filter(
            server=server, connected=True).exists(), 60) is not None, "listener not connected"
        changes = Changes(fake, library)
        rows = []
        for name, measure in (
                (f"live: {sequential} changes, one at a time",
                 lambda: _one_at_a_time(changes, 0, sequential)),
                (f"live: {events} changes, one every {every} s",
                 lambda: _a_stream(changes, sequential, events, every))):
            before, started = fake.call("count_prefix", "GET /library/"), time.perf_counter()
            latencies = measure()
            took = time.perf_counter() - started
            sent = fake.call("count_prefix", "GET /library/") - before
            count = len(latencies)
            rows.append(Row(name, took, sent, 0, peak_rss_mb(),
                            "p95 <= 5 s, <= 2 requests per change",
                            f"{_figures(latencies)}; {sent / count:.2f} requests per change"))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        fake.stop()
    return rows
