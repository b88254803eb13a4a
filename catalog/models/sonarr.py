"""Sonarr servers, and the series their webhooks said were deleted."""

from __future__ import annotations

from django.db import models

from catalog.models.base import UpstreamServer


class SonarrServer(UpstreamServer):
    """A Sonarr instance; its API key is write-only everywhere it is shown."""

    class State(models.TextChoices):
        UNKNOWN = "unknown", "Not checked yet"
        OK = "ok", "OK"
        UNAUTHORIZED = "unauthorized", "Unauthorised (check the API key)"
        UNREACHABLE = "unreachable", "Unreachable"

    api_key = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNKNOWN)
    state_message = models.CharField(max_length=500, blank=True, default="")
    checked_at = models.DateTimeField(null=True, blank=True)
    # Sonarr's webhook (Settings -> Connect -> Webhook) authenticates with a secret only its
    # SHA-256 is kept of: shown once when an admin generates it, never stored or shown again.
    webhook_secret_hash = models.CharField(max_length=64, blank=True, default="",
                                           editable=False)
    webhook_secret_at = models.DateTimeField(null=True, blank=True, editable=False)
    webhook_event = models.CharField(max_length=32, blank=True, default="", editable=False)
    webhook_event_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(UpstreamServer.Meta):
        pass


class SonarrDeletion(models.Model):
    """A series Sonarr's webhook said was deleted on that server (``SeriesDelete``), by TVDB
    id: while it stands (``cleared_at`` unset) no decision of that server for that id is sent
    there again, whichever rule or show carries it (the push settles each as
    ``removed_in_sonarr``). Cleared by an operator's approval of such a decision or by a
    ``SeriesAdd`` of the id on that server (someone added it back by hand); kept afterwards,
    with the deleted series id, so a replay of the old add or delete changes nothing."""

    server = models.ForeignKey(SonarrServer, on_delete=models.CASCADE,
                               related_name="deletions", db_index=False)
    tvdb_id = models.PositiveIntegerField()
    # Sonarr's id of the deleted series (when the event named it); Sonarr never reuses one.
    series_id = models.PositiveIntegerField(null=True, blank=True)
    deleted_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "tvdb_id"],
                                    name="sonarr_deletion_server_tvdb_unique")
        ]

    def __str__(self) -> str:
        return f"{self.server_id}/tvdb:{self.tvdb_id} (series {self.series_id})"
