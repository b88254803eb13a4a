"""Discovering a Plex server's sections into libraries, and the dispatch of a Plex run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import PlexLibrary, PlexServer
from catalog.sync.plex import plex_discover
from catalog.upstreams.clients import plex_client
from integrations.errors import AuthError
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import client_for, server_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=3, episodes=20),
                   LibrarySpec("2", "movie", "Films", movies=4, root="/data/movies")],
                  seed=2) as fake:
        yield fake


def test_it_lists_sections_into_libraries_and_records_the_server(fake):
    server = server_for(fake, "plex")
    libraries = plex_discover(server, client=client_for(fake))
    assert sorted((lib.key, lib.title, lib.type) for lib in libraries) == [
        ("1", "TV", "show"), ("2", "Films", "movie")]
    server.refresh_from_db()
    assert (server.machine_identifier, server.version) == (fake.machine_identifier,
                                                           fake.version)


def test_it_keeps_the_operators_settings_on_rediscovery(fake):
    server = server_for(fake, "plex")
    plex_discover(server, client=client_for(fake))
    PlexLibrary.objects.filter(server=server, key="1").update(enabled=False, retention_days=7,
                                                              title="old name")
    plex_discover(server, client=client_for(fake))
    tv = PlexLibrary.objects.get(server=server, key="1")
    assert (tv.enabled, tv.retention_days, tv.title) == (False, 7, "TV")
    assert PlexLibrary.objects.filter(server=server).count() == 2


def test_it_builds_its_own_client_from_the_server_row(fake, settings):
    settings.HTTP_MAX_RETRIES = 0
    server = server_for(fake, "plex")
    assert len(plex_discover(server)) == 2
    client = plex_client(server)
    assert client.http.config.base_url == fake.url and "fake-token" not in repr(client)


def test_it_writes_nothing_when_the_token_is_wrong(fake):
    server = PlexServer.objects.create(name="bad", url=fake.url, token="wrong")
    with pytest.raises(AuthError):
        plex_discover(server)
    assert not PlexLibrary.objects.exists()
