"""A thread that renews a run's lease every few seconds, whatever the work is doing.

A slow upstream page, a long expansion or a wait on the rate limiter must not let the lease
lapse, and the run's row should show that it lives (its request count moves). The thread has
its own database connection and only ever touches the run row, conditionally on our token.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from django.db import connections
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs.lifecycle import lease_until

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(run, every=5, extra=...):`` renews the lease until the block ends."""

    def __init__(self, run: SyncRun, *, every: float,
                 extra: Callable[[], dict[str, Any]] | None = None) -> None:
        self.run_id, self.token, self.every = run.pk, run.owner_token, every
        self.extra = extra or dict
        self.beats = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Renew once; False when the run is no longer ours (the work will notice too)."""
        now = timezone.now()
        renewed = SyncRun.objects.filter(
            pk=self.run_id, status=SyncRun.Status.RUNNING, owner_token=self.token
        ).update(heartbeat_at=now, lease_expires_at=lease_until(), **self.extra())
        self.beats += 1
        return bool(renewed)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not self.beat():
                        return
                except Exception as exc:  # a database hiccup: try again at the next beat
                    log.warning("heartbeat of run %s failed: %s", self.run_id,
                                type(exc).__name__)
                    # on a fresh connection: Django never reopens a broken one by itself
                    # outside a request, and a restarted server has dropped this one for good
                    with contextlib.suppress(Exception):
                        connections.close_all()
        finally:
            connections.close_all()

    def __enter__(self) -> Heartbeat:
        if self.every > 0:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"heartbeat-run-{self.run_id}")
            self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 60)
