"""Deterministic data for the Sonarr fake: the lookup catalogue and the static resources.

Lookup items carry the v3/v4 field set described in API_NOTES.md (the recorded legacy lookup
``legacy_series_lookup_tvdb.json`` without its v2-only ``profileId``/``seasonCount``, plus
``ended``, ``folder``, ``remoteUrl`` and ``statistics``; v4 adds ``originalLanguage``,
``tmdbId``, ``lastAired``, ``monitorNewItems``). Tvdb 81189 is the recorded Breaking Bad.
"""

from __future__ import annotations

import copy
import json
import random
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent.parent / "recorded" / "sonarr"
ARTWORK = "https://artworks.thetvdb.com/banners"

_ADJ = ("The Last", "Dark", "Silent", "Little", "Brave", "Lost", "Hidden", "Golden", "Wild",
        "Broken", "Secret", "Northern", "Midnight", "Crimson", "Électrique", "Señor", "Über")
_NOUN = ("Harbor", "Kingdom", "Detectives", "Family", "Hospital", "Frontier", "Empire", "Island",
         "Academy", "Witness", "Signal", "Garden", "Station", "Lawyers", "Dragons", "Ranch")
_UNICODE = ("深夜食堂", "半沢直樹", "사랑의 불시착", "Мастер и Маргарита", "La Casa de Papel",
            "Ça commence aujourd'hui", "Tatort: Münster", "Space 🚀 Cadets", "Şahsiyet")
_NETWORKS = ("NBC", "CBS", "ABC", "FOX", "HBO", "BBC One", "Netflix", "Hulu", "NHK", "AMC", None)
_GENRES = ("Drama", "Comedy", "Action", "Crime", "Science Fiction", "Thriller", "Romance",
           "Fantasy", "Horror", "Mystery", "Animation", "Documentary", "Reality")
_CERTS = ("TV-14", "TV-MA", "TV-PG", "TV-Y7", None)
_SLUG = re.compile(r"[^a-z0-9]+")
_FOLDER_BAD = re.compile(r'[<>:"/\\|?*]')


def recorded(name: str) -> Any:
    """A fresh copy of one recorded payload."""
    return copy.deepcopy(_load(name))


@cache
def _load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def tvdb_for(index: int) -> int:
    """The i-th generated tvdb id (same bijection as the TVMaze fake's ``thetvdb`` ids)."""
    return 70_000 + (index * 7_919) % 1_000_003


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return _SLUG.sub("-", text).strip("-")


def clean_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).lower()
    return "".join(ch for ch in text if ch.isalnum())


def sort_title(title: str) -> str:
    lowered = title.lower()
    for article in ("the ", "a ", "an "):
        if lowered.startswith(article):
            return lowered[len(article):]
    return lowered


def folder_name(title: str) -> str:
    return _FOLDER_BAD.sub("", title).strip().rstrip(".") or "Unknown"


class Entry:
    """One catalogue series: identity plus a slug and folder unique within the catalogue
    (SkyHook disambiguates same-titled series, so they never clash on a path or slug)."""

    __slots__ = ("folder", "slug", "title", "tvdb_id", "year")

    def __init__(self, tvdb_id: int, title: str, year: int | None, slug: str,
                 folder: str) -> None:
        self.tvdb_id, self.title, self.year = tvdb_id, title, year
        self.slug, self.folder = slug, folder


def build_catalog(catalog: Iterable[tuple[int, str, int | None]] | None, seed: int,
                  size: int) -> dict[int, Entry]:
    """The lookup catalogue: the given triples, or Breaking Bad plus ``size`` generated ones."""
    triples: list[tuple[int, str, int | None]]
    if catalog is not None:
        triples = [(int(t), str(title), year) for t, title, year in catalog]
    else:
        rng = random.Random(seed)
        triples = [(81189, "Breaking Bad", 2008)]
        triples += [(tvdb_for(i), _title(rng), rng.randint(1960, 2025)) for i in range(1, size)]
    entries: dict[int, Entry] = {}
    slugs: set[str] = set()
    folders: set[str] = set()
    for tvdb_id, title, year in triples:
        if tvdb_id in entries:  # first one wins (e.g. a generated id equal to 81189)
            continue
        slug = _unique(slugify(title) or str(tvdb_id), "-{}", year, tvdb_id, slugs)
        folder = _unique(folder_name(title), " ({})", year, tvdb_id, folders)
        entries[tvdb_id] = Entry(tvdb_id, title, year, slug, folder)
    return entries


def _unique(base: str, suffix: str, year: int | None, tvdb_id: int, used: set[str]) -> str:
    """``base``, else ``base`` plus the year, else plus the tvdb id; remembered in ``used``."""
    candidates = (base, base + suffix.format(year), base + suffix.format(tvdb_id))
    chosen = next(c for c in candidates if c not in used)
    used.add(chosen)
    return chosen


def _title(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(_UNICODE)
    if roll < 0.6:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    return rng.choice(_NOUN) if roll < 0.8 else f"{rng.choice(_NOUN)} {rng.randint(1, 99)}"


_V4_ONLY = ("originalLanguage", "monitorNewItems", "tmdbId", "lastAired")


def lookup_item(entry: Entry, *, v4: bool) -> dict[str, Any]:
    """What SkyHook-backed ``series/lookup`` answers for a series not in the library."""
    if entry.tvdb_id == 81189 and entry.title == "Breaking Bad":
        details = _recorded_details()
    else:
        details = _generated_details(entry)
    seasons = details["seasons"]
    item: dict[str, Any] = {
        "title": entry.title, "sortTitle": sort_title(entry.title),
        "status": details["status"], "ended": details["status"] == "ended",
        "overview": details["overview"], "network": details["network"],
        "airTime": details["airTime"], "images": details["images"],
        "originalLanguage": {"id": 1, "name": "English"},
        "remotePoster": details["remotePoster"], "seasons": seasons,
        "year": entry.year or 0, "qualityProfileId": 0,
        "languageProfileId": 1 if v4 else 0,  # v4 always reports 1
        "seasonFolder": False, "monitored": True, "monitorNewItems": "all",
        "useSceneNumbering": False, "runtime": details["runtime"], "tvdbId": entry.tvdb_id,
        "tvRageId": details["tvRageId"], "tvMazeId": details["tvMazeId"],
        "tmdbId": details["tmdbId"], "firstAired": details["firstAired"],
        "lastAired": details["lastAired"], "seriesType": "standard",
        "cleanTitle": clean_title(entry.title), "imdbId": details["imdbId"],
        "titleSlug": entry.slug, "folder": entry.folder,
        "certification": details["certification"], "genres": details["genres"], "tags": [],
        "added": "0001-01-01T00:00:00Z", "ratings": details["ratings"],
        "statistics": statistics(len([s for s in seasons if s["seasonNumber"]])),
    }
    if not v4:
        for key in _V4_ONLY:
            del item[key]
    return item


def statistics(season_count: int) -> dict[str, Any]:
    return {"seasonCount": season_count, "episodeFileCount": 0, "episodeCount": 0,
            "totalEpisodeCount": 0, "sizeOnDisk": 0, "percentOfEpisodes": 0.0}


def _images(urls: dict[str, str]) -> list[dict[str, str]]:
    return [{"coverType": kind, "url": url, "remoteUrl": url} for kind, url in urls.items()]


def _recorded_details() -> dict[str, Any]:
    item = recorded("legacy_series_lookup_tvdb.json")[0]
    keys = ("status", "overview", "network", "airTime", "remotePoster", "seasons", "runtime",
            "tvRageId", "tvMazeId", "firstAired", "imdbId", "certification", "genres", "ratings")
    details = {key: item[key] for key in keys}
    details["images"] = _images({i["coverType"]: i["url"] for i in item["images"]})
    details.update(tmdbId=1396, lastAired="2013-09-29T00:00:00Z")
    return details


def _generated_details(entry: Entry) -> dict[str, Any]:
    rng = random.Random(f"sonarr:{entry.tvdb_id}")
    year = entry.year or 0
    status = rng.choice(("continuing", "ended", "ended", "upcoming") if year else ("upcoming",))
    seasons = 0 if status == "upcoming" else rng.randint(1, 8)
    poster = f"{ARTWORK}/posters/{entry.tvdb_id}-1.jpg"
    urls = {"banner": f"{ARTWORK}/graphical/{entry.tvdb_id}-g.jpg", "poster": poster,
            "fanart": f"{ARTWORK}/fanart/original/{entry.tvdb_id}-1.jpg"}
    first = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z" if year else None
    last = None
    if status == "ended" and year:
        last = f"{year + seasons}-{rng.randint(1, 12):02d}-01T00:00:00Z"
    return {
        "status": status, "overview": f"Generated series {entry.tvdb_id}: {entry.title}.",
        "network": rng.choice(_NETWORKS),
        "airTime": f"{rng.randint(17, 23):02d}:{rng.choice((0, 30)):02d}" if seasons else None,
        "images": _images(urls), "remotePoster": poster,
        "seasons": [{"seasonNumber": n, "monitored": n > 0} for n in range(seasons + 1)
                    if seasons],
        "runtime": rng.choice((0, 22, 25, 30, 42, 45, 60)),
        "tvRageId": 0 if rng.random() < 0.6 else rng.randint(1, 50_000),
        "tvMazeId": 0 if rng.random() < 0.1 else rng.randint(1, 90_000),
        "tmdbId": 0 if rng.random() < 0.1 else rng.randint(1, 250_000),
        "firstAired": first, "lastAired": last,
        "imdbId": None if rng.random() < 0.12 else f"tt{rng.randint(100_000, 9_999_999):07d}",
        "certification": rng.choice(_CERTS),
        "genres": sorted(rng.sample(_GENRES, rng.randint(0, 3))),
        "ratings": {"votes": rng.randint(0, 50_000), "value": round(rng.uniform(0, 10), 1)},
    }


def system_status(version: str, *, v4: bool) -> dict[str, Any]:
    """The recorded v3 status with this version; for v4 the .NET fields replace Mono's."""
    status = recorded("system_status_v3.json")
    status["version"] = version
    status["packageVersion"] = f"{version}-ls1"
    if not v4:
        return status
    for key in ("isMono", "isMonoRuntime", "sqliteVersion"):
        status.pop(key, None)
    status.update(isNetCore=True, isDocker=True, runtimeName="netCore", runtimeVersion="6.0.35",
                  databaseType="sqLite", databaseVersion="3.45.3", migrationVersion=216)
    return status


def quality_profiles(*, v4: bool) -> list[dict[str, Any]]:
    """The recorded "Any" profile plus Sonarr's other defaults (same qualities)."""
    base = recorded("qualityprofile_v3.json")[0]
    profiles = []
    for pid, name in ((1, "Any"), (2, "SD"), (3, "HD-720p"), (4, "HD-1080p"), (5, "Ultra-HD")):
        profile = copy.deepcopy(base)
        profile.update(name=name, id=pid)
        if v4:
            profile.update(minFormatScore=0, cutoffFormatScore=0, minUpgradeFormatScore=1,
                           formatItems=[])
        profiles.append(profile)
    return profiles


V4_LANGUAGE_STUB = {"name": "Deprecated", "upgradeAllowed": True,
                    "cutoff": {"id": 1, "name": "English"},
                    "languages": [{"language": {"id": 1, "name": "English"}, "allowed": True}],
                    "id": 1}


def language_profiles(*, v4: bool) -> list[dict[str, Any]]:
    if v4:
        return [copy.deepcopy(V4_LANGUAGE_STUB)]
    english = {"id": 1, "name": "English"}
    return [{"name": "English", "upgradeAllowed": False, "cutoff": english,
             "languages": [{"language": english, "allowed": True},
                           {"language": {"id": 8, "name": "Japanese"}, "allowed": False}],
             "id": 1}]


def root_folders() -> list[dict[str, Any]]:
    """The recorded root folder plus a second one for anime."""
    folders = recorded("rootfolder_v3.json")
    folders.append({"path": "/anime", "accessible": True, "freeSpace": 812_345_678_912,
                    "unmappedFolders": [], "id": 4})
    return folders
