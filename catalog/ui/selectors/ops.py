"""Dashboard, libraries, rules and runs reads: one function per page section, fixed queries.

Rule previews live in ``catalog.rules.preview``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.metrics.health import cluster_alive
from catalog.metrics.listener import listener_summary
from catalog.models import (
    Decision,
    DiscoveryRule,
    MediaItem,
    PlexLibrary,
    PlexListenerState,
    PlexServer,
    Show,
    SyncRun,
)
from catalog.models.library import library_count, placeholder_count
from catalog.rules import engine
from catalog.rules.decide import rule_spec
from catalog.ui.selectors.paging import Page, page_of

STALE_SCAN = timedelta(days=1)
FAILED_WINDOW = timedelta(days=7)
CHART_RUNS = 30
TOP_REASONS = 5
STATES = [value for value, _ in MediaItem.State.choices]
PRESENT = (MediaItem.State.ACTIVE, MediaItem.State.REMOTE_ONLY, MediaItem.State.UNAVAILABLE)


# --- dashboard ------------------------------------------------------------------------------
def dashboard_counts() -> dict[str, Any]:
    """Catalog size, library shows, placeholders awaiting TMDB, items by state (4 queries).

    Only library shows (in Plex, added to Sonarr, or added by hand) are enriched, so only
    they can be placeholders; a TVMaze-only show is not one.
    """
    states = dict(MediaItem.objects.order_by().values_list("state").annotate(n=Count("id")))
    return {
        "shows": Show.objects.count(),
        "library_shows": library_count(),
        "placeholders": placeholder_count(),
        "states": [(value, label, states.get(value, 0)) for value, label in
                   MediaItem.State.choices],
    }


def _latest_runs(kind: str | None = None, scopes: list[str] | None = None) -> list[SyncRun]:
    """The newest run of each (kind, scope) (2 queries)."""
    runs = SyncRun.objects.order_by()
    if kind:
        runs = runs.filter(kind=kind)
    if scopes is not None:
        runs = runs.filter(scope__in=scopes)
    latest = runs.values("kind", "scope").annotate(last=Max("id")).values_list("last", flat=True)
    return list(SyncRun.objects.filter(id__in=list(latest)).defer("events", "options"))


@dataclass
class Attention:
    failed_runs: list[SyncRun]
    invalid_rules: list[tuple[DiscoveryRule, str]]
    awaiting_approval: int
    stale_libraries: list[PlexLibrary]
    cluster_alive: bool

    @property
    def empty(self) -> bool:
        return not (self.failed_runs or self.invalid_rules or self.awaiting_approval
                    or self.stale_libraries) and self.cluster_alive


def attention(now: datetime | None = None) -> Attention:
    """What needs an operator first (6 queries plus the cluster check)."""
    now = now or timezone.now()
    failed = [run for run in _latest_runs() if run.status == SyncRun.Status.FAILED
              and (run.finished_at or run.created_at) >= now - FAILED_WINDOW]
    stale = list(PlexLibrary.objects.filter(enabled=True, server__enabled=True).filter(
        Q(last_complete_scan_at__isnull=True) | Q(last_complete_scan_at__lt=now - STALE_SCAN))
        .select_related("server").order_by("server__name", "title", "id"))
    return Attention(
        failed_runs=sorted(failed, key=lambda r: -r.pk),
        invalid_rules=rules_invalid(),
        awaiting_approval=Decision.objects.filter(status="awaiting_approval").count(),
        stale_libraries=stale,
        cluster_alive=cluster_alive(),
    )


def rules_invalid() -> list[tuple[DiscoveryRule, str]]:
    """Enabled rules whose last validation against their Sonarr server failed, with the
    reason (1 query). A disabled rule pushes nothing, so it needs no attention."""
    rules = DiscoveryRule.objects.filter(enabled=True, validation=DiscoveryRule.Validation.INVALID
                                         ).select_related("server").order_by("name")
    return [(rule, rule.validation_message or "failed validation") for rule in rules]


# --- libraries and servers --------------------------------------------------------------------
@dataclass
class LibraryRow:
    library: PlexLibrary
    states: dict[str, int]
    last_run: SyncRun | None

    @property
    def present(self) -> int:
        return sum(self.states.get(s, 0) for s in PRESENT)

    @property
    def coverage(self) -> float | None:
        """Share of present items whose file a path mapping resolves (``active``)."""
        return self.states.get(MediaItem.State.ACTIVE, 0) / self.present if self.present else None


@dataclass
class ServerRow:
    server: PlexServer
    libraries: list[LibraryRow] = field(default_factory=list)


def libraries_overview(server_id: int | None = None) -> list[ServerRow]:
    """Servers with their libraries, item counts by state and last scan run (5 queries)."""
    servers = PlexServer.objects.order_by("name")
    if server_id is not None:
        servers = servers.filter(pk=server_id)
    rows = {server.pk: ServerRow(server) for server in servers}
    libraries = list(PlexLibrary.objects.filter(server_id__in=rows).order_by("title", "id"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for library_id, state, n in MediaItem.objects.filter(library_id__in=[x.pk for x in libraries]
                                                         ).order_by().values_list(
            "library_id", "state").annotate(n=Count("id")):
        counts[library_id][state] = n
    runs = {run.scope: run for run in _latest_runs(
        SyncRun.Kind.PLEX, [f"library:{x.pk}" for x in libraries])}
    for library in libraries:
        rows[library.server_id].libraries.append(
            LibraryRow(library, counts[library.pk], runs.get(f"library:{library.pk}")))
    return list(rows.values())


def libraries_scannable() -> list[PlexLibrary]:
    """Enabled libraries of enabled servers, for the dashboard's scan button (1 query)."""
    return list(PlexLibrary.objects.filter(enabled=True, server__enabled=True)
                .select_related("server").order_by("server__name", "title", "id"))


@dataclass
class ServerDetail:
    server: PlexServer
    libraries: list[LibraryRow]
    mappings: list[Any]
    discovery: SyncRun | None
    listener: str = ""  # the notification stream, as the Plex listener last saved it

    @property
    def connection(self) -> tuple[str, str]:
        """What the latest finished run says about reaching the server: (state, detail).

        A run still going says nothing yet; a cancelled one says nothing either.
        """
        runs = [row.last_run for row in self.libraries if row.last_run] + (
            [self.discovery] if self.discovery else [])
        ended = [r for r in runs if r.status in (SyncRun.Status.SUCCEEDED,
                                                 SyncRun.Status.FAILED)]
        if not ended:
            return "unknown", "no scan has finished yet"
        latest = max(ended, key=lambda r: r.pk)
        if latest.status == SyncRun.Status.FAILED:
            return "failing", f"run #{latest.pk}: {latest.error[:300]}"
        return "ok", f"answered run #{latest.pk}"


def server_detail(server_id: int) -> ServerDetail:
    """One server: libraries, path mappings, last discovery, its stream (9 queries)."""
    server = get_object_or_404(PlexServer, pk=server_id)
    overview = libraries_overview(server.pk)
    discovery = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope=f"server:{server.pk}"
                                       ).defer("events").order_by("-id").first()
    stream = PlexListenerState.objects.filter(server=server).first()
    return ServerDetail(server, overview[0].libraries if overview else [],
                        list(server.path_mappings.order_by("plex_prefix")), discovery,
                        listener_summary(stream))


# --- rules --------------------------------------------------------------------------------------
@dataclass
class RuleRow:
    rule: DiscoveryRule
    counts: dict[str, int]
    reasons: list[tuple[str, int]]
    validation: dict[str, Any] | None
    spec_text: str = ""


def rules_overview() -> list[RuleRow]:
    """Each rule with decision counts by status, its top filter reasons, its validation
    state and its filters as editable text for the preview form (4 queries)."""
    rules = list(DiscoveryRule.objects.select_related("server").prefetch_related("selections")
                 .order_by("name"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for rule_id, status, n in Decision.objects.order_by().values_list(
            "rule_id", "status").annotate(n=Count("id")):
        counts[rule_id][status] = n
    reasons: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for rule_id, reason, n in Decision.objects.filter(status="filtered").exclude(
            reason="").order_by().values_list("rule_id", "reason").annotate(n=Count("id")):
        reasons[rule_id].append((reason, n))
    return [RuleRow(rule, counts[rule.pk],
                    sorted(reasons[rule.pk], key=lambda r: (-r[1], r[0]))[:TOP_REASONS],
                    rule_validation(rule), rule_spec_text(rule)) for rule in rules]


def rule_validation(rule: DiscoveryRule) -> dict[str, Any] | None:
    """The last validation against the rule's Sonarr server ({"ok", "reason", "checked_at"});
    None when never validated (0 queries)."""
    if rule.validation == DiscoveryRule.Validation.UNKNOWN:
        return None
    return {"ok": rule.validation == DiscoveryRule.Validation.OK,
            "reason": rule.validation_message, "checked_at": rule.validated_at}


def rule_spec_text(rule: DiscoveryRule) -> str:
    """The rule's filters as the preview form's starting text (uses prefetched selections)."""
    return json.dumps(engine.spec_canonical(rule_spec(rule)), indent=1)


# --- runs -----------------------------------------------------------------------------------------
def shows_loading_active(limit: int = 20) -> list[dict[str, Any]]:
    """Shows queued or loading in the background, oldest change first (1 query)."""
    from catalog.sync.loading.state import ACTIVE, loading_state

    shows = Show.objects.filter(loading_status__in=ACTIVE).order_by("loading_changed_at", "id")
    return [loading_state(show) for show in shows[:limit]]


def runs_active() -> list[SyncRun]:
    """Queued and running runs, newest first (1 query): the polled fragment's only read."""
    return list(SyncRun.objects.filter(status__in=SyncRun.ACTIVE).defer("events", "options")
                .order_by("-id")[:50])


def runs_history(*, kind: str | None, number: int, per_page: int = 25) -> Page:
    runs = SyncRun.objects.exclude(status__in=SyncRun.ACTIVE).defer("events", "options")
    if kind:
        runs = runs.filter(kind=kind)
    return page_of(runs.order_by("-id"), number, per_page)


def runs_chart() -> dict[str, list[SyncRun]]:
    """The last 30 finished runs of each kind, oldest first (1 query, a window function)."""
    ranked = SyncRun.objects.exclude(status__in=SyncRun.ACTIVE).annotate(
        rank=Window(RowNumber(), partition_by=[F("kind")], order_by=F("id").desc())
    ).only("id", "kind", "scope", "status", "started_at", "finished_at", "processed",
           "created_at")
    by_kind: dict[str, list[SyncRun]] = {value: [] for value, _ in SyncRun.Kind.choices}
    for run in ranked.filter(rank__lte=CHART_RUNS).order_by("id"):
        by_kind.setdefault(run.kind, []).append(run)
    return by_kind
