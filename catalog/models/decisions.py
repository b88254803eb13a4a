"""What the rules decided about each show, with the retry clock of the push.

Its own module, which imports the rule and show models: they register, and ``dumpdata``
writes them, before it. ``loaddata`` inserts rows in the dump's order, and a decision must
follow the rule and the show it names (on PostgreSQL their keys are checked at each
statement: migration 0029)."""

from __future__ import annotations

from django.db import models

from catalog.models.rules import DiscoveryRule
from catalog.models.shows import Show


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
    rule = models.ForeignKey(DiscoveryRule, on_delete=models.CASCADE,
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
