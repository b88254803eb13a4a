"""SyncRun lifecycle: claim (the lock), start (take ownership), progress, cancel, finish.

The lock is the partial unique constraint on active runs of one (kind, scope): whoever inserts
the row owns the scope. Starting is a conditional UPDATE whose row count says who won, so a
task that django-q2 hands out twice runs once. A started run names its owner and holds a lease;
every page's transaction renews it with a conditional UPDATE on the owner's token, so a worker
that lost its run (taken over, cancelled) can never commit another page.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Now
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs.owner import owner_is_dead, owner_new, owner_register, owner_release

progress_log = logging.getLogger("catalog.progress")

MAX_EVENTS = 50


class RunInProgress(Exception):
    """Another run of the same kind and scope is queued or running."""

    def __init__(self, run: SyncRun) -> None:
        super().__init__(
            f"a {run.kind} sync of {run.scope!r} is already {run.status} (run {run.pk})"
        )
        self.run = run


class RunLost(Exception):
    """This worker no longer owns the run (its owner was declared dead and replaced)."""


class RunCancelled(Exception):
    """An operator asked the run to stop; raised at the next page boundary."""


def _db_clock_plus(seconds: int) -> ExpressionWrapper:
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def lease_until() -> ExpressionWrapper:
    """A lease from now on, on the database's clock: every host compares leases with that
    one clock, so a worker whose clock drifts is neither taken over alive nor waited for
    long after it died."""
    return _db_clock_plus(settings.RUN_LEASE_SECONDS)


def _queue_lease() -> ExpressionWrapper:
    # A queued run waits for a worker; the broker hands its task out again after ``retry``.
    return _db_clock_plus(int(settings.Q_CLUSTER.get("retry", 600)))


def judged(runs: QuerySet[SyncRun]) -> QuerySet[SyncRun]:
    """Runs read with the database's clock (``db_now``), which their leases are judged by."""
    return runs.annotate(db_now=Now())


def with_event(run: SyncRun, event: dict) -> list[dict]:
    """Append an event, keeping the first (the run's start) and the latest ones."""
    events = [*run.events, {"at": timezone.now().isoformat(), **event}]
    if len(events) > MAX_EVENTS:
        events = [events[0], *events[-(MAX_EVENTS - 1):]]
    return events


def run_abandoned_reason(run: SyncRun, now: datetime | None = None) -> str | None:
    """Why an active run's owner is gone, or None while it may still live. ``now`` is the
    database's clock: the row's ``db_now`` when it was read through ``judged``."""
    now = now or getattr(run, "db_now", None) or timezone.now()
    expired = run.lease_expires_at is None or run.lease_expires_at < now
    if run.status == SyncRun.Status.QUEUED:
        if run.owner_pid and owner_is_dead(host=run.owner_host, pid=run.owner_pid,
                                           started=run.owner_started, token=run.owner_token):
            return f"the process that claimed it (pid {run.owner_pid} on {run.owner_host}) is gone"
        return "no worker picked it up in time" if expired else None
    if run.status != SyncRun.Status.RUNNING:
        return None
    if owner_is_dead(host=run.owner_host, pid=run.owner_pid, started=run.owner_started,
                     token=run.owner_token):
        return f"its worker (pid {run.owner_pid} on {run.owner_host}) is gone"
    return "its lease expired" if expired else None


def runs_reap(*, kind: str | None = None, scope: str | None = None) -> int:
    """Fail the active runs whose owner is gone, releasing their scopes; returns how many."""
    active = judged(SyncRun.objects.filter(status__in=SyncRun.ACTIVE))
    if kind is not None:
        active = active.filter(kind=kind)
    if scope is not None:
        active = active.filter(scope=scope)
    reaped = 0
    for run in active:
        reason = run_abandoned_reason(run)
        if reason is None:
            continue
        # Only as we saw it: an owner that renewed its lease since then is alive after all.
        reaped += SyncRun.objects.filter(
            pk=run.pk, status=run.status, owner_token=run.owner_token,
            lease_expires_at=run.lease_expires_at,
        ).update(status=SyncRun.Status.FAILED, finished_at=timezone.now(),
                 error=f"abandoned: {reason}",
                 events=with_event(run, {"event": "abandoned", "reason": reason}))
    return reaped


def run_claim(*, kind: str, scope: str, options: dict | None = None,
              triggered_by: str = "", starting_here: bool = False) -> SyncRun:
    """Create the queued run that locks (kind, scope), or raise RunInProgress.

    An active run whose owner is gone is failed first, so a killed sync never blocks its
    scope beyond the instant it is noticed. A caller that starts the run itself at once
    (``starting_here``: commands, schedules) is named on it with a run's lease, so that dying
    before the start frees the scope as a dead owner would, not after the queue's retry.
    """
    claimer: dict[str, Any] = {}
    if starting_here:
        me = owner_new()
        claimer = {"owner_host": me.host, "owner_pid": me.pid, "owner_started": me.started}
    for attempt in range(3):
        try:
            with transaction.atomic():
                now = timezone.now()
                run = SyncRun.objects.create(
                    kind=kind, scope=scope, options=options or {}, triggered_by=triggered_by,
                    heartbeat_at=now, **claimer,
                    lease_expires_at=lease_until() if starting_here else _queue_lease(),
                )
            run.refresh_from_db(fields=["lease_expires_at"])
            return run
        except IntegrityError:
            if attempt == 0 and runs_reap(kind=kind, scope=scope):
                continue
            active = SyncRun.objects.filter(kind=kind, scope=scope,
                                            status__in=SyncRun.ACTIVE).first()
            if active is None:  # it finished between our insert and this read
                continue
            raise RunInProgress(active) from None
    raise RunInProgress(SyncRun.objects.filter(kind=kind, scope=scope).first())


def run_start(run: SyncRun, *, event: dict | None = None) -> bool:
    """Make this process the owner of a queued run (or of a running one whose owner is gone,
    when its task is handed out again); False if someone else has it."""
    row = judged(SyncRun.objects.filter(pk=run.pk)).first()
    if row is None:
        return False
    if row.status == SyncRun.Status.QUEUED:
        claimable = Q(status=SyncRun.Status.QUEUED)
    elif row.status == SyncRun.Status.RUNNING and run_abandoned_reason(row):
        claimable = Q(status=SyncRun.Status.RUNNING, owner_token=row.owner_token,
                      lease_expires_at=row.lease_expires_at)  # not renewed since we looked
    else:
        return False
    owner = owner_new()
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": SyncRun.Status.RUNNING, "started_at": now, "heartbeat_at": now,
        "lease_expires_at": lease_until(), "owner_host": owner.host,
        "owner_pid": owner.pid, "owner_started": owner.started, "owner_token": owner.token,
    }
    if event is not None:
        fields["events"] = with_event(row, event)
    owner_register(owner.token)
    if not SyncRun.objects.filter(claimable, pk=run.pk).update(**fields):
        owner_release(owner.token)
        return False
    run.refresh_from_db()
    return True


def _why_not_ours(run: SyncRun) -> Exception:
    row = SyncRun.objects.filter(pk=run.pk).first()
    if (row is not None and row.status == SyncRun.Status.RUNNING
            and row.owner_token == run.owner_token and row.cancel_requested_at is not None):
        return RunCancelled(f"run {run.pk} was cancelled")
    return RunLost(f"run {run.pk} is no longer ours")


def _lease_sql() -> tuple[str, list[Any]]:
    """``lease_until()`` as SQL and parameters, compiled by Django (the database's clock)."""
    query = UpdateQuery(SyncRun)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(lease_until().resolve_expression(query))
    return sql, list(params)


def _progress_update(run: SyncRun, processed: int, changed: int, skipped: int, errors: int,
                     total: int | None, events: list[dict] | None, final: bool) -> bool:
    """The conditional UPDATE of ``run_progress`` as one raw statement: every page of every
    sync sends it, and building it as a queryset (four F() sums, the lease expression, the
    events field) cost more than a page's lookups. True when the run was still ours."""
    meta = SyncRun._meta
    qn = connection.ops.quote_name
    lease, lease_params = _lease_sql()
    sets = [f"{qn(name)} = {qn(name)} + %s" for name in ("processed", "changed", "skipped",
                                                        "errors")]
    params: list[Any] = [processed, changed, skipped, errors]
    sets += [f"{qn('heartbeat_at')} = %s", f"{qn('lease_expires_at')} = {lease}"]
    params += [connection.ops.adapt_datetimefield_value(timezone.now()), *lease_params]
    if total is not None:
        sets.append(f"{qn('total')} = %s")
        params.append(total)
    if events is not None:
        sets.append(f"{qn('events')} = %s")
        params.append(meta.get_field("events").get_db_prep_save(events, connection))
    where = f"{qn('id')} = %s AND {qn('status')} = %s AND {qn('owner_token')} = %s"
    params += [run.pk, SyncRun.Status.RUNNING, run.owner_token]
    if not final:
        where += f" AND {qn('cancel_requested_at')} IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
                       f"WHERE {where}", params)
        return cursor.rowcount > 0


def run_progress(
    run: SyncRun, *, processed: int = 0, changed: int = 0, skipped: int = 0, errors: int = 0,
    total: int | None = None, event: dict | None = None, final: bool = False,
) -> None:
    """Add a page's counts to the run and renew its lease; one conditional UPDATE.

    Call it inside the page's transaction: when the run is no longer ours (taken over) it
    raises RunLost, when an operator cancelled it RunCancelled, and the page rolls back.
    ``final`` is the report after the work's last write: a cancel that lands then is too
    late, and the run ends saying what it did.
    """
    events = with_event(run, event) if event is not None else None
    if not _progress_update(run, processed, changed, skipped, errors, total, events, final):
        raise _why_not_ours(run)
    if total is not None:
        run.total = total
    if events is not None:
        run.events = events
    run.processed += processed
    run.changed += changed
    run.skipped += skipped
    run.errors += errors
    progress_log.info(
        "%s %s: processed %d, changed %d, skipped %d, errors %d%s", run.kind, run.scope,
        run.processed, run.changed, run.skipped, run.errors,
        f" of {run.total}" if run.total else "",
    )


def run_cancel(run_id: int, *, by: str = "") -> tuple[SyncRun | None, str]:
    """Cancel a queued run now, or ask a running one to stop at its next page boundary.

    Returns the run and what happened: ``cancelled``, ``requested`` or ``finished`` (too late).
    """
    cancelled, requested = runs_cancel([run_id], by=by)
    outcome = "cancelled" if cancelled else "requested" if requested else "finished"
    return SyncRun.objects.filter(pk=run_id).first(), outcome


def runs_cancel(run_ids: list[int], *, by: str = "") -> tuple[int, int]:
    """``run_cancel`` for many runs in two statements; returns (cancelled, requested)."""
    now = timezone.now()
    cancelled = SyncRun.objects.filter(pk__in=run_ids, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.CANCELLED, finished_at=now,
        error=f"cancelled by {by}" if by else "cancelled")
    requested = SyncRun.objects.filter(pk__in=run_ids, status=SyncRun.Status.RUNNING).update(
        cancel_requested_at=now, cancel_requested_by=by[:150])
    return cancelled, requested


def run_finish(run: SyncRun, *, status: str, summary: dict | None = None,
               error: str = "", event: dict | None = None) -> SyncRun:
    """Close the run (releasing the lock) with its summary; a run no longer ours (taken over
    or cancelled while queued) is left as its successor's bookkeeping says."""
    if event is not None:
        run.events = with_event(run, event)
    SyncRun.objects.filter(
        pk=run.pk, status__in=SyncRun.ACTIVE, owner_token=run.owner_token
    ).update(status=status, finished_at=timezone.now(), heartbeat_at=timezone.now(),
             summary=summary or {}, error=error[:2000], events=run.events)
    owner_release(run.owner_token)
    run.refresh_from_db()
    return run


def run_counts(run: SyncRun) -> dict[str, Any]:
    """The summary line a command prints and an API shows."""
    run.refresh_from_db()
    return {"run": run.pk, "kind": run.kind, "scope": run.scope, "status": run.status,
            "processed": run.processed, "changed": run.changed, "skipped": run.skipped,
            "errors": run.errors, "requests": run.requests, **run.summary}
