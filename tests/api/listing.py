"""Rows for the paging walks: per list endpoint, many rows sharing every orderable value.

Ties are what a non-unique ordering leaves to the database's whim, so each builder gives its
rows the same value in every field a client may order by (unique columns aside), and each
``touch`` rewrites some rows, which on PostgreSQL moves them in the heap and so in the order a
plan returns tied rows. ``move`` changes orderable values, the way a refilter or a scan does
between two pages of a client's walk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import Concat

from catalog.api.urls import router
from catalog.models import (
    Decision,
    DiscoveryRule,
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    Show,
    SonarrServer,
    SyncRun,
)
from tests import factories

SAME_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LATER = SAME_TIME + timedelta(days=3)
SAME_DAY = date(2020, 1, 1)


@dataclass(frozen=True)
class Rows:
    """How to fill one list endpoint with tied rows, and how to change some of them."""

    model: type[Model]
    build: Callable[[int, str], Any]  # (how many, a tag that keeps unique columns unique)
    touch: dict[str, Any]  # an update of no orderable field: only the heap moves
    move: dict[str, Any]  # an update of orderable fields: the rows move in offset pages

    def ids(self) -> set[int]:
        return set(self.model.objects.values_list("pk", flat=True))

    def update(self, ids: list[int], values: dict[str, Any]) -> None:
        self.model.objects.filter(pk__in=ids).update(**values)


def _bulk(model: type[Model], n: int, make: Callable[[int], dict[str, Any]]) -> QuerySet:
    created = model.objects.bulk_create([model(**make(i)) for i in range(n)])
    return model.objects.filter(pk__in=[row.pk for row in created])


def _shows(n: int, tag: str) -> QuerySet:
    return _bulk(Show, n, lambda i: {
        "title": "Same title", "premiered": SAME_DAY, "tvmaze_updated_at": SAME_TIME,
        "tmdb_fetched_at": SAME_TIME})


def _episodes(n: int, tag: str) -> QuerySet:
    show = factories.ShowFactory()
    return _bulk(Episode, n, lambda i: {"show": show, "season": 1, "number": 1,
                                        "airdate": SAME_DAY})


def _plex_servers(n: int, tag: str) -> QuerySet:
    return _bulk(PlexServer, n, lambda i: {"name": f"plex {tag} {i}", "url": "http://plex:32400",
                                           "token": "t"})


def _libraries(n: int, tag: str) -> QuerySet:
    server = factories.PlexServerFactory()
    return _bulk(PlexLibrary, n, lambda i: {
        "server": server, "key": f"{tag}-{i}", "title": "TV", "type": "show",
        "last_synced_at": SAME_TIME})


def _items(n: int, tag: str) -> QuerySet:
    library = factories.PlexLibraryFactory()
    return _bulk(MediaItem, n, lambda i: {
        "library": library, "kind": "episode", "rating_key": f"{tag}-{i}", "title": "Pilot",
        "digest": "0" * 32, "file_size": 1000, "first_seen_at": SAME_TIME,
        "last_seen_at": SAME_TIME, "missing_since": SAME_TIME})


def _mappings(n: int, tag: str) -> QuerySet:
    servers = list(_plex_servers(n, f"m{tag}"))  # a prefix is unique per server: one server each
    return _bulk(PathMapping, n, lambda i: {"server": servers[i], "plex_prefix": "/data/tv",
                                            "local_prefix": "/mnt/tv"})


def _sonarr_servers(n: int, tag: str) -> QuerySet:
    return _bulk(SonarrServer, n, lambda i: {"name": f"sonarr {tag} {i}",
                                             "url": "http://sonarr:8989", "api_key": "k"})


def _rules(n: int, tag: str) -> QuerySet:
    server = factories.SonarrServerFactory()
    return _bulk(DiscoveryRule, n, lambda i: {"name": f"rule {tag} {i}", "server": server,
                                              "root_folder": "/tv"})


def _decisions(n: int, tag: str) -> QuerySet:
    rule = factories.DiscoveryRuleFactory()
    shows = list(_shows(n, tag))
    rows = _bulk(Decision, n, lambda i: {"show": shows[i], "rule": rule,
                                         "status": "filtered", "status_changed_at": SAME_TIME})
    rows.update(updated_at=SAME_TIME)  # auto_now stamped each row apart; a refilter does not
    return rows


def _runs(n: int, tag: str) -> QuerySet:
    rows = _bulk(SyncRun, n, lambda i: {"kind": "tvmaze", "scope": f"{tag}-{i}",
                                        "status": "succeeded", "finished_at": SAME_TIME})
    rows.update(created_at=SAME_TIME)
    return rows


def _renamed(prefix: str) -> dict[str, Any]:
    return {"name": Concat(Value(prefix), F("name"))}


LISTS: dict[str, Rows] = {
    "shows": Rows(Show, _shows, {"overview": "touched"},
                  {"title": "Moved", "premiered": LATER.date(), "tvmaze_updated_at": LATER}),
    "episodes": Rows(Episode, _episodes, {"runtime": 30}, {"number": 2, "airdate": LATER.date()}),
    "plex/servers": Rows(PlexServer, _plex_servers, {"version": "1.2"}, _renamed("a ")),
    "plex/libraries": Rows(PlexLibrary, _libraries, {"enabled": False},
                           {"title": "A", "last_synced_at": LATER}),
    "items": Rows(MediaItem, _items, {"error_count": 1},
                  {"title": "A", "last_seen_at": LATER, "file_size": 1}),
    "path-mappings": Rows(PathMapping, _mappings, {"local_prefix": "/srv"},
                          {"plex_prefix": "/a"}),
    "sonarr/servers": Rows(SonarrServer, _sonarr_servers, {"version": "4"}, _renamed("a ")),
    "rules": Rows(DiscoveryRule, _rules, {"enabled": False}, _renamed("a ")),
    "decisions": Rows(Decision, _decisions, {"attempts": 1},
                      {"updated_at": LATER, "status": "added", "status_changed_at": LATER}),
    "sync-runs": Rows(SyncRun, _runs, {"processed": 5},
                      {"created_at": LATER, "finished_at": LATER}),
}


def list_endpoints() -> list[tuple[str, type]]:
    """Every router prefix whose viewset lists rows, with that viewset."""
    return [(prefix, viewset) for prefix, viewset, _name in router.registry
            if hasattr(viewset, "list")]


def orderings(viewset: type) -> list[str | None]:
    """No ``ordering`` (the default), then each accepted field ascending and descending."""
    return [None, *(term for name in viewset.ordering_fields for term in (name, f"-{name}"))]


def walk(client: Any, url: str, params: dict[str, Any]) -> list[int]:
    """Follow ``next`` from the first page to the last; every id in the order served."""
    seen: list[int] = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            return seen
        response = client.get(body["next"])
