"""Rules and decisions as operators steer them: refilter when filters change, approve,
decline, skip, un-skip, re-evaluate. Set-based statements; runs for anything slow."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog.models import Decision, DiscoveryRule, SonarrDeletion, SonarrServer, SyncRun
from catalog.rules import engine
from catalog.rules.decide import decide_rows, facts_by_ids, rule_view
from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue

log = logging.getLogger(__name__)
S = Decision.Status


def rule_is_stale(rule: DiscoveryRule) -> bool:
    """The decisions do not reflect the rule's current filters."""
    return rule_view(rule).hash != rule.applied_hash


def rule_needs_refilter(rule: DiscoveryRule, *, was_enabled: bool, was_gated: bool) -> bool:
    """Beyond a filter change: a rule switched back on missed the shows changed meanwhile,
    and turning approval on or off moves what is not pushed yet in or out of the queue."""
    return (rule.enabled and not was_enabled) or rule.requires_approval != was_gated


def rule_server_moved(rule: DiscoveryRule, *, was_server_id: int | None) -> int:
    """A rule pointed at another Sonarr server: what the old server held, refused or excluded
    says nothing of the new one. Those decisions go back to be decided (approvals and an
    operator's skip or decline are kept); the caller forces the refilter that decides them.
    A series deleted in Sonarr (``removed_in_sonarr``) stays so: someone removed it by hand,
    and only an operator's approval sends it anywhere again."""
    if was_server_id is None or rule.server_id == was_server_id:
        return 0
    now = timezone.now()
    bound = Decision.objects.filter(rule=rule).filter(
        Q(status__in=[S.ADDED, S.EXISTS, S.FAILED]) | Q(status=S.SKIPPED, reason=engine.EXCLUDED)
        | (Q(status=S.PENDING_TVDB) & ~Q(reason="")))  # the old server's lookup knew nothing
    return bound.update(status=S.FILTERED, reason="re-evaluating", sonarr_series_id=None,
                        attempts=0, next_attempt_at=None, refused_tvdb_id=None,
                        status_changed_at=now, updated_at=now)


@dataclass(frozen=True, slots=True)
class RuleWas:
    """What a rule was before an edit, as far as deciding again depends on it."""

    enabled: bool
    requires_approval: bool
    server_id: int | None

    @classmethod
    def of(cls, rule: DiscoveryRule) -> RuleWas:
        return cls(rule.enabled, rule.requires_approval, rule.server_id)


def rule_saved(rule_id: int, *, was: RuleWas | None, triggered_by: str) -> SyncRun | None:
    """After any save of a rule (API create/update, admin form with its selection inlines):
    read it back as stored, with fresh selections (a caller's prefetched copy is stale once
    the selections were replaced), move what its old server held, and queue the refilter
    when the filters' hash moved or the edit needs one. Call it inside the save's
    transaction, so that the refilter is queued with the edit or not at all."""
    rule = DiscoveryRule.objects.prefetch_related("selections").get(pk=rule_id)
    force = False
    if was is not None:
        moved = rule_server_moved(rule, was_server_id=was.server_id)
        force = bool(moved) or rule_needs_refilter(rule, was_enabled=was.enabled,
                                                   was_gated=was.requires_approval)
    if force:  # stale until a refilter passes over it (startup and the hourly push check)
        DiscoveryRule.objects.filter(pk=rule.pk).update(applied_hash="")
        rule.applied_hash = ""
    return rule_refilter_if_changed(rule, triggered_by=triggered_by, force=force)


def rule_refilter_if_changed(rule: DiscoveryRule, *, triggered_by: str,
                             force: bool = False) -> SyncRun | None:
    """After a save: queue a refilter when the filters' hash moved (or ``force``).

    A refilter already running for the rule re-checks the hash when it ends and runs again,
    so a busy scope is not an error here.
    """
    if not force and not rule_is_stale(rule):
        return None
    try:
        return sync_enqueue(kind=SyncRun.Kind.RULES, options={"rule_id": rule.pk},
                            triggered_by=triggered_by)
    except RunInProgress as exc:
        return exc.run
    except EnqueueFailed:
        log.warning("could not queue the refilter of rule %s; the worker retries at start-up",
                    rule.pk)
        return None


def rules_refilter_stale(*, triggered_by: str = "startup") -> list[SyncRun]:
    """Queue a refilter for every rule whose filters changed while nothing was watching."""
    runs = []
    for rule in DiscoveryRule.objects.prefetch_related("selections"):
        if rule_is_stale(rule):
            run = rule_refilter_if_changed(rule, triggered_by=triggered_by)
            if run is not None:
                runs.append(run)
    return runs


def rules_delete(rules: QuerySet[DiscoveryRule]) -> int:
    """Delete rules (their decisions go with them). The rules are locked first: a delete
    cascades to decisions before the rule, while a push claims the rule before its
    decisions; taking the rule first keeps one order, so the two wait instead of deadlocking.
    """
    with transaction.atomic():
        ids = list(rules.select_for_update().values_list("pk", flat=True))
        return DiscoveryRule.objects.filter(pk__in=ids).delete()[0]


def servers_delete(servers: QuerySet[SonarrServer]) -> int:
    """Delete Sonarr servers with their rules and decisions, rules locked first (see
    ``rules_delete``)."""
    with transaction.atomic():
        ids = list(servers.values_list("pk", flat=True))
        list(DiscoveryRule.objects.select_for_update().filter(server_id__in=ids)
             .values_list("pk", flat=True))
        return SonarrServer.objects.filter(pk__in=ids).delete()[0]


BEING_SENT = "being sent to Sonarr right now: act again once the push has settled it"


def decisions_being_sent(decisions: QuerySet[Decision]) -> int:
    """How many of these a push holds (``sending``): an action meets its claim and changes
    nothing, and the operator is told so rather than shown a change the push would ignore."""
    return decisions.filter(status=S.SENDING).count()


# What each verdict acts on (the UI offers a verdict only where one of these is shown).
APPROVABLE = (S.AWAITING_APPROVAL, S.REMOVED)
DECLINABLE = (S.AWAITING_APPROVAL, S.PENDING, S.PENDING_TVDB)
SKIP_LEAVES = (S.ADDED, S.EXISTS, S.SKIPPED, S.SENDING, S.REMOVED)


@transaction.atomic
def decisions_approve(decisions: QuerySet[Decision], *, by: str) -> int:
    """awaiting_approval -> pending, remembered so that a re-evaluation never asks again;
    removed_in_sonarr (deleted in Sonarr) -> pending too: the operator wants it back, and the
    next push adds it again (the server's record of that deletion is cleared in the same
    transaction, or the push would settle it removed again). Nothing else ever moves a
    removed decision. A constant number of statements, however many are approved."""
    now = timezone.now()
    approved_back = decisions.filter(status=S.REMOVED, rule__server_id=OuterRef("server_id"),
                                     show__tvdb_id=OuterRef("tvdb_id"))
    SonarrDeletion.objects.filter(cleared_at__isnull=True).filter(
        Exists(approved_back)).update(cleared_at=now)
    return decisions.filter(status__in=APPROVABLE).update(
        status=S.PENDING, approved_at=now, approved_by=by[:150], reason="",
        sonarr_series_id=None, status_changed_at=now, next_attempt_at=None, attempts=0,
        updated_at=now)


def decisions_decline(decisions: QuerySet[Decision], *, by: str) -> int:
    """An operator said no: never pushed, never re-decided automatically."""
    now = timezone.now()
    return decisions.filter(status__in=DECLINABLE).update(
        status=S.DECLINED, reason=f"declined by {by}"[:500], status_changed_at=now,
        updated_at=now)


def decisions_skip(decisions: QuerySet[Decision], *, by: str) -> int:
    """Skip what is not in Sonarr yet (an operator's choice, kept until un-skipped); a
    decision being sent is the push's until it settles. One deleted in Sonarr stays as it is:
    a skip then an un-skip would otherwise decide it pending again without an approval."""
    now = timezone.now()
    return decisions.exclude(status__in=SKIP_LEAVES).update(
        status=S.SKIPPED, reason=f"skipped by {by}"[:500], status_changed_at=now,
        next_attempt_at=None, updated_at=now)


def decisions_unskip(decisions: QuerySet[Decision]) -> int:
    """Skipped and declined decisions are decided again from the show's facts."""
    now = timezone.now()
    pairs = list(decisions.filter(status__in=[S.SKIPPED, S.DECLINED])
                 .values_list("show_id", "rule_id"))
    Decision.objects.filter(status__in=[S.SKIPPED, S.DECLINED],
                            pk__in=decisions.values("pk")).update(
        status=S.FILTERED, reason="re-evaluating", status_changed_at=now, updated_at=now)
    return decisions_reevaluate_pairs(pairs)


def decisions_reevaluate(decisions: QuerySet[Decision]) -> int:
    """Re-decide the selected decisions now; a failed add is tried again if the show still
    passes (added, exists, skipped and declined stay as they are)."""
    now = timezone.now()
    pairs = list(decisions.values_list("show_id", "rule_id"))
    Decision.objects.filter(status=S.FAILED, pk__in=decisions.values("pk")).update(
        status=S.FILTERED, reason="re-evaluating", status_changed_at=now, attempts=0,
        next_attempt_at=None, updated_at=now)
    return decisions_reevaluate_pairs(pairs)


def decisions_reevaluate_pairs(pairs: Iterable[tuple[int, int]]) -> int:
    by_rule: dict[int, list[int]] = {}
    for show_id, rule_id in pairs:
        by_rule.setdefault(rule_id, []).append(show_id)
    found = {r.pk: r for r in DiscoveryRule.objects.filter(pk__in=list(by_rule))
             .prefetch_related("selections")}
    changed = 0
    for rule_id, show_ids in by_rule.items():  # one pass per rule, not per decision
        changed += decide_rows(facts_by_ids(show_ids), [rule_view(found[rule_id])],
                               now=timezone.now())[1]
    return changed


def shows_reevaluate(show_ids: list[int]) -> int:
    """Re-decide these shows against every enabled rule (the hook, by hand)."""
    from catalog.rules.decide import decide_shows

    return decide_shows(show_ids)


def sonarr_servers_select(*, rule: str | None = None) -> list[tuple[SonarrServer, int | None]]:
    """(server, rule id or None) to push: every enabled server with an enabled rule, or the
    server of the named rule."""
    if rule:
        found = DiscoveryRule.objects.select_related("server").filter(name=rule).first()
        return [(found.server, found.pk)] if found else []
    servers = SonarrServer.objects.filter(enabled=True, rules__enabled=True).distinct()
    return [(server, None) for server in servers.order_by("name")]
