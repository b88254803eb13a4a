"""A push held at a known step while a test acts: the world of two Sonarr fakes, one rule,
six shows in two batches of three, and the clients of an admin and an operator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections
from rest_framework.test import APIClient

from catalog.models import Decision, DiscoveryRule, Show, SonarrServer
from catalog.sync.sonarr import send
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import rule_for, server_for, shows_known_to

# Where the push is held: (method, path prefix, which matching request). Batches hold three
# series, so six shows make two POSTs: shows 0-2, then 3-5.
HOLDS = {
    "validation": ("GET", "/api/v3/rootfolder", 1),
    "library": ("GET", "/api/v3/series", 1),
    "exclusions": ("GET", "/api/v3/importlistexclusion", 1),
    "post-1": ("POST", "/api/v3/series/import", 1),
    "post-2": ("POST", "/api/v3/series/import", 2),
}


@dataclass
class World:
    a: SonarrFake
    b: SonarrFake
    server_a: SonarrServer
    server_b: SonarrServer
    rule: DiscoveryRule
    shows: list[Show]
    admin: APIClient
    operator: APIClient

    def decision(self, index: int) -> Decision:
        return Decision.objects.get(rule=self.rule, show=self.shows[index])

    def received(self, fake: SonarrFake) -> Counter:
        index = {s.tvdb_id: n for n, s in enumerate(self.shows)}
        return Counter(index[body["tvdbId"]] for body in fake.added)


@contextmanager
def held_world(monkeypatch, admin_user, operator) -> Iterator[World]:
    monkeypatch.setattr(send, "BATCH", 3)
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as a, \
            SonarrFake(version=SonarrFake.V4, catalog_size=40) as b:
        server_a, server_b = server_for(a, name="a"), server_for(b, name="b")
        rule = rule_for(server_a, name="dramas")
        shows = shows_known_to(a, 6)
        admin, op = APIClient(), APIClient()
        admin.force_authenticate(admin_user)
        op.force_authenticate(operator)
        yield World(a, b, server_a, server_b, rule, shows, admin, op)


def hold(fake: SonarrFake, where: str, act: Callable[[], None]) -> list[bool]:
    """Run ``act`` when the push reaches ``where`` (before the fake answers); the list it
    returns holds True once the action ran."""
    method, prefix, nth = HOLDS[where]
    seen: list[int] = []
    done: list[bool] = []

    def at(_request) -> None:
        seen.append(1)
        if len(seen) == nth:
            try:
                act()
                done.append(True)
            finally:
                connections.close_all()  # this thread's connection, before the test ends

    fake.on_request(at, method=method, path_prefix=prefix, times=nth)
    return done
