"""``manage.py sync plex`` against a real django-q2 cluster of two workers: each library is its
own run, and the workers scan them side by side.

Library A's fake holds an episode page past its first transaction until the test lets it
go, so A's run is mid-scan (a batch of pages committed, a later page asked for) for as long
as the test likes; library B's run must start and finish meanwhile, which only a second
worker can do. No timing: the hold lasts until B is seen done, whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_q.models import Schedule
from django_q.tasks import async_task

from catalog.metrics.health import cluster_alive
from catalog.models import MediaItem, PlexLibrary, PlexServer, Show, SyncRun
from catalog.runs import run_claim
from catalog.sync.pages import pages_per_group
from integrations.fakes.base import FakeRequest
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.plex.client import PAGE_SIZE
from tests.crash.procs import gated, hold_run, holder, manage, stop, subprocess_env, wait_for
from tests.test_qcluster import _shared_cache

pytestmark = [pytest.mark.integration]
TOKEN = "plex-fake-token-123"
HOLD_SECONDS = 240  # a failed test's fake lets go by itself


# The scan writes listing pages a group at a time while a thread reads at most a group's
# worth of pages ahead of it: the second group's pages can be asked for before the first
# group is committed, the page after them only once the scan took the second group's first
# page, after writing the first group. While that page is held, the first group's rows are
# there by construction.
BATCH_PAGES = pages_per_group(PAGE_SIZE)
HELD_PAGE = 2 * BATCH_PAGES
A_EPISODES = (HELD_PAGE + BATCH_PAGES) * PAGE_SIZE


class PageHold:
    """Holds the first episode-listing request for ``HELD_PAGE`` until ``released``."""

    def __init__(self) -> None:
        self.holding, self.released = threading.Event(), threading.Event()

    def __call__(self, request: FakeRequest) -> None:
        held = int(request.header("X-Plex-Container-Start") or 0) >= HELD_PAGE * PAGE_SIZE
        if request.query.get("type") == ["4"] and held and not self.holding.is_set():
            self.holding.set()
            self.released.wait(HOLD_SECONDS)


def _library(fake: PlexFake, name: str) -> PlexLibrary:
    server = PlexServer.objects.create(name=name, url=fake.url, token=TOKEN)
    return PlexLibrary.objects.create(server=server, key="1", title=f"TV {name}", type="show")


def _run(library: PlexLibrary) -> SyncRun | None:
    return SyncRun.objects.filter(scope=f"library:{library.pk}").first()


@pytest.mark.django_db(transaction=True)
def test_two_workers_scan_two_libraries_side_by_side(tmp_path):
    hold = PageHold()
    with PlexFake([LibrarySpec("1", "show", "A", shows=20, episodes=A_EPISODES)], token=TOKEN,
                  seed=3) as fake_a, \
            PlexFake([LibrarySpec("1", "show", "B", shows=10, episodes=300)], token=TOKEN,
                     seed=4) as fake_b, \
            override_settings(CACHES=_shared_cache()):
        call_command("createcachetable")  # the test database was migrated with a locmem cache
        a, b = _library(fake_a, "a"), _library(fake_b, "b")
        # Creating the libraries gave them schedules due now: the cluster would scan them
        # itself; here only the command queues scans.
        Schedule.objects.all().delete()
        fake_a.on_request(hold, method="GET", path_prefix="/library/sections/1/all", times=10**6)
        env = subprocess_env(tmp_path, Q_WORKERS="2", LOADER_CONCURRENCY="0",
                             HTTP_READ_TIMEOUT=str(HOLD_SECONDS + 60))
        cluster = manage(["qcluster"], env)
        command = None
        try:
            assert wait_for(cluster_alive, 60), "the cluster never reported"
            command = manage(["sync", "plex", "--json"], env)
            assert wait_for(hold.holding.is_set, 120), "library A's scan never got to the held page"
            assert wait_for(lambda: (_run(b) is not None and _run(b).status
                                     not in SyncRun.ACTIVE), 120), _run(b)
            run_a, run_b = _run(a), _run(b)
            # B finished while A is still held mid-scan: two workers, side by side
            assert run_b.status == SyncRun.Status.SUCCEEDED, run_b.error
            assert MediaItem.objects.filter(library=b).count() == 300
            assert run_a.status == SyncRun.Status.RUNNING
            assert 0 < MediaItem.objects.filter(library=a).count() < A_EPISODES
            assert run_a.owner_pid != run_b.owner_pid
            assert hold.holding.is_set() and not hold.released.is_set()
            hold.released.set()
            out, err = command.communicate(timeout=120)
        finally:
            hold.released.set()
            if command is not None and command.poll() is None:
                command.kill()
            stop(cluster)
        assert command.returncode == 0, err[-2000:]
        summaries = [json.loads(line) for line in out.strip().splitlines()]
        assert {(s["scope"], s["status"]) for s in summaries} == {
            (f"library:{a.pk}", "succeeded"), (f"library:{b.pk}", "succeeded")}
        assert MediaItem.objects.filter(library=a).count() == A_EPISODES
        run_a, run_b = _run(a), _run(b)
        assert run_b.finished_at < run_a.finished_at
        assert {run_a.triggered_by, run_b.triggered_by} == {"command"}


@pytest.mark.django_db(transaction=True)
def test_a_scan_held_inside_its_page_transaction_holds_up_no_other_library(tmp_path):
    """On PostgreSQL a page's transaction locks only its own library's rows: with one scan
    stopped inside its second page's transaction (its writes made, not committed), another
    library's scan runs to its end. (On SQLite the open transaction holds the one write lock,
    and the other scan waits for it: expected, and why PostgreSQL is the target.)"""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns")
    gate = tmp_path / "gate"
    gate.mkdir()
    with PlexFake([LibrarySpec("1", "show", "A", shows=20, episodes=A_EPISODES)], token=TOKEN,
                  seed=3) as fake_a, \
            PlexFake([LibrarySpec("1", "show", "B", shows=10, episodes=300)], token=TOKEN,
                     seed=4) as fake_b, \
            override_settings(CACHES=_shared_cache()):
        call_command("createcachetable")
        # no show of one is a show of the other, or B would rightly wait for A's new rows
        assert not {s.tvdb for s in fake_a.shows_of("1")} & {s.tvdb for s in fake_b.shows_of("1")}
        a, b = _library(fake_a, "a"), _library(fake_b, "b")
        Schedule.objects.all().delete()
        env = subprocess_env(tmp_path, Q_WORKERS="2", LOADER_CONCURRENCY="0")
        cluster = gated(["qcluster"], env, gate)
        try:
            assert wait_for(cluster_alive, 60), "the cluster never reported"
            run_a, run_b = (run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{lib.pk}",
                                      options={"library_id": lib.pk}) for lib in (a, b))
            hold_run(gate, run_a.pk, 3, inside=True)  # start, shows, the first episode page
            async_task("catalog.tasks.execute_run", run_a.pk, sync=False)  # to the cluster
            assert wait_for(lambda: holder(gate, run_a.pk) is not None, 120), "A never held"
            async_task("catalog.tasks.execute_run", run_b.pk, sync=False)
            assert wait_for(lambda: SyncRun.objects.get(pk=run_b.pk).status
                            not in SyncRun.ACTIVE, 120), SyncRun.objects.get(pk=run_b.pk)
            done_b = SyncRun.objects.get(pk=run_b.pk)
            assert done_b.status == SyncRun.Status.SUCCEEDED, done_b.error
            assert MediaItem.objects.filter(library=b).count() == 300
            # A is still inside its transaction: what it wrote there is not visible
            assert SyncRun.objects.get(pk=run_a.pk).status == SyncRun.Status.RUNNING
            assert MediaItem.objects.filter(library=a).count() < A_EPISODES
            assert Show.objects.filter(plex_shows__library=b).count() == 10
            os.kill(holder(gate, run_a.pk), signal.SIGKILL)
        finally:
            stop(cluster)
