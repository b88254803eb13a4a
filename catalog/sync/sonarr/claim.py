"""Claiming decisions at the moment they are acted on (rule 11: what leaves the house was
claimed).

A claim is a conditional move to ``sending`` for this run: only decisions still pending (or
a ``pending_tvdb`` whose time has come, or one a dead push left claimed), of a rule still
enabled and still on this server, are taken. What an operator declined, skipped or
re-decided, and what a rule edit or move changed, before the claim is left alone; after it,
their action meets ``sending`` and is told the decision is being sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from catalog.models import Decision, DiscoveryRule, SonarrDeletion, SyncRun
from catalog.runs import run_progress
from catalog.sync.sonarr.outcomes import Item

S = Decision.Status
FIELDS = ("pk", "show_id", "rule_id", "status", "attempts", "status_changed_at",
          "show__tvdb_id", "show__title", "reason", "next_attempt_at")


def claimable(now: datetime, active_runs: Sequence[int] | None) -> Q:
    """Pending (whatever its retry clock: the library check is free), a due pending_tvdb,
    or claimed by a push that is no longer active (it died before writing the outcome);
    ``active_runs`` None leaves claimed decisions out altogether."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    fresh = Q(status=S.PENDING) | (Q(status=S.PENDING_TVDB) & due)
    if active_runs is None:
        return fresh
    orphan = Q(claim_run__isnull=True) | ~Q(claim_run_id__in=list(active_runs))
    return fresh | (Q(status=S.SENDING) & orphan)


def candidates(rule_ids: Sequence[int], now: datetime, run: SyncRun) -> list[Item]:
    """What the push plans to act on (a read; each is claimed when its turn comes)."""
    active = _active_pushes(run)
    rows = (Decision.objects.filter(rule_id__in=list(rule_ids))
            .filter(claimable(now, active))
            .exclude(status=S.PENDING_TVDB, show__tvdb_id__isnull=True)
            .order_by("show_id", "rule_id").values_list(*FIELDS))
    return [_item(row, now) for row in rows]


def claim(run: SyncRun, server_id: int, items: Sequence[Item], now: datetime,
          rules_seen: Mapping[int, datetime]) -> list[Item]:
    """Claim these decisions for ``run`` in one transaction; returns exactly those claimed,
    as they were at that instant (a decision that moved on is absent)."""
    if not items:
        return []
    with transaction.atomic():
        run_progress(run)  # a run taken over or cancelled claims nothing
        return claim_owned(run, server_id, items, now, rules_seen)


def claim_owned(run: SyncRun, server_id: int, items: Sequence[Item], now: datetime,
                rules_seen: Mapping[int, datetime], *, to_send: bool = True) -> list[Item]:
    """``claim`` inside a transaction that has just checked the run is ours.

    Only decisions of rules still enabled, still on this server and unchanged since the push
    validated them (``rules_seen``: id -> ``updated_at``) are taken: a rule edited meanwhile
    (its add options, dry run, filters) waits for the next push to validate it afresh."""
    if not items:
        return []
    # Rules, then decisions: the order every writer locks them in (a rule move, and a
    # delete through ``rule_services.rules_delete``), so an edit landing now waits for this claim.
    rules = [pk for pk, stamp in DiscoveryRule.objects.select_for_update(of=("self",)).filter(
        pk__in={i.rule_id for i in items}, server_id=server_id, enabled=True,
        server__enabled=True).values_list("pk", "updated_at") if rules_seen.get(pk) == stamp]
    if not rules:
        return []
    orphans = any(i.status == S.SENDING for i in items)
    # A series deleted in Sonarr since the push read them is not claimed to be sent (the next
    # push settles it): the webhook records the deletion under the rules' lock held here.
    query = Decision.objects.select_for_update(of=("self",)).filter(
        pk__in=[i.id for i in items], rule_id__in=rules
    ).filter(claimable(now, _active_pushes(run) if orphans else None))
    if to_send:
        query = query.exclude(show__tvdb_id__in=SonarrDeletion.objects.filter(
            server_id=server_id, cleared_at__isnull=True).values("tvdb_id"))
    rows = list(query.order_by("show_id", "rule_id").values_list(*FIELDS))
    Decision.objects.filter(pk__in=[row[0] for row in rows]).update(
        status=S.SENDING, claim_run=run, updated_at=now)
    return [_item(row, now) for row in rows]


def still_claimed(run: SyncRun, items: Sequence[Item]) -> list[Item]:
    """Those of ``items`` this run still holds, read just before they are POSTed: a
    ``SeriesDelete`` from Sonarr's webhook takes a claim back (the delete wins), and what it
    took must not be sent to Sonarr again."""
    if not items:
        return []
    held = set(Decision.objects.filter(pk__in=[i.id for i in items], status=S.SENDING,
                                       claim_run=run).values_list("pk", flat=True))
    return [i for i in items if i.id in held]


def deleted_in_sonarr(server_id: int) -> frozenset[int]:
    """The TVDB ids deleted in this Sonarr that no operator or hand-made add brought back."""
    return frozenset(SonarrDeletion.objects.filter(server_id=server_id, cleared_at__isnull=True)
                     .values_list("tvdb_id", flat=True))


def _active_pushes(run: SyncRun) -> list[int]:
    return list(SyncRun.objects.filter(kind=SyncRun.Kind.SONARR, status__in=SyncRun.ACTIVE)
                .exclude(pk=run.pk).values_list("pk", flat=True))


def _item(row: tuple, now: datetime) -> Item:
    pk, show_id, rule_id, status, attempts, changed, tvdb, title, reason, next_at = row
    return Item(pk, show_id, rule_id, status, attempts, changed, tvdb, title, reason, next_at,
                due=next_at is None or next_at <= now, sending=status == S.SENDING)
