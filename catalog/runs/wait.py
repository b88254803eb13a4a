"""Waiting for queued runs to end, as a command does after handing them to the job cluster.

The cluster may be gone (never started, or stopped meanwhile): a waiter must then say so
rather than wait for ever, so liveness is asked of the caller's ``alive`` (the surfaces know
how to ask django-q2; nothing here does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from catalog.models import SyncRun

POLL_SECONDS = 1.0
# How long no cluster may report before a waiter gives up: a cluster's status is refreshed
# every few seconds, and a restarting one misses a few beats.
GRACE_SECONDS = 30.0


class ClusterGone(Exception):
    """No job cluster reported for the grace period while runs were still queued or running."""

    def __init__(self, active: list[SyncRun], grace: float) -> None:
        ids = ", ".join(f"#{run.pk} ({run.status})" for run in active)
        super().__init__(f"no job cluster has reported for {grace:.0f} s while run(s) {ids} "
                         "had not ended; start `manage.py qcluster` and they go on")
        self.active = active


class RunsTimedOut(Exception):
    """Runs were still queued or running when the waiter's deadline passed."""

    def __init__(self, active: list[SyncRun], seconds: float) -> None:
        ids = ", ".join(f"#{run.pk} ({run.status})" for run in active)
        super().__init__(f"run(s) {ids} still active after {seconds:.0f} s")
        self.active, self.seconds = active, seconds


def runs_wait(run_ids: Sequence[int], *, alive: Callable[[], bool],
              report: Callable[[list[SyncRun]], None] | None = None,
              poll: float = POLL_SECONDS, grace: float = GRACE_SECONDS,
              deadline: float | None = None,
              sleep: Callable[[float], None] = time.sleep,
              clock: Callable[[], float] = time.monotonic) -> list[SyncRun]:
    """Poll the runs until every one has ended; returns them in id order.

    ``report`` gets the rows after each poll. While a run is still active and ``alive()``
    has said no for ``grace`` seconds in a row, raise ClusterGone: the runs stay queued for
    the next cluster, the waiter stops. With a ``deadline`` (seconds from the start), a run
    still active once it has passed raises RunsTimedOut, whether or not a cluster reports.
    """
    ids = sorted(run_ids)
    started = clock()
    unseen_since: float | None = None
    while True:
        rows = list(SyncRun.objects.filter(pk__in=ids).order_by("id"))
        if report is not None:
            report(rows)
        active = [run for run in rows if run.status in SyncRun.ACTIVE]
        if not active:
            return rows
        if alive():
            unseen_since = None
        else:
            unseen_since = clock() if unseen_since is None else unseen_since
            if clock() - unseen_since >= grace:
                raise ClusterGone(active, grace)
        if deadline is not None and clock() - started >= deadline:
            raise RunsTimedOut(active, deadline)
        sleep(poll)
