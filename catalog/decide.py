"""Re-decide shows against rules from the stored facts alone: bulk reads, one bulk write.

Used by the page writer's hook (a page of changed shows against every enabled rule) and by
the refilter run (every show against one rule, chunk by chunk). No upstream request is ever
made here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from catalog import rules
from catalog.bulk import upsert
from catalog.models import Decision, DiscoveryRule, RuleSelection, Show

FACT_FIELDS = ("id", "tvdb_id", "language", "country", "type", "status", "premiered",
               "network", "web_channel", "genres", "runtime", "rating")
COLUMNS = ["show_id", "rule_id", "status", "reason", "status_changed_at", "attempts",
           "next_attempt_at"]
UPDATE = ["status", "reason", "status_changed_at", "attempts", "next_attempt_at", "updated_at"]


@dataclass(frozen=True, slots=True)
class RuleView:
    """What evaluation needs of a rule, read once."""

    id: int
    filters: rules.RuleFilters
    requires_approval: bool
    hash: str


def rule_view(rule: DiscoveryRule) -> RuleView:
    spec = rule.filters_spec()
    return RuleView(rule.pk, rules.filters_from_spec(spec), rule.requires_approval,
                    rules.filters_hash(spec))


def enabled_rule_views() -> list[RuleView]:
    """Every enabled rule with its selections: two queries."""
    qs = DiscoveryRule.objects.filter(enabled=True).prefetch_related(
        Prefetch("selections", queryset=RuleSelection.objects.order_by("position", "id")))
    return [rule_view(rule) for rule in qs]


def facts_of(row: tuple) -> rules.ShowFacts:
    (_, tvdb_id, language, country, type_, status, premiered, network, web, genres, runtime,
     rating) = row
    return rules.ShowFacts(tvdb_id, language, country, type_, status, premiered, network, web,
                           tuple(genres or ()), runtime, rating)


def decide_rows(show_rows: Iterable[tuple], views: list[RuleView], *, now: datetime
                ) -> tuple[int, int]:
    """Evaluate the shows against the rules and write what changed; (evaluated, changed)."""
    shows = [(row[0], facts_of(row)) for row in show_rows]
    if not shows or not views:
        return 0, 0
    ids = [sid for sid, _ in shows]
    current = {
        (s, r): (status, reason, approved is not None)
        for s, r, status, reason, approved in Decision.objects.filter(
            rule_id__in=[v.id for v in views], show_id__in=ids
        ).values_list("show_id", "rule_id", "status", "reason", "approved_at")
    }
    out: list[tuple] = []
    for view in views:
        for sid, facts in shows:
            status, reason, approved = current.get((sid, view.id), (None, "", False))
            target = rules.decision_next(
                current=status, current_reason=reason,
                verdict=rules.evaluate(facts, view.filters), has_tvdb=bool(facts.tvdb_id),
                requires_approval=view.requires_approval, approved=approved)
            if target is not None:
                out.append((sid, view.id, target[0], target[1], now, 0, None))
    upsert(Decision, COLUMNS, out, conflict=["show_id", "rule_id"], update=UPDATE,
           constants={"decided_at": now, "updated_at": now}, keep=("status", sorted(rules.FINAL)))
    return len(shows) * len(views), len(out)


def decide_shows(show_ids: Collection[int]) -> int:
    """The page writer's hook: changed shows against every enabled rule; rows changed."""
    views = enabled_rule_views()
    if not views or not show_ids:
        return 0
    rows = Show.objects.filter(id__in=list(show_ids)).values_list(*FACT_FIELDS)
    return decide_rows(rows, views, now=timezone.now())[1]


def show_chunks(size: int, *, after: int = 0) -> Iterable[list[tuple]]:
    """Every show's facts by ascending id, ``size`` at a time (keyset paging)."""
    while True:
        chunk = list(Show.objects.filter(id__gt=after).order_by("id")
                     .values_list(*FACT_FIELDS)[:size])
        if not chunk:
            return
        yield chunk
        after = chunk[-1][0]
