"""Frozen values for TMDB v3 TV shows and ``/find`` matches, and their pure parsers.

Parsers raise ``ValueError`` with a short reason; the client turns that into ``InvalidError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from integrations.values.checks import check_count, check_text

__all__ = [
    "TmdbFindResult",
    "TmdbSeasonSummary",
    "TmdbShow",
    "parse_find_result",
    "parse_tv",
]


@dataclass(frozen=True, slots=True)
class TmdbSeasonSummary:
    """A season as listed inside ``/tv/{id}`` (season 0 is "Specials")."""

    season_number: int
    episode_count: int | None
    air_date: date | None
    name: str | None


@dataclass(frozen=True, slots=True)
class TmdbShow:
    """``/tv/{id}?append_to_response=external_ids``; tvdb/imdb come from ``external_ids``."""

    id: int
    name: str
    original_name: str | None
    overview: str | None
    status: str | None
    type: str | None
    first_air_date: date | None
    last_air_date: date | None
    in_production: bool | None
    number_of_seasons: int | None
    number_of_episodes: int | None
    episode_run_time: tuple[int, ...]
    genres: tuple[str, ...]
    networks: tuple[str, ...]
    origin_country: tuple[str, ...]
    original_language: str | None
    poster_path: str | None
    backdrop_path: str | None
    popularity: float | None
    vote_average: float | None
    tvdb_id: int | None
    imdb_id: str | None
    seasons: tuple[TmdbSeasonSummary, ...]


@dataclass(frozen=True, slots=True)
class TmdbFindResult:
    """One ``tv_results`` entry of ``/find/{external_id}``."""

    id: int
    name: str | None
    first_air_date: date | None


def _req_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if type(value) is not int:
        raise ValueError(f"{key} is {'missing' if value is None else 'not an int'}")
    return value


def _opt(obj: Mapping[str, Any] | None, key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key) if obj else None
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise ValueError(f"{key} has the wrong type")
    if not isinstance(value, kind):
        raise ValueError(f"{key} has the wrong type")
    return check_text(value, key) if isinstance(value, str) else value


def _opt_date(obj: Mapping[str, Any], key: str) -> date | None:
    text = _opt(obj, key, str)
    if not text:  # TMDB sends "" as well as null for unknown dates
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key} is not a date") from None


def _opt_float(obj: Mapping[str, Any], key: str) -> float | None:
    value = _opt(obj, key, (int, float))
    return None if value is None else float(value)


def _list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def _names(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The ``name`` of each ``{id, name, ...}`` entry (genres, networks)."""
    items = _list(obj, key)
    if not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in items):
        raise ValueError(f"{key} entries lack a name")
    return tuple(i["name"] for i in items)


def _typed_tuple(obj: Mapping[str, Any], key: str, kind: type) -> tuple[Any, ...]:
    items = _list(obj, key)
    if not all(isinstance(i, kind) and not isinstance(i, bool) for i in items):
        raise ValueError(f"{key} has entries of the wrong type")
    return tuple(items)


def _season(obj: Any) -> TmdbSeasonSummary:
    if not isinstance(obj, Mapping):
        raise ValueError("seasons entry is not an object")
    return TmdbSeasonSummary(
        season_number=_req_int(obj, "season_number"),
        episode_count=_opt(obj, "episode_count", int),
        air_date=_opt_date(obj, "air_date"),
        name=_opt(obj, "name", str),
    )


def _require_object(obj: Any) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ValueError("record is not an object")
    return obj


def parse_tv(obj: Any) -> TmdbShow:
    """Build a show from ``/tv/{id}``; without ``external_ids`` tvdb/imdb are None."""
    obj = _require_object(obj)
    name = obj.get("name")
    if not isinstance(name, str):
        raise ValueError("name is missing or not a string")
    check_text(name, "name")
    external = _opt(obj, "external_ids", Mapping)
    return TmdbShow(
        id=_req_int(obj, "id"),
        name=name,
        original_name=_opt(obj, "original_name", str),
        overview=_opt(obj, "overview", str),
        status=_opt(obj, "status", str),
        type=_opt(obj, "type", str),
        first_air_date=_opt_date(obj, "first_air_date"),
        last_air_date=_opt_date(obj, "last_air_date"),
        in_production=_opt(obj, "in_production", bool),
        number_of_seasons=_opt(obj, "number_of_seasons", int),
        number_of_episodes=_opt(obj, "number_of_episodes", int),
        episode_run_time=_typed_tuple(obj, "episode_run_time", int),
        genres=_names(obj, "genres"),
        networks=_names(obj, "networks"),
        origin_country=_typed_tuple(obj, "origin_country", str),
        original_language=_opt(obj, "original_language", str),
        poster_path=_opt(obj, "poster_path", str),
        backdrop_path=_opt(obj, "backdrop_path", str),
        popularity=_opt_float(obj, "popularity"),
        vote_average=_opt_float(obj, "vote_average"),
        tvdb_id=_opt(external, "tvdb_id", int),
        imdb_id=_opt(external, "imdb_id", str) or None,
        seasons=tuple(_season(s) for s in _list(obj, "seasons")),
    )


def parse_find_result(obj: Any) -> TmdbFindResult:
    """Build one ``tv_results`` match of ``/find``."""
    obj = _require_object(obj)
    tmdb_id = _req_int(obj, "id")
    if tmdb_id == 0:  # a catalog column holds 0, but TMDB numbers its shows from 1
        raise ValueError("id is out of range")
    return TmdbFindResult(
        id=check_count(tmdb_id, "id"),
        name=_opt(obj, "name", str),
        first_air_date=_opt_date(obj, "first_air_date"),
    )
