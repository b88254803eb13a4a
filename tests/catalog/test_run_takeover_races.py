"""Taking a run over races its owner: whoever looks at an expired lease must not act on what
it saw once the owner has renewed it in between."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs import lifecycle, run_claim, run_progress, run_start, runs_reap


def _stalled() -> SyncRun:
    """A run owned on another host whose lease has just run out (the owner was slow)."""
    run = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(run)
    SyncRun.objects.filter(pk=run.pk).update(
        owner_host="elsewhere", lease_expires_at=timezone.now() - timedelta(seconds=1))
    return SyncRun.objects.get(pk=run.pk)


def _owner_wakes_up_after_the_look(monkeypatch, owner: SyncRun) -> None:
    """The owner commits a page (renewing its lease) right after someone judged it gone."""
    judged = lifecycle.run_abandoned_reason

    def look(row: SyncRun, now=None) -> str | None:
        reason = judged(row, now)
        with transaction.atomic():
            run_progress(owner, processed=1)
        return reason

    monkeypatch.setattr(lifecycle, "run_abandoned_reason", look)


@pytest.mark.django_db
def test_it_never_reaps_a_run_whose_owner_renewed_its_lease_after_the_reaper_looked(
        monkeypatch):
    owner = _stalled()
    _owner_wakes_up_after_the_look(monkeypatch, owner)
    assert runs_reap() == 0
    row = SyncRun.objects.get(pk=owner.pk)
    assert (row.status, row.processed) == (SyncRun.Status.RUNNING, 1)
    with transaction.atomic():
        run_progress(owner, processed=1)  # still ours


@pytest.mark.django_db
def test_a_redelivered_task_never_takes_over_a_run_whose_owner_renewed_its_lease_meanwhile(
        monkeypatch):
    owner = _stalled()
    _owner_wakes_up_after_the_look(monkeypatch, owner)
    assert run_start(SyncRun.objects.get(pk=owner.pk)) is False
    assert SyncRun.objects.get(pk=owner.pk).owner_token == owner.owner_token
    with transaction.atomic():
        run_progress(owner, processed=1)
