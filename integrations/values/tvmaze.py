"""Frozen values for TVMaze shows and episodes, and the pure parsers that build them.

Parsers raise ``ValueError`` with a short reason so one malformed record can become a
``Reject`` while the rest of its page still lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from integrations.values.checks import check_count, check_text

__all__ = ["TvmazeEpisode", "TvmazeShow", "parse_episode", "parse_show"]


class TvmazeShow(msgspec.Struct, frozen=True, gc=False):
    """One TVMaze show as the catalog consumes it (externals flattened, HTML summary kept).

    A frozen msgspec struct rather than a frozen dataclass: a catalog walk builds 100,000 of
    them, and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) cost
    more than decoding the JSON they come from. Copy one changed with
    ``msgspec.structs.replace``."""

    id: int
    name: str
    type: str | None
    language: str | None
    status: str | None
    genres: tuple[str, ...]
    runtime: int | None
    premiered: date | None
    ended: date | None
    network: str | None
    web_channel: str | None
    country: str | None
    tvdb_id: int | None
    imdb_id: str | None
    tvrage_id: int | None
    official_site: str | None
    summary: str | None
    image_url: str | None
    rating: float | None
    updated: datetime


@dataclass(frozen=True, slots=True)
class TvmazeEpisode:
    """One episode; specials have ``number`` None, unaired ones no airdate/airstamp."""

    id: int
    season: int
    number: int | None
    name: str | None
    airdate: date | None
    airstamp: datetime | None
    runtime: int | None
    type: str | None
    summary: str | None


def _req_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if type(value) is not int:
        raise ValueError(f"{key} is {'missing' if value is None else 'not an int'}")
    return value


def _req_count(obj: Mapping[str, Any], key: str) -> int:
    return check_count(_req_int(obj, key), key)


def _opt_int(obj: Mapping[str, Any] | None, key: str) -> int | None:
    value = obj.get(key) if obj else None
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError(f"{key} is not an int")
    return check_count(value, key)


def _opt_str(obj: Mapping[str, Any] | None, key: str) -> str | None:
    value = obj.get(key) if obj else None
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError(f"{key} is not a string")
    return check_text(value, key)


def _opt_obj(obj: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    value = obj.get(key) if obj else None
    # JSON objects decode to dicts; a concrete check is much cheaper than the Mapping ABC
    # across the ~600,000 lookups of a catalog walk.
    if value is not None and type(value) is not dict:
        raise ValueError(f"{key} is not an object")
    return value


def _opt_date(obj: Mapping[str, Any], key: str) -> date | None:
    text = _opt_str(obj, key)
    if not text:  # TVMaze sends "" for unknown airdates
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key} is not a date") from None


def _opt_float(obj: Mapping[str, Any] | None, key: str) -> float | None:
    value = obj.get(key) if obj else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _require_object(obj: Any) -> Mapping[str, Any]:
    if type(obj) is not dict:
        raise ValueError("record is not an object")
    return obj


def _country(network: Mapping[str, Any] | None, web: Mapping[str, Any] | None) -> str | None:
    """network.country.code, else webChannel.country.code; global streamers have none."""
    for channel in (network, web):
        code = _opt_str(_opt_obj(channel, "country"), "code")
        if code:
            return code
    return None


def _genres(obj: Mapping[str, Any]) -> tuple[str, ...]:
    genres = obj.get("genres") or []
    if not isinstance(genres, list) or not all(isinstance(g, str) for g in genres):
        raise ValueError("genres is not a list of strings")
    return tuple(check_text(g, "genres") for g in genres)


def parse_show(obj: Any) -> TvmazeShow:
    """Build a show from a ``/shows`` record; ValueError names the first broken field."""
    obj = _require_object(obj)
    show_id = _req_count(obj, "id")
    name = obj.get("name")
    if not isinstance(name, str):
        raise ValueError("name is missing or not a string")
    check_text(name, "name")
    network = _opt_obj(obj, "network")
    web = _opt_obj(obj, "webChannel")
    externals = _opt_obj(obj, "externals")
    runtime = _opt_int(obj, "runtime")
    return TvmazeShow(
        id=show_id,
        name=name,
        type=_opt_str(obj, "type"),
        language=_opt_str(obj, "language"),
        status=_opt_str(obj, "status"),
        genres=_genres(obj),
        runtime=runtime if runtime is not None else _opt_int(obj, "averageRuntime"),
        premiered=_opt_date(obj, "premiered"),
        ended=_opt_date(obj, "ended"),
        network=_opt_str(network, "name"),
        web_channel=_opt_str(web, "name"),
        country=_country(network, web),
        tvdb_id=_opt_int(externals, "thetvdb"),
        imdb_id=_imdb(externals),
        tvrage_id=_opt_int(externals, "tvrage"),
        official_site=_opt_str(obj, "officialSite"),
        summary=_opt_str(obj, "summary"),
        image_url=_opt_str(_opt_obj(obj, "image"), "original"),
        rating=_opt_float(_opt_obj(obj, "rating"), "average"),
        updated=_stamp(obj, "updated"),
    )


def _imdb(externals: Mapping[str, Any] | None) -> str | None:
    """An IMDb id ("tt" and up to 14 digits) fits its 16-character column; longer is junk."""
    imdb = _opt_str(externals, "imdb") or None
    if imdb is not None and len(imdb) > 16:
        raise ValueError("imdb is not an IMDb id")
    return imdb


def _stamp(obj: Mapping[str, Any], key: str) -> datetime:
    """A unix time; one past what a datetime holds raises OverflowError or OSError, not
    ValueError, and would otherwise escape the page's rejects."""
    try:
        return datetime.fromtimestamp(_req_int(obj, key), tz=UTC)
    except (OverflowError, OSError):
        raise ValueError(f"{key} is out of range") from None


def _opt_datetime(obj: Mapping[str, Any], key: str) -> datetime | None:
    text = _opt_str(obj, key)
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key} is not a timestamp") from None
    if stamp.tzinfo is None:
        raise ValueError(f"{key} has no timezone")
    return stamp.astimezone(UTC)


def parse_episode(obj: Any) -> TvmazeEpisode:
    """Build an episode from a ``/shows/:id/episodes`` record; ValueError on a broken field."""
    obj = _require_object(obj)
    return TvmazeEpisode(
        id=_req_count(obj, "id"),
        season=_req_count(obj, "season"),
        number=_opt_int(obj, "number"),
        name=_opt_str(obj, "name"),
        airdate=_opt_date(obj, "airdate"),
        airstamp=_opt_datetime(obj, "airstamp"),
        runtime=_opt_int(obj, "runtime"),
        type=_opt_str(obj, "type"),
        summary=_opt_str(obj, "summary"),
    )
