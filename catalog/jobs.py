"""Runs one claimed SyncRun to its end: start, work, finish — whatever the work raises."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from catalog.models import SyncRun
from catalog.runs import RunLost, run_finish, run_start
from integrations import metrics
from integrations.errors import UpstreamError

log = logging.getLogger(__name__)

Work = Callable[[SyncRun], dict[str, Any]]


def _requests_since(before: dict[str, dict[str, int]], upstream: str) -> int:
    after = metrics.snapshot().get(upstream, {}).get("requests", 0)
    return after - before.get(upstream, {}).get("requests", 0)


def job_execute(run: SyncRun, work: Work, *, upstream: str) -> SyncRun:
    """Execute ``work(run)`` if this caller wins the run; record success or the failure.

    An upstream error past its retries fails the run with its one-line (secret-free) message;
    whatever was committed page by page stays. A run someone else already started is left
    alone, so a task delivered twice does its work once.
    """
    if not run_start(run, event={"event": f"{run.kind}_start", "scope": run.scope}):
        log.info("run %s is already taken (%s); nothing to do", run.pk, run.status)
        run.refresh_from_db()
        return run
    before = metrics.snapshot()
    try:
        summary = work(run)
    except RunLost as exc:
        log.warning("%s; stopping", exc)
        run.refresh_from_db()
        return run
    except UpstreamError as exc:
        log.warning("run %s failed: %s", run.pk, exc)
        status, summary, error = SyncRun.Status.FAILED, {}, str(exc)
    except Exception as exc:
        log.exception("run %s crashed", run.pk)
        status, summary, error = SyncRun.Status.FAILED, {}, f"internal error: {type(exc).__name__}"
    except BaseException:
        # Ctrl-C or a worker being stopped: release the scope now, then stop as asked.
        run_finish(run, status=SyncRun.Status.FAILED, error="interrupted")
        raise
    else:
        status, error = SyncRun.Status.SUCCEEDED, ""
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        requests=_requests_since(before, upstream))
    return run_finish(run, status=status, summary=summary, error=error,
                      event={"event": f"{run.kind}_done", "status": status, **summary})


def job_run(run: SyncRun) -> SyncRun:
    """Execute a claimed run with the orchestrator its kind names."""
    from catalog.sync.dispatch import WORK  # dispatch builds clients; keep jobs import-light

    work, upstream = WORK[run.kind]
    return job_execute(run, work, upstream=upstream)
