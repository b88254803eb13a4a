"""Runs one claimed SyncRun to its end, in this process: start, work, finish — whatever the
work raises. The work of each kind comes from the registry (``catalog.runs.work``)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django_q.exceptions import TimeoutException

from catalog.models import SyncRun
from catalog.runs.counters import upstream_counters_flush_quietly
from catalog.runs.heartbeat import Heartbeat
from catalog.runs.lifecycle import RunCancelled, RunLost, run_claim, run_finish, run_start
from catalog.runs.work import Work, work_for
from integrations import metrics
from integrations.errors import UpstreamError

log = logging.getLogger(__name__)


class Interrupted(BaseException):
    """SIGTERM (a deploy, or django-q2's timeout) arrived while a run was working."""


def _requests_since(before: dict[str, dict[str, int]], upstream: str) -> int:
    after = metrics.snapshot().get(upstream, {}).get("requests", 0)
    return after - before.get(upstream, {}).get("requests", 0)


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(f"stopped by signal {signum}")


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into an exception so the run is closed before the process ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def job_execute(run: SyncRun, work: Work, *, upstream: str) -> SyncRun:
    """Execute ``work(run)`` if this caller wins the run; record success or the failure.

    An upstream error past its retries fails the run with its one-line (secret-free) message;
    whatever was committed page by page stays. A run someone else already started is left
    alone, so a task delivered twice does its work once. While the work runs, a heartbeat
    renews the lease; SIGTERM or Ctrl-C fail the run and release its scope at once.
    """
    if not run_start(run, event={"event": f"{run.kind}_start", "scope": run.scope}):
        log.info("run %s is already taken (%s); nothing to do", run.pk, run.status)
        run.refresh_from_db()
        return run
    before = metrics.snapshot()
    def beat_fields() -> dict[str, Any]:
        upstream_counters_flush_quietly()  # the heartbeat thread's own connection, no transaction
        return {"requests": _requests_since(before, upstream)}

    beat = Heartbeat(run, every=settings.RUN_HEARTBEAT_SECONDS, extra=beat_fields)
    summary: dict[str, Any] = {}
    try:
        with _sigterm_interrupts(), beat:
            summary = work(run)
    except RunLost as exc:
        log.warning("%s; stopping", exc)
        upstream_counters_flush_quietly()
        run_finish(run, status=SyncRun.Status.FAILED, error="lost its lease")
        return run
    except RunCancelled:
        status, error = SyncRun.Status.CANCELLED, _cancel_note(run)
    except UpstreamError as exc:
        log.warning("run %s failed: %s", run.pk, exc)
        status, error = SyncRun.Status.FAILED, str(exc)
    except TimeoutException:
        log.warning("run %s timed out", run.pk)
        status, error = SyncRun.Status.FAILED, f"timed out after {settings.Q_TIMEOUT} s"
    except Exception as exc:
        log.exception("run %s crashed", run.pk)
        status, error = SyncRun.Status.FAILED, f"internal error: {type(exc).__name__}"
        if isinstance(exc, DatabaseError) and not connection.in_atomic_block:
            # The server may have dropped the connection (a restart, a failover), and Django
            # reopens one only between requests: close the run on a fresh one.
            connection.close()
    except BaseException as exc:
        # Ctrl-C, SIGTERM or a worker being stopped: release the scope now, then stop.
        note = str(exc) if isinstance(exc, Interrupted) else ""
        upstream_counters_flush_quietly()
        run_finish(run, status=SyncRun.Status.FAILED,
                   error=f"interrupted: {note}" if note else "interrupted")
        raise
    else:
        status, error = SyncRun.Status.SUCCEEDED, ""
    upstream_counters_flush_quietly()  # before the run shows as finished: scrapes agree with it
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING,
                           owner_token=run.owner_token).update(
        requests=_requests_since(before, upstream))
    return run_finish(run, status=status, summary=summary, error=error,
                      event={"event": f"{run.kind}_done", "status": status, **summary})


def _cancel_note(run: SyncRun) -> str:
    row = SyncRun.objects.filter(pk=run.pk).values("cancel_requested_by").first() or {}
    by = row.get("cancel_requested_by")
    return f"cancelled by {by}" if by else "cancelled"


def job_run(run: SyncRun) -> SyncRun:
    """Execute a claimed run with the work its kind registered."""
    row = work_for(run.kind)
    return job_execute(run, row.work, upstream=row.upstream)


def sync_run_now(*, kind: str, options: dict[str, Any], triggered_by: str) -> SyncRun:
    """Claim a run and execute it in this process (commands, schedules); RunInProgress if
    one is active."""
    return job_run(run_claim(kind=kind, scope=work_for(kind).scope(options), options=options,
                             triggered_by=triggered_by, starting_here=True))
