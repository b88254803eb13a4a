"""Deterministic generator of TVMaze-shaped shows for the TVMaze fake.

Shows are kept as small slotted records (not dicts), each built from 32 random bytes, so
100,000 of them generate in well under a second. ``tvmaze_render`` turns them into JSON.
"""

from __future__ import annotations

import random
from typing import Any

API = "https://api.tvmaze.com"
SITE = "https://www.tvmaze.com"
STATIC = "https://static.tvmaze.com/uploads/images"
DAY = 86_400
EPISODES_PER_SHOW_MAX = 100  # episode ids are show_id * 100 + seq

_US = {"name": "United States", "code": "US", "timezone": "America/New_York"}
_GB = {"name": "United Kingdom", "code": "GB", "timezone": "Europe/London"}
_JP = {"name": "Japan", "code": "JP", "timezone": "Asia/Tokyo"}
_KR = {"name": "Korea, Republic of", "code": "KR", "timezone": "Asia/Seoul"}
_FR = {"name": "France", "code": "FR", "timezone": "Europe/Paris"}
_DE = {"name": "Germany", "code": "DE", "timezone": "Europe/Berlin"}
_CA = {"name": "Canada", "code": "CA", "timezone": "America/Halifax"}

NETWORKS: tuple[dict[str, Any], ...] = tuple(
    {"id": i, "name": n, "country": c, "officialSite": site}
    for i, n, c, site in (
        (1, "NBC", _US, "https://www.nbc.com/"),
        (2, "CBS", _US, "https://www.cbs.com/"),
        (3, "ABC", _US, "https://abc.com/"),
        (4, "FOX", _US, "https://www.fox.com/"),
        (5, "The CW", _US, "https://www.cwtv.com/"),
        (8, "HBO", _US, "https://www.hbo.com/"),
        (12, "BBC One", _GB, "https://www.bbc.co.uk/bbcone"),
        (35, "ITV1", _GB, None),
        (129, "NHK", _JP, None),
        (156, "KBS2", _KR, None),
        (47, "TF1", _FR, None),
        (145, "Das Erste", _DE, None),
        (70, "CBC", _CA, "https://www.cbc.ca/"),
    )
)
WEB_CHANNELS: tuple[dict[str, Any], ...] = tuple(
    {"id": i, "name": n, "country": c, "officialSite": site}
    for i, n, c, site in (
        (1, "Netflix", None, "https://www.netflix.com/"),
        (3, "Amazon Prime Video", None, "https://www.primevideo.com/"),
        (287, "Disney+", None, "https://www.disneyplus.com/"),
        (310, "Apple TV+", None, "https://tv.apple.com/"),
        (2, "Hulu", _US, "https://www.hulu.com/"),
        (107, "BBC iPlayer", _GB, "https://www.bbc.co.uk/iplayer"),
        (329, "Paramount+", _US, None),
        (93, "TVING", _KR, None),
    )
)
_GLOBAL_WEB = tuple(w for w in WEB_CHANNELS if w["country"] is None)
_LOCAL_WEB = tuple(w for w in WEB_CHANNELS if w["country"] is not None)

# Titles read like a real listing: "Silent Harbor", "Brooklyn Hospital", "Maggie's Kitchen",
# "The Lawyers"; ~2% non-Latin or accented originals. `generate` keeps every name unique the
# way TVMaze does, with the premiere year (and then the country) in brackets.
_ADJ = ("The Last", "Dark", "Silent", "Little", "Brave", "Lost", "Hidden", "Golden", "Wild",
        "Broken", "Secret", "Northern", "Midnight", "Crimson", "Quiet", "Electric", "Savage",
        "Perfect", "Modern", "Royal", "Endless", "Bitter", "Sweet", "Young", "Restless",
        "Distant", "Frozen", "Burning", "Hollow", "Lucky", "Naïve", "Über")
_NOUN = ("Harbor", "Kingdom", "Detectives", "Family", "Hospital", "Frontier", "Empire",
         "Island", "Academy", "Witness", "Signal", "Garden", "Station", "Lawyers", "Dragons",
         "Ranch", "Kitchen", "Orbit", "Files", "Street", "Heights", "Shore", "Bureau", "Motel",
         "Precinct", "Sisters", "Brothers", "Crossing", "Valley", "Lighthouse", "Circus",
         "Frequency", "Protocol", "Horizon", "Manor", "Tides", "Patrol", "Diaries",
         "Affair", "Saints")
_PLACE = ("Brooklyn", "Boston", "Lisbon", "Oslo", "Dublin", "Havana", "Marseille", "Yukon",
          "Glasgow", "Memphis", "Sydney", "Vienna", "Nairobi", "Québec", "Kyoto", "Seoul",
          "Bristol", "Tulsa", "Reno", "Galway", "Cairo", "Bergen", "Tangier", "Montréal",
          "Malmö", "Napoli", "Chicago", "Alaska", "Cornwall", "Texas")
_PEOPLE = ("Maggie", "Harper", "Jonah", "Rosa", "Finn", "Ada", "Walter", "Lena", "Otis",
           "Marisol", "Frankie", "Bea", "Dmitri", "Nora", "Teddy", "Yuki")
_UNICODE = ("深夜食堂", "半沢直樹", "東京ラブストーリー", "사랑의 불시착", "오징어 게임",
            "Мастер и Маргарита", "La Casa de Papel", "Élite", "Ça commence aujourd'hui",
            "Tatort: Münster",
            "🔥 Hot Ones", "Space 🚀 Cadets", "Cuisine 🍜 Nocturne", "Ψυχή", "Şahsiyet")
_TYPES = ("Scripted",) * 6 + ("Reality", "Documentary", "Animation", "Talk Show", "News",
                              "Game Show", "Variety", "Sports")
_LANGS = ("English",) * 7 + ("Japanese", "Korean", "French", "German", "Spanish")
_GENRES = ("Drama", "Comedy", "Action", "Crime", "Science-Fiction", "Thriller", "Romance",
           "Fantasy", "Horror", "Mystery", "Family", "Anime", "History", "Medical", "Legal")
_STATUS = ("Running",) * 6 + ("Ended",) * 11 + ("To Be Determined",) * 2 + ("In Development",)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SCHEDULES: tuple[dict[str, Any], ...] = (
    *({"time": t, "days": [d]} for d in _DAYS for t in ("20:00", "21:00", "")),
    {"time": "", "days": []},
)
_SUMMARIES = (
    "<p>A small town keeps a big secret, and one stubborn newcomer means to find it.</p>",
    "<p>Rival families fight for a crumbling empire — and for each other.</p>",
    "<p>Détectives à Paris, cases nobody else will touch.</p>",
    "<p>夜の食堂に集まる人々の物語。</p>",
    "<p>Four friends, one kitchen, no budget.</p>",
    "",
    None,
)
EPISODE_TITLES = ("Pilot", "The Return", "Crossroads", "Zero Hour", "Ghosts", "Homecoming",
                  "Fault Lines", "Aftermath", "Déjà Vu", "夜明け", "Lights Out", "Endgame")
# What `malform(kind=...)` puts in place of a field ("id" removes it instead).
MALFORMED: dict[str, Any] = {"runtime": "sixty", "genres": "Drama", "updated": "yesterday",
                             "externals": [279121], "premiered": "someday"}
_RUNTIMES = (22, 30, 45, 60, 60, 60, 90)
_GENRE_SETS: tuple[tuple[str, ...], ...] = (
    (),
    *((g,) for g in _GENRES),
    *((a, b) for a in _GENRES[:8] for b in _GENRES[8:]),
    *zip(_GENRES, _GENRES[3:], _GENRES[7:], strict=False),
)


class ShowRec:
    """One generated show; fields mirror the JSON it renders to (mutable for test mutations)."""

    __slots__ = ("average_runtime", "ended", "genres", "id", "image", "imdb", "language",
                 "malformed", "name", "network", "official_site", "per_season", "premiered",
                 "rating", "runtime", "schedule", "seasons", "status", "summary", "tvdb",
                 "tvrage", "type", "updated", "web", "weight")

    def __init__(self, show_id: int, name: str, updated: int) -> None:
        self.id, self.name, self.updated = show_id, name, updated
        self.malformed: str | None = None

    @property
    def episode_count(self) -> int:
        return self.seasons * self.per_season


def tvdb_for(show_id: int) -> int:
    """A unique, plausible TheTVDB id per TVMaze id (a bijection below 1,000,003)."""
    return 70_000 + (show_id * 7_919) % 1_000_003


def imdb_for(show_id: int) -> str:
    """A unique IMDb id per TVMaze id (a bijection below 9,000,011)."""
    return f"tt{100_000 + (show_id * 104_729) % 9_000_011:07d}"


def _name(b: bytes) -> str:
    roll, noun = b[0], _NOUN[b[1] % len(_NOUN)]
    if roll < 6:  # ~2%: CJK, Cyrillic, Greek, emoji, accented originals
        return _UNICODE[b[1] % len(_UNICODE)]
    if roll < 120:
        return f"{_ADJ[b[2] % len(_ADJ)]} {noun}"
    if roll < 190:
        return f"{_PLACE[b[3] % len(_PLACE)]} {noun}"
    if roll < 230:
        return f"{_PEOPLE[b[2] % len(_PEOPLE)]}'s {noun}"
    return f"The {noun}"


def unique_name(show: ShowRec, taken: set[str]) -> str:
    """The show's name, or (as TVMaze does for remakes) the name with its premiere year,
    then its country, then a number in brackets: the first one no other show has."""
    base = show.name
    year = (show.premiered or "")[:4]
    country = ((show.network or show.web or {}).get("country") or {}).get("code")
    for extra in (None, year, country, f"{year} {country}" if year and country else None):
        name = f"{base} ({extra})" if extra else base
        if name not in taken:
            return name
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def _channel(roll: int, pick: int) -> tuple[Any, Any]:
    """~15% web-only (half of them global streamers without a country), ~2% neither."""
    if roll < 19:
        return None, _GLOBAL_WEB[pick % len(_GLOBAL_WEB)]
    if roll < 38:
        return None, _LOCAL_WEB[pick % len(_LOCAL_WEB)]
    if roll < 43:
        return None, None
    return NETWORKS[pick % len(NETWORKS)], None


def _updated(roll: int, age: int, now: int) -> int:
    """~1% changed today, ~4% this week, ~10% this month, the rest up to three years ago."""
    if roll < 3:
        return now - age % DAY
    if roll < 13:
        return now - DAY - age % (6 * DAY)
    if roll < 39:
        return now - 7 * DAY - age % (23 * DAY)
    return now - 30 * DAY - age % (1065 * DAY)


RECORD_BYTES = 32  # random bytes drawn per candidate id


def make_show(b: bytes, show_id: int, now: int) -> ShowRec:
    """Build one show from 32 random bytes (byte-indexing keeps 100k shows well under 1 s)."""
    s = ShowRec(show_id, _name(b), _updated(b[4], int.from_bytes(b[5:9]), now))
    s.network, s.web = _channel(b[9], b[10])
    runtime = _RUNTIMES[b[12] % len(_RUNTIMES)]
    s.runtime = None if b[11] < 31 else runtime  # ~10% only averageRuntime, ~2% neither
    s.average_runtime = None if 26 <= b[11] < 31 else runtime
    s.status = _STATUS[b[13] % len(_STATUS)]
    year, s.seasons, s.per_season = 1960 + b[14] % 65, 1 + (b[15] & 15) % 6, 3 + (b[15] >> 4) % 8
    s.premiered = None if b[30] < 8 else f"{year}-{1 + b[16] % 12:02d}-{1 + b[17] % 28:02d}"
    s.ended = f"{year + s.seasons}-05-{10 + b[18] % 18}" if s.status == "Ended" else None
    s.type, s.language = _TYPES[b[19] % len(_TYPES)], _LANGS[b[20] % len(_LANGS)]
    s.genres = _GENRE_SETS[b[21] % len(_GENRE_SETS)]
    s.official_site = f"https://example.tv/shows/{show_id}" if b[22] < 154 else None
    s.schedule = SCHEDULES[b[23] % len(SCHEDULES)]
    s.rating = (40 + b[25] % 57) / 10 if b[24] < 210 else None
    s.weight, s.summary = b[26] % 101, _SUMMARIES[b[27] % len(_SUMMARIES)]
    externals = b[28] >= 26  # ~10% without thetvdb/imdb
    s.tvrage = show_id + 20_000 if externals and show_id < 50_000 else None
    s.tvdb = tvdb_for(show_id) if externals else None
    s.imdb = imdb_for(show_id) if externals else None
    s.image = show_id * 3 + 1 if b[29] >= 20 else None
    return s


def generate(rng: random.Random, first_id: int, count: int, now: int,
             taken: set[str] | None = None) -> list[ShowRec]:
    """``count`` shows with ids from ``first_id`` up, ~3% of ids skipped (deleted shows),
    each with a name no other has."""
    shows: list[ShowRec] = []
    taken = set() if taken is None else taken  # no two shows share a name, at any count
    show_id = first_id
    while len(shows) < count:
        block = rng.randbytes(RECORD_BYTES * (count - len(shows) + 16))
        for offset in range(0, len(block), RECORD_BYTES):
            if len(shows) == count:
                break
            chunk = block[offset:offset + RECORD_BYTES]
            if chunk[31] >= 8:  # ~3% of ids were deleted upstream
                show = make_show(chunk, show_id, now)
                show.name = unique_name(show, taken)
                taken.add(show.name)
                shows.append(show)
            show_id += 1
    return shows
