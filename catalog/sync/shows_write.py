"""Writes a page of TVMaze shows: skip the unchanged, claim placeholders, upsert the rest.

Call inside the page's transaction. External ids are unique in the catalog, but upstream data
is not always: an id already held by another show is dropped from the incoming row and
reported, never allowed to fail the page.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

from catalog.db.bulk import upsert
from catalog.db.lists import db_datetime, one_of
from catalog.models import Show
from catalog.sync import signals
from catalog.sync.identity import shows_absorb
from integrations.values.tvmaze import TvmazeShow

UPDATE_FIELDS = [
    "tvdb_id", "imdb_id", "title", "language", "country", "type", "status", "premiered",
    "ended", "network", "web_channel", "genres", "runtime", "rating", "tvmaze_updated_at",
]
INSERT_COLUMNS = ["tvmaze_id", *UPDATE_FIELDS]


@dataclass(slots=True)
class PageWrite:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    show_ids: list[int] = field(default_factory=list)  # catalog ids, once announced
    written: list[int] = field(default_factory=list)  # TVMaze ids of the shows written
    conflicts: list[str] = field(default_factory=list)
    # (claimant, holder) TVMaze ids of conflicts with a TVMaze show outside the page, whose
    # id may be one TVMaze has since taken from it (see ``contested``).
    contested: list[tuple[int, int]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass(slots=True)
class _Held:
    """A catalog row the page touches, as far as the writer reads it (no model instance)."""

    pk: int
    tvmaze_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    tvmaze_updated_at: datetime | None


@dataclass(slots=True)
class _Known:
    """What the catalog already holds that touches this page: one query."""

    stamps: dict[int, datetime | None]
    by_tvdb: dict[int, _Held]
    by_imdb: dict[str, _Held]
    by_tvmaze: dict[int, _Held] = field(default_factory=dict)


def _known(shows: dict[int, TvmazeShow]) -> _Known:
    tvdbs = {s.tvdb_id for s in shows.values() if s.tvdb_id}
    imdbs = {s.imdb_id for s in shows.values() if s.imdb_id}
    known = _Known(stamps={}, by_tvdb={}, by_imdb={})
    for row in (_Held(*values) for values in _touching(shows, tvdbs, imdbs)):
        if row.tvmaze_id in shows:
            known.stamps[row.tvmaze_id] = row.tvmaze_updated_at
            known.by_tvmaze[row.tvmaze_id] = row
        if row.tvdb_id in tvdbs:
            known.by_tvdb[row.tvdb_id] = row
        if row.imdb_id in imdbs:
            known.by_imdb[row.imdb_id] = row
    return known


def _touching(shows: Collection[int], tvdbs: set[int], imdbs: set[str]) -> list[tuple]:
    """(id, tvmaze_id, tvdb_id, imdb_id, tvmaze_updated_at) of every row holding one of the
    ids: one raw statement (the queryset cost more to build than to run, on every page).

    A ``UNION`` of one lookup per id, not one ``WHERE … OR …``: PostgreSQL cannot probe an
    index for ``x IN (subquery) OR y IN (subquery)`` and read the whole table on every page
    (45 ms a page at 100,000 shows, quadratic over a mirror)."""
    selects, params = [], []
    table = connection.ops.quote_name(Show._meta.db_table)
    for column, values in (("tvmaze_id", shows), ("tvdb_id", tvdbs), ("imdb_id", imdbs)):
        if values:
            listed = one_of(values)
            selects.append(f"SELECT id, tvmaze_id, tvdb_id, imdb_id, tvmaze_updated_at "  # noqa: S608
                           f"FROM {table} WHERE {column} IN ({listed.sql})")
            params += listed.params
    if not selects:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(selects), params)
        return [(*row[:4], db_datetime(row[4])) for row in cursor.fetchall()]


KINDS = ("tvdb", "imdb")
ATTRS = {"tvdb": "tvdb_id", "imdb": "imdb_id"}


def _incoming(show: TvmazeShow) -> dict[str, int | str | None]:
    return {"tvdb": show.tvdb_id or None, "imdb": show.imdb_id or None}


def _claim_placeholders(changed: dict[int, TvmazeShow], known: _Known) -> None:
    """A show new to the page takes over the placeholder (no TVMaze id) holding its ids."""
    if not known.by_tvdb and not known.by_imdb:  # nobody holds any of the page's ids
        return
    claims: dict[int, _Held] = {}
    for sid, show in changed.items():
        if sid in known.stamps:
            continue
        incoming = _incoming(show)
        for kind, table in (("tvdb", known.by_tvdb), ("imdb", known.by_imdb)):
            holder = table.get(incoming[kind])
            if holder is not None and holder.tvmaze_id is None and holder.pk not in claims:
                holder.tvmaze_id = sid
                claims[holder.pk] = holder
                known.by_tvmaze[sid] = holder
                break
    if claims:
        Show.objects.bulk_update([Show(pk=pk, tvmaze_id=held.tvmaze_id)
                                  for pk, held in claims.items()], ["tvmaze_id"])


def _absorb_placeholders(changed: dict[int, TvmazeShow], known: _Known) -> None:
    """A show we already mirror that now claims a placeholder's id (TVMaze often adds a TVDB id
    after the fact) is that placeholder: the show absorbs it (``show_absorb``: Plex links, the
    ids nobody else holds, the operator's add). The tables then name the show as the holder of
    the ids it took, so a page show that claims one of them takes it from it as usual."""
    pairs: dict[int, _Held] = {}  # placeholder id -> the show absorbing it
    for sid, show in changed.items():
        if sid not in known.stamps:
            continue  # a show new to the catalog claims the placeholder row itself
        incoming = _incoming(show)
        for kind, table in (("tvdb", known.by_tvdb), ("imdb", known.by_imdb)):
            holder = table.get(incoming[kind])
            if holder is not None and holder.tvmaze_id is None and holder.pk not in pairs:
                pairs[holder.pk] = known.by_tvmaze[sid]
    if not pairs:
        return
    # The page's hook decides every show it writes, so the absorb does not.
    absorbed = shows_absorb([(pk, target.pk) for pk, target in pairs.items()], decide=False)
    for (pk, target), done in zip(pairs.items(), absorbed, strict=True):
        target.tvdb_id, target.imdb_id = done.ids["tvdb_id"], done.ids["imdb_id"]
        for kind, table in (("tvdb", known.by_tvdb), ("imdb", known.by_imdb)):
            for value in [v for v, row in table.items() if row.pk == pk]:
                del table[value]
            value = getattr(target, f"{kind}_id")
            if value is not None:
                table[value] = target


def _resolve_external_ids(
    changed: dict[int, TvmazeShow], known: _Known, result: PageWrite
) -> dict[int, tuple[int | None, str | None]]:
    """Each changed show's (tvdb_id, imdb_id).

    An id TVMaze no longer gives a show is kept (a placeholder's ids came from Plex or TMDB),
    unless another show of the page now claims it. An id that moves inside the page from one
    show to another is released by its old holder first; an id still held elsewhere is
    dropped from the incoming row and reported, never allowed to fail the page.
    """
    _claim_placeholders(changed, known)
    tables = {"tvdb": known.by_tvdb, "imdb": known.by_imdb}
    incoming = {sid: _incoming(show) for sid, show in changed.items()}
    wanted = {kind: {} for kind in KINDS}  # value -> first show of the page claiming it
    for sid, claimed in incoming.items():
        for kind, value in claimed.items():
            if value:
                wanted[kind].setdefault(value, sid)
    release: dict[str, set[int]] = {kind: set() for kind in KINDS}
    out: dict[int, tuple[int | None, str | None]] = {}
    for sid, claimed in incoming.items():
        ids = dict(claimed)
        stored = known.by_tvmaze.get(sid)
        for kind in KINDS:
            value = ids[kind]
            if not value:
                kept = getattr(stored, ATTRS[kind], None) if stored else None
                ids[kind] = kept if kept and wanted[kind].get(kept, sid) == sid else None
                continue
            holder = tables[kind].get(value)
            moving = (holder is not None and holder.tvmaze_id in changed
                      and incoming[holder.tvmaze_id][kind] != value)
            if wanted[kind][value] != sid or (
                    holder is not None and holder.tvmaze_id != sid and not moving):
                result.conflicts.append(f"tvmaze {sid}: {kind} {value} belongs to another show")
                ids[kind] = None
                if holder is not None and holder.tvmaze_id not in (None, sid, *changed):
                    result.contested.append((sid, holder.tvmaze_id))
            elif moving and holder.tvmaze_id != sid:
                release[kind].add(holder.pk)
        out[sid] = (ids["tvdb"], ids["imdb"])
    for kind, pks in release.items():
        if pks:
            Show.objects.filter(pk__in=pks).update(**{f"{kind}_id": None})
    return out


def _row(show: TvmazeShow, tvdb_id: int | None, imdb_id: str | None) -> tuple:
    """Values in INSERT_COLUMNS order."""
    return (
        show.id, tvdb_id, imdb_id, show.name[:500], (show.language or "")[:64],
        (show.country or "")[:8], (show.type or "")[:64], (show.status or "")[:64],
        show.premiered, show.ended, (show.network or "")[:200], (show.web_channel or "")[:200],
        list(show.genres), show.runtime, show.rating, show.updated,
    )


def _show_ids(tvmaze_ids: Collection[int]) -> list[int]:
    """Catalog ids of these TVMaze shows (raw, as ``_touching``)."""
    listed = one_of(tvmaze_ids)
    table = connection.ops.quote_name(Show._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE tvmaze_id IN ({listed.sql})",  # noqa: S608
                       listed.params)
        return [row[0] for row in cursor.fetchall()]


def shows_write_page(shows: Sequence[TvmazeShow], *, force: bool = False,
                     announce: bool = True) -> PageWrite:
    """Upsert the new and changed shows of one page with bulk statements; run the signals
    (unless ``announce`` is False: the caller then calls ``shows_announce`` with the
    ``written`` ids of its pages, once for the transaction).

    ``force`` writes every show of the page, even those whose upstream stamp is unchanged.
    """
    result = PageWrite()
    incoming = {s.id: s for s in shows}
    known = _known(incoming)
    changed = {sid: s for sid, s in incoming.items()
               if force or known.stamps.get(sid) != s.updated}
    result.unchanged = len(incoming) - len(changed)
    if not changed:
        return result
    _absorb_placeholders(changed, known)
    external = _resolve_external_ids(changed, known, result)
    # In TVMaze id order, whatever the page's: two writers of the same shows (a walk and a
    # refresh) then lock their rows in one order and cannot deadlock on PostgreSQL. One
    # single-row statement for the lot: pages are parsed on this thread, so SQLite's per-row
    # GIL release costs nothing, and PostgreSQL gets the page as one statement over arrays.
    rows = [_row(changed[sid], *external[sid]) for sid in sorted(changed)]
    now = timezone.now()
    upsert(Show, INSERT_COLUMNS, rows, conflict=["tvmaze_id"],
           update=[*UPDATE_FIELDS, "updated_at"],
           constants={"created_at": now, "updated_at": now}, rows_per_statement=1)
    result.created = sum(1 for sid in changed if sid not in known.stamps)
    result.updated = len(changed) - result.created
    result.written = list(changed)
    if announce:
        result.show_ids = shows_announce(result.written)
    return result


def shows_announce(tvmaze_ids: Collection[int]) -> list[int]:
    """Run the shows-changed hooks (rules, loading, facts) for these written TVMaze shows;
    returns their catalog ids. Once per transaction of pages: each run is a few queries and
    a cache write, whatever the number of shows."""
    if not tvmaze_ids or not signals.has_shows_changed_hooks():
        return []
    show_ids = _show_ids(tvmaze_ids)
    signals.shows_changed(show_ids)
    return show_ids
