"""Shows list and show page reads: one function per page section, each a fixed number of queries.

Have/expected totals and the per-season slot map come from ``catalog.sync.tmdb.slots``
(TMDB's seasons, specials apart; what Plex holds of them). Sections still marked ``WIRE:``
return the shape the page expects from the stored flags. Nothing here loops a query over rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Concat
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
from catalog.models.library import library_q, library_shows
from catalog.paths.resolve import PathResolver
from catalog.sync.loading.state import loading_state
from catalog.sync.tmdb import slots
from catalog.ui.filters import ShowFilters
from catalog.ui.selectors.paging import Page, page_of

HELD = (MediaItem.State.ACTIVE, MediaItem.State.REMOTE_ONLY)
FACET_TTL = 300
MAX_EMPTY_SLOTS = 1_000  # per season: expected episodes drawn one by one up to here
MAX_DRAWN_SLOTS = 5_000  # per show: TMDB may list thousands of seasons
# Every status a decision can hold, in the order an operator reads them.
DECISION_STATUSES = tuple(Decision.Status.values)
SHOW_FIELDS = ("id", "title", "status", "network", "web_channel", "country", "language",
               "genres", "premiered", "poster_path", "tmdb_episodes", "loading_status",
               "tvmaze_id", "tmdb_status", "tmdb_season_episodes")


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
        shows = shows.filter(library_q()) if filters.in_library else shows.exclude(library_q())
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
    in_library: bool = False  # catalog.models.library: in Plex, in Sonarr or added by an operator
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (rule name, status)
    summary: str = ""  # "S01 8/10, S02 0/8"
    in_plex: bool = False


def shows_page(filters: ShowFilters, *, number: int, per_page: int = 50) -> Page:
    """A page of shows with have/expected totals, library flag and decisions (5 queries).

    have/expected is the TMDB slot map (``catalog.sync.tmdb.slots``) when TMDB lists the show's
    seasons; before that, expected is unknown and "have" counts the distinct season
    episodes Plex holds, so a show freshly scanned does not read 0.
    """
    page = page_of(_shows_queryset(filters), number, per_page)
    maps = slots.slot_maps(page.rows)
    unknown = [show.pk for show in page.rows if not maps[show.pk].seasons]
    held = dict(MediaItem.objects.filter(
        plex_show__show_id__in=unknown, state__in=HELD, kind=MediaItem.Kind.EPISODE,
        season_number__gt=0, episode_number__isnull=False).order_by()
        .values_list("plex_show__show_id").annotate(
            n=Count(Concat(Cast("season_number", TextField()), Value("x"),
                           Cast("episode_number", TextField()), output_field=TextField()),
                    distinct=True))
    ) if unknown else {}
    library = dict(library_shows(Show.objects.filter(pk__in=[show.pk for show in page.rows]))
                   .annotate(in_plex=Exists(PlexShow.objects.filter(show_id=OuterRef("pk"))))
                   .values_list("id", "in_plex"))
    decisions: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for show_id, rule, status in Decision.objects.filter(
            show_id__in=[show.pk for show in page.rows]).order_by(
            "rule__name").values_list("show_id", "rule__name", "status"):
        decisions[show_id].append((rule, status))
    rows = []
    for show in page.rows:
        slot_map = maps[show.pk]
        have, expected = ((slot_map.have, slot_map.expected) if slot_map.seasons
                          else (held.get(show.pk, 0), None))
        rows.append(ShowRow(show, have, expected, show.pk in library, decisions[show.pk],
                            slot_map.summary, library.get(show.pk, False)))
    page.rows = rows
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
    extra: bool = False  # Plex holds it, TMDB does not list it in this season

    @property
    def held(self) -> bool:
        return any(state in HELD for state in self.states)


@dataclass
class Season:
    number: int
    slots: list[Slot]
    expected: int | None  # TMDB's count; None when TMDB does not list the season

    @property
    def have(self) -> int:
        """Held episodes TMDB expects (as ``catalog.sync.tmdb.slots`` counts); extras aside."""
        return sum(slot.held for slot in self.slots if not slot.extra)

    @property
    def undrawn(self) -> int:
        """Expected episodes past ``MAX_EMPTY_SLOTS`` that Plex does not hold either."""
        drawn = sum(not slot.extra for slot in self.slots)
        return max(0, (self.expected or 0) - drawn)


@dataclass
class SlotMapView:
    seasons: list[Season]
    have: int
    expected: int | None
    warning: str | None

    def __iter__(self) -> Any:
        return iter(self.seasons)

    def __len__(self) -> int:
        return len(self.seasons)


def show_slot_map(show: Show, items: list[ItemRow]) -> SlotMapView:
    """Per season (specials apart): each episode TMDB expects and what Plex holds of it,
    with its Plex states and the local path a mapping resolves (2 queries).

    Seasons and counts are ``catalog.sync.tmdb.slots.slot_map`` (TMDB); TVMaze's episode list only
    lends titles and air dates. Episodes Plex holds that TMDB does not list are shown as
    extras; seasons TMDB does not list have an unknown expected count.
    """
    slot_map = slots.slot_map(show)
    expected = {s.season: s.expected for s in slot_map.seasons}
    seasons: dict[int, dict[int, Slot]] = {}
    budget = MAX_DRAWN_SLOTS
    for n, count in sorted(expected.items()):
        drawn = min(count, MAX_EMPTY_SLOTS, budget)
        seasons[n] = {e: Slot(e) for e in range(1, drawn + 1)}
        budget -= drawn
    for row in items:
        item = row.item
        if not item.season_number or item.episode_number is None:
            continue
        number = item.episode_number
        slot = seasons.setdefault(item.season_number, {}).get(number)
        if slot is None:
            listed = expected.get(item.season_number)
            slot = seasons[item.season_number][number] = Slot(
                number, item.title, extra=listed is not None and not 0 < number <= listed)
        slot.title = slot.title or item.title
        slot.states.append(item.state)
        slot.local_path = slot.local_path or row.local_path
    for season, number, title, airdate in Episode.objects.filter(
            show=show, season__in=list(seasons), number__isnull=False).values_list(
            "season", "number", "title", "airdate"):
        slot = seasons[season].get(number)
        if slot is not None:
            slot.title, slot.airdate = title or slot.title, airdate
    ordered = [Season(number, [slots_[n] for n in sorted(slots_)], expected.get(number))
               for number, slots_ in sorted(seasons.items())]
    return SlotMapView(ordered, slot_map.have, slot_map.expected if expected else None,
                       slot_map.warning if items else None)


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
