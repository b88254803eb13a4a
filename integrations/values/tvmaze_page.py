"""A whole ``/shows`` index page decoded straight into typed records (msgspec): the fast path.

Decoding 250 shows to dicts and then walking them field by field costs most of a catalog
walk's CPU. msgspec reads only the fields we keep into typed structs and checks their types
and ranges while it decodes. Whatever it refuses, or anything the slow parser treats
specially (a NUL character, a date ``date.fromisoformat`` reads but RFC 3339 does not, a stamp
past what a datetime holds), sends the page back to the record-by-record parser, which keeps
every rule and turns a malformed record into a reject: both paths build the same values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import msgspec

from integrations.values.checks import MAX_INT
from integrations.values.tvmaze import TvmazeShow

__all__ = ["decode_show_page", "decode_updates"]

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
NUL = b"\\u0000"  # JSON's only spelling of a NUL character inside a string


class _Country(msgspec.Struct, gc=False):
    code: str | None = None


class _Channel(msgspec.Struct, gc=False):
    name: str | None = None
    country: _Country | None = None


class _Externals(msgspec.Struct, gc=False):
    thetvdb: Count | None = None
    imdb: str | None = None
    tvrage: Count | None = None


class _Image(msgspec.Struct, gc=False):
    original: str | None = None


class _Rating(msgspec.Struct, gc=False):
    average: float | None = None


class _Show(msgspec.Struct, gc=False, rename={
        "web": "webChannel", "average_runtime": "averageRuntime", "official_site": "officialSite"}):
    id: Count
    name: str
    updated: int
    type: str | None = None
    language: str | None = None
    status: str | None = None
    genres: list[str] | None = None
    runtime: Count | None = None
    average_runtime: Count | None = None
    premiered: str | None = None
    ended: str | None = None
    network: _Channel | None = None
    web: _Channel | None = None
    externals: _Externals | None = None
    official_site: str | None = None
    summary: str | None = None
    image: _Image | None = None
    rating: _Rating | None = None


_decoder = msgspec.json.Decoder(list[_Show])
_dates: dict[str, date] = {}


def decode_show_page(body: bytes) -> list[TvmazeShow] | None:
    """Every show of an index page, or None when the page needs the record-by-record parser."""
    if NUL in body:
        return None
    try:
        return [_value(s) for s in _decoder.decode(body)]
    except (msgspec.DecodeError, ValueError, OverflowError, OSError):
        return None


_updates_decoder = msgspec.json.Decoder(dict[int, int])


def decode_updates(body: bytes) -> dict[int, int] | None:
    """The updates feed (show id -> unix time; ids are the object's string keys) decoded
    straight into ints: one dict, not a dict of strings and then a dict of ints (100,000
    entries in a full feed). None when it needs the careful reader."""
    try:
        return _updates_decoder.decode(body)
    except (msgspec.DecodeError, ValueError):
        return None


def _date(text: str | None) -> date | None:
    """The slow parser's ``date.fromisoformat``, remembered: a catalog has few distinct dates."""
    if not text:
        return None
    found = _dates.get(text)
    if found is None:
        found = _dates[text] = date.fromisoformat(text)
        if len(_dates) > 100_000:
            _dates.clear()
    return found


def _value(s: _Show) -> TvmazeShow:
    network, web, externals = s.network, s.web, s.externals
    imdb = externals.imdb if externals is not None else None
    if imdb is not None and len(imdb) > 16:
        raise ValueError("imdb")
    country = None
    if network is not None and network.country is not None:
        country = network.country.code
    if not country and web is not None and web.country is not None:
        country = web.country.code
    return TvmazeShow(  # positional, in field order: the cheapest call for 100,000 shows
        s.id, s.name, s.type, s.language, s.status,  # id, name, type, language, status
        tuple(s.genres) if s.genres else (),  # genres
        s.runtime if s.runtime is not None else s.average_runtime,  # runtime
        _date(s.premiered), _date(s.ended),  # premiered, ended
        network.name if network is not None else None,  # network
        web.name if web is not None else None,  # web_channel
        country or None,  # country
        externals.thetvdb if externals is not None else None,  # tvdb_id
        imdb or None,  # imdb_id
        externals.tvrage if externals is not None else None,  # tvrage_id
        s.official_site, s.summary,  # official_site, summary
        s.image.original if s.image is not None else None,  # image_url
        s.rating.average if s.rating is not None else None,  # rating
        datetime.fromtimestamp(s.updated, tz=UTC),  # updated
    )
