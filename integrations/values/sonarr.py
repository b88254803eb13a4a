"""Frozen values the Sonarr client returns and takes (series, profiles, folders, add results).

A lookup item is kept whole (deeply frozen) in ``SonarrSeries.payload`` because Sonarr wants the
full lookup item back when adding; ``thaw`` rebuilds a fresh, mutable copy for every request so
nothing a request body does can leak into the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "MONITOR_TYPES",
    "SERIES_TYPES",
    "AddOptions",
    "AddOutcome",
    "AddResult",
    "SonarrLanguageProfile",
    "SonarrQualityProfile",
    "SonarrRootFolder",
    "SonarrSeries",
    "SonarrStatus",
    "SonarrTag",
    "freeze",
    "thaw",
]

MONITOR_TYPES = frozenset({
    "unknown", "all", "future", "missing", "existing", "firstSeason", "lastSeason",
    "latestSeason", "pilot", "recent", "monitorSpecials", "unmonitorSpecials", "none", "skip",
})
SERIES_TYPES = frozenset({"standard", "daily", "anime"})


def freeze(value: Any) -> Any:
    """Deep read-only copy of decoded JSON: dicts become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Fresh mutable JSON structure from a frozen one (never shares containers)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _positive_int(value: Any) -> int | None:
    """Sonarr writes "unknown" ids and years as 0 (or omits them on v4): both become None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True, slots=True)
class SonarrStatus:
    """What the server is; the major version decides whether language profiles exist."""

    version: str
    major: int
    is_v4: bool
    supports_language_profiles: bool

    @classmethod
    def from_version(cls, version: str) -> SonarrStatus:
        """Parse ``"3.0.6.1451"``; ValueError when the version has no numeric major part."""
        head = str(version).strip().split(".", 1)[0]
        if not head.isdigit():
            raise ValueError(f"not a Sonarr version: {version!r}")
        major = int(head)
        return cls(version=str(version).strip(), major=major, is_v4=major >= 4,
                   supports_language_profiles=major < 4)


@dataclass(frozen=True, slots=True)
class SonarrRootFolder:
    """A root folder series are created under; ``free_space`` is None when Sonarr can't tell."""

    id: int
    path: str
    accessible: bool
    free_space: int | None


@dataclass(frozen=True, slots=True)
class SonarrQualityProfile:
    """A quality profile; ``format_scores`` when it carries v4's custom-format fields
    (``minFormatScore``, ``cutoffFormatScore``, ``formatItems``), which v3 profiles never do."""

    id: int
    name: str
    format_scores: bool = False


@dataclass(frozen=True, slots=True)
class SonarrLanguageProfile:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SonarrTag:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class SonarrSeries:
    """A lookup item or library series; ``id`` is None until the series is in the library."""

    id: int | None
    tvdb_id: int
    title: str
    year: int | None
    path: str | None
    monitored: bool
    tvmaze_id: int | None
    imdb_id: str | None
    tmdb_id: int | None
    title_slug: str | None
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}),
                                       repr=False, compare=False)

    @property
    def in_library(self) -> bool:
        """Sonarr marks a lookup item that is already added by giving it an id."""
        return self.id is not None

    @classmethod
    def from_payload(cls, item: Mapping[str, Any]) -> SonarrSeries:
        """Build from one decoded series/lookup object; ValueError if it has no usable tvdbId."""
        if not isinstance(item, Mapping):
            raise ValueError(f"series item is a {type(item).__name__}, not an object")
        tvdb_id = _positive_int(item.get("tvdbId"))
        if tvdb_id is None:
            raise ValueError(f"series item without a tvdbId: {item.get('tvdbId')!r}")
        return cls(
            id=_positive_int(item.get("id")),
            tvdb_id=tvdb_id,
            title=str(item.get("title") or ""),
            year=_positive_int(item.get("year")),
            path=_text(item.get("path")),
            monitored=bool(item.get("monitored", False)),
            tvmaze_id=_positive_int(item.get("tvMazeId")),
            imdb_id=_text(item.get("imdbId")),
            tmdb_id=_positive_int(item.get("tmdbId")),
            title_slug=_text(item.get("titleSlug")),
            payload=freeze(item),
        )

    def body(self) -> dict[str, Any]:
        """A fresh mutable copy of the payload, safe to edit and send."""
        return thaw(self.payload)


@dataclass(frozen=True, slots=True)
class AddOptions:
    """How to add a series; ``language_profile_id`` is required by v3 and ignored by v4."""

    quality_profile_id: int
    root_folder_path: str
    language_profile_id: int | None = None
    monitored: bool = True
    monitor: str = "all"
    season_folder: bool = True
    search_for_missing: bool = False
    search_for_cutoff_unmet: bool = False
    series_type: str = "standard"
    tags: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(int(t) for t in self.tags))
        if self.monitor not in MONITOR_TYPES:
            raise ValueError(f"unknown monitor type {self.monitor!r}")
        if self.series_type not in SERIES_TYPES:
            raise ValueError(f"unknown series type {self.series_type!r}")


class AddOutcome(StrEnum):
    """The closed set of answers to an add; the planner records one per series."""

    ADDED = "added"
    EXISTS = "exists"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    AUTH = "auth"
    TRANSIENT = "transient"


@dataclass(frozen=True, slots=True)
class AddResult:
    """One add's outcome; ``series_id`` is the library id when known (added or exists)."""

    outcome: AddOutcome
    series_id: int | None
    message: str
    tvdb_id: int

    @property
    def ok(self) -> bool:
        """The series is in the library now, whoever added it."""
        return self.outcome in (AddOutcome.ADDED, AddOutcome.EXISTS)

