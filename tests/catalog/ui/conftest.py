"""A small world for the page tests, built at two sizes to pin constant query counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import DiscoveryRule, MediaItem, PlexLibrary, RuleSelection, Show, SyncRun
from tests import factories


@dataclass
class World:
    show: Show
    library: PlexLibrary
    run: SyncRun
    rule: DiscoveryRule


def build_world(n: int) -> World:
    """n shows in one library with n episodes each, n decisions per rule, n runs per kind."""
    library = factories.PlexLibraryFactory()
    # Factory keys are digits from a per-process sequence: a word can never collide with one.
    factories.PlexLibraryFactory(server=library.server, key="movies", title="Movies", type="movie")
    factories.PathMappingFactory(server=library.server, plex_prefix="/data/tv",
                                 local_prefix="/mnt/tv")
    rules = factories.DiscoveryRuleFactory.create_batch(2)
    rules[0].validation, rules[0].validation_message = "invalid", "root folder /tv is gone"
    rules[0].validated_at = timezone.now()
    rules[0].save()
    RuleSelection.objects.create(rule=rules[1], genres_any=["Drama"])
    first = None
    for i in range(n):
        plex_show = factories.PlexShowFactory(
            library=library, show__genres=["Drama", "Crime"], show__status="Running",
            show__network="HBO",  # half the shows TMDB lists, half it does not yet
            show__tmdb_season_episodes=[[1, n], [2, 2]] if i % 2 else [])
        first = first or plex_show
        for e in range(1, n + 1):
            factories.MediaItemFactory(plex_show=plex_show, library=library, season_number=1,
                                       episode_number=e,
                                       state="active" if e % 3 else "missing",
                                       file_path=f"/data/tv/s{i}/e{e}.mkv")
        factories.EpisodeFactory.create_batch(n, show=plex_show.show, season=1)
        for rule in rules:
            factories.DecisionFactory(show=plex_show.show, rule=rule,
                                      status="filtered" if i % 2 else "awaiting_approval",
                                      reason=f"genre:G{i % 4}" if i % 2 else "")
    now = timezone.now()
    runs = [factories.SyncRunFactory(kind=kind, status=status, started_at=now, finished_at=now,
                                     processed=i, error="boom" if status == "failed" else "")
            for kind in ("tvmaze", "plex") for i in range(n)
            for status in ("succeeded", "failed")]
    running = factories.SyncRunFactory(kind="plex", status="running", total=100, processed=40,
                                       started_at=now)
    factories.SyncRunFactory(kind="tvmaze", status="queued")
    assert runs
    return World(first.show, library, running, rules[1])


@pytest.fixture
def world(db) -> World:
    return build_world(3)


def pages(world: World) -> list[str]:
    return ["/", "/shows/", f"/shows/{world.show.pk}/", "/libraries/",
            f"/libraries/servers/{world.library.server_id}/", "/rules/", "/runs/",
            "/runs/active/", "/shows/?genre=Drama&library=yes&decision=filtered&q=show"]


def preview_url(world: World) -> str:
    """The rule preview, an operator's page (viewers are refused)."""
    spec = '{"selections": [{"genres_any": ["Crime"], "statuses": ["Running"]}]}'
    return f"/rules/{world.rule.pk}/preview/?{urlencode({'filters': spec})}"


@pytest.fixture
def count_queries() -> Callable:
    def count(client, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        return len(ctx.captured_queries)

    return count


ITEM_STATES = [s for s, _ in MediaItem.State.choices]
