"""One place, one mapping: prefixes are stored in one spelling and duplicates are refused."""

from __future__ import annotations

import importlib
import unicodedata

import pytest
from django.apps import apps

from catalog.models import PathMapping
from catalog.paths.prefixes import normalize_plex_prefix, plex_prefix_key
from catalog.paths.resolve import resolve_local_path
from tests.factories import PlexServerFactory


@pytest.mark.parametrize(("typed", "stored"), [
    ("/data/tv/", "/data/tv"), ("/data//tv///", "/data/tv"), ("  /data/tv ", "/data/tv"),
    ("/", "/"), ("D:\\TV\\", "D:\\TV"), ("D:", "D:\\"), ("d:/tv/", "d:/tv"),
    ("\\\\nas\\tv\\", "\\\\nas\\tv"),
])
def test_it_spells_a_prefix_one_way(typed, stored):
    assert normalize_plex_prefix(typed) == stored


@pytest.mark.django_db
def test_it_stores_the_canonical_spelling_through_the_api(admin_user, api_as):
    server = PlexServerFactory()
    response = api_as(admin_user).post("/api/path-mappings/", {
        "server": server.pk, "plex_prefix": "/data/tv/", "local_prefix": "/mnt/tv//"},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["plex_prefix"] == "/data/tv"
    assert PathMapping.objects.get().local_prefix == "/mnt/tv"
    assert resolve_local_path(server, "/data/tv/a.mkv") == "/mnt/tv/a.mkv"


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), [
    ("/data/tv", "/data/tv/"), ("/data/tv/", "/data//tv"), ("D:\\TV", "d:\\tv\\"),
    ("D:\\TV", "d:/TV"),
])
def test_it_refuses_a_second_mapping_of_the_same_place(admin_user, api_as, first, second):
    server = PlexServerFactory()
    client = api_as(admin_user)
    assert client.post("/api/path-mappings/", {"server": server.pk, "plex_prefix": first,
                                               "local_prefix": "/mnt/a"}).status_code == 201
    response = client.post("/api/path-mappings/", {"server": server.pk, "plex_prefix": second,
                                                   "local_prefix": "/mnt/b"})
    assert response.status_code == 409
    assert "plex_prefix" in response.json()
    assert PathMapping.objects.count() == 1


@pytest.mark.django_db
def test_it_lets_a_mapping_be_respelled_and_other_servers_map_the_same_prefix(admin_user, api_as):
    server, other = PlexServerFactory(), PlexServerFactory()
    client = api_as(admin_user)
    created = client.post("/api/path-mappings/", {"server": server.pk, "plex_prefix": "/data/tv",
                                                  "local_prefix": "/mnt/a"}).json()
    assert client.patch(f"/api/path-mappings/{created['id']}/",
                        {"plex_prefix": "/data/tv/"}).status_code == 200
    assert client.post("/api/path-mappings/", {"server": other.pk, "plex_prefix": "/data/tv/",
                                               "local_prefix": "/mnt/b"}).status_code == 201


@pytest.mark.django_db
def test_it_refuses_a_duplicate_in_the_admin(admin_user, client):
    server = PlexServerFactory()
    PathMapping.objects.create(server=server, plex_prefix="/data/tv", local_prefix="/mnt/a")
    client.force_login(admin_user)
    response = client.post("/admin/catalog/pathmapping/add/", {
        "server": server.pk, "plex_prefix": "/data/tv/", "local_prefix": "/mnt/b"})
    assert response.status_code == 200  # the form again, with the error
    assert "already maps" in response.content.decode()
    assert PathMapping.objects.count() == 1


@pytest.mark.django_db
def test_it_migrates_old_spellings_and_keeps_the_mapping_that_was_in_effect():
    server, other = PlexServerFactory(), PlexServerFactory()
    # Written as older versions could (bulk_create skips today's save()).
    PathMapping.objects.bulk_create([
        PathMapping(server=server, plex_prefix="/data/tv/", local_prefix="/mnt/second/"),
        PathMapping(server=server, plex_prefix="/data/tv", local_prefix="/mnt/first"),
        PathMapping(server=server, plex_prefix="/data/movies//", local_prefix="/mnt/movies/"),
        PathMapping(server=other, plex_prefix="/data/tv/", local_prefix="/mnt/other"),
    ])
    before = resolve_local_path(server, "/data/tv/a.mkv")
    migration = importlib.import_module("catalog.migrations.0010_normalize_path_prefixes")
    migration.normalize(apps, None)
    rows = sorted(PathMapping.objects.values_list("server_id", "plex_prefix", "local_prefix"))
    assert rows == sorted([(server.pk, "/data/tv", "/mnt/first"),
                           (server.pk, "/data/movies", "/mnt/movies"),
                           (other.pk, "/data/tv", "/mnt/other")])
    assert resolve_local_path(server, "/data/tv/a.mkv") == before == "/mnt/first/a.mkv"


@pytest.mark.django_db
def test_it_refuses_two_spellings_of_one_place_in_the_servers_inline(admin_user, client):
    server = PlexServerFactory()
    client.force_login(admin_user)
    prefix = "path_mappings"
    data = {"name": server.name, "url": server.url, "enabled": "on", "token": "",
            f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-plex_prefix": "/data/tv", f"{prefix}-0-local_prefix": "/mnt/a",
            f"{prefix}-1-plex_prefix": "/data/tv/", f"{prefix}-1-local_prefix": "/mnt/b"}
    response = client.post(f"/admin/catalog/plexserver/{server.pk}/change/", data)
    assert response.status_code == 200  # the form again, not a 500 or a redirect
    assert PathMapping.objects.count() == 0


def test_it_takes_composed_and_decomposed_spellings_for_one_place():
    assert plex_prefix_key(unicodedata.normalize("NFC", "/data/Séries")) == \
        plex_prefix_key(unicodedata.normalize("NFD", "/data/Séries/"))
