"""Render generated TVMaze records as the JSON the real API serves.

The field set and order are those of the recorded ``show_13_embed_seasons.json`` plus the
newer averageRuntime, ended, dvdCountry, network.officialSite and ``_links.*.name``.
``show_json`` is hand-assembled from pre-serialized parts because the fake renders 100,000
shows per index walk; ``show_obj`` (for embedding) is derived from it, so both agree.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from integrations.fakes.tvmaze_data import (
    API,
    EPISODE_TITLES,
    EPISODES_PER_SHOW_MAX,
    MALFORMED,
    NETWORKS,
    SCHEDULES,
    SITE,
    STATIC,
    WEB_CHANNELS,
    ShowRec,
)

__all__ = ["dumps", "episode_objs", "season_objs", "show_json", "show_obj", "slug"]

_SLUG = re.compile(r"[^a-z0-9]+")
_SLUGS: dict[str, str] = {}


def slug(name: str) -> str:
    """URL slug of a title, memoised (titles repeat a lot across generated shows)."""
    text = _SLUGS.get(name)
    if text is None:
        text = _SLUGS[name] = _SLUG.sub("-", name.lower()).strip("-") or "show"
    return text


def show_obj(s: ShowRec) -> dict[str, Any]:
    """The show as a dict (for embedding); the same JSON the index serves."""
    return json.loads(show_json(s))


def _premiere(s: ShowRec) -> date:
    return date.fromisoformat(s.premiered) if s.premiered else date(2000, 1, 3)


def episode_objs(s: ShowRec, *, specials: bool = False) -> list[dict[str, Any]]:
    """Every episode of a show, in airing order; a special follows season 1 when asked."""
    start, slug_ = _premiere(s), slug(s.name)
    episodes = []
    seq = 0
    for season in range(1, s.seasons + 1):
        for number in range(1, s.per_season + 1):
            seq += 1
            aired = start + timedelta(days=365 * (season - 1) + 7 * (number - 1))
            episodes.append(_episode(s, slug_, seq, season, number, aired))
        if season == 1 and specials and s.id % 3 == 0:
            aired = start + timedelta(days=7 * s.per_season)
            episodes.append(_episode(s, slug_, EPISODES_PER_SHOW_MAX - 1, 1, None, aired))
    return episodes


def _episode(s: ShowRec, slug_: str, seq: int, season: int, number: int | None,
             aired: date) -> dict[str, Any]:
    episode_id = s.id * EPISODES_PER_SHOW_MAX + seq
    stamp = datetime(aired.year, aired.month, aired.day, 1, tzinfo=UTC)
    label = f"{season}x{number:02d}" if number else f"{season}x00"
    return {
        "id": episode_id, "url": f"{SITE}/episodes/{episode_id}/{slug_}-{label}",
        "name": EPISODE_TITLES[(s.id * 31 + seq) % len(EPISODE_TITLES)], "season": season,
        "number": number, "type": "regular" if number else "significant_special",
        "airdate": aired.isoformat(), "airtime": "20:00",
        "airstamp": stamp.isoformat(), "runtime": s.runtime or s.average_runtime,
        "rating": {"average": None}, "image": None, "summary": None,
        "_links": {"self": {"href": f"{API}/episodes/{episode_id}"},
                   "show": {"href": f"{API}/shows/{s.id}", "name": s.name}},
    }


def season_objs(s: ShowRec) -> list[dict[str, Any]]:
    """``_embedded.seasons`` entries in the recorded shape."""
    start = _premiere(s)
    seasons = []
    for number in range(1, s.seasons + 1):
        first = start + timedelta(days=365 * (number - 1))
        season_id = s.id * 10 + number
        seasons.append({
            "id": season_id, "url": f"{SITE}/seasons/{season_id}/{slug(s.name)}-season-{number}",
            "number": number, "name": "", "episodeOrder": s.per_season,
            "premiereDate": first.isoformat(),
            "endDate": (first + timedelta(days=7 * (s.per_season - 1))).isoformat(),
            "network": s.network, "webChannel": s.web, "image": None, "summary": None,
            "_links": {"self": {"href": f"{API}/seasons/{season_id}"}},
        })
    return seasons


_ENC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
dumps = _ENC.encode
_esc = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C string quoter
_SHARED: dict[int, str] = {id(o): dumps(o) for o in (*NETWORKS, *WEB_CHANNELS, *SCHEDULES)}
_GENRES_JSON: dict[tuple[str, ...], str] = {}


def _q(text: str | None) -> str:
    return "null" if text is None else _esc(text)


def _shared(obj: Any) -> str:
    """JSON of a pooled object (network, channel, schedule) serialized once at import."""
    if obj is None:
        return "null"
    text = _SHARED.get(id(obj))
    return text if text is not None else dumps(obj)


def _genres_json(genres: tuple[str, ...]) -> str:
    text = _GENRES_JSON.get(genres)
    if text is None:
        text = _GENRES_JSON[genres] = dumps(genres)
    return text


def _link_json(show_id: int, seq: int) -> str:
    title = EPISODE_TITLES[(show_id * 31 + seq) % len(EPISODE_TITLES)]
    return (f'{{"href":"{API}/episodes/{show_id * EPISODES_PER_SHOW_MAX + seq}",'
            f'"name":{_esc(title)}}}')


def _links_json(s: ShowRec) -> str:
    """Same as ``dumps(_links(s))``, without the encoder call."""
    head = f'{{"self":{{"href":"{API}/shows/{s.id}"}}'
    last = s.episode_count
    if s.status == "In Development":
        return head + "}"
    if s.status == "Running" and last > 1:
        return (f'{head},"previousepisode":{_link_json(s.id, last - 1)},'
                f'"nextepisode":{_link_json(s.id, last)}}}')
    return f'{head},"previousepisode":{_link_json(s.id, last)}}}'


def _n(value: int | float | None) -> str:
    return "null" if value is None else str(value)


def show_json(s: ShowRec) -> str:
    """``dumps(show_obj(s))`` but ~3x faster: pooled parts are pre-serialized."""
    if s.malformed:
        return _malformed_json(s)
    image = "null" if s.image is None else (
        f'{{"medium":"{STATIC}/medium_portrait/{s.image // 1000}/{s.image}.jpg",'
        f'"original":"{STATIC}/original_untouched/{s.image // 1000}/{s.image}.jpg"}}')
    return (
        f'{{"id":{s.id},"url":"{SITE}/shows/{s.id}/{slug(s.name)}","name":{_esc(s.name)},'
        f'"type":{_q(s.type)},"language":{_q(s.language)},"genres":{_genres_json(s.genres)},'
        f'"status":{_q(s.status)},"runtime":{_n(s.runtime)},'
        f'"averageRuntime":{_n(s.average_runtime)},"premiered":{_q(s.premiered)},'
        f'"ended":{_q(s.ended)},"officialSite":{_q(s.official_site)},'
        f'"schedule":{_shared(s.schedule)},"rating":{{"average":{_n(s.rating)}}},'
        f'"weight":{s.weight},"network":{_shared(s.network)},"webChannel":{_shared(s.web)},'
        f'"dvdCountry":null,"externals":{{"tvrage":{_n(s.tvrage)},"thetvdb":{_n(s.tvdb)},'
        f'"imdb":{_q(s.imdb)}}},"image":{image},"summary":{_q(s.summary)},'
        f'"updated":{s.updated},"_links":{_links_json(s)}}}'
    )


def _malformed_json(s: ShowRec) -> str:
    """The show with one broken field, as ``malform(kind=...)`` asked."""
    kind, s.malformed = s.malformed, None
    try:
        obj = json.loads(show_json(s))
    finally:
        s.malformed = kind
    if kind == "id":
        del obj["id"]
    else:
        obj[kind] = MALFORMED[kind]
    return dumps(obj)
