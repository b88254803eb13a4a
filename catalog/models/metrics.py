"""Upstream traffic counters shared by every process (web, workers, commands)."""

from __future__ import annotations

from django.db import models


class UpstreamCounter(models.Model):
    """A monotonic count of one upstream event (``requests``, ``errors:auth``...).

    Each process adds what it counted since its last flush (catalog.runs.counters), so
    the row is the sum over every worker that ever ran, whatever container or pid it had.
    """

    upstream = models.CharField(max_length=32)
    event = models.CharField(max_length=64)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["upstream", "event"]
        constraints = [
            models.UniqueConstraint(fields=["upstream", "event"],
                                    name="upstreamcounter_upstream_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upstream} {self.event}={self.value}"
