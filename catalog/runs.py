"""SyncRun lifecycle: claim (the lock), start, progress, finish.

The lock is the partial unique constraint on active runs of one (kind, scope): whoever inserts
the row owns the scope. Starting is a conditional UPDATE whose row count says who won, so a
task that django-q2 hands out twice runs once. A run whose heartbeat went stale (its worker
died) may be taken over.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import SyncRun

progress_log = logging.getLogger("catalog.progress")

STALE_AFTER = timedelta(minutes=10)
MAX_EVENTS = 50


class RunLost(Exception):
    """This worker no longer owns the run (it was declared abandoned and taken over)."""


def _with_event(run: SyncRun, event: dict) -> list[dict]:
    """Append an event, keeping the first (the run's start) and the latest ones."""
    events = [*run.events, {"at": timezone.now().isoformat(), **event}]
    if len(events) > MAX_EVENTS:
        events = [events[0], *events[-(MAX_EVENTS - 1):]]
    return events


class RunInProgress(Exception):
    """Another run of the same kind and scope is queued or running."""

    def __init__(self, run: SyncRun) -> None:
        super().__init__(
            f"a {run.kind} sync of {run.scope!r} is already {run.status} (run {run.pk})"
        )
        self.run = run


def _stale_cutoff() -> Any:
    return timezone.now() - STALE_AFTER


def _abandon_stale(kind: str, scope: str) -> int:
    """Fail active runs of this scope whose worker stopped beating; returns how many."""
    cutoff = _stale_cutoff()
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    return SyncRun.objects.filter(
        stale, kind=kind, scope=scope, status__in=SyncRun.ACTIVE
    ).update(status=SyncRun.Status.FAILED, finished_at=timezone.now(),
             error="abandoned: its worker stopped reporting")


def run_claim(*, kind: str, scope: str, options: dict | None = None,
              triggered_by: str = "") -> SyncRun:
    """Create the queued run that locks (kind, scope), or raise RunInProgress."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return SyncRun.objects.create(
                    kind=kind, scope=scope, options=options or {}, triggered_by=triggered_by,
                    heartbeat_at=timezone.now(),
                )
        except IntegrityError:
            if attempt == 0 and _abandon_stale(kind, scope):
                continue
            active = SyncRun.objects.filter(kind=kind, scope=scope,
                                            status__in=SyncRun.ACTIVE).first()
            if active is None:  # it finished between our insert and this read
                continue
            raise RunInProgress(active) from None
    raise RunInProgress(SyncRun.objects.filter(kind=kind, scope=scope).first())


def run_start(run: SyncRun, *, event: dict | None = None) -> bool:
    """Move a queued (or stale running) run to running, recording ``event`` with it; False
    if someone else has it."""
    now = timezone.now()
    fields: dict[str, Any] = {"status": SyncRun.Status.RUNNING, "started_at": now,
                              "heartbeat_at": now}
    if event is not None:
        fields["events"] = _with_event(run, event)
    won = SyncRun.objects.filter(
        Q(status=SyncRun.Status.QUEUED)
        | Q(status=SyncRun.Status.RUNNING, heartbeat_at__lt=_stale_cutoff()),
        pk=run.pk,
    ).update(**fields)
    if won:
        run.refresh_from_db()
    return bool(won)


def run_progress(
    run: SyncRun, *, processed: int = 0, changed: int = 0, skipped: int = 0, errors: int = 0,
    requests: int = 0, total: int | None = None, event: dict | None = None,
) -> None:
    """Add a page's counts to the run and beat its heart; one UPDATE.

    Raises RunLost when the run is no longer running (someone declared it abandoned), so a
    worker that was presumed dead stops instead of writing over its successor.
    """
    fields: dict[str, Any] = {
        "processed": F("processed") + processed, "changed": F("changed") + changed,
        "skipped": F("skipped") + skipped, "errors": F("errors") + errors,
        "requests": F("requests") + requests, "heartbeat_at": timezone.now(),
    }
    if total is not None:
        fields["total"] = total
        run.total = total
    if event is not None:
        run.events = _with_event(run, event)
        fields["events"] = run.events
    if not SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(**fields):
        raise RunLost(f"run {run.pk} is no longer running here")
    run.processed += processed
    run.changed += changed
    run.skipped += skipped
    run.errors += errors
    run.requests += requests
    progress_log.info(
        "%s %s: processed %d, changed %d, skipped %d, errors %d%s", run.kind, run.scope,
        run.processed, run.changed, run.skipped, run.errors,
        f" of {run.total}" if run.total else "",
    )


def run_finish(run: SyncRun, *, status: str, summary: dict | None = None,
               error: str = "", event: dict | None = None) -> SyncRun:
    """Close the run (releasing the lock) with its summary; a run already closed (taken
    over as abandoned) is left as its successor's bookkeeping says."""
    if event is not None:
        run.events = _with_event(run, event)
    SyncRun.objects.filter(pk=run.pk, status__in=SyncRun.ACTIVE).update(
        status=status, finished_at=timezone.now(), heartbeat_at=timezone.now(),
        summary=summary or {}, error=error[:2000], events=run.events,
    )
    run.refresh_from_db()
    return run


def run_counts(run: SyncRun) -> dict[str, Any]:
    """The summary line a command prints and an API shows."""
    run.refresh_from_db()
    return {"run": run.pk, "kind": run.kind, "scope": run.scope, "status": run.status,
            "processed": run.processed, "changed": run.changed, "skipped": run.skipped,
            "errors": run.errors, "requests": run.requests, **run.summary}
