"""Runs: the lock, the lease and the progress of one job run (see ``lifecycle``); executing a
claimed run here (``execute``) or handing it to a worker (``enqueue``), with the work each
kind registered (``work``, filled by ``catalog.sync.dispatch``). Nothing here imports a sync."""

from catalog.runs.heartbeat import Heartbeat
from catalog.runs.lifecycle import (
    MAX_EVENTS,
    RunCancelled,
    RunInProgress,
    RunLost,
    lease_until,
    run_abandoned_reason,
    run_cancel,
    run_claim,
    run_counts,
    run_finish,
    run_progress,
    run_start,
    runs_cancel,
    runs_reap,
    with_event,
)

__all__ = [
    "MAX_EVENTS", "Heartbeat", "RunCancelled", "RunInProgress", "RunLost", "lease_until",
    "run_abandoned_reason", "run_cancel", "run_claim", "run_counts", "run_finish",
    "run_progress", "run_start", "runs_cancel", "runs_reap", "with_event",
]
