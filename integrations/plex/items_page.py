"""A JSON page of episodes or movies decoded straight into `PlexItem` values (msgspec): the
fast path of a scan's listings.

The careful reader (``parse.parse_container`` then ``item_from`` per row) builds a dict for
every row, Media and Part, then reads each attribute through checks that accept text for
numbers, lone objects for lists and empty strings for absent values. msgspec reads only the
attributes we keep into typed structs, as Plex's JSON has them. Anything it refuses, or that
the careful reader treats specially (a row of another tag, a loose Part beside its Media, a
bad ``ratingKey``, a type that is not an episode or movie, a stamp past what a datetime
holds, nesting deeper than the interpreter's stack allows), sends the whole page back to the
careful reader, which turns a malformed row into a reject: where both read a page, they build
the same values.

One deliberate difference: msgspec never looks inside the attributes we do not keep, so a page
whose only flaw lies there (a summary in Latin-1, a number past what a double holds) is read
here, where the careful reader's parser refuses the whole page and the scan with it. Checking
for them would cost more than the decode (a regex over the page: 8 ms against 2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

from integrations.plex.guids import item_external_ids
from integrations.plex.parse import Container
from integrations.values.plex import PlexItem, PlexMedia, PlexPart

__all__ = ["decode_items_page"]

_FROM_TS = datetime.fromtimestamp
_KINDS = frozenset({"episode", "movie"})
# Within what orjson (the careful reader's parser) reads, which refuses the page past it; the
# careful reader takes the rest of its range (msgspec bounds stop at 64 signed bits).
Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Part(msgspec.Struct, gc=False):
    id: Int
    file: str | None = None
    size: Int | None = None
    duration: Int | None = None
    container: str | None = None
    accessible: bool | None = None
    exists: bool | None = None


class _Media(msgspec.Struct, gc=False, rename={
        "video_codec": "videoCodec", "audio_codec": "audioCodec",
        "audio_channels": "audioChannels", "video_resolution": "videoResolution",
        "parts": "Part"}):
    id: Int
    duration: Int | None = None
    bitrate: Int | None = None
    width: Int | None = None
    height: Int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: Int | None = None
    video_resolution: str | None = None
    container: str | None = None
    parts: list[_Part] | None = None


class _Guid(msgspec.Struct, gc=False):
    id: str | None = None


class _Item(msgspec.Struct, gc=False, rename={
        "rating_key": "ratingKey", "guids": "Guid", "show": "grandparentRatingKey",
        "season": "parentIndex", "added_at": "addedAt", "updated_at": "updatedAt",
        "media": "Media", "loose_parts": "Part"}):
    rating_key: str
    type: str
    guid: str | None = None
    title: str | None = None
    guids: list[_Guid] | None = None
    show: str | None = None
    season: Int | None = None
    index: Int | None = None
    year: Int | None = None
    duration: Int | None = None
    added_at: Int | None = None
    updated_at: Int | None = None
    media: list[_Media] | None = None
    loose_parts: msgspec.Raw | None = None  # the careful reader joins them to the last Media


class _Container(msgspec.Struct, gc=False, rename={
        "total_size": "totalSize", "rows": "Metadata", "directories": "Directory",
        "videos": "Video"}):
    size: Int | None = None
    total_size: Int | None = None
    offset: Int | None = None
    rows: list[_Item] | None = None
    directories: msgspec.Raw | None = None  # rows of other tags: the careful reader's
    videos: msgspec.Raw | None = None


class _Document(msgspec.Struct, gc=False, rename={"container": "MediaContainer"}):
    container: _Container


_decoder = msgspec.json.Decoder(_Document)


class _Careful(Exception):
    """This page needs the careful reader."""


def decode_items_page(body: bytes) -> Container | None:
    """A JSON listing page with its rows already mapped, or None when the page needs the
    careful reader."""
    try:
        container = _decoder.decode(body).container
        if container.directories is not None or container.videos is not None:
            return None
        items = tuple(_item(row) for row in container.rows or ())
    except (msgspec.DecodeError, _Careful, OverflowError, OSError, ValueError, RecursionError):
        return None
    return Container(attrs={}, rows=(), size=container.size, total_size=container.total_size,
                     offset=container.offset, mapped=items)


def _item(row: _Item) -> PlexItem:
    kind = row.type
    if kind not in _KINDS or not row.rating_key or row.loose_parts is not None:
        raise _Careful
    guid = row.guid
    children = [g.id for g in row.guids if g.id is not None] if row.guids else []
    return PlexItem(
        rating_key=row.rating_key,
        type=kind,
        guid=guid,
        title=row.title or "",
        external_ids=item_external_ids(guid, children, kind),
        show_rating_key=row.show,
        season_number=row.season,
        episode_number=row.index if kind == "episode" else None,
        year=row.year,
        duration=row.duration,
        added_at=None if row.added_at is None else _FROM_TS(row.added_at, UTC),
        updated_at=None if row.updated_at is None else _FROM_TS(row.updated_at, UTC),
        media=tuple(_media(m) for m in row.media) if row.media else (),
    )


def _media(media: _Media) -> PlexMedia:
    return PlexMedia(
        id=media.id, duration=media.duration, bitrate=media.bitrate, width=media.width,
        height=media.height, video_codec=media.video_codec, audio_codec=media.audio_codec,
        audio_channels=media.audio_channels, video_resolution=media.video_resolution,
        container=media.container,
        parts=tuple(PlexPart(id=p.id, file=p.file, size=p.size, duration=p.duration,
                             container=p.container, accessible=p.accessible, exists=p.exists)
                    for p in media.parts) if media.parts else (),
    )
