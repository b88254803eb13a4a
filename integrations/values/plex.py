"""Frozen values for Plex Media Server data.

Built page by page from raw container listings; attribute access never does I/O, so a sync
can hash and store them without any hidden plexapi reload.

Rows (items, their media and parts, shows) are frozen msgspec structs rather than frozen
dataclasses: a first ingest builds three per episode, and a frozen dataclass's ``__init__``
sets each field through ``object.__setattr__``. Copy one changed with
``msgspec.structs.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec

from integrations.values import Authority, ExternalId


@dataclass(frozen=True, slots=True)
class PlexServerInfo:
    """Identity of one Plex Media Server, as answered by `GET /`."""

    machine_identifier: str
    friendly_name: str | None
    version: str | None
    platform: str | None


@dataclass(frozen=True, slots=True)
class PlexSection:
    """One library section (`/library/sections` Directory)."""

    key: str
    type: str
    title: str
    agent: str | None
    uuid: str | None
    updated_at: datetime | None
    scanned_at: datetime | None
    locations: tuple[str, ...]


class PlexPart(msgspec.Struct, frozen=True, gc=False):
    """One file of a media version; `accessible`/`exists` are only set when Plex checked."""

    id: int
    file: str | None
    size: int | None
    duration: int | None
    container: str | None
    accessible: bool | None
    exists: bool | None

    @property
    def playable(self) -> bool:
        """Not empty, and not marked inaccessible or gone by Plex (a deleted version stays
        listed until Plex empties its trash)."""
        return self.size != 0 and self.accessible is not False and self.exists is not False


class PlexMedia(msgspec.Struct, frozen=True, gc=False):
    """One media version of an item (a movie or episode may have several)."""

    id: int
    duration: int | None
    bitrate: int | None
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int | None
    video_resolution: str | None
    container: str | None
    parts: tuple[PlexPart, ...]

    @property
    def signature(self) -> str:
        """`video/audio/channels`, the stream summary a listing row carries."""
        channels = "" if self.audio_channels is None else str(self.audio_channels)
        return f"{self.video_codec or ''}/{self.audio_codec or ''}/{channels}"


class PlexShow(msgspec.Struct, frozen=True, gc=False):
    """A show row of a `type=2` listing; `external_ids` from its guid and Guid children."""

    rating_key: str
    guid: str | None
    title: str
    year: int | None
    added_at: datetime | None
    updated_at: datetime | None
    child_count: int | None
    leaf_count: int | None
    external_ids: tuple[ExternalId, ...]
    # The library section holding it (``librarySectionID``), where the answer said: read by
    # ratingKey, a row may belong to any section of the server.
    section_key: str | None = None

    def external_id(self, authority: Authority) -> ExternalId | None:
        """First external id of that authority, if any."""
        return next((e for e in self.external_ids if e.authority == authority), None)


class PlexItem(msgspec.Struct, frozen=True, gc=False):
    """An episode or movie row, with its Media and Part exactly as the listing carried them."""

    rating_key: str
    type: str
    guid: str | None
    title: str
    external_ids: tuple[ExternalId, ...]
    show_rating_key: str | None
    season_number: int | None
    episode_number: int | None
    year: int | None
    duration: int | None
    added_at: datetime | None
    updated_at: datetime | None
    media: tuple[PlexMedia, ...]
    # The library section holding it (``librarySectionID``), where the answer said: read by
    # ratingKey, a row may belong to any section of the server.
    section_key: str | None = None

    @property
    def parts(self) -> tuple[PlexPart, ...]:
        """Every part of every media version, in listing order."""
        return tuple(part for media in self.media for part in media.parts)

    @property
    def file_size(self) -> int | None:
        """Sum of the known part sizes; None when no part reports a size."""
        sizes = [part.size for part in self.parts if part.size is not None]
        return sum(sizes) if sizes else None

    @property
    def part_count(self) -> int:
        return len(self.parts)

    @property
    def primary_file(self) -> str | None:
        """The first part's file path (what a path mapping resolves)."""
        parts = self.parts
        return parts[0].file if parts else None

    @property
    def streams_signature(self) -> str:
        """`h264/aac/6|hevc/eac3/8`: one entry per media version, for change detection."""
        return "|".join(media.signature for media in self.media)

    @property
    def primary_guid(self) -> str | None:
        """The item's own guid, else the descriptor of its first external id."""
        if self.guid:
            return self.guid
        return self.external_ids[0].descriptor if self.external_ids else None

    @property
    def playable(self) -> bool:
        """False when Plex lists no part, only zero-size parts, or marks every part inaccessible."""
        return any(part.playable for part in self.parts)


@dataclass(frozen=True, slots=True)
class PlexListingHead:
    """What one sorted row of a listing tells: its size, its newest ``updatedAt``, and
    Plex's own clock when it answered (its ``Date`` header; None without one). All three are
    Plex's, never ours."""

    total: int
    newest: datetime | None
    clock: datetime | None
