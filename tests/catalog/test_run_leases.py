"""Run ownership: dead owners are replaced at once, live ones never, and a run that is no
longer ours can commit nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from catalog.models import Show, SyncRun
from catalog.runs import (
    RunCancelled,
    RunInProgress,
    RunLost,
    run_cancel,
    run_claim,
    run_progress,
    run_start,
    runs_reap,
)
from catalog.runs.execute import Interrupted, job_execute
from catalog.runs.owner import host_identity, process_started


def _running(scope: str = "catalog") -> SyncRun:
    run = run_claim(kind="tvmaze", scope=scope)
    assert run_start(run)
    return run


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.django_db
def test_it_takes_over_at_once_a_run_whose_process_died_on_this_host():
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(
        owner_host=host_identity(), owner_pid=_dead_pid(), owner_token="x" * 32,
        lease_expires_at=timezone.now() + timedelta(hours=1))
    new = run_claim(kind="tvmaze", scope="catalog")
    old.refresh_from_db()
    assert old.status == SyncRun.Status.FAILED
    assert old.error.startswith("abandoned: its worker (pid")
    assert new.status == SyncRun.Status.QUEUED


@pytest.mark.django_db
def test_it_waits_for_the_lease_of_an_owner_on_another_host():
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(owner_host="elsewhere", owner_pid=_dead_pid())
    with pytest.raises(RunInProgress):
        run_claim(kind="tvmaze", scope="catalog")
    SyncRun.objects.filter(pk=old.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert run_claim(kind="tvmaze", scope="catalog").pk != old.pk


@pytest.mark.django_db
def test_it_never_takes_over_a_live_owner_with_a_valid_lease():
    parent = os.getppid()
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(
        owner_host=host_identity(), owner_pid=parent, owner_started=process_started(parent))
    with pytest.raises(RunInProgress):
        run_claim(kind="tvmaze", scope="catalog")
    assert runs_reap() == 0


@pytest.mark.django_db
def test_it_sees_a_reused_pid_as_a_dead_owner():
    parent = os.getppid()
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(
        owner_host=host_identity(), owner_pid=parent, owner_started=process_started(parent) + 1)
    assert runs_reap() == 1


@pytest.mark.django_db
def test_it_sees_a_run_this_process_no_longer_executes_as_abandoned():
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(owner_token="f" * 32)  # not one of ours
    assert runs_reap(kind="tvmaze") == 1
    assert SyncRun.objects.get(pk=old.pk).status == SyncRun.Status.FAILED


@pytest.mark.django_db
def test_a_taken_over_worker_commits_nothing_more():
    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(
        owner_host="elsewhere", lease_expires_at=timezone.now() - timedelta(seconds=1))
    successor = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(successor)
    with pytest.raises(RunLost), transaction.atomic():
        Show.objects.create(title="written by the stalled worker", tvmaze_id=1)
        run_progress(old, processed=1)
    assert not Show.objects.exists()
    assert SyncRun.objects.get(pk=old.pk).processed == 0


@pytest.mark.django_db
def test_it_restarts_a_redelivered_task_whose_owner_died():
    run = _running()
    SyncRun.objects.filter(pk=run.pk).update(owner_host=host_identity(), owner_pid=_dead_pid())
    again = SyncRun.objects.get(pk=run.pk)
    assert run_start(again)
    assert again.owner_pid == os.getpid()
    assert run_start(SyncRun.objects.get(pk=run.pk)) is False


@pytest.mark.django_db
def test_it_cancels_a_queued_run_at_once():
    run = run_claim(kind="tvmaze", scope="catalog")
    cancelled, outcome = run_cancel(run.pk, by="otto")
    assert (outcome, cancelled.status, cancelled.error) == (
        "cancelled", SyncRun.Status.CANCELLED, "cancelled by otto")
    assert run_start(cancelled) is False
    assert run_claim(kind="tvmaze", scope="catalog").pk != run.pk


@pytest.mark.django_db
def test_it_stops_a_running_run_at_the_next_page_keeping_what_was_committed():
    run = run_claim(kind="tvmaze", scope="catalog")

    def work(run: SyncRun) -> dict:
        for page in range(5):
            if page == 2:
                run_cancel(run.pk, by="otto")  # from another request, between two pages
            with transaction.atomic():
                Show.objects.create(title=f"page {page}", tvmaze_id=page + 1)
                run_progress(run, processed=1)
        return {}

    finished = job_execute(run, work, upstream="tvmaze")
    assert (finished.status, finished.error) == (SyncRun.Status.CANCELLED, "cancelled by otto")
    assert sorted(Show.objects.values_list("tvmaze_id", flat=True)) == [1, 2]
    assert finished.processed == 2
    assert run_cancel(run.pk)[1] == "finished"


@pytest.mark.django_db
def test_it_raises_cancelled_not_lost_to_the_owner():
    run = _running()
    run_cancel(run.pk)
    with pytest.raises(RunCancelled):
        run_progress(run, processed=1)


@pytest.mark.django_db
def test_sigterm_fails_the_run_and_frees_its_scope():
    run = run_claim(kind="tvmaze", scope="catalog")

    def work(_run: SyncRun) -> dict:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        return {}

    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted):
        job_execute(run, work, upstream="tvmaze")
    run.refresh_from_db()
    assert (run.status, run.error) == (SyncRun.Status.FAILED,
                                       f"interrupted: stopped by signal {signal.SIGTERM}")
    assert signal.getsignal(signal.SIGTERM) is previous
    assert run_claim(kind="tvmaze", scope="catalog").pk != run.pk


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_work_is_stuck():
    run = run_claim(kind="tvmaze", scope="catalog")
    seen: list = []

    def stuck(run: SyncRun) -> dict:
        first = SyncRun.objects.get(pk=run.pk).lease_expires_at
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.1)
            row = SyncRun.objects.get(pk=run.pk)
            if row.lease_expires_at > first:
                seen.append(row.heartbeat_at)
                break
        return {}

    with override_settings(RUN_HEARTBEAT_SECONDS=0.2):
        finished = job_execute(run, stuck, upstream="tvmaze")
    assert seen, "the lease was never renewed while the work was stuck"
    assert finished.status == SyncRun.Status.SUCCEEDED


@pytest.fixture
def another_process_table(monkeypatch):
    """Look at the runs from a container that shares this host's name (host networking) but
    not its pid namespace: the pids the runs name mean nothing there."""
    from catalog.runs import owner

    monkeypatch.setattr(owner, "_process_table_mark", lambda: "0th3rn5")
    owner.host_identity.cache_clear()
    yield
    owner.host_identity.cache_clear()


@pytest.mark.django_db
@pytest.mark.parametrize("pid", ["gone here", "ours here"])
def test_it_waits_for_the_lease_of_an_owner_in_another_pid_namespace_of_the_same_host_name(
        pid, request):
    old = _running()
    # A live worker over there: its pid is free here, or is this very process (pid 1 in both).
    SyncRun.objects.filter(pk=old.pk).update(
        owner_pid=_dead_pid() if pid == "gone here" else os.getpid(), owner_started=None,
        owner_token="e" * 32)
    request.getfixturevalue("another_process_table")
    with pytest.raises(RunInProgress):
        run_claim(kind="tvmaze", scope="catalog")
    assert runs_reap() == 0
    SyncRun.objects.filter(pk=old.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert runs_reap() == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_reconnects_after_the_database_dropped_its_connection():
    from django.db import connections

    from catalog.runs import Heartbeat

    run = _running()
    dropped_at: list = []

    def drop_once() -> dict:
        # A database restart or failover closes the heartbeat's connection under it.
        conn = connections["default"]
        if not dropped_at and conn.connection is not None:
            conn.connection.close()
            dropped_at.append(timezone.now())
        return {}

    with Heartbeat(run, every=0.05, extra=drop_once):
        renewed = False
        deadline = time.monotonic() + 5
        while not renewed and time.monotonic() < deadline:
            time.sleep(0.05)
            row = SyncRun.objects.get(pk=run.pk)
            renewed = bool(dropped_at) and row.heartbeat_at > dropped_at[0]
    assert dropped_at, "the heartbeat never beat"
    assert renewed, "the heartbeat stopped renewing the lease after losing its connection"


@pytest.mark.django_db
def test_it_never_reaps_a_run_its_live_claimer_is_about_to_start():
    mine = run_claim(kind="tvmaze", scope="catalog", starting_here=True)
    parent = os.getppid()
    theirs = run_claim(kind="plex", scope="library:1", starting_here=True)
    SyncRun.objects.filter(pk=theirs.pk).update(owner_pid=parent,
                                                owner_started=process_started(parent))
    assert runs_reap() == 0
    with pytest.raises(RunInProgress):
        run_claim(kind="tvmaze", scope="catalog")
    assert run_start(mine)


@pytest.mark.django_db
def test_a_django_q_timeout_fails_the_run_keeping_its_committed_pages_and_frees_its_scope():
    from django_q.timeout import TimeoutHandler

    run = run_claim(kind="tvmaze", scope="catalog")

    def slow(run: SyncRun) -> dict:
        with transaction.atomic():
            Show.objects.create(title="page 1", tvmaze_id=1)
            run_progress(run, processed=1)
        with transaction.atomic():
            Show.objects.create(title="page 2, cut short", tvmaze_id=2)
            time.sleep(5)
            run_progress(run, processed=1)
        return {}

    with TimeoutHandler(1):  # what a django-q2 worker wraps each task in
        finished = job_execute(run, slow, upstream="tvmaze")
    assert (finished.status, finished.processed) == (SyncRun.Status.FAILED, 1)
    assert finished.error.startswith("timed out after")
    assert list(Show.objects.values_list("tvmaze_id", flat=True)) == [1]
    assert run_claim(kind="tvmaze", scope="catalog").pk != run.pk


@pytest.mark.django_db
def test_a_spawned_worker_frees_the_scopes_of_dead_workers():
    from django_q.signals import post_spawn

    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(owner_pid=_dead_pid(), owner_token="d" * 32)
    post_spawn.send(sender="django_q", proc_name="Worker-1")  # what django-q2 sends
    assert SyncRun.objects.get(pk=old.pk).status == SyncRun.Status.FAILED


@pytest.mark.django_db
def test_a_worker_that_cannot_free_scopes_at_spawn_still_starts(monkeypatch, caplog):
    """django-q2 sends post_spawn with send(), not send_robust(): raising would kill the new
    worker, and the cluster would respawn it in a loop for as long as the database is
    unreachable. The worker starts, says why, and the next claim frees the dead scope."""
    from django.db import OperationalError
    from django_q.signals import post_spawn

    from catalog import tasks
    from catalog.apps import _refilter_stale_rules

    old = _running()
    SyncRun.objects.filter(pk=old.pk).update(owner_pid=_dead_pid(), owner_token="d" * 32)
    tried: list[bool] = []

    def locked() -> int:
        tried.append(True)
        raise OperationalError("database is locked")

    monkeypatch.setattr(tasks, "runs_reap", locked)
    with caplog.at_level("WARNING", logger="catalog.tasks"):
        answers = dict(post_spawn.send(sender="django_q", proc_name="Worker-1"))
    assert tried == [True]
    assert tasks.worker_spawned in answers and answers[tasks.worker_spawned] is None
    assert _refilter_stale_rules in answers  # connected after it: it ran too
    assert "could not release abandoned runs at worker start: OperationalError" in (
        caplog.text)
    assert SyncRun.objects.get(pk=old.pk).status == SyncRun.Status.RUNNING  # not freed yet
    new = run_claim(kind="tvmaze", scope="catalog")  # the database answers again
    assert SyncRun.objects.get(pk=old.pk).status == SyncRun.Status.FAILED
    assert new.status == SyncRun.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_database_connection_dropped_mid_work_still_ends_and_frees_its_scope():
    from django.db import connection

    run = run_claim(kind="tvmaze", scope="catalog")

    def dropped(run: SyncRun) -> dict:
        connection.connection.close()  # a database restart or failover, mid-run
        Show.objects.count()
        return {}

    finished = job_execute(run, dropped, upstream="tvmaze")
    assert finished.status == SyncRun.Status.FAILED
    assert finished.error.startswith("internal error:")
    assert run_claim(kind="tvmaze", scope="catalog").pk != run.pk
