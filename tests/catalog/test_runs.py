"""The SyncRun lifecycle: the lock, the conditional start, stale takeover, interruption."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs import (
    MAX_EVENTS,
    RunInProgress,
    RunLost,
    run_claim,
    run_progress,
    run_start,
)
from catalog.runs.execute import job_execute


@pytest.mark.django_db
def test_it_allows_one_active_run_per_scope():
    first = run_claim(kind="tvmaze", scope="catalog")
    with pytest.raises(RunInProgress) as excinfo:
        run_claim(kind="tvmaze", scope="catalog")
    assert excinfo.value.run.pk == first.pk
    assert run_claim(kind="plex", scope="library:1").pk != first.pk


@pytest.mark.django_db
def test_it_starts_a_run_exactly_once():
    run = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(run) is True
    assert run_start(SyncRun.objects.get(pk=run.pk)) is False


@pytest.mark.django_db
def test_it_takes_over_a_run_whose_lease_expired_and_stops_the_old_worker():
    old = run_claim(kind="tvmaze", scope="catalog")
    run_start(old)
    SyncRun.objects.filter(pk=old.pk).update(
        owner_host="another-host", lease_expires_at=timezone.now() - timedelta(seconds=1))
    new = run_claim(kind="tvmaze", scope="catalog")
    assert SyncRun.objects.get(pk=old.pk).status == SyncRun.Status.FAILED
    with pytest.raises(RunLost):
        run_progress(old, processed=1)
    assert new.status == SyncRun.Status.QUEUED


@pytest.mark.django_db
def test_it_releases_the_scope_when_interrupted():
    run = run_claim(kind="tvmaze", scope="catalog")

    def interrupted(_run):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job_execute(run, interrupted, upstream="tvmaze")
    run.refresh_from_db()
    assert (run.status, run.error) == (SyncRun.Status.FAILED, "interrupted")
    assert run_claim(kind="tvmaze", scope="catalog").pk != run.pk


@pytest.mark.django_db
def test_it_keeps_the_first_event_when_trimming():
    run = run_claim(kind="plex", scope="library:1")
    run_start(run)
    for page in range(MAX_EVENTS + 20):
        run_progress(run, processed=1, event={"event": "library_start"} if page == 0
                     else {"event": "page_progress", "page": page})
    events = SyncRun.objects.get(pk=run.pk).events
    assert len(events) == MAX_EVENTS
    assert events[0]["event"] == "library_start"
    assert events[-1]["page"] == MAX_EVENTS + 19


@pytest.mark.django_db
def test_it_records_an_unexpected_error_without_its_message():
    run = run_claim(kind="tvmaze", scope="catalog")

    def crashes(_run):
        raise RuntimeError("token=abc123 leaked")

    finished = job_execute(run, crashes, upstream="tvmaze")
    assert finished.status == SyncRun.Status.FAILED
    assert finished.error == "internal error: RuntimeError"


@pytest.mark.django_db
def test_it_records_the_start_event_when_the_run_starts():
    run = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(run, event={"event": "tvmaze_start"})
    stored = SyncRun.objects.get(pk=run.pk).events
    assert [e["event"] for e in stored] == ["tvmaze_start"] and "at" in stored[0]


@pytest.mark.django_db
def test_it_lets_different_libraries_scan_side_by_side():
    first = run_claim(kind="plex", scope="library:1")
    second = run_claim(kind="plex", scope="library:2")
    assert run_start(first) and run_start(second)
    assert SyncRun.objects.filter(status=SyncRun.Status.RUNNING).count() == 2
