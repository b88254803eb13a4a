"""Shows list and show page reads: one function per page section, each a fixed number of queries.

Sections whose data belongs to models this installation does not hold yet return the shape
the page expects, empty; they are marked ``WIRE:`` with what to point them at. Nothing here
loops a query over rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from catalog.models import (
    Decision,
    DiscoveryRule,
    Episode,
    MediaItem,
    PathMapping,
    PlexShow,
    Show,
)
from catalog.paths import PathResolver
from catalog.sync.loading.state import loading_state
from catalog.ui.filters import ShowFilters
from catalog.ui.selectors.paging import Page, page_of

HELD = (MediaItem.State.ACTIVE, MediaItem.State.REMOTE_ONLY)
FACET_TTL = 300
# Every status a decision can hold once rules and approval exist (issue 10's set).
DECISION_STATUSES = ("pending", "awaiting_approval", "filtered", "pending_tvdb", "added",
                     "exists", "failed", "skipped", "declined")
SHOW_FIELDS = ("id", "title", "status", "network", "web_channel", "country", "language",
               "genres", "premiered", "poster_path", "tmdb_episodes", "loading_status",
               "tvmaze_id", "tmdb_status")


# --- shows list ---------------------------------------------------------------------------
def shows_facets() -> dict[str, list[str]]:
    """Distinct statuses, countries, languages and networks for the filter inputs (cached)."""
    facets = cache.get("ui:show-facets")
    if facets is None:
        facets = {name: sorted(v for v in Show.objects.order_by().values_list(name, flat=True)
                               .distinct() if v)
                  for name in ("status", "country", "language", "network")}
        cache.set("ui:show-facets", facets, FACET_TTL)
    return facets


def _shows_queryset(filters: ShowFilters) -> Any:
    shows = Show.objects.only(*SHOW_FIELDS)
    if filters.q:
        shows = shows.filter(title__icontains=filters.q)
    for name in ("status", "country", "language", "loading_status"):
        if getattr(filters, name):
            shows = shows.filter(**{name: getattr(filters, name)})
    if filters.network:
        shows = shows.filter(Q(network=filters.network) | Q(web_channel=filters.network))
    if filters.genre:  # portable JSON-array membership: the quoted name in the text form
        shows = shows.alias(genres_text=Cast("genres", TextField())).filter(
            genres_text__contains=f'"{filters.genre}"')
    if filters.in_library is not None:
        linked = Exists(PlexShow.objects.filter(show_id=OuterRef("pk")))
        shows = shows.filter(linked if filters.in_library else ~linked)
    if filters.rule:
        decided = Decision.objects.filter(show_id=OuterRef("pk"), rule_id=filters.rule)
        if filters.decision:
            decided = decided.filter(status=filters.decision)
        shows = shows.filter(Exists(decided))
    elif filters.decision:
        shows = shows.filter(Exists(Decision.objects.filter(show_id=OuterRef("pk"),
                                                            status=filters.decision)))
    return shows.order_by(*filters.ordering)


@dataclass
class ShowRow:
    show: Show
    have: int = 0
    expected: int | None = None
    in_library: bool = False
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (rule name, status)


def shows_page(filters: ShowFilters, *, number: int, per_page: int = 50) -> Page:
    """A page of shows with have/expected totals, library flag and decisions: 5 queries."""
    page = page_of(_shows_queryset(filters), number, per_page)
    ids = [show.pk for show in page.rows]
    have = dict(MediaItem.objects.filter(plex_show__show_id__in=ids, state__in=HELD)
                .order_by().values_list("plex_show__show_id").annotate(n=Count("id")))
    # WIRE: the TMDB slot map's expected total (issue 11) replaces these two sources.
    episodes = dict(Episode.objects.filter(show_id__in=ids, season__gt=0).order_by()
                    .values_list("show_id").annotate(n=Count("id")))
    linked = set(PlexShow.objects.filter(show_id__in=ids).values_list("show_id", flat=True))
    decisions: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for show_id, rule, status in Decision.objects.filter(show_id__in=ids).order_by(
            "rule__name").values_list("show_id", "rule__name", "status"):
        decisions[show_id].append((rule, status))
    page.rows = [ShowRow(show, have.get(show.pk, 0),
                         show.tmdb_episodes or episodes.get(show.pk), show.pk in linked,
                         decisions[show.pk]) for show in page.rows]
    return page


def rules_choices() -> list[tuple[int, str]]:
    return list(DiscoveryRule.objects.order_by("name").values_list("id", "name"))


# --- one show -------------------------------------------------------------------------------
def show_get(show_id: int) -> Show:
    return get_object_or_404(Show, pk=show_id)


@dataclass
class ItemRow:
    item: MediaItem
    local_path: str | None


def show_items(show: Show) -> list[ItemRow]:
    """The show's Plex items with the local path a mapping resolves (2 queries)."""
    items = list(MediaItem.objects.filter(plex_show__show=show).select_related(
        "library__server", "plex_show").order_by("season_number", "episode_number", "id"))
    servers = {item.library.server_id for item in items}
    by_server: dict[int, list[PathMapping]] = defaultdict(list)
    for mapping in PathMapping.objects.filter(server_id__in=servers):
        by_server[mapping.server_id].append(mapping)
    resolvers = {sid: PathResolver(by_server[sid]) for sid in servers}
    return [ItemRow(item, resolvers[item.library.server_id].resolve(item.file_path))
            for item in items]


@dataclass
class Slot:
    number: int
    title: str = ""
    airdate: Any = None
    states: list[str] = field(default_factory=list)
    local_path: str | None = None

    @property
    def held(self) -> bool:
        return any(state in HELD for state in self.states)


@dataclass
class Season:
    number: int
    slots: list[Slot]
    expected: int | None

    @property
    def have(self) -> int:
        return sum(slot.held for slot in self.slots)


def show_slot_map(show: Show, items: list[ItemRow]) -> list[Season]:
    """Per season (specials apart): each expected episode and what Plex holds of it (1 query).

    WIRE: issue 11 stores TMDB's per-season episode counts; until then "expected" is the
    TVMaze episode list when loaded, else unknown and only Plex's episodes are listed.
    """
    seasons: dict[int, dict[int, Slot]] = defaultdict(dict)
    known: set[int] = set()
    for season, number, title, airdate in Episode.objects.filter(
            show=show, season__gt=0, number__isnull=False).values_list(
            "season", "number", "title", "airdate"):
        seasons[season][number] = Slot(number, title, airdate)
        known.add(season)
    for row in items:
        item = row.item
        if not item.season_number or item.episode_number is None:
            continue
        slot = seasons[item.season_number].setdefault(item.episode_number,
                                                      Slot(item.episode_number, item.title))
        slot.states.append(item.state)
        slot.local_path = slot.local_path or row.local_path
    return [Season(number, [slots[n] for n in sorted(slots)],
                   sum(1 for n in slots if number in known) if number in known else None)
            for number, slots in sorted(seasons.items())]


def show_decisions(show: Show) -> list[Decision]:
    return list(Decision.objects.filter(show=show).select_related("rule").order_by("rule__name"))


def show_loading(show: Show) -> dict[str, Any]:
    """The loading object of ``GET /api/shows/{id}/loading/``, parts as (name, done, error)
    rows for the page (0 queries)."""
    state = loading_state(show)
    return {"status": state["loading_status"], "message": state["message"],
            "parts": [(part, done, state["errors"].get(part, ""))
                      for part, done in state["progress"].items()],
            "started_at": state["started_at"], "completed_at": state["completed_at"],
            "error": state["error"]}


def show_artwork_url(show: Show) -> str | None:
    """The downloaded poster (served to logged-in users only), else None (0 queries)."""
    return f"/api/shows/{show.pk}/artwork/poster/" if show.artwork.get("poster") else None
