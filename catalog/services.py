"""Starting syncs from web requests: claim the run now, do the work in a worker."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from catalog.models import SyncRun
from catalog.runs import run_claim
from catalog.sync.dispatch import scope_for


def sync_enqueue(*, kind: str, options: dict[str, Any], triggered_by: str) -> SyncRun:
    """Claim a queued run (RunInProgress if one is active) and enqueue it after commit."""
    with transaction.atomic():
        run = run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                        triggered_by=triggered_by)
        transaction.on_commit(
            lambda: async_task("catalog.tasks.execute_run", run.pk, task_name=f"run-{run.pk}")
        )
    return run
