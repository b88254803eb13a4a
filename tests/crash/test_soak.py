"""Soak: a real 4-worker cluster on PostgreSQL + Redis takes 30 overlapping triggers over 6
scopes while workers are SIGKILLed mid-run; every scope runs one run at a time, no run is
lost or doubled, and every run ends succeeded, failed or cancelled.

Every sixth trigger claims a free scope and asks the cluster (``tests.crash.held``) to hold
that run at one of its first page reports, inside the page's transaction or once committed;
the test kills the worker holding it. So exactly ``KILLS`` workers die, each mid-run, however
fast the machine is."""

from __future__ import annotations

import itertools
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.tasks import async_task

from catalog.models import PlexLibrary, PlexServer, SyncRun
from catalog.runs import RunInProgress, run_cancel, run_claim
from integrations.fakes.base import Fault
from integrations.fakes.plex import PlexFake
from integrations.fakes.plex.model import LibrarySpec
from integrations.fakes.tvmaze import TvmazeFake
from tests.crash.procs import (
    SLOW_MACHINE,
    gated,
    hold_run,
    holder,
    stop,
    subprocess_env,
    wait_for,
)

KILLS = 5  # triggers 6, 12, 18, 24 and 30
TERMINAL = {SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.CANCELLED}

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the soak runs in the PostgreSQL + Redis pass")


def _world(plex: PlexFake) -> list[tuple[str, dict]]:
    server = PlexServer.objects.create(name="soak", url=plex.url, token=plex.token)
    scopes = [(SyncRun.Kind.TVMAZE, {"full": True})]
    for key in ("1", "2", "3", "4", "5"):
        library = PlexLibrary.objects.create(server=server, key=key, title=f"lib {key}",
                                             type="show" if key != "5" else "movie")
        scopes.append((SyncRun.Kind.PLEX, {"library_id": library.pk, "deep": True}))
    return scopes


def _trigger(kind: str, options: dict, *, before_queue: Callable[[int], object] = int
             ) -> SyncRun | None:
    from catalog.sync.dispatch import scope_for

    try:
        run = run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                        triggered_by="soak")
    except RunInProgress:
        return None
    before_queue(run.pk)
    async_task("catalog.tasks.execute_run", run.pk, sync=False, task_name=f"run-{run.pk}")
    return run


def _free_scope(scopes: list[tuple[str, dict]], rng: random.Random) -> tuple[str, dict]:
    """A scope with no active run (waiting while all six are busy: runs end, held ones are
    killed before the next is held)."""
    from catalog.sync.dispatch import scope_for

    free: list[tuple[str, dict]] = []

    def found() -> bool:
        busy = set(SyncRun.objects.filter(status__in=SyncRun.ACTIVE)
                   .values_list("kind", "scope"))
        free[:] = [(k, o) for k, o in scopes if (k, scope_for(k, o)) not in busy]
        return bool(free)

    assert wait_for(found, SLOW_MACHINE, step=0.2), "every scope stayed busy"
    return rng.choice(free)


def _trigger_and_kill(scopes: list[tuple[str, dict]], rng: random.Random, gate: Path
                      ) -> SyncRun:
    """Trigger a free scope whose run is held at its first or second report (every run makes
    two at least: its start and a page), then SIGKILL the worker holding it (a free worker
    takes it within seconds)."""
    at, inside = rng.randint(1, 2), rng.random() < 0.5
    run = _trigger(*_free_scope(scopes, rng),
                   before_queue=lambda pk: hold_run(gate, pk, at, inside=inside))
    assert run is not None  # its scope was free, and only the test claims runs
    assert wait_for(lambda: holder(gate, run.pk) is not None, SLOW_MACHINE), f"{run.pk} never held"
    pid = holder(gate, run.pk)
    assert SyncRun.objects.get(pk=run.pk).owner_pid == pid
    os.kill(pid, signal.SIGKILL)
    return run


@pytest.mark.timeout(900)  # the bounds above are for a machine far busier than CI's
@pytest.mark.django_db(transaction=True)
def test_overlapping_triggers_and_dead_workers_never_double_or_lose_a_run(tmp_path):
    rng = random.Random(30)
    gate = tmp_path / "gate"
    gate.mkdir()
    shows = [LibrarySpec(k, "show", f"TV {k}", shows=12, episodes=300) for k in "1234"]
    libraries = [*shows, LibrarySpec("5", "movie", "Movies", movies=300, root="/data/movies")]
    with TvmazeFake(count=2500, seed=5) as tvmaze, PlexFake(libraries, seed=6) as plex:
        # Runs that last a while overlap: triggers find their scope busy, or queue behind.
        tvmaze.inject(Fault("slow", delay=0.05), times=10**6, path_prefix="/shows")
        plex.inject(Fault("slow", delay=0.05), times=10**6, path_prefix="/library")
        scopes = _world(plex)
        env = subprocess_env(tmp_path, TVMAZE_BASE_URL=tvmaze.url, Q_WORKERS="4",
                             REDIS_URL=settings.REDIS_URL, RUN_HEARTBEAT_SECONDS="1")
        cluster = gated(["qcluster"], env, gate)
        try:
            claimed, refused, doomed = [], 0, []
            for n in range(30):
                if n % 6 == 5:
                    run = _trigger_and_kill(scopes, rng, gate)
                    doomed.append(run.pk)
                else:
                    run = _trigger(*rng.choice(scopes))
                if run is None:
                    refused += 1
                else:
                    claimed.append(run.pk)
                time.sleep(rng.uniform(0.05, 0.4))
            cancel_target = next(iter(SyncRun.objects.filter(status__in=SyncRun.ACTIVE)
                                      .exclude(pk__in=doomed).values_list("pk", flat=True)),
                                 None)
            if cancel_target is not None:
                run_cancel(cancel_target, by="soak")
            done = wait_for(lambda: not SyncRun.objects.filter(
                pk__in=claimed, status__in=SyncRun.ACTIVE).exists(), 400, step=0.5)
            stuck = list(SyncRun.objects.filter(status__in=SyncRun.ACTIVE)
                         .values_list("pk", "kind", "scope", "status"))
            assert done, stuck
        finally:
            stop(cluster)

    runs = list(SyncRun.objects.filter(pk__in=claimed).order_by("started_at"))
    assert len(runs) == len(claimed) and len(claimed) + refused == 30
    assert {run.status for run in runs} <= TERMINAL
    assert len(doomed) == KILLS
    print(f"soak: {len(claimed)} runs, {refused} refused, {KILLS} workers killed")
    for run in runs:
        if run.pk in doomed:  # found dead by the worker spawned in its place, or a new claim
            assert run.status == SyncRun.Status.FAILED, (run.pk, run.status)
            assert run.error.startswith("abandoned: its worker"), run.error
        if run.status == SyncRun.Status.FAILED:
            assert run.error.startswith(("abandoned:", "interrupted")), run.error
        # Started once: a task handed out twice records one start event.
        assert sum(e.get("event") == f"{run.kind}_start" for e in run.events) <= 1
    by_scope: dict[str, list[SyncRun]] = {}
    for run in runs:
        if run.started_at is not None:
            by_scope.setdefault(run.scope, []).append(run)
    for scope, scoped in by_scope.items():
        for before, after in itertools.pairwise(scoped):
            assert before.finished_at <= after.started_at, (scope, before.pk, after.pk)
    assert connection.vendor == "postgresql"
