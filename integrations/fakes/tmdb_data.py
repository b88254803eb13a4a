"""Deterministic TMDB TV records for the TMDB fake, rendered in the recorded ``tv_1399`` shape.

Records are seeded from ``(tvdb_id, imdb_id, title)`` triples, by default the ones the TVMaze
fake generates for the same ``count``/``seed``, so both fakes describe the same shows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

DAY = 86_400
STATUSES = ("Returning Series",) * 3 + ("Ended",) * 5 + ("Canceled", "In Production",
                                                          "Planned", "Pilot")
TYPES = ("Scripted",) * 5 + ("Reality", "Documentary", "Miniseries", "News", "Talk Show")
GENRES = ((18, "Drama"), (35, "Comedy"), (80, "Crime"), (10759, "Action & Adventure"),
          (10765, "Sci-Fi & Fantasy"), (9648, "Mystery"), (16, "Animation"), (99, "Documentary"),
          (10751, "Family"), (37, "Western"))
NETWORKS = ((49, "/tuomPhY2UtuPTqqFnKMVHvSb724.png", "HBO", "US"), (6, None, "NBC", "US"),
            (213, "/wwemzKWzjKYJFfCeiB57q3r4Bcm.png", "Netflix", ""), (4, None, "BBC One", "GB"),
            (1024, None, "Prime Video", ""), (71, None, "The CW", "US"), (614, None, "NHK", "JP"),
            (866, None, "KBS2", "KR"))
LANGS = (("en", "English"), ("en", "English"), ("ja", "日本語"), ("ko", "한국어/조선말"),
         ("fr", "Français"), ("de", "Deutsch"), ("es", "Español"))


class TvRec:
    """One generated TMDB show (mutable so tests can change it between runs)."""

    __slots__ = ("changed", "first_air", "genres", "id", "imdb", "lang", "name", "network",
                 "per_season", "popularity", "runtime", "seasons", "specials", "status",
                 "tvdb", "type", "vote")

    def __init__(self, tmdb_id: int, tvdb: int | None, imdb: str | None, name: str,
                 b: bytes, now: int) -> None:
        self.id, self.tvdb, self.imdb, self.name = tmdb_id, tvdb, imdb, name
        self.status, self.type = STATUSES[b[0] % len(STATUSES)], TYPES[b[1] % len(TYPES)]
        self.first_air = date(1960 + b[2] % 64, 1 + b[3] % 12, 1 + b[4] % 28)
        self.seasons, self.per_season = 1 + b[5] % 8, 4 + b[6] % 10
        self.specials = b[7] < 64
        self.genres = tuple(GENRES[i % len(GENRES)] for i in (b[8], b[8] + 3)[: 1 + b[9] % 2])
        self.network = NETWORKS[b[10] % len(NETWORKS)]
        self.lang = LANGS[b[11] % len(LANGS)]
        self.runtime = (22, 30, 45, 60)[b[12] % 4] if b[13] < 96 else None  # often []
        self.popularity = round(int.from_bytes(b[14:17]) / 16_777_216 * 600, 3)
        self.vote = round(b[17] / 255 * 10, 3)
        self.changed = now - int.from_bytes(b[18:22]) % (60 * DAY)


def generate(seeds: Sequence[tuple[int | None, str | None, str]], rng: random.Random,
             now: int, *, first_id: int = 100) -> list[TvRec]:
    """One TMDB show per seed (ids ascending, ~3% of seeds absent from TMDB), plus a
    duplicate entry sharing the tvdb id for every 97th seed (so ``/find`` can match two)."""
    block = rng.randbytes(32 * len(seeds))
    recs: list[TvRec] = []
    for index, (tvdb, imdb, name) in enumerate(seeds):
        b = block[32 * index: 32 * index + 32]
        if b[31] < 8:
            continue
        recs.append(TvRec(first_id + 5 * index + b[30] % 4, tvdb, imdb, name, b, now))
        if tvdb is not None and index % 97 == 50:
            recs.append(TvRec(first_id + 5 * index + 4, tvdb, None, f"{name} (1998)", b, now))
    return recs


def _season_air(rec: TvRec, number: int) -> str:
    return (rec.first_air + timedelta(days=365 * max(0, number - 1))).isoformat()


def seasons(rec: TvRec) -> list[dict[str, Any]]:
    """The ``seasons`` summaries of ``/tv/{id}`` (season 0 "Specials" for some shows)."""
    return [{"air_date": _season_air(rec, n), "episode_count": rec.per_season,
            "id": rec.id * 20 + n, "name": f"Season {n}" if n else "Specials", "overview": "",
            "poster_path": f"/s{rec.id}x{n}.jpg", "season_number": n,
            "vote_average": 0 if n == 0 else rec.vote}
            for n in range(0 if rec.specials else 1, rec.seasons + 1)]


def external_ids(rec: TvRec) -> dict[str, Any]:
    """The ``/tv/{id}/external_ids`` object (any value may be null)."""
    return {"id": rec.id, "imdb_id": rec.imdb, "freebase_mid": None, "freebase_id": None,
            "tvdb_id": rec.tvdb, "tvrage_id": None,
            "wikidata_id": f"Q{rec.id * 7}" if rec.id % 2 else None,
            "facebook_id": None, "instagram_id": None, "twitter_id": None}


def tv(rec: TvRec) -> dict[str, Any]:
    """``/tv/{id}`` in the field set and order of the recorded ``tv_1399.json``."""
    last_season = rec.first_air + timedelta(days=365 * (rec.seasons - 1))
    last_air = last_season + timedelta(days=7 * (rec.per_season - 1))
    network_id, logo, network, country = rec.network
    running = rec.status in ("Returning Series", "In Production")
    return {
        "adult": False, "backdrop_path": f"/b{rec.id}.jpg", "created_by": [],
        "episode_run_time": [rec.runtime] if rec.runtime else [],
        "first_air_date": rec.first_air.isoformat(),
        "genres": [{"id": gid, "name": gname} for gid, gname in rec.genres],
        "homepage": "", "id": rec.id, "in_production": running,
        "languages": [rec.lang[0]], "last_air_date": last_air.isoformat(),
        "last_episode_to_air": {
            "id": rec.id * 1000 + rec.seasons * 50 + rec.per_season, "name": "Finale",
            "overview": "", "vote_average": rec.vote, "vote_count": 3,
            "air_date": last_air.isoformat(), "episode_number": rec.per_season,
            "episode_type": "finale" if not running else "standard", "production_code": "",
            "runtime": rec.runtime, "season_number": rec.seasons, "show_id": rec.id,
            "still_path": None},
        "name": rec.name, "next_episode_to_air": None,
        "networks": [{"id": network_id, "logo_path": logo, "name": network,
                      "origin_country": country}],
        "number_of_episodes": rec.seasons * rec.per_season, "number_of_seasons": rec.seasons,
        "origin_country": [country] if country else [], "original_language": rec.lang[0],
        "original_name": rec.name, "overview": f"The story of {rec.name}.",
        "popularity": rec.popularity, "poster_path": f"/p{rec.id}.jpg",
        "production_companies": [], "production_countries": [], "seasons": seasons(rec),
        "spoken_languages": [{"english_name": rec.lang[1], "iso_639_1": rec.lang[0],
                              "name": rec.lang[1]}],
        "status": rec.status, "tagline": "", "type": rec.type, "vote_average": rec.vote,
        "vote_count": int(rec.popularity) * 3,
    }


def find_entry(rec: TvRec) -> dict[str, Any]:
    """A ``tv_results`` entry of ``/find`` (shape of the recorded find_72023)."""
    return {"backdrop_path": f"/b{rec.id}.jpg", "id": rec.id, "name": rec.name,
            "original_name": rec.name, "overview": f"The story of {rec.name}.",
            "poster_path": f"/p{rec.id}.jpg", "media_type": "tv", "adult": False,
            "original_language": rec.lang[0], "genre_ids": [g for g, _ in rec.genres],
            "popularity": rec.popularity, "first_air_date": rec.first_air.isoformat(),
            "vote_average": rec.vote, "vote_count": int(rec.popularity) * 3,
            "origin_country": [rec.network[3]] if rec.network[3] else []}


def unrelated_episode(tvdb_id: int) -> dict[str, Any]:
    """A ``tv_episode_results`` hit of another show, as TVDB ids collide across kinds."""
    return {"id": 1_000_000 + tvdb_id, "name": "Indiscretion", "overview": "",
            "media_type": "tv_episode", "vote_average": 7.4, "vote_count": 24,
            "air_date": "1995-10-23", "episode_number": 5, "episode_type": "standard",
            "production_code": "", "runtime": 45, "season_number": 4, "show_id": 580,
            "still_path": None}
