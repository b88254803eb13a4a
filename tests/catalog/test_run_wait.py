"""``runs_wait``: until every run has ended, unless no cluster reports for the grace period
or the caller's deadline passes.

The clock and the sleep are the test's: each poll advances the clock by the poll interval,
so "30 s without a cluster" is a count of polls, never a wait."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from catalog.models import SyncRun
from catalog.runs import run_claim, run_finish
from catalog.runs.wait import ClusterGone, RunsTimedOut, runs_wait


class Clock:
    """A clock that moves only when the waiter sleeps; ``at_sleep[n]`` acts at the n-th."""

    def __init__(self, at_sleep: dict[int, Callable[[], None]] | None = None) -> None:
        self.now, self.sleeps, self.at_sleep = 0.0, 0, at_sleep or {}

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        self.at_sleep.get(self.sleeps, lambda: None)()

    def __call__(self) -> float:
        return self.now


def _run(scope: str) -> SyncRun:
    return run_claim(kind=SyncRun.Kind.PLEX, scope=scope)


@pytest.mark.django_db
def test_it_returns_every_run_once_the_last_has_ended():
    first, second = _run("library:1"), _run("library:2")
    clock = Clock({2: lambda: run_finish(first, status=SyncRun.Status.SUCCEEDED),
                   5: lambda: run_finish(second, status=SyncRun.Status.FAILED, error="boom")})
    seen: list[list[str]] = []
    rows = runs_wait([second.pk, first.pk], alive=lambda: True, clock=clock, sleep=clock.sleep,
                     report=lambda runs: seen.append([r.status for r in runs]))
    assert [(r.pk, r.status) for r in rows] == [(first.pk, "succeeded"), (second.pk, "failed")]
    assert clock.sleeps == 5
    assert seen[0] == ["queued", "queued"] and seen[-1] == ["succeeded", "failed"]


@pytest.mark.django_db
def test_it_stops_waiting_when_no_cluster_reports_for_the_grace_period():
    run = _run("library:1")
    clock = Clock()
    with pytest.raises(ClusterGone, match=rf"#{run.pk} \(queued\).*manage.py qcluster"):
        runs_wait([run.pk], alive=lambda: False, clock=clock, sleep=clock.sleep,
                  poll=1.0, grace=30.0)
    assert clock.sleeps == 30  # exactly the grace period, not one poll more
    run.refresh_from_db()
    assert run.status == SyncRun.Status.QUEUED  # still there for the next cluster


@pytest.mark.django_db
def test_it_gives_up_at_the_deadline_though_a_cluster_reports():
    first, second = _run("library:1"), _run("library:2")
    clock = Clock({3: lambda: run_finish(first, status=SyncRun.Status.SUCCEEDED),
                   11: lambda: pytest.fail("still waiting after the deadline")})
    with pytest.raises(RunsTimedOut, match=rf"^run\(s\) #{second.pk} \(queued\) still active "
                                           r"after 10 s$") as caught:
        runs_wait([first.pk, second.pk], alive=lambda: True, clock=clock, sleep=clock.sleep,
                  poll=1.0, deadline=10.0)
    assert clock.sleeps == 10  # exactly the deadline, not one poll more
    assert [run.pk for run in caught.value.active] == [second.pk]
    assert caught.value.seconds == 10.0
    second.refresh_from_db()
    assert second.status == SyncRun.Status.QUEUED  # the run is left as it was


@pytest.mark.django_db
def test_it_forgives_a_cluster_that_misses_a_few_beats():
    run = _run("library:1")
    beats = iter([False] * 20 + [True] + [False] * 25)  # a restart: 20 s away, then back
    clock = Clock({46: lambda: run_finish(run, status=SyncRun.Status.SUCCEEDED)})
    rows = runs_wait([run.pk], alive=lambda: next(beats), clock=clock, sleep=clock.sleep,
                     poll=1.0, grace=30.0)
    assert rows[0].status == SyncRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_it_asks_nothing_of_the_cluster_when_the_runs_have_already_ended():
    run = _run("library:1")
    run_finish(run, status=SyncRun.Status.SUCCEEDED)

    def alive() -> bool:
        raise AssertionError("asked")

    assert runs_wait([run.pk], alive=alive, sleep=lambda _s: None)[0].pk == run.pk
