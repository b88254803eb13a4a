"""Writes a page of Plex episodes or movies: insert the new, update the changed, touch the rest.

Call inside the page's transaction. An item is rewritten only when its digest, its state or
its show differ from the stored row; everything else costs one bulk "seen" touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db.models import F

from catalog.db.bulk import page_rows_per_statement, upsert
from catalog.db.iterables import batched
from catalog.models import MediaItem
from catalog.paths.resolve import PathResolver
from catalog.sync.plex.digests import item_digest_of
from catalog.sync.plex.scan import CHUNK, LIVE, Scan, knowable
from catalog.sync.plex.watermark import note_read
from integrations.values import Reject
from integrations.values.plex import PlexItem, PlexPart

State = MediaItem.State
# Per-row columns; the others of a written row are the same for the whole page (_constants).
COLUMNS = [
    "rating_key", "plex_show_id", "kind", "title", "season_number", "episode_number", "year",
    "guid", "digest", "updated_at_plex", "duration", "file_size", "part_count",
    "streams_signature", "file_path", "state",
]
UPDATE = [*COLUMNS[1:], "missing_since", "error_count", "last_error", "last_seen_at",
          "last_scan_at"]


@dataclass(slots=True)
class ItemsWrite:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


def placement(item: PlexItem, resolver: PathResolver) -> tuple[str | None, str]:
    """(file, state): the first playable file a mapping reaches (ACTIVE), else the first
    playable one (REMOTE_ONLY), else the first listed (UNAVAILABLE). A movie's versions may
    sit on different shares, and a deleted one stays listed until Plex empties its trash."""
    return _placement(item.parts, resolver)


def _placement(parts: Sequence[PlexPart], resolver: PathResolver) -> tuple[str | None, str]:
    playable = [part for part in parts if part.playable]
    if not playable:
        return (parts[0].file if parts else None), State.UNAVAILABLE
    live = [part.file for part in playable if part.file]
    reached = next((file for file in live if resolver.resolve(file) is not None), None)
    if reached is not None:
        return reached, State.ACTIVE
    return (live[0] if live else None), State.REMOTE_ONLY


def item_state(item: PlexItem, resolver: PathResolver) -> str:
    """UNAVAILABLE when Plex cannot play it, REMOTE_ONLY when no mapping reaches a playable
    file."""
    return placement(item, resolver)[1]


def item_file(item: PlexItem, resolver: PathResolver) -> str | None:
    """The file recorded for the item (see ``placement``)."""
    return placement(item, resolver)[0]


Facts = tuple[str, str | None, str, int | None, int, str]


def item_facts(item: PlexItem, resolver: PathResolver) -> Facts:
    """(digest, file, state, file size, part count, streams signature) in one walk of the
    item's media: each PlexItem property walks it again, and a scan asks for 100,000 items."""
    media = item.media
    if len(media) == 1:  # nearly every episode: one version
        parts: Sequence[PlexPart] = media[0].parts
        signature = media[0].signature
    else:
        parts = [part for version in media for part in version.parts]
        signature = "|".join(version.signature for version in media)
    size = None
    for part in parts:
        if part.size is not None:
            size = part.size if size is None else size + part.size
    guid = item.guid or (item.external_ids[0].descriptor if item.external_ids else None)
    digest = item_digest_of(item.rating_key, item.updated_at, item.duration, size, len(parts),
                            signature, guid)
    file, state = _placement(parts, resolver)
    return digest, file, state, size, len(parts), signature


Stored = tuple[int, str, str, int | None, str]


def _stored(library_id: int, keys: Iterable[str]) -> dict[str, Stored]:
    """rating key -> (id, digest, state, plex_show_id, file_path) of the rows we hold (the
    file is not in the digest, yet a movie's recorded version can change without it)."""
    out: dict[str, Stored] = {}
    for chunk in batched(keys, CHUNK):
        rows = MediaItem.objects.filter(library_id=library_id, rating_key__in=chunk) \
            .order_by().values_list("rating_key", "id", "digest", "state", "plex_show_id",
                                    "file_path")
        out.update((rk, tuple(rest)) for rk, *rest in rows)
    return out


def _constants(scan: Scan) -> dict[str, object]:
    """What every row written by this scan shares: written, it is seen, scanned and healthy."""
    now = scan.now
    return {"library_id": scan.library.pk, "missing_since": None, "error_count": 0,
            "last_error": "", "first_seen_at": now, "last_seen_at": now, "last_scan_at": now}


def _plan(scan: Scan, items: Sequence[PlexItem], show_ids: Mapping[str, int],
          stored: Mapping[str, Stored],
          result: ItemsWrite) -> tuple[list[tuple], list[int]]:
    """Rows to upsert (new or changed) and ids to touch (unchanged), counting both."""
    rows: list[tuple] = []
    touch: list[int] = []
    planned: set[str] = set()  # a key twice in one statement is an error on PostgreSQL
    resolver = scan.resolver
    for item in items:
        key = item.rating_key
        if key in planned:
            continue
        planned.add(key)
        digest, file, state, size, count, signature = item_facts(item, resolver)
        old = stored.get(key)
        show_id = show_ids.get(item.show_rating_key or "", old[3] if old else None)
        if old is not None and old[1:] == (digest, state, show_id, file or ""):
            touch.append(old[0])
            continue
        rows.append((
            key[:32], show_id, item.type, item.title[:500], item.season_number,
            item.episode_number, item.year, (item.guid or "")[:300], digest, item.updated_at,
            item.duration, size, count, signature[:200], file or "", state))
        if old is None:
            result.created += 1
        else:
            result.updated += 1
    return rows, touch


def items_changed(scan: Scan, items: Sequence[PlexItem]) -> list[PlexItem]:
    """The items that are new or whose digest or state differ from the rows we hold: one
    lookup, no write (an updated-since listing re-lists the edge of its margin every time)."""
    stored = _stored(scan.library.pk, (i.rating_key for i in items))
    changed: list[PlexItem] = []
    for item in items:
        old = stored.get(item.rating_key)
        digest, file, state = item_facts(item, scan.resolver)[:3]
        if old is None or (old[1], old[2], old[4]) != (digest, state, file or ""):
            changed.append(item)
    return changed


def items_write_page(scan: Scan, items: Sequence[PlexItem],
                     show_ids: Mapping[str, int]) -> ItemsWrite:
    """Upsert what changed and touch the rest; ``show_ids`` maps show ratingKey -> PlexShow id
    (an item whose show is not in it keeps the show it had). A library that held nothing when
    the scan started needs no lookup: everything in it is new."""
    result = ItemsWrite()
    note_read(scan, items)
    stored = {} if scan.fresh else _stored(scan.library.pk, (i.rating_key for i in items))
    rows, touch = _plan(scan, items, show_ids, stored, result)
    upsert(MediaItem, COLUMNS, rows, conflict=["library", "rating_key"], update=UPDATE,
           constants=_constants(scan), newer="last_seen_at",
           rows_per_statement=page_rows_per_statement())
    for chunk in batched(touch, CHUNK):  # stamps never move backwards
        MediaItem.objects.filter(id__in=chunk, last_seen_at__lte=scan.now).update(
            last_seen_at=scan.now, last_scan_at=scan.now)
    result.unchanged = len(touch)
    return result


def items_touch_rejected(scan: Scan, rejects: Sequence[Reject]) -> bool:
    """Rows Plex listed but we could not read still exist: keep them seen (with the error)
    rather than let finalize call them missing (once per scan: a row read twice, by an
    expansion and the verification slice, is one error). False when a reject names no ratingKey, so
    the scan cannot know what it failed to see."""
    by_reason: dict[str, list[str]] = {}
    for reject in rejects:
        if not knowable(reject):
            return False
        by_reason.setdefault(reject.reason, []).append(reject.ref)
    for reason, refs in by_reason.items():  # one statement per distinct reason, not per row
        for chunk in batched(refs, CHUNK):
            MediaItem.objects.filter(library_id=scan.library.pk, rating_key__in=chunk,
                                     state__in=LIVE, last_seen_at__lt=scan.now).update(
                last_seen_at=scan.now, error_count=F("error_count") + 1,
                last_error=f"unreadable in the Plex listing: {reason}"[:2000])
    return True
