"""Each list endpoint costs the same number of queries for 10 rows as for 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

ENDPOINTS = [
    "/api/shows/", "/api/episodes/", "/api/plex/servers/", "/api/plex/libraries/",
    "/api/items/", "/api/path-mappings/", "/api/sonarr/servers/", "/api/rules/",
    "/api/decisions/", "/api/sync-runs/",
]


@pytest.fixture
def populated(db):
    library = factories.PlexLibraryFactory()
    plex_show = factories.PlexShowFactory(library=library)
    factories.MediaItemFactory.create_batch(30, plex_show=plex_show, library=library)
    factories.EpisodeFactory.create_batch(30, show=plex_show.show)
    factories.PlexLibraryFactory.create_batch(12, server=library.server)
    factories.PathMappingFactory.create_batch(12, server=library.server)
    factories.DiscoveryRuleFactory.create_batch(12)
    factories.DecisionFactory.create_batch(15)
    factories.SyncRunFactory.create_batch(15)
    factories.PlexServerFactory.create_batch(12)
    factories.SonarrServerFactory.create_batch(12)


def _queries(client, url: str, size: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": size})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_it_uses_a_constant_number_of_queries_per_page(url, populated, viewer, api_as):
    client = api_as(viewer)
    _queries(client, url, 1)  # warm-up: the role lookup is cached on the user afterwards
    assert _queries(client, url, 10) == _queries(client, url, 500)


@pytest.mark.django_db
def test_it_serves_up_to_500_a_page_and_refuses_more(populated, viewer, api_as):
    factories.ShowFactory.create_batch(520)
    client = api_as(viewer)
    assert len(client.get("/api/shows/", {"page_size": 500}).json()["results"]) == 500
    refused = client.get("/api/shows/", {"page_size": 10_000})
    assert refused.status_code == 400
    assert refused.json() == {"page_size": ["Enter a whole number from 1 to 500."]}


@pytest.mark.django_db
def test_it_filters_shows_by_external_id_and_searches_titles(viewer, api_as):
    target = factories.ShowFactory(tvdb_id=81189, title="Breaking Bad")
    factories.ShowFactory.create_batch(3)
    client = api_as(viewer)
    assert [s["id"] for s in client.get("/api/shows/?tvdb_id=81189").json()["results"]] == [
        target.pk]
    assert [s["title"] for s in client.get("/api/shows/?search=breaking").json()["results"]] == [
        "Breaking Bad"]


@pytest.mark.django_db
def test_it_filters_items_by_state_and_show(viewer, api_as):
    item = factories.MediaItemFactory(state="missing")
    factories.MediaItemFactory()
    client = api_as(viewer)
    by_state = client.get("/api/items/?state=missing").json()["results"]
    by_show = client.get(f"/api/items/?show={item.plex_show.show_id}").json()["results"]
    assert [i["id"] for i in by_state] == [item.pk]
    assert [i["id"] for i in by_show] == [item.pk]
