"""Starting syncs from web requests: claim the run now, do the work in a worker."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from catalog.models import SyncRun
from catalog.runs import run_claim, run_finish
from catalog.sync.dispatch import scope_for

log = logging.getLogger(__name__)


class EnqueueFailed(Exception):
    """The job queue refused the task; the run was closed so the scope is free again."""


def _enqueue(run: SyncRun) -> None:
    try:
        async_task("catalog.tasks.execute_run", run.pk, task_name=f"run-{run.pk}")
    except Exception as exc:
        log.exception("could not enqueue run %s", run.pk)
        run_finish(run, status=SyncRun.Status.FAILED,
                   error=f"could not enqueue the job ({type(exc).__name__})")
        raise EnqueueFailed(f"the job queue is unavailable ({type(exc).__name__})") from None


def sync_enqueue(*, kind: str, options: dict[str, Any], triggered_by: str) -> SyncRun:
    """Claim a queued run (RunInProgress if one is active) and hand it to the queue.

    Inside an outer transaction the hand-off waits for its commit, so that a worker never
    looks for a run it cannot see yet.
    """
    with transaction.atomic():
        run = run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                        triggered_by=triggered_by)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _enqueue(run), robust=True)
    else:
        _enqueue(run)
    return run
