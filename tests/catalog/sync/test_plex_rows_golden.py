"""The rows a Plex ingest writes, pinned: a fixed fake library, ingested and then rescanned
after a few edits, must leave exactly the rows the code wrote before the speed work.

Each column of every table the ingest writes (MediaItem, PlexShow, and the placeholder Shows
it links to) is hashed over its rows in ratingKey order, so a failure names the column that
moved. Database ids are left out (they depend on insertion order, not on what was read);
foreign keys are compared by what they point at.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from hashlib import blake2b
from typing import Any

import pytest

from catalog.models import MediaItem, PlexShow, Show
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, at, library_for, scan, server_for

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.integration]

SHOW_FIELDS = [f.attname for f in Show._meta.concrete_fields
               if f.attname not in ("id", "created_at", "updated_at")]
# Stamped with our wall clock by the shows-changed hooks: only whether they are set is pinned.
WALL_CLOCK = ("loading_changed_at", "loading_next_at")


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def _columns(names: list[str], rows: Iterable[tuple]) -> dict[str, str]:
    """One short hash per column over the rows, in the order given."""
    hashes = {name: blake2b(digest_size=8) for name in names}
    count = 0
    for row in rows:
        count += 1
        for name, value in zip(names, row, strict=True):
            hashes[name].update(_value(value).encode() + b"\x00")
    return {"rows": str(count), **{name: h.hexdigest() for name, h in hashes.items()}}


def _paths(model: type, refs: dict[str, list[str]]) -> list[str]:
    """The model's columns but its id, each foreign key as the fields it points at."""
    out: list[str] = []
    for field in model._meta.concrete_fields:
        if field.attname != "id":
            out.extend(refs.get(field.attname, [field.attname]))
    return out


def dump() -> dict[str, dict[str, str]]:
    """Per table, per column: a hash of its values (ids replaced by what they identify)."""
    items = _paths(MediaItem, {"library_id": ["library__key"],
                               "plex_show_id": ["plex_show__rating_key"]})
    shows = _paths(PlexShow, {"library_id": ["library__key"], "show_id": [
        "show__tvdb_id", "show__tmdb_id", "show__imdb_id", "show__title"]})
    wall = [SHOW_FIELDS.index(name) for name in WALL_CLOCK]
    catalog = sorted((tuple(v is not None if n in wall else v for n, v in enumerate(row))
                      for row in Show.objects.values_list(*SHOW_FIELDS)), key=repr)
    return {
        "items": _columns(items, MediaItem.objects.order_by("library__key", "rating_key")
                          .values_list(*items)),
        "plex_shows": _columns(shows, PlexShow.objects.order_by("library__key", "rating_key")
                               .values_list(*shows)),
        "shows": _columns(SHOW_FIELDS, catalog),
    }


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    libraries = [LibrarySpec("1", "show", "TV", shows=60, episodes=3000),
                 LibrarySpec("2", "movie", "Movies", movies=300, root="/data/movies")]
    with PlexFake(libraries, seed=11) as fake:
        yield fake


def _ingest(fake: PlexFake) -> tuple[Any, Any]:
    server = server_for(fake, "golden", [("/data/tv", "/mnt/tv")])
    tv, movies = library_for(server, "1"), library_for(server, "2", "movie")
    for library in (tv, movies):
        done = scan(library, fake, T0)
        assert done.run.status == "succeeded", done.run.error
        assert done.summary["complete"]
    return tv, movies


def _edit(fake: PlexFake) -> None:
    """A few edits an hour later: an upgrade, a new episode, a deletion, a metadata edit."""
    fake.set_now(int(at(timedelta(hours=1)).timestamp()))
    shows = fake.shows_of("1")
    leaves = fake.episodes_of("1")
    fake.replace_file(leaves[5].rk)
    fake.add_episode(shows[3].rk)
    fake.remove_item(leaves[40].rk)
    fake.touch_item(leaves[100].rk)


# Computed from the code before the speed work (same values on SQLite and PostgreSQL).
FIRST_INGEST: dict[str, dict[str, str]] = {
    "items": {
        "digest": "201ea5a06b17b3fa", "duration": "431700dbbbbe0698",
        "episode_number": "b756adef299c852a", "error_count": "c465d4b431f86e15",
        "file_path": "d83a3adcf0a79371", "file_size": "24ca85cc9f1eea4d",
        "first_seen_at": "4e565d10a4746cc0", "guid": "1d5a76a91a527770",
        "kind": "2e218fcfdebfa4a0", "last_error": "e4943c53d2d04539",
        "last_scan_at": "4e565d10a4746cc0", "last_seen_at": "4e565d10a4746cc0",
        "library__key": "03c83781d12f3d3c", "missing_since": "9541809bb5883962",
        "part_count": "1c3bb2edd46ac8a9", "plex_show__rating_key": "edfd11b525cd940d",
        "rating_key": "f8cd945df058b0fa", "rows": "3300", "season_number": "bbcef26bfffe7d25",
        "state": "95efa6f9f3145820", "streams_signature": "4e76e9c7bf0ec045",
        "title": "066b7d6387b6d1f9", "updated_at_plex": "f0d17dc1ec70d077",
        "year": "63d79ae27bab6665",
    },
    "plex_shows": {
        "children_hydrated": "c1ddfc4bbef0c76a", "guid": "79e25f548565eff3",
        "last_seen_at": "1308b0991f53ea9b", "library__key": "38add4d5f8bb60d8",
        "rating_key": "58fb64ea398f1eeb", "rows": "60", "show__imdb_id": "21ca712277df088b",
        "show__title": "52f7ae3ac91f9979", "show__tmdb_id": "05d700e9804d3c24",
        "show__tvdb_id": "72acc8cb3d04159c", "show_digest": "8fca8b70c350024e",
        "title": "52f7ae3ac91f9979", "updated_at_plex": "65cda576dc616e88",
        "year": "1ace5f3881b7dbf5",
    },
    "shows": {
        "added_at": "2c58b85cd3dd9d24", "added_by": "b7040c3c64a0ee53",
        "artwork": "861f8d25739eb4ba", "artwork_loaded": "5f56b1f19c2f1318",
        "backdrop_path": "b7040c3c64a0ee53", "country": "b7040c3c64a0ee53",
        "ended": "2c58b85cd3dd9d24", "episodes_loaded": "5f56b1f19c2f1318",
        "facts_loaded": "5f56b1f19c2f1318", "genres": "661ec0ba419d084a",
        "imdb_id": "17758ed9bf99e154", "language": "b7040c3c64a0ee53",
        "loading_attempts": "861f8d25739eb4ba", "loading_changed_at": "c1ddfc4bbef0c76a",
        "loading_completed_at": "2c58b85cd3dd9d24", "loading_error": "b7040c3c64a0ee53",
        "loading_errors": "861f8d25739eb4ba", "loading_next_at": "c1ddfc4bbef0c76a",
        "loading_owner": "b7040c3c64a0ee53", "loading_parts": "133912dc91deab65",
        "loading_started_at": "2c58b85cd3dd9d24", "loading_status": "dd319b3d6430c49b",
        "logo_path": "b7040c3c64a0ee53", "network": "b7040c3c64a0ee53",
        "overview": "b7040c3c64a0ee53", "poster_path": "b7040c3c64a0ee53",
        "premiered": "2c58b85cd3dd9d24", "rating": "2c58b85cd3dd9d24", "rows": "60",
        "runtime": "2c58b85cd3dd9d24", "status": "b7040c3c64a0ee53", "title": "c6654b38aebad983",
        "tmdb_episodes": "2c58b85cd3dd9d24", "tmdb_fetched_at": "2c58b85cd3dd9d24",
        "tmdb_id": "52431370fccb16b7", "tmdb_jitter_days": "bb362397c8198207",
        "tmdb_loaded": "5f56b1f19c2f1318", "tmdb_season_episodes": "661ec0ba419d084a",
        "tmdb_seasons": "2c58b85cd3dd9d24", "tmdb_series_status": "b7040c3c64a0ee53",
        "tmdb_status": "1f3df221a040218b", "tvdb_id": "e2eb62a1167d083d",
        "tvmaze_id": "2c58b85cd3dd9d24", "tvmaze_updated_at": "2c58b85cd3dd9d24",
        "type": "b7040c3c64a0ee53", "web_channel": "b7040c3c64a0ee53",
    },
}
AFTER_RESCAN: dict[str, dict[str, str]] = {
    "items": {
        "digest": "e422e17649fb4333", "duration": "8946922085560c0c",
        "episode_number": "5e40bf9153e4a924", "error_count": "454ef88ab7dcc633",
        "file_path": "06fdcc116b03a609", "file_size": "21df0a967413413c",
        "first_seen_at": "495cc7fd212291a6", "guid": "f6bc5bef34cd8b2a",
        "kind": "346d02e5ae6e8adf", "last_error": "fa3460b11611f2eb",
        "last_scan_at": "fed2dd2ff9bd83cf", "last_seen_at": "ff4d37b3bab7f087",
        "library__key": "9536cd6525a05f33", "missing_since": "5d94bf2b4b1f06ff",
        "part_count": "5bde1ad5b00dc562", "plex_show__rating_key": "2d8173d4aa9eea58",
        "rating_key": "1387eb63a6cac6f5", "rows": "3301", "season_number": "451e54bc16559591",
        "state": "747abe310920c5b3", "streams_signature": "152171ab7fbb6a8b",
        "title": "3b8e08d9459ac137", "updated_at_plex": "c30d5f05ded6c0bb",
        "year": "7cdfdb7f59a74375",
    },
    "plex_shows": {
        "children_hydrated": "c1ddfc4bbef0c76a", "guid": "79e25f548565eff3",
        "last_seen_at": "25c29253f310336d", "library__key": "38add4d5f8bb60d8",
        "rating_key": "58fb64ea398f1eeb", "rows": "60", "show__imdb_id": "21ca712277df088b",
        "show__title": "52f7ae3ac91f9979", "show__tmdb_id": "05d700e9804d3c24",
        "show__tvdb_id": "72acc8cb3d04159c", "show_digest": "96131de665728aca",
        "title": "52f7ae3ac91f9979", "updated_at_plex": "b68f07992e3dea60",
        "year": "1ace5f3881b7dbf5",
    },
    "shows": {
        "added_at": "2c58b85cd3dd9d24", "added_by": "b7040c3c64a0ee53",
        "artwork": "861f8d25739eb4ba", "artwork_loaded": "5f56b1f19c2f1318",
        "backdrop_path": "b7040c3c64a0ee53", "country": "b7040c3c64a0ee53",
        "ended": "2c58b85cd3dd9d24", "episodes_loaded": "5f56b1f19c2f1318",
        "facts_loaded": "5f56b1f19c2f1318", "genres": "661ec0ba419d084a",
        "imdb_id": "17758ed9bf99e154", "language": "b7040c3c64a0ee53",
        "loading_attempts": "861f8d25739eb4ba", "loading_changed_at": "c1ddfc4bbef0c76a",
        "loading_completed_at": "2c58b85cd3dd9d24", "loading_error": "b7040c3c64a0ee53",
        "loading_errors": "861f8d25739eb4ba", "loading_next_at": "c1ddfc4bbef0c76a",
        "loading_owner": "b7040c3c64a0ee53", "loading_parts": "133912dc91deab65",
        "loading_started_at": "2c58b85cd3dd9d24", "loading_status": "dd319b3d6430c49b",
        "logo_path": "b7040c3c64a0ee53", "network": "b7040c3c64a0ee53",
        "overview": "b7040c3c64a0ee53", "poster_path": "b7040c3c64a0ee53",
        "premiered": "2c58b85cd3dd9d24", "rating": "2c58b85cd3dd9d24", "rows": "60",
        "runtime": "2c58b85cd3dd9d24", "status": "b7040c3c64a0ee53", "title": "c6654b38aebad983",
        "tmdb_episodes": "2c58b85cd3dd9d24", "tmdb_fetched_at": "2c58b85cd3dd9d24",
        "tmdb_id": "52431370fccb16b7", "tmdb_jitter_days": "bb362397c8198207",
        "tmdb_loaded": "5f56b1f19c2f1318", "tmdb_season_episodes": "661ec0ba419d084a",
        "tmdb_seasons": "2c58b85cd3dd9d24", "tmdb_series_status": "b7040c3c64a0ee53",
        "tmdb_status": "1f3df221a040218b", "tvdb_id": "e2eb62a1167d083d",
        "tvmaze_id": "2c58b85cd3dd9d24", "tvmaze_updated_at": "2c58b85cd3dd9d24",
        "type": "b7040c3c64a0ee53", "web_channel": "b7040c3c64a0ee53",
    },
}


def _assert_same(got: dict[str, dict[str, str]], want: dict[str, dict[str, str]]) -> None:
    moved = [f"{table}.{column}" for table, columns in want.items()
             for column, value in columns.items() if got[table].get(column) != value]
    assert not moved, f"columns that differ from the pinned ingest: {moved}"
    assert got == want


def test_it_writes_the_same_rows_on_a_first_ingest(fake):
    _ingest(fake)
    _assert_same(dump(), FIRST_INGEST)


def test_it_writes_the_same_rows_after_an_incremental_rescan(fake):
    tv, _ = _ingest(fake)
    _edit(fake)
    done = scan(tv, fake, at(timedelta(hours=2)))
    assert done.summary["mode"] == "incremental" and done.summary["complete"]
    _assert_same(dump(), AFTER_RESCAN)
