"""Cluster scenario: Plex scans spread over the job cluster's workers.

Four libraries (100,000 episodes each at full scale), each on a Plex fake of its own in its own
process, are scanned from scratch (first ingest) by a real ``manage.py qcluster`` with
``Q_WORKERS=1``, then again on an emptied database with ``Q_WORKERS=2``. The scans are queued
as ``manage.py sync plex`` queues them (``plex_libraries_enqueue``) and waited for as it waits
(``runs_wait``). Wall time runs from the queueing to the last run's end; CPU is user + system
time of the cluster's processes (the scheduler, pusher, monitor and workers) over the same span,
read from ``/proc``. The note adds the CPU of the fakes and of PostgreSQL's backends for this
database over that span, and how many cores all three kept busy on average: on a shared
machine, a pass that got less than its share of the cores shows there. PostgreSQL and Redis
only: on SQLite, writers take turns by design.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django_q.brokers import get_broker
from django_q.models import Schedule
from django_q.status import Stat

from bench.fakeproc import FakeProcess
from bench.harness import CLOSED_URL, Row, total_changes
from bench.plex import _warm
from catalog.metrics.health import cluster_alive
from catalog.models import PlexLibrary, PlexServer, SyncRun
from catalog.runs.wait import runs_wait
from catalog.sync.plex.library import plex_libraries_select
from catalog.sync.plex.queue import plex_libraries_enqueue
from integrations.fakes.plex import LibrarySpec, PlexFake

TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
TARGET_RATIO = 0.65


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _cpu(pid: int) -> float:
    """User + system seconds of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def tree_cpu(root: int) -> float:
    """User + system seconds of ``root`` and its descendants alive now."""
    return sum(_cpu(pid) for pid in _descendants(root))


class BackendCpu:
    """CPU of this database's PostgreSQL backends (same host), sampled at each poll: a
    backend that closes between two samples keeps what the last one saw."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def sample(self, _runs: object = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid()")
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            seconds = _cpu(pid)
            self.first.setdefault(pid, seconds)
            self.last[pid] = max(seconds, self.last.get(pid, 0.0))

    def seconds(self) -> float:
        # a backend first seen mid-pass opened then: its CPU before that was not this pass's
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def tree_peak_mb(root: int) -> float:
    """The largest peak resident set (VmHWM) among ``root``'s processes."""
    peak = 0
    for pid in _descendants(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def _cluster(workers: int) -> subprocess.Popen:
    env = {**os.environ, "Q_WORKERS": str(workers), "LOADER_CONCURRENCY": "0",  # no TVMaze
           "TVMAZE_BASE_URL": CLOSED_URL, "TMDB_BASE_URL": CLOSED_URL}
    log = open(Path(os.environ["DATA_DIR"]) / f"qcluster-{workers}.log", "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _ready(cluster: subprocess.Popen, workers: int) -> bool:
    """This cluster (not one of a pass before, whose status lingers a few seconds) reports
    itself idle with all its workers."""
    return any(stat.pid == cluster.pid and stat.status == "Idle" and len(stat.workers) == workers
               for stat in Stat.get_all())


def _stop(cluster: subprocess.Popen) -> None:
    cluster.send_signal(signal.SIGTERM)
    try:
        cluster.wait(timeout=60)
    except subprocess.TimeoutExpired:
        cluster.kill()
        cluster.wait()


def _fresh_libraries(fakes: list[FakeProcess]) -> None:
    """An empty database holding the servers and their libraries, nothing scheduled."""
    call_command("flush", interactive=False, verbosity=0)
    for n, fake in enumerate(fakes):
        server = PlexServer.objects.create(name=f"plex-{n}", url=fake.url, token=TOKEN)
        PlexLibrary.objects.create(server=server, key="1", title=f"TV {n}", type="show")
    # A new library's hourly schedule is due at once: only the queued scans are measured.
    Schedule.objects.all().delete()
    get_broker().purge_queue()


def _pass(fakes: list[FakeProcess], workers: int, episodes: int) -> tuple[Row, float]:
    """One first ingest of every library by a cluster of ``workers``; the row and its wall."""
    _fresh_libraries(fakes)
    cluster = _cluster(workers)
    try:
        deadline = time.monotonic() + 120
        while not _ready(cluster, workers):
            if time.monotonic() > deadline or cluster.poll() is not None:
                raise RuntimeError(f"qcluster (Q_WORKERS={workers}) never reported")
            time.sleep(0.2)
        requests0 = sum(f.call("total_requests") for f in fakes)
        backends, fakes0 = BackendCpu(), [tree_cpu(f.pid) for f in fakes]
        backends.sample()
        rows0, cpu0, started = total_changes(), tree_cpu(cluster.pid), time.perf_counter()
        queued = plex_libraries_enqueue(plex_libraries_select(), triggered_by="bench")
        runs = runs_wait([r.pk for r in queued.runs], alive=cluster_alive, poll=0.1,
                         report=backends.sample)
        wall = time.perf_counter() - started
        cpu, peak = tree_cpu(cluster.pid) - cpu0, tree_peak_mb(cluster.pid)
        fake_cpu = sum(tree_cpu(f.pid) for f in fakes) - sum(fakes0)
    finally:
        _stop(cluster)
    bad = [r for r in runs if r.status != SyncRun.Status.SUCCEEDED
           or not r.summary.get("complete")]
    if bad or len(runs) != len(fakes):
        raise RuntimeError(f"scans failed: {[(r.scope, r.status, r.error) for r in bad]}")
    requests = sum(f.call("total_requests") for f in fakes) - requests0
    name = f"cluster: {len(fakes)} libraries x {episodes:,} ep, Q_WORKERS={workers}"
    row = Row(name, wall, requests, total_changes() - rows0, peak, "", cpu_seconds=cpu)
    row.note = (f"PostgreSQL {backends.seconds():.1f} s CPU, fakes {fake_cpu:.1f} s; "
                f"{(cpu + backends.seconds() + fake_cpu) / wall:.2f} cores busy")
    return row, wall


def run(*, libraries: int = 4, shows: int = 2_000, episodes: int = 100_000) -> list[Row]:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        raise SystemExit("the cluster scenario needs PostgreSQL and Redis: pass --postgres URL "
                         "(or BENCH_POSTGRES_URL) and set REDIS_URL")
    started = time.perf_counter()
    fakes = [FakeProcess(PlexFake, libraries=[LibrarySpec("1", "show", f"TV {n}", shows=shows,
                                                          episodes=episodes,
                                                          root=f"/data/tv{n}")],
                         token=TOKEN, seed=31 + n) for n in range(libraries)]
    try:
        for fake in fakes:
            _warm(fake.url, "1", 2)
            _warm(fake.url, "1", 4)
        print(f"(fakes generated and warmed in {time.perf_counter() - started:.1f} s)")
        one, one_wall = _pass(fakes, 1, episodes)
        load_one = os.getloadavg()[0]
        two, two_wall = _pass(fakes, 2, episodes)
        load_two = os.getloadavg()[0]
    finally:
        for fake in fakes:
            fake.stop()
    ratio = two_wall / one_wall
    one.target = "reference"
    one.note += f"; load average {load_one:.1f} at its end"
    two.target = f"<= {TARGET_RATIO} x Q_WORKERS=1 wall"
    two.note = (f"ratio {ratio:.2f} ({'met' if ratio <= TARGET_RATIO else 'not met'}); "
                f"{two.note}; load average {load_two:.1f} at its end")
    return [one, two]
