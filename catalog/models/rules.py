"""Discovery rules: which shows belong in a Sonarr server (filters), and how to add them."""

from __future__ import annotations

from django.db import models

from catalog.models.sonarr import SonarrServer


class DiscoveryRule(models.Model):
    """Filters (selections plus global excludes) and the add options for one Sonarr server."""

    class Monitor(models.TextChoices):
        ALL = "all", "All episodes"
        FUTURE = "future", "Future episodes"
        MISSING = "missing", "Missing episodes"
        EXISTING = "existing", "Existing episodes"
        FIRST_SEASON = "firstSeason", "First season"
        LATEST_SEASON = "latestSeason", "Latest season (v3)"
        LAST_SEASON = "lastSeason", "Last season (v4)"
        RECENT = "recent", "Recent episodes (v4)"
        PILOT = "pilot", "Pilot"
        MONITOR_SPECIALS = "monitorSpecials", "Monitor specials (v4)"
        UNMONITOR_SPECIALS = "unmonitorSpecials", "Unmonitor specials (v4)"
        SKIP = "skip", "Skip (v4)"
        NONE = "none", "None"

    class MonitorNewItems(models.TextChoices):
        UNSET = "", "Not sent (v3)"
        ALL = "all", "All"
        NONE = "none", "None"

    class SeriesType(models.TextChoices):
        STANDARD = "standard", "Standard"
        DAILY = "daily", "Daily"
        ANIME = "anime", "Anime"

    class Validation(models.TextChoices):
        UNKNOWN = "unknown", "Not validated yet"
        OK = "ok", "Valid"
        INVALID = "invalid", "Invalid"

    name = models.CharField(max_length=100, unique=True)
    server = models.ForeignKey(SonarrServer, on_delete=models.CASCADE, related_name="rules")
    enabled = models.BooleanField(default=True)
    # Global excludes: a show matching any of them never passes.
    exclude_genres = models.JSONField(default=list, blank=True)
    exclude_types = models.JSONField(default=list, blank=True)
    exclude_countries = models.JSONField(default=list, blank=True)
    exclude_languages = models.JSONField(default=list, blank=True)
    exclude_statuses = models.JSONField(default=list, blank=True)
    exclude_networks = models.JSONField(default=list, blank=True)
    # Where and how to add.
    root_folder = models.CharField(max_length=500)
    quality_profile = models.CharField(max_length=200, default="",
                                       help_text="By name, as Sonarr shows it.")
    language_profile = models.CharField(max_length=200, blank=True, default="",
                                        help_text="By name; Sonarr v3 only.")
    monitor = models.CharField(max_length=20, choices=Monitor.choices, default=Monitor.ALL)
    monitor_new_items = models.CharField(max_length=8, choices=MonitorNewItems.choices,
                                         blank=True, default=MonitorNewItems.UNSET)
    series_type = models.CharField(max_length=10, choices=SeriesType.choices,
                                   default=SeriesType.STANDARD)
    season_folder = models.BooleanField(default=True)
    search_missing = models.BooleanField(default=False)
    search_cutoff_unmet = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True, help_text="Labels; created when absent.")
    min_free_space_gb = models.PositiveIntegerField(null=True, blank=True)
    requires_approval = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    # What the decisions reflect, and what the last validation found.
    applied_hash = models.CharField(max_length=64, blank=True, default="")
    validation = models.CharField(max_length=10, choices=Validation.choices,
                                  default=Validation.UNKNOWN)
    validation_message = models.CharField(max_length=500, blank=True, default="")
    validated_at = models.DateTimeField(null=True, blank=True)
    resolved = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RuleSelection(models.Model):
    """One "any of" branch of a rule: a show must meet all of its criteria."""

    rule = models.ForeignKey(DiscoveryRule, on_delete=models.CASCADE, related_name="selections")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True, default="")
    genres_any = models.JSONField(default=list, blank=True)
    genres_none = models.JSONField(default=list, blank=True)
    types = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    statuses = models.JSONField(default=list, blank=True)
    networks_any = models.JSONField(default=list, blank=True)
    networks_none = models.JSONField(default=list, blank=True)
    premiered_from = models.DateField(null=True, blank=True)
    premiered_before = models.DateField(null=True, blank=True)
    runtime_min = models.PositiveIntegerField(null=True, blank=True)
    runtime_max = models.PositiveIntegerField(null=True, blank=True)
    rating_min = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["rule_id", "position", "id"]

    def __str__(self) -> str:
        return self.name or f"selection {self.position + 1}"
