"""A fake Plex with one scanned TV library, and a listener connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import PlexLibrary
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.live.helpers import listener_for
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=6, episodes=60),
                   LibrarySpec("2", "movie", "Films", movies=20, root="/data/movies")],
                  seed=3) as fake:
        yield fake


@pytest.fixture
def library(fake) -> PlexLibrary:
    server = server_for(fake, "plex", [("/data/tv", "/mnt/tv"), ("/data/movies", "/mnt/m")])
    library = library_for(server, "1")
    assert scan(library, fake, T0).summary["complete"]
    fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
    fake.reset_counts()
    return library


@pytest.fixture
def movies(library, fake) -> PlexLibrary:
    movies = library_for(library.server, "2", "movie")
    assert scan(movies, fake, T0).summary["complete"]
    fake.reset_counts()
    return movies


@pytest.fixture
def listening(library, fake):
    """(listener, clock) holding the fake's stream; stopped after the test."""
    listener, clock = listener_for()
    listener.step()  # reads the server list, starts the stream
    assert fake.notifications.wait_for_clients(1)
    yield listener, clock
    listener.shutdown()
