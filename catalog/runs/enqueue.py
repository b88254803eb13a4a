"""Starting runs from web requests and orchestrators: claim the run now, hand it to a worker."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from catalog.models import SyncRun
from catalog.runs.lifecycle import run_claim, run_finish
from catalog.runs.work import work_for

log = logging.getLogger(__name__)


class EnqueueFailed(Exception):
    """The job queue refused the task; the run was closed so the scope is free again."""


def run_enqueue(run: SyncRun, task: str = "catalog.tasks.execute_run",
                name: str = "run") -> None:
    """Hand a claimed run to the job queue; if the queue refuses it, close the run (freeing
    its scope) and raise EnqueueFailed."""
    try:
        async_task(task, run.pk, task_name=f"{name}-{run.pk}")
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
    run = run_claim(kind=kind, scope=work_for(kind).scope(options), options=options,
                    triggered_by=triggered_by)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: run_enqueue(run), robust=True)
    else:
        run_enqueue(run)
    return run
