"""Leases are judged on one clock, the database's: hosts whose clocks drift apart (NAS boxes,
containers, a VM resumed from a snapshot) still agree on whether a run's owner is alive."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs import Heartbeat, RunInProgress, run_claim, run_progress, run_start, runs_reap

pytestmark = pytest.mark.django_db


def _skew(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """This process's wall clock runs ``by`` off the database's."""
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + by)


def _started_elsewhere(monkeypatch: pytest.MonkeyPatch, skew: timedelta) -> SyncRun:
    """A run started (and renewed once) by a worker on another host whose clock is off."""
    with monkeypatch.context() as m:
        _skew(m, skew)
        run = run_claim(kind="tvmaze", scope="catalog")
        assert run_start(run)
        with transaction.atomic():
            run_progress(run, processed=1)
        Heartbeat(run, every=1).beat()
    SyncRun.objects.filter(pk=run.pk).update(owner_host="elsewhere#0")
    return run


@pytest.mark.parametrize("skew", [timedelta(minutes=-5), timedelta(hours=-3)])
def test_a_live_owner_whose_clock_runs_behind_keeps_its_run(monkeypatch, skew):
    owner = _started_elsewhere(monkeypatch, skew)
    with pytest.raises(RunInProgress):
        run_claim(kind="tvmaze", scope="catalog")
    assert runs_reap() == 0
    assert run_start(SyncRun.objects.get(pk=owner.pk)) is False
    with transaction.atomic():
        run_progress(owner, processed=1)  # still ours


@override_settings(RUN_LEASE_SECONDS=1)
def test_a_dead_owner_whose_clock_ran_ahead_is_replaced_once_its_lease_runs_out(monkeypatch):
    owner = _started_elsewhere(monkeypatch, timedelta(hours=1))
    time.sleep(1.5)  # the owner died right after its last renewal
    successor = run_claim(kind="tvmaze", scope="catalog")
    row = SyncRun.objects.get(pk=owner.pk)
    assert (row.status, row.error) == (SyncRun.Status.FAILED, "abandoned: its lease expired")
    assert run_start(successor)
