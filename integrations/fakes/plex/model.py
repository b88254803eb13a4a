"""Records and the deterministic generator behind the Plex fake.

Records are small slotted objects; their XML is rendered lazily once and cached until a
mutation clears `cache`, so a 100,000-episode library generates in about a second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

BASE_NOW = 1_700_000_000  # every generated timestamp is before this; the fake's clock starts here
DAY = 86_400


@dataclass(frozen=True, slots=True)
class LibrarySpec:
    """One library section of the fake server."""

    key: str
    type: Literal["show", "movie"]
    title: str
    shows: int = 0
    episodes: int = 0
    movies: int = 0
    root: str = "/data/tv"
    # Seconds each request about this library waits before it is answered: a slow disk or
    # NAS, so a scan lasts long enough to watch (the demo's slow library).
    delay: float = 0.0


class Part:
    __slots__ = ("accessible", "container", "duration", "file", "id", "size")

    def __init__(self, id: int, file: str, size: int, duration: int, container: str,
                 accessible: bool = True) -> None:
        self.id, self.file, self.size, self.duration = id, file, size, duration
        self.container, self.accessible = container, accessible


class Media:
    __slots__ = ("audio_channels", "audio_codec", "bitrate", "container", "duration", "height",
                 "id", "parts", "resolution", "video_codec", "width")

    def __init__(self, id: int, profile: tuple, audio: tuple, container: str, duration: int,
                 bitrate: int, parts: list[Part]) -> None:
        self.id, self.container, self.duration, self.bitrate = id, container, duration, bitrate
        self.video_codec, self.width, self.height, self.resolution = profile
        self.audio_codec, self.audio_channels = audio
        self.parts = parts


class Section:
    __slots__ = (
        "_leaves",
        "agent",
        "created_at",
        "delay",
        "key",
        "movies",
        "root",
        "scanned_at",
        "scanner",
        "shows",
        "title",
        "type",
        "updated_at",
        "uuid",
    )

    def __init__(self, spec: LibrarySpec, uuid: str, root: str) -> None:
        self.key, self.type, self.title, self.root, self.uuid = (
            spec.key, spec.type, spec.title, root, uuid)
        self.delay = spec.delay
        self.agent = "tv.plex.agents.series" if spec.type == "show" else "tv.plex.agents.movie"
        self.scanner = "Plex TV Series" if spec.type == "show" else "Plex Movie"
        self.created_at = BASE_NOW - 4000 * DAY
        self.updated_at = self.scanned_at = BASE_NOW - DAY
        self.shows: list[Show] = []
        self.movies: list[Leaf] = []
        self._leaves: list[Leaf] | None = None

    def episodes(self) -> list[Leaf]:
        """Every episode in listing order (show, season, index); cached until structure changes."""
        if self._leaves is None:
            self._leaves = [e for show in self.shows for season in show.seasons
                            for e in season.episodes]
        return self._leaves

    def invalidate(self) -> None:
        self._leaves = None


class Show:
    __slots__ = (
        "added_at",
        "cache",
        "folder",
        "genres",
        "guid",
        "guids",
        "legacy",
        "rk",
        "seasons",
        "section",
        "title",
        "tvdb",
        "updated_at",
        "year",
    )

    def __init__(self, rk: int, section: Section, title: str, year: int) -> None:
        self.rk, self.section, self.title, self.year = rk, section, title, year
        self.folder = title  # the show's folder under the section root
        self.guid, self.guids, self.tvdb, self.legacy = "", (), 0, False
        self.added_at = self.updated_at = 0
        self.genres: tuple[str, ...] = ()
        self.seasons: list[Season] = []
        self.cache: tuple[bytes, bytes, bytes] | None = None

    @property
    def leaf_count(self) -> int:
        return sum(len(season.episodes) for season in self.seasons)

    def leaves(self) -> list[Leaf]:
        return [e for season in self.seasons for e in season.episodes]


class Season:
    __slots__ = ("added_at", "cache", "episodes", "guid", "index", "rk", "show", "updated_at")

    def __init__(self, rk: int, show: Show, index: int, guid: str, added_at: int) -> None:
        self.rk, self.show, self.index, self.guid = rk, show, index, guid
        self.added_at = self.updated_at = added_at
        self.episodes: list[Leaf] = []
        self.cache: tuple[bytes, bytes, bytes] | None = None


class Leaf:
    """An episode or a movie."""

    __slots__ = ("added_at", "cache", "duration", "guid", "guids", "index", "media", "rk",
                 "season", "section", "title", "type", "updated_at", "year")

    def __init__(self, rk: int, type: str, section: Section, title: str, year: int) -> None:
        self.rk, self.type, self.section, self.title, self.year = rk, type, section, title, year
        self.guid, self.guids = "", ()
        self.index = self.duration = self.added_at = self.updated_at = 0
        self.season: Season | None = None
        self.media: list[Media] = []
        self.cache: tuple[bytes, bytes, bytes] | None = None

    @property
    def show(self) -> Show | None:
        return self.season.show if self.season is not None else None


Record = Show | Season | Leaf


@dataclass(slots=True)
class Ids:
    """Monotonic id counters (rating keys, media and part ids) for one fake server."""

    rating_key: int = 1000
    media: int = 100_000
    part: int = 200_000

    def next_rk(self) -> int:
        self.rating_key += 1
        return self.rating_key

    def next_media(self) -> int:
        self.media += 1
        return self.media

    def next_part(self) -> int:
        self.part += 1
        return self.part


def hex_id(rng: random.Random) -> str:
    """A 24-hex-digit id like Plex's `plex://show/5d9c086c...`."""
    return f"{rng.getrandbits(96):024x}"
