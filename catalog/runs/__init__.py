"""Runs: the lock, the lease and the progress of one job run (see ``lifecycle``)."""

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
