"""Writes refreshed TMDB facts onto catalog shows: one bulk UPDATE per page.

Call inside the page's transaction. TVMaze owns its own facts; TMDB fills the cache fields,
the title of a show TVMaze does not know, and tvdb/imdb ids a show still lacks (only when no
other show holds them: external ids are unique, and a clash is reported, never written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from catalog.models import Show
from catalog.sync import signals
from catalog.sync.tmdb.policy import jitter_draw
from integrations.values.tmdb import TmdbShow

FACTS = ["title", "tmdb_id", "tvdb_id", "imdb_id", "tmdb_status", "overview", "tmdb_seasons",
         "tmdb_episodes", "poster_path", "backdrop_path", "tmdb_series_status",
         "tmdb_season_episodes"]
WRITTEN = [*FACTS, "tmdb_fetched_at", "tmdb_jitter_days", "updated_at"]
MAX_ID = 2**31 - 1


@dataclass(slots=True)
class Written:
    """What a page write did."""

    changed: list[int] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


def _facts(show: Show) -> tuple:
    return tuple(getattr(show, name) for name in FACTS)


def _count(value: int | None) -> int | None:
    """A count the catalog's unsigned columns can hold; nonsense becomes unknown."""
    return value if value is not None and 0 <= value <= MAX_ID else None


def _season_episodes(tv: TmdbShow) -> list[list[int]]:
    """Regular seasons only: specials (season 0) are no slots to fill. A season listed twice
    counts once (its first entry), or its slots would be expected twice."""
    seasons: dict[int, int] = {}
    for s in tv.seasons:
        if _count(s.season_number):
            seasons.setdefault(s.season_number, _count(s.episode_count) or 0)
    return [[number, count] for number, count in seasons.items()]


def _apply(show: Show, tv: TmdbShow) -> None:
    show.tmdb_status = Show.TmdbStatus.FRESH
    show.overview = tv.overview or ""
    show.tmdb_seasons = _count(tv.number_of_seasons)
    show.tmdb_episodes = _count(tv.number_of_episodes)
    show.poster_path = (tv.poster_path or "")[:200]
    show.backdrop_path = (tv.backdrop_path or "")[:200]
    show.tmdb_series_status = (tv.status or "")[:32]
    show.tmdb_season_episodes = _season_episodes(tv)
    if show.tvmaze_id is None and tv.name.strip():
        show.title = tv.name.strip()[:500]


def _held(tvs: Sequence[TmdbShow]) -> tuple[dict[int, int], dict[str, int]]:
    """Who already holds the tvdb/imdb ids TMDB reports: one query."""
    tvdbs = {t.tvdb_id for t in tvs if t.tvdb_id and 0 < t.tvdb_id <= MAX_ID}
    imdbs = {t.imdb_id for t in tvs if t.imdb_id and len(t.imdb_id) <= 16}
    if not tvdbs and not imdbs:
        return {}, {}
    rows = Show.objects.filter(Q(tvdb_id__in=tvdbs) | Q(imdb_id__in=imdbs)).values_list(
        "pk", "tvdb_id", "imdb_id")
    by_tvdb = {tvdb: pk for pk, tvdb, _ in rows if tvdb in tvdbs}
    by_imdb = {imdb: pk for pk, _, imdb in rows if imdb in imdbs}
    return by_tvdb, by_imdb


def _fill_ids(show: Show, tv: TmdbShow, by_tvdb: dict[int, int], by_imdb: dict[str, int],
              out: Written) -> None:
    """Give the show the ids it lacks, unless another show holds them (then report it)."""
    if show.tvdb_id is None and tv.tvdb_id and 0 < tv.tvdb_id <= MAX_ID:
        holder = by_tvdb.setdefault(tv.tvdb_id, show.pk)
        if holder == show.pk:
            show.tvdb_id = tv.tvdb_id
        else:
            out.conflicts.append(f"TMDB {tv.id}: tvdb id {tv.tvdb_id} belongs to show {holder}")
    if show.imdb_id is None and tv.imdb_id and len(tv.imdb_id) <= 16:
        holder = by_imdb.setdefault(tv.imdb_id, show.pk)
        if holder == show.pk:
            show.imdb_id = tv.imdb_id
        else:
            out.conflicts.append(f"TMDB {tv.id}: imdb id {tv.imdb_id} belongs to show {holder}")


def _stamp(show: Show, *, now: datetime, ttl: int) -> None:
    show.tmdb_fetched_at = now
    show.tmdb_jitter_days = jitter_draw(ttl)
    show.updated_at = timezone.now()


def _update_rows(rows: Sequence[Show], names: Sequence[str]) -> None:
    """One parametrised UPDATE by primary key, executed for every row in one call.

    ``bulk_update`` builds a CASE per field and row (most of a page's time); an upsert could
    resurrect a show deleted meanwhile. An UPDATE of a vanished row simply touches nothing.
    """
    if not rows:
        return
    fields = [Show._meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    # Only quoted model identifiers are interpolated; every value is a bound parameter.
    sql = f"UPDATE {qn(Show._meta.db_table)} SET {sets} WHERE {qn('id')} = %s"  # noqa: S608
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
              + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def shows_write(*, refreshed: Sequence[tuple[Show, TmdbShow]] = (), absent: Sequence[Show] = (),
                failed: Sequence[Show] = (), ambiguous: Sequence[Show] = (), now: datetime,
                ttl: int) -> Written:
    """Store a page: refreshed shows, shows TMDB does not have (``not_found``), shows whose
    id could not be resolved (``error``) and shows ``/find`` could not decide between several
    TMDB shows (``ambiguous``). The last three are remembered for the TTL so that TMDB is not
    asked again before then. Runs the shows-changed signals."""
    out = Written()
    by_tvdb, by_imdb = _held([tv for _, tv in refreshed])
    rows: list[Show] = []
    for show, tv in refreshed:
        before = _facts(show)
        _apply(show, tv)
        _fill_ids(show, tv, by_tvdb, by_imdb, out)
        if _facts(show) != before:
            out.changed.append(show.pk)
        else:
            out.unchanged += 1
        rows.append(show)
    for show, status in [*((s, Show.TmdbStatus.NOT_FOUND) for s in absent),
                         *((s, Show.TmdbStatus.ERROR) for s in failed),
                         *((s, Show.TmdbStatus.AMBIGUOUS) for s in ambiguous)]:
        if show.tmdb_status != status:
            out.changed.append(show.pk)
            show.tmdb_status = status
        else:
            out.unchanged += 1
        rows.append(show)
    for show in rows:
        _stamp(show, now=now, ttl=ttl)
    _update_rows(rows, WRITTEN)
    signals.shows_changed(sorted(out.changed))
    return out
