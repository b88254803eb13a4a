"""Job runs and durable checkpoints."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SyncRun(models.Model):
    """One row per job run: progress bar, history, lock and metrics source.

    The partial unique constraint on (kind, scope) over active runs is the lock: a second
    trigger of the same sync cannot insert its row while one is queued or running. A running
    run names its owner process and holds a lease its heartbeat renews (``catalog.runs``).
    """

    class Kind(models.TextChoices):
        TVMAZE = "tvmaze", "TVMaze"
        TMDB = "tmdb", "TMDB"
        PLEX = "plex", "Plex"
        SONARR = "sonarr", "Sonarr"
        RULES = "rules", "Rule re-evaluation"
        LOAD = "load", "Show loading"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    scope = models.CharField(max_length=100, default="all")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    options = models.JSONField(default=dict, blank=True)
    triggered_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The owner and its lease: who runs it now, and until when it may be presumed alive.
    owner_host = models.CharField(max_length=100, blank=True, default="")
    owner_pid = models.PositiveIntegerField(null=True, blank=True)
    owner_started = models.BigIntegerField(null=True, blank=True)
    owner_token = models.CharField(max_length=32, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_by = models.CharField(max_length=150, blank=True, default="")
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope"],
                condition=Q(status__in=["queued", "running"]),
                name="syncrun_one_active_per_scope",
            )
        ]
        indexes = [models.Index(fields=["kind", "scope", "-id"], name="syncrun_kind_scope")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.scope} #{self.pk} {self.status}"

    @property
    def progress(self) -> float | None:
        """Fraction done when the total is known."""
        if not self.total:
            return None
        return min(1.0, self.processed / self.total)


class SyncCursor(models.Model):
    """A durable checkpoint written in the same transaction as the page it follows."""

    key = models.CharField(max_length=200, unique=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
