"""PlexShow rows of a scan: what we hold, what to write, and which items count as seen.

Invariant that lets an unchanged show cost nothing: ``PlexShow.last_seen_at`` moves only in
the transaction that accounts for the show's items (their expansion, their flat listing, or
their bulk touch), so the show's present items are exactly its live items with
``last_seen_at >= plex_show.last_seen_at``. An item an expansion no longer lists falls behind
and is never touched again; finalize of the next complete run calls it missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Max, Q

from catalog.db.bulk import upsert
from catalog.db.iterables import batched
from catalog.models import MediaItem, PlexShow
from catalog.sync.plex.digests import show_digest_of
from catalog.sync.plex.link import link_shows
from catalog.sync.plex.scan import CHUNK, LIVE, Scan
from integrations.values.plex import PlexShow as PlexShowValue

COLUMNS = ["library_id", "rating_key", "title", "year", "guid", "updated_at_plex", "show_id",
           "show_digest", "children_hydrated", "last_seen_at"]
UPDATE = COLUMNS[2:]
Facts = tuple[int | None, int | None, datetime | None]  # childCount, leafCount, updatedAt


STORED_FIELDS = ("rating_key", "id", "show_id", "title", "year", "guid", "updated_at_plex",
                 "show_digest", "children_hydrated", "last_seen_at")


@dataclass(frozen=True, slots=True)
class StoredShow:
    id: int
    show_id: int | None
    title: str
    year: int | None
    guid: str
    updated_at: datetime | None
    digest: str
    hydrated: bool
    last_seen_at: datetime | None


@dataclass(slots=True)
class ShowsWrite:
    ids: dict[str, int] = field(default_factory=dict)
    created: int = 0
    placeholders: int = 0


def stored_shows(library_id: int, keys: Iterable[str]) -> dict[str, StoredShow]:
    out: dict[str, StoredShow] = {}
    for chunk in batched(keys, CHUNK):
        rows = PlexShow.objects.filter(library_id=library_id, rating_key__in=chunk) \
            .order_by().values_list(*STORED_FIELDS)
        out.update((row[0], StoredShow(*row[1:])) for row in rows)
    return out


def facts_of(show: PlexShowValue) -> Facts:
    return show.child_count, show.leaf_count, show.updated_at


def newest_children(show_ids: Sequence[int]) -> dict[int, tuple[datetime | None, int]]:
    """The newest updatedAt among each show's present items (see the module invariant), and
    how many it holds present."""
    out: dict[int, tuple[datetime | None, int]] = {}
    for chunk in batched(show_ids, CHUNK):
        rows = MediaItem.objects.filter(
            plex_show_id__in=chunk, state__in=LIVE, last_seen_at__gte=F("plex_show__last_seen_at"),
        ).order_by().values("plex_show_id").annotate(newest=Max("updated_at_plex"),
                                                      present=Count("id"))
        out.update((row["plex_show_id"], (row["newest"], row["present"])) for row in rows)
    return out


def items_touch_unchanged_shows(scan: Scan, show_ids: Sequence[int]) -> int:
    """Count every present item of shows that did not change as seen; one UPDATE per chunk.
    Must run before those shows' own touch in the same transaction."""
    touched = 0
    for chunk in batched(show_ids, CHUNK):
        touched += MediaItem.objects.filter(
            plex_show_id__in=chunk, state__in=LIVE, last_seen_at__gte=F("plex_show__last_seen_at"),
            last_seen_at__lte=scan.now,
        ).update(last_seen_at=scan.now)
    return touched


def _meta(show: PlexShowValue) -> tuple[str, int | None, str, datetime | None]:
    return show.title[:500], show.year, (show.guid or "")[:300], show.updated_at


def _row(scan: Scan, show: PlexShowValue, old: StoredShow | None, show_id: int | None,
         digest: str | None) -> tuple:
    """Values in COLUMNS order; a show whose items were not accounted for keeps its digest,
    hydration and seen time, so the next scan expands it again."""
    if digest is None:
        kept = (old.digest, old.hydrated, old.last_seen_at) if old else ("", False, None)
    else:
        kept = (digest, True, scan.now)
    return (scan.library.pk, show.rating_key[:32], *_meta(show), show_id, *kept)


def plex_shows_write_page(scan: Scan, shows: Sequence[PlexShowValue],
                          stored: Mapping[str, StoredShow],
                          accounted: Mapping[str, str]) -> ShowsWrite:
    """Insert new shows, rewrite changed ones, link them, and touch the unchanged.

    ``accounted`` maps the ratingKey of every show whose items this transaction accounts for
    to its digest; only those shows' ``last_seen_at`` moves.
    """
    result = ShowsWrite(ids={rk: old.id for rk, old in stored.items()})
    pending: list[tuple[PlexShowValue, StoredShow | None]] = []
    relink: list[PlexShowValue] = []
    touch: list[int] = []
    for show in shows:
        old, digest = stored.get(show.rating_key), accounted.get(show.rating_key)
        meta = _meta(show)
        needs_link = old is None or old.show_id is None or old.guid != meta[2]
        same = old is not None and (old.title, old.year, old.guid, old.updated_at) == meta
        if same and not needs_link and (digest is None or (digest, True) == (
                old.digest, old.hydrated)):
            if digest is not None:
                touch.append(old.id)
            continue
        pending.append((show, old))
        if needs_link:
            relink.append(show)
    links, result.placeholders = link_shows(relink) if relink else ({}, 0)
    rows = [_row(scan, show, old, links.get(show.rating_key, old.show_id if old else None),
                 accounted.get(show.rating_key)) for show, old in pending]
    upsert(PlexShow, COLUMNS, rows, conflict=["library", "rating_key"], update=UPDATE,
           newer="last_seen_at")
    show_seen(scan, touch)
    new = [show.rating_key for show, old in pending if old is None]
    result.created = len(new)
    for chunk in batched(new, CHUNK):
        result.ids.update(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                          .order_by().values_list("rating_key", "id"))
    return result


def plex_shows_hydrate(scan: Scan, facts: Mapping[str, Facts]) -> int:
    """After a flat listing: every listed show's items were accounted for, so each gets its
    digest and hydration and moves its seen time; returns how many digests changed."""
    stored = stored_shows(scan.library.pk, facts)
    newest = dict(MediaItem.objects.filter(
        library_id=scan.library.pk, state__in=LIVE, last_seen_at__gte=scan.now,
        plex_show__isnull=False,
    ).order_by().values("plex_show_id").annotate(newest=Max("updated_at_plex"))
        .values_list("plex_show_id", "newest"))
    rows: list[tuple] = []
    touch: list[int] = []
    for rk, (children, leaves, updated) in facts.items():
        old = stored.get(rk)
        if old is None:
            continue
        digest = show_digest_of(children, leaves, updated, newest.get(old.id))
        if (digest, True) == (old.digest, old.hydrated):
            touch.append(old.id)
        else:
            rows.append((scan.library.pk, rk, digest, True, scan.now))
    upsert(PlexShow, ["library_id", "rating_key", "show_digest", "children_hydrated",
                      "last_seen_at"], rows, conflict=["library", "rating_key"],
           update=["show_digest", "children_hydrated", "last_seen_at"], newer="last_seen_at")
    show_seen(scan, touch)
    return len(rows)


def show_seen(scan: Scan, show_ids: Sequence[int]) -> None:
    """Move the shows' seen time to this scan's, never backwards."""
    for chunk in batched(show_ids, CHUNK):
        PlexShow.objects.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=scan.now),
                                id__in=chunk).update(last_seen_at=scan.now)
