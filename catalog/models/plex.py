"""Plex servers, their libraries, and the shows and media items those libraries hold."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.models.base import UpstreamServer
from catalog.models.shows import Show
from catalog.models.validators import validate_local_prefix, validate_plex_prefix
from catalog.paths.prefixes import normalize_local_prefix, normalize_plex_prefix, plex_prefix_key


class PlexServer(UpstreamServer):
    """A Plex Media Server; its token is write-only everywhere it is shown."""

    token = models.CharField(max_length=200)
    machine_identifier = models.CharField(max_length=100, blank=True, default="")

    class Meta(UpstreamServer.Meta):
        pass


class PlexLibrary(models.Model):
    """One library section of a server."""

    class Type(models.TextChoices):
        SHOW = "show", "TV shows"
        MOVIE = "movie", "Movies"

    # No index of its own: the (server, key) unique index leads with it.
    server = models.ForeignKey(PlexServer, on_delete=models.CASCADE, related_name="libraries",
                               db_index=False)
    key = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=8, choices=Type.choices)
    enabled = models.BooleanField(default=True)
    retention_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days an item stays MISSING before it is marked DELETED (1 to 3650).",
    )
    verify_hours = models.PositiveIntegerField(
        default=24, validators=[MaxValueValidator(24 * 365)],
        help_text="Every item is re-read within this many hours, a slice per scan, to catch "
                  "file upgrades Plex did not stamp (0 turns it off).",
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_complete_scan_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["server_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["server", "key"], name="library_server_key_unique")
        ]
        verbose_name_plural = "Plex libraries"

    def __str__(self) -> str:
        return f"{self.server} / {self.title}"


class PlexShow(models.Model):
    """A show as one library holds it, linked to the catalog Show."""

    # indexed by the unique (library, rating_key) constraint it leads
    library = models.ForeignKey(PlexLibrary, on_delete=models.CASCADE, related_name="shows",
                                db_index=False)
    rating_key = models.CharField(max_length=32)
    show = models.ForeignKey(
        Show, on_delete=models.SET_NULL, null=True, blank=True, related_name="plex_shows"
    )
    title = models.CharField(max_length=500)
    year = models.PositiveIntegerField(null=True, blank=True)
    guid = models.CharField(max_length=300, blank=True, default="")
    show_digest = models.CharField(max_length=40, blank=True, default="")
    children_hydrated = models.BooleanField(default=False)
    updated_at_plex = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["library_id", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "rating_key"], name="plexshow_library_rating_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class MediaItem(models.Model):
    """An episode or movie in Plex with its file facts and lifecycle state."""

    class Kind(models.TextChoices):
        EPISODE = "episode", "Episode"
        MOVIE = "movie", "Movie"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        REMOTE_ONLY = "remote_only", "Remote only"
        UNAVAILABLE = "unavailable", "Unavailable"
        MISSING = "missing", "Missing"
        DELETED = "deleted", "Deleted"

    # indexed by the unique (library, rating_key) constraint it leads
    library = models.ForeignKey(PlexLibrary, on_delete=models.CASCADE, related_name="items",
                                db_index=False)
    plex_show = models.ForeignKey(
        PlexShow, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rating_key = models.CharField(max_length=32)
    title = models.CharField(max_length=500, blank=True, default="")
    season_number = models.PositiveIntegerField(null=True, blank=True)
    episode_number = models.PositiveIntegerField(null=True, blank=True)
    year = models.PositiveIntegerField(null=True, blank=True)
    guid = models.CharField(max_length=300, blank=True, default="")
    digest = models.CharField(max_length=40)
    updated_at_plex = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveBigIntegerField(null=True, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    part_count = models.PositiveSmallIntegerField(default=0)
    streams_signature = models.CharField(max_length=200, blank=True, default="")
    file_path = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_scan_at = models.DateTimeField(null=True, blank=True)
    missing_since = models.DateTimeField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        # No default ordering: it would steer every lookup by (library, rating_key) away
        # from the unique index on large libraries. Lists order explicitly.
        constraints = [
            models.UniqueConstraint(
                fields=["library", "rating_key"], name="item_library_rating_key_unique"
            )
        ]
        indexes = [
            # No index on last_seen_at: every scan rewrites it on every item it sees, and
            # the lookups of unseen items go through (library, state).
            models.Index(fields=["library", "state"], name="item_library_state"),
            models.Index(fields=["state", "missing_since"], name="item_state_missing"),
            models.Index(fields=["rating_key"], name="item_rating_key"),
        ]

    def __str__(self) -> str:
        return self.title or self.rating_key


class PathMapping(models.Model):
    """Maps a Plex-side path prefix to where the same files live for mediasync."""

    # No index of its own: the (server, prefix) unique index leads with it.
    server = models.ForeignKey(PlexServer, on_delete=models.CASCADE,
                               related_name="path_mappings", db_index=False)
    plex_prefix = models.CharField(max_length=500, validators=[validate_plex_prefix])
    local_prefix = models.CharField(max_length=500, validators=[validate_local_prefix])

    class Meta:
        ordering = ["server_id", "plex_prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "plex_prefix"], name="pathmapping_server_prefix_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plex_prefix} -> {self.local_prefix}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalize()
        super().save(*args, **kwargs)

    def normalize(self) -> None:
        """Store the canonical spelling: ``/data/tv/`` and ``/data/tv`` are one mapping."""
        self.plex_prefix = normalize_plex_prefix(self.plex_prefix or "")
        self.local_prefix = normalize_local_prefix(self.local_prefix or "")

    def same_place(self) -> PathMapping | None:
        """Another mapping of this server for the same Plex prefix (as the resolver sees
        it: Windows prefixes case-insensitively), if there is one."""
        if not self.server_id:
            return None
        key = plex_prefix_key(self.plex_prefix or "")
        others = PathMapping.objects.filter(server_id=self.server_id).exclude(pk=self.pk)
        return next((m for m in others if plex_prefix_key(m.plex_prefix) == key), None)

    def clean(self) -> None:
        self.normalize()
        other = self.same_place()
        if other is not None:
            raise ValidationError({"plex_prefix": (
                f"This server already maps {other.plex_prefix!r} (to {other.local_prefix!r}); "
                "edit that mapping instead.")})
