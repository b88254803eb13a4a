"""Writes a page of TVMaze shows: skip the unchanged, claim placeholders, upsert the rest.

Call inside the page's transaction. External ids are unique in the catalog, but upstream data
is not always: an id already held by another show is dropped from the incoming row and
reported, never allowed to fail the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from catalog import hooks
from catalog.bulk import upsert
from catalog.models import Show
from integrations.values.tvmaze import TvmazeShow

UPDATE_FIELDS = [
    "tvdb_id", "imdb_id", "title", "language", "country", "type", "status", "premiered",
    "ended", "network", "web_channel", "genres", "runtime", "tvmaze_updated_at", "updated_at",
]


@dataclass(slots=True)
class PageWrite:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    show_ids: list[int] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated


def _stored_stamps(ids: Iterable[int]) -> dict[int, object]:
    return dict(Show.objects.filter(tvmaze_id__in=list(ids))
                .values_list("tvmaze_id", "tvmaze_updated_at"))


def _resolve_external_ids(
    incoming: dict[int, TvmazeShow], stored: dict[int, object], result: PageWrite
) -> dict[int, tuple[int | None, str | None]]:
    """Decide each incoming show's (tvdb_id, imdb_id), claiming placeholders that hold them."""
    ids = {sid: (s.tvdb_id, s.imdb_id) for sid, s in incoming.items()}
    tvdbs = {t for t, _ in ids.values() if t}
    imdbs = {i for _, i in ids.values() if i}
    holders = Show.objects.filter(Q(tvdb_id__in=tvdbs) | Q(imdb_id__in=imdbs)).only(
        "id", "tvmaze_id", "tvdb_id", "imdb_id")
    by_tvdb = {h.tvdb_id: h for h in holders if h.tvdb_id in tvdbs}
    by_imdb = {h.imdb_id: h for h in holders if h.imdb_id in imdbs}
    claims: dict[int, Show] = {}
    claimed_by: set[int] = set()
    seen_tvdb: set[int] = set()
    seen_imdb: set[str] = set()
    for sid, (tvdb, imdb) in ids.items():
        for kind, value, table, seen in (("tvdb", tvdb, by_tvdb, seen_tvdb),
                                         ("imdb", imdb, by_imdb, seen_imdb)):
            if not value:
                continue
            holder = table.get(value)
            claimable = (holder is not None and holder.tvmaze_id is None and sid not in stored
                         and holder.pk not in claims and sid not in claimed_by)
            if claimable:
                claimed_by.add(sid)
                holder.tvmaze_id = sid
                claims[holder.pk] = holder
            if value in seen or (holder is not None and holder.tvmaze_id != sid):
                result.conflicts.append(f"tvmaze {sid}: {kind} {value} belongs to another show")
                tvdb, imdb = (None, imdb) if kind == "tvdb" else (tvdb, None)
            else:
                seen.add(value)
        ids[sid] = (tvdb, imdb)
    if claims:
        Show.objects.bulk_update(list(claims.values()), ["tvmaze_id"])
    return ids


INSERT_COLUMNS = ["tvmaze_id", *UPDATE_FIELDS, "created_at"]


def _row(show: TvmazeShow, tvdb_id: int | None, imdb_id: str | None, now: object) -> tuple:
    """Values in INSERT_COLUMNS order."""
    return (
        show.id, tvdb_id, imdb_id, show.name[:500], show.language or "",
        (show.country or "")[:8], (show.type or "")[:64], (show.status or "")[:64],
        show.premiered, show.ended, (show.network or "")[:200], (show.web_channel or "")[:200],
        list(show.genres), show.runtime, show.updated, now, now,
    )


def shows_write_page(shows: Sequence[TvmazeShow]) -> PageWrite:
    """Upsert the new and changed shows of one page with bulk statements; run the hooks."""
    result = PageWrite()
    incoming = {s.id: s for s in shows}
    stored = _stored_stamps(incoming)
    changed = {sid: s for sid, s in incoming.items() if stored.get(sid) != s.updated}
    result.unchanged = len(incoming) - len(changed)
    if not changed:
        return result
    external = _resolve_external_ids(changed, stored, result)
    now = timezone.now()
    rows = [_row(s, *external[sid], now) for sid, s in changed.items()]
    upsert(Show, INSERT_COLUMNS, rows, conflict=["tvmaze_id"], update=UPDATE_FIELDS)
    result.created = sum(1 for sid in changed if sid not in stored)
    result.updated = len(changed) - result.created
    result.show_ids = list(Show.objects.filter(tvmaze_id__in=list(changed))
                           .values_list("id", flat=True))
    hooks.shows_changed(result.show_ids)
    return result
