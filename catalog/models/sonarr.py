"""Sonarr servers and the decisions rules made about shows for them."""

from __future__ import annotations

from django.db import models

from catalog.models.base import UpstreamServer
from catalog.models.shows import Show


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


class Decision(models.Model):
    """What one rule decided about one show, with the retry clock for failures."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        FILTERED = "filtered", "Filtered out"
        PENDING_TVDB = "pending_tvdb", "Waiting for a TVDB id"
        ADDED = "added", "Added"
        EXISTS = "exists", "Already in Sonarr"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        DECLINED = "declined", "Declined"
        SENDING = "sending", "Being sent to Sonarr"
        # Deleted in Sonarr (its webhook said so): nothing re-adds it, no re-evaluation moves
        # it, until an operator approves it again.
        REMOVED = "removed_in_sonarr", "Deleted in Sonarr"

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="decisions")
    # No index of its own: the (rule, show) unique index leads with it.
    rule = models.ForeignKey("catalog.DiscoveryRule", on_delete=models.CASCADE,
                             related_name="decisions", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True, default="")
    sonarr_series_id = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The push run that claimed it (status ``sending``): only that run writes its outcome; a
    # claim whose run is no longer active is taken over by the server's next push.
    claim_run = models.ForeignKey("catalog.SyncRun", null=True, blank=True, editable=False,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    # The TVDB id Sonarr's lookup did not know (``pending_tvdb`` with a reason): a show whose
    # id is corrected since is retried at once instead of waiting for its retry time.
    refused_tvdb_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # Rule first: a refilter reads a chunk of shows of one rule as one range of this
            # index, whatever the planner knows (by rule alone it scanned every decision of
            # the rule for each chunk: quadratic). Reads by show use the show's own index.
            models.UniqueConstraint(fields=["rule", "show"], name="decision_rule_show_unique")
        ]
        indexes = [
            # Serves (rule, status) alone as well: no index of its own, one less to write for
            # every decision a refilter writes. The Rules page groups reasons through it.
            models.Index(fields=["rule", "status", "reason"], name="decision_rule_status_reason"),
            models.Index(fields=["status", "next_attempt_at"], name="decision_retry"),
            # Only claimed decisions: nearly every row has none, and a refilter writing a
            # million decisions would otherwise write a million NULL entries.
            models.Index(fields=["claim_run"], condition=models.Q(claim_run__isnull=False),
                         name="decision_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.show_id}: {self.status}"


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
