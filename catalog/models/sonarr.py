"""Sonarr servers, the discovery rules that choose shows for them, and the decisions made."""

from __future__ import annotations

from django.db import models

from catalog.models.base import UpstreamServer
from catalog.models.shows import Show


class SonarrServer(UpstreamServer):
    """A Sonarr instance; its API key is write-only everywhere it is shown."""

    api_key = models.CharField(max_length=200)

    class Meta(UpstreamServer.Meta):
        pass


class DiscoveryRule(models.Model):
    """Which shows belong in a Sonarr server, and how to add them there."""

    class Monitor(models.TextChoices):
        ALL = "all", "All episodes"
        FUTURE = "future", "Future episodes"
        MISSING = "missing", "Missing episodes"
        EXISTING = "existing", "Existing episodes"
        FIRST_SEASON = "firstSeason", "First season"
        LAST_SEASON = "lastSeason", "Last season"
        PILOT = "pilot", "Pilot"
        NONE = "none", "None"

    name = models.CharField(max_length=100, unique=True)
    server = models.ForeignKey(SonarrServer, on_delete=models.CASCADE, related_name="rules")
    enabled = models.BooleanField(default=True)
    # Filters: an empty list means "any".
    languages = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    types = models.JSONField(default=list, blank=True)
    statuses = models.JSONField(default=list, blank=True)
    genres_include = models.JSONField(default=list, blank=True)
    genres_exclude = models.JSONField(default=list, blank=True)
    networks = models.JSONField(default=list, blank=True)
    min_runtime = models.PositiveIntegerField(null=True, blank=True)
    premiered_after = models.DateField(null=True, blank=True)
    # Where and how to add.
    root_folder = models.CharField(max_length=500)
    quality_profile_id = models.PositiveIntegerField()
    language_profile_id = models.PositiveIntegerField(null=True, blank=True)
    monitor = models.CharField(max_length=16, choices=Monitor.choices, default=Monitor.ALL)
    search_on_add = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    dry_run = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    """What one rule decided about one show, with the retry clock for failures."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FILTERED = "filtered", "Filtered out"
        PENDING_TVDB = "pending_tvdb", "Waiting for a TVDB id"
        ADDED = "added", "Added"
        EXISTS = "exists", "Already in Sonarr"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="decisions")
    rule = models.ForeignKey(DiscoveryRule, on_delete=models.CASCADE, related_name="decisions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True, default="")
    sonarr_series_id = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["show", "rule"], name="decision_show_rule_unique")
        ]
        indexes = [
            models.Index(fields=["rule", "status"], name="decision_rule_status"),
            models.Index(fields=["status", "next_attempt_at"], name="decision_retry"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.show_id}: {self.status}"
