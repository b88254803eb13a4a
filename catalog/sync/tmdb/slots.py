"""Episode slots: for each TMDB season (specials apart), how many episodes Plex holds.

TMDB says how many episodes each season has; Plex items say which of them are playable here
(``active``, or ``remote_only`` when only Plex can reach the file). An operator reads it as
"S01 8/10, S02 0/8". Computed on read, so it follows every Plex scan without a write; one
query serves a whole page of shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from catalog.db.iterables import batched
from catalog.models import MediaItem, Show

HELD_STATES = (MediaItem.State.ACTIVE, MediaItem.State.REMOTE_ONLY)
GONE_STATES = (MediaItem.State.MISSING, MediaItem.State.DELETED)
MAX_LISTED_MISSING = 10_000  # missing episode numbers listed per show; the rest are counted
ABSENT_WARNING = ("not in Plex (no episode present): its episode slots stay empty until a "
                  "Plex scan finds it")


@dataclass(frozen=True, slots=True)
class SeasonSlots:
    season: int
    expected: int
    held: tuple[int, ...]

    @property
    def have(self) -> int:
        return len(self.held)

    def as_dict(self, listed: int = MAX_LISTED_MISSING) -> dict[str, Any]:
        """``missing`` lists at most ``listed`` numbers; ``missing_count`` counts them all."""
        held = set(self.held)
        missing = list(islice((n for n in range(1, self.expected + 1) if n not in held),
                              max(0, listed)))
        return {"season": self.season, "expected": self.expected, "have": self.have,
                "held": list(self.held), "missing": missing,
                "missing_count": self.expected - sum(1 for n in held
                                                      if 1 <= n <= self.expected)}


@dataclass(frozen=True, slots=True)
class SlotMap:
    seasons: tuple[SeasonSlots, ...]
    in_plex: bool

    @property
    def have(self) -> int:
        return sum(s.have for s in self.seasons)

    @property
    def expected(self) -> int:
        return sum(s.expected for s in self.seasons)

    @property
    def summary(self) -> str:
        return ", ".join(f"S{s.season:02d} {s.have}/{s.expected}" for s in self.seasons)

    @property
    def warning(self) -> str | None:
        return None if self.in_plex else ABSENT_WARNING

    def as_dict(self) -> dict[str, Any]:
        """The missing numbers are listed up to one budget for the whole show: TMDB's counts
        go up to 2**31 - 1, and listing them all would build gigabytes."""
        seasons, budget = [], MAX_LISTED_MISSING
        for season in self.seasons:
            seasons.append(season.as_dict(budget))
            budget -= len(seasons[-1]["missing"])
        return {"have": self.have, "expected": self.expected, "summary": self.summary,
                "in_plex": self.in_plex, "warning": self.warning, "seasons": seasons}


def tmdb_seasons(show: Show) -> list[tuple[int, int]]:
    """The stored (season, episode count) pairs, specials and junk left out."""
    out: list[tuple[int, int]] = []
    for entry in show.tmdb_season_episodes or []:
        if (isinstance(entry, list | tuple) and len(entry) == 2
                and all(type(v) is int and v >= 0 for v in entry) and entry[0] > 0):
            out.append((entry[0], entry[1]))
    return sorted(out)


def _plex_episodes(show_ids: Iterable[int]) -> tuple[dict[int, set[tuple[int, int]]], set[int]]:
    """Held (season, episode) pairs per show, and the shows Plex still presents at all."""
    held: dict[int, set[tuple[int, int]]] = defaultdict(set)
    present: set[int] = set()
    for chunk in batched(sorted(set(show_ids)), 900):
        rows = (MediaItem.objects.filter(plex_show__show_id__in=chunk,
                                         kind=MediaItem.Kind.EPISODE)
                .exclude(state__in=GONE_STATES).order_by()
                .values_list("plex_show__show_id", "season_number", "episode_number", "state")
                .distinct())
        for show_id, season, episode, state in rows:
            present.add(show_id)
            if state in HELD_STATES and season and episode:
                held[show_id].add((season, episode))
    return held, present


def plex_present(show_ids: Iterable[int]) -> set[int]:
    """The shows Plex still presents at least one episode of (one query per 900 shows)."""
    present: set[int] = set()
    for chunk in batched(sorted(set(show_ids)), 900):
        present.update(MediaItem.objects.filter(plex_show__show_id__in=chunk,
                                                kind=MediaItem.Kind.EPISODE)
                       .exclude(state__in=GONE_STATES).order_by()
                       .values_list("plex_show__show_id", flat=True).distinct())
    return present


def plex_lost(show_ids: Iterable[int]) -> set[int]:
    """The shows Plex has listed episodes of (whatever their states now): for those, "no
    episode present" is news an operator may act on; for a show Plex never held (or one a
    scan is still reading) it is how things are."""
    lost: set[int] = set()
    for chunk in batched(sorted(set(show_ids)), 900):
        lost.update(MediaItem.objects.filter(plex_show__show_id__in=chunk,
                                             kind=MediaItem.Kind.EPISODE).order_by()
                    .values_list("plex_show__show_id", flat=True).distinct())
    return lost


def slot_maps(shows: Sequence[Show]) -> dict[int, SlotMap]:
    """Each show's slot map, by show id (one query per 900 shows)."""
    held, present = _plex_episodes(s.pk for s in shows)
    maps: dict[int, SlotMap] = {}
    for show in shows:
        by_season: dict[int, list[int]] = defaultdict(list)
        for season, episode in held.get(show.pk, ()):
            by_season[season].append(episode)
        seasons = tuple(
            SeasonSlots(season, count, tuple(sorted(e for e in by_season.get(season, ())
                                                    if e <= count)))
            for season, count in tmdb_seasons(show))
        maps[show.pk] = SlotMap(seasons=seasons, in_plex=show.pk in present)
    return maps


def slot_map(show: Show) -> SlotMap:
    return slot_maps([show])[show.pk]
