"""Two claimers of one run forced to interleave at the statement that decides: the second
runs whole between the first one's read and its conditional write, and exactly one wins.

Claiming a scope whose run is dead (reap, then insert) and starting a queued or abandoned run
(read, then a conditional UPDATE) are each raced this way; the first claimer must see that it
lost, never overwrite or double the winner's run."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs import RunInProgress, lifecycle, run_abandoned_reason, run_claim, run_start
from catalog.runs.owner import host_identity

pytestmark = pytest.mark.django_db


def _once_before(monkeypatch, name: str, other: Callable[[], Any]) -> list[Any]:
    """The first call of ``lifecycle.<name>`` runs ``other`` whole before going on; returns
    a list that receives its result (or the exception it raised)."""
    original, results = getattr(lifecycle, name), []

    def interleaved(*args: Any, **kwargs: Any) -> Any:
        if not results:
            results.append(None)  # once: the other claimer's own calls go straight through
            try:
                results[0] = other()
            except Exception as exc:  # the test asserts on it
                results[0] = exc
        return original(*args, **kwargs)

    monkeypatch.setattr(lifecycle, name, interleaved)
    return results


def _dead_running() -> SyncRun:
    """A running tvmaze run whose owner is this process, which no longer executes it (a task
    that died): abandoned, so any claimer of its scope reaps it first."""
    run = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(run)
    SyncRun.objects.filter(pk=run.pk).update(owner_host=host_identity(), owner_pid=os.getpid(),
                                             owner_token="f" * 32)
    return SyncRun.objects.get(pk=run.pk)


def test_two_claims_of_a_dead_runs_scope_interleaved_at_the_reap_leave_one_run(monkeypatch):
    """A's insert meets the dead run; B reaps it and claims the scope between A judging it
    dead and A failing it; A's reap then finds nothing as it saw it, and A is refused."""
    dead = _dead_running()
    other = _once_before(monkeypatch, "run_abandoned_reason",
                         lambda: run_claim(kind="tvmaze", scope="catalog"))
    with pytest.raises(RunInProgress) as refused:
        run_claim(kind="tvmaze", scope="catalog")
    won = other[0]
    assert isinstance(won, SyncRun), won
    assert refused.value.run.pk == won.pk
    active = SyncRun.objects.filter(kind="tvmaze", scope="catalog", status__in=SyncRun.ACTIVE)
    assert list(active.values_list("pk", "status")) == [(won.pk, SyncRun.Status.QUEUED)]
    assert SyncRun.objects.get(pk=dead.pk).status == SyncRun.Status.FAILED


def test_two_starts_of_one_queued_run_interleaved_at_the_update_start_it_once(monkeypatch):
    """django-q2 hands a task out twice: A reads the run queued, B starts it whole before A's
    conditional UPDATE, which must then find it no longer queued."""
    run = run_claim(kind="tvmaze", scope="catalog")
    second = SyncRun.objects.get(pk=run.pk)
    other = _once_before(monkeypatch, "owner_new", lambda: run_start(second))
    assert run_start(run) is False
    assert other == [True]
    row = lifecycle.judged(SyncRun.objects.filter(pk=run.pk)).get()
    assert (row.status, row.owner_token) == (SyncRun.Status.RUNNING, second.owner_token)
    assert run_abandoned_reason(row) is None  # the winner still owns it


def test_two_takeovers_of_an_abandoned_run_interleaved_at_the_update_take_it_once(monkeypatch):
    """Two redelivered tasks of a run whose worker died: both judge it abandoned, B takes it
    over whole before A's UPDATE, which is conditional on the dead owner's token and lease
    as read, and must leave B's ownership alone."""
    dead = _dead_running()
    second = SyncRun.objects.get(pk=dead.pk)
    other = _once_before(monkeypatch, "owner_new", lambda: run_start(second))
    assert run_start(dead) is False
    assert other == [True]
    row = lifecycle.judged(SyncRun.objects.filter(pk=dead.pk)).get()
    assert (row.status, row.owner_token) == (SyncRun.Status.RUNNING, second.owner_token)
    assert second.owner_token != "f" * 32
    assert run_abandoned_reason(row) is None


def test_a_start_interleaved_with_a_reap_of_its_queued_run_loses_cleanly(monkeypatch):
    """A queued run nobody picked up in time: a reaper judges it abandoned, the worker
    starts it before the reaper's UPDATE; the reap, conditional on the row as seen, must
    not fail the run that now runs."""
    run = run_claim(kind="tvmaze", scope="catalog")
    SyncRun.objects.filter(pk=run.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1))
    worker = SyncRun.objects.get(pk=run.pk)
    other = _once_before(monkeypatch, "run_abandoned_reason", lambda: run_start(worker))
    assert lifecycle.runs_reap(kind="tvmaze") == 0
    assert other == [True]
    row = SyncRun.objects.get(pk=run.pk)
    assert (row.status, row.owner_token) == (SyncRun.Status.RUNNING, worker.owner_token)
