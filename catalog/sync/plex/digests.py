"""Change-detection digests for Plex items and shows, computed from listing data alone.

A digest is a stable 40-hex-digit hash of the fields the issue names, joined with ``|``; two
scans that read the same facts produce the same digest whatever the process or database,
so an unchanged item costs a comparison and nothing more. (BLAKE2b because it is fast and not
a security boundary here; 20 bytes to fit the 40-character columns.)
"""

from __future__ import annotations

from datetime import datetime
from hashlib import blake2b

from integrations.values.plex import PlexItem, PlexShow


def _stamp(value: datetime | None) -> str:
    """Whole epoch seconds, as Plex reports them; empty when unknown."""
    return "" if value is None else str(int(value.timestamp()))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _hash(fields: tuple[str, ...]) -> str:
    return blake2b("|".join(fields).encode(), digest_size=20).hexdigest()


def item_digest(item: PlexItem) -> str:
    """``ratingKey | updatedAt | duration | file size | part count | streams | primary guid``.

    A replaced file (new size, codec or part layout) or a re-match (new guid) changes it; a
    view count or a poster change does not, because the listing row's other fields are left out.
    """
    return item_digest_of(item.rating_key, item.updated_at, item.duration, item.file_size,
                          item.part_count, item.streams_signature, item.primary_guid)


def item_digest_of(rating_key: str, updated_at: datetime | None, duration: int | None,
                   file_size: int | None, part_count: int, streams_signature: str,
                   primary_guid: str | None) -> str:
    """``item_digest`` from facts a writer has already computed (each PlexItem property
    walks the media again)."""
    # One f-string, not a tuple of helper calls: a first ingest hashes 100,000 items. The
    # text is exactly ``_hash``'s join of the same fields.
    stamp = "" if updated_at is None else int(updated_at.timestamp())
    text = (f"{rating_key}|{stamp}|{'' if duration is None else duration}|"
            f"{'' if file_size is None else file_size}|{part_count}|{streams_signature}|"
            f"{'' if primary_guid is None else primary_guid}")
    return blake2b(text.encode(), digest_size=20).hexdigest()


def show_digest_of(child_count: int | None, leaf_count: int | None,
                   updated_at: datetime | None, newest_child_updated_at: datetime | None) -> str:
    """``childCount | leafCount | show updatedAt | newest child updatedAt``."""
    return _hash((_text(child_count), _text(leaf_count), _stamp(updated_at),
                  _stamp(newest_child_updated_at)))


def show_digest(show: PlexShow, newest_child_updated_at: datetime | None) -> str:
    """The show digest of a listing row; the newest child stamp comes from its episodes
    (Plex's show row does not carry it), so the caller supplies it."""
    return show_digest_of(show.child_count, show.leaf_count, show.updated_at,
                          newest_child_updated_at)
