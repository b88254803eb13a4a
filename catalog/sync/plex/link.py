"""Links Plex shows to catalog Shows by their external ids, creating placeholders for the rest.

One lookup per page finds every Show holding any of the page's tvdb/tmdb/imdb ids; a Plex show
links to the first one (tvdb, then tmdb, then imdb) whose ids do not contradict its own.
Unknown shows become placeholder Shows (``tmdb_status = "unknown"``) that TMDB enrichment
heals later. External ids are unique in the catalog, so a placeholder only claims ids nobody
holds, and scans running in parallel that race for the same ids meet on ``ON CONFLICT``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from catalog.db.bulk import insert
from catalog.models import Show
from catalog.sync import signals
from integrations.values import Authority
from integrations.values.plex import PlexShow

Ids = tuple[int | None, int | None, str | None]  # (tvdb, tmdb, imdb)
MAX_ID = 2**31 - 1
Ref = int | str  # a Show pk, or the ratingKey of a placeholder still to create


def _number(value: str | None) -> int | None:
    """A numeric id that fits the catalog's integer columns (junk must not fail a page)."""
    number = int(value) if value else None
    return number if number is not None and 0 < number <= MAX_ID else None


def external_ids(show: PlexShow) -> Ids:
    """The show's first tvdb, tmdb and imdb ids (guid parsing already validated them)."""
    tvdb, tmdb, imdb = (show.external_id(a) for a in
                        (Authority.TVDB, Authority.TMDB, Authority.IMDB))
    return (_number(tvdb.value if tvdb else None), _number(tmdb.value if tmdb else None),
            imdb.value if imdb and len(imdb.value) <= 16 else None)


def _compatible(a: Ids, b: Ids) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


@dataclass(slots=True)
class _Index:
    """Who holds which id: catalog rows and this page's pending placeholders."""

    by_id: dict[tuple[int, object], tuple[Ref, Ids]] = field(default_factory=dict)

    def add(self, ref: Ref, ids: Ids) -> None:
        for position, value in enumerate(ids):
            if value is not None:
                self.by_id.setdefault((position, value), (ref, ids))

    def match(self, ids: Ids) -> Ref | None:
        for position, value in enumerate(ids):
            hit = self.by_id.get((position, value)) if value is not None else None
            if hit is not None and _compatible(hit[1], ids):
                return hit[0]
        return None

    def free(self, ids: Ids) -> Ids:
        """``ids`` without the ones somebody else already holds."""
        kept = [v if v is not None and (n, v) not in self.by_id else None
                for n, v in enumerate(ids)]
        return (kept[0], kept[1], kept[2])  # type: ignore[return-value]


def _holders(wanted: Iterable[Ids]) -> _Index:
    """One query: every Show holding any of the wanted ids."""
    wanted = list(wanted)
    query = Q(pk__in=[])
    for position, name in enumerate(("tvdb_id", "tmdb_id", "imdb_id")):
        values = {ids[position] for ids in wanted if ids[position] is not None}
        if values:
            query |= Q(**{f"{name}__in": values})
    index = _Index()
    for pk, tvdb, tmdb, imdb in Show.objects.filter(query).order_by().values_list(
            "id", "tvdb_id", "tmdb_id", "imdb_id"):
        index.add(pk, (tvdb, tmdb, imdb))
    return index


def id_order(ids: Ids) -> tuple:
    """Sorts ids tvdb first, then tmdb, then imdb, an absent id after any present one."""
    tvdb, tmdb, imdb = ids
    return (tvdb is None, tvdb or 0, tmdb is None, tmdb or 0, imdb is None, imdb or "")


PLACEHOLDER = ["title", "tvdb_id", "tmdb_id", "imdb_id", "tmdb_status"]


def _create(pending: dict[str, tuple[PlexShow, Ids]]) -> dict[str, int]:
    """Insert the placeholders; rows racing a parallel scan are skipped, then found."""
    unknown = Show.TmdbStatus.UNKNOWN.value

    def row(show: PlexShow, ids: Ids) -> tuple:
        return (show.title[:500] or f"Plex {show.rating_key}", *ids, unknown)

    now = timezone.now()
    stamps = {"created_at": now, "updated_at": now}
    with_ids = {rk: v for rk, v in pending.items() if any(x is not None for x in v[1])}
    bare = [rk for rk in pending if rk not in with_ids]
    created = insert(Show, PLACEHOLDER, [row(*pending[rk]) for rk in bare], constants=stamps)
    out = dict(zip(bare, created, strict=True))
    if with_ids:
        # In one order of ids, whatever the listing's: two scans inserting the same new ids
        # side by side then meet on the first they share, instead of each holding one the
        # other waits for (a deadlock, failing a page).
        ordered = sorted(with_ids.values(), key=lambda v: id_order(v[1]))
        insert(Show, PLACEHOLDER, [row(*v) for v in ordered], constants=stamps,
               skip_conflicts=True)
        index = _holders(ids for _, ids in with_ids.values())
        for rk, (_, ids) in with_ids.items():
            ref = index.match(ids)
            if isinstance(ref, int):
                out[rk] = ref
    return out


def link_shows(shows: Sequence[PlexShow]) -> tuple[dict[str, int], int]:
    """ratingKey -> catalog Show id for every show given, and how many placeholders were made.

    Call inside the page's transaction; created placeholders go through the shows-changed
    hooks like any other new Show.
    """
    wanted = {show.rating_key: external_ids(show) for show in shows}
    index = _holders(wanted.values())
    links: dict[str, Ref] = {}
    pending: dict[str, tuple[PlexShow, Ids]] = {}
    for show in shows:
        ids = wanted[show.rating_key]
        ref = index.match(ids)
        if ref is None:
            own = index.free(ids)
            pending[show.rating_key] = (show, own)
            index.add(show.rating_key, own)
            ref = show.rating_key
        links[show.rating_key] = ref
    created = _create(pending) if pending else {}
    resolved = {rk: created.get(ref) if isinstance(ref, str) else ref
                for rk, ref in links.items()}
    signals.shows_changed(sorted(set(created.values())))
    signals.shows_entered_library(sorted({pk for pk in resolved.values() if pk is not None}))
    return {rk: pk for rk, pk in resolved.items() if pk is not None}, len(created)
