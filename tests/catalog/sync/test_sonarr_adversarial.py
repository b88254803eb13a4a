"""Cases a push meets in the field: a key revoked after validation, exclusions that change
while they are paged, a show Sonarr cannot find that TVMaze keeps updating."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SonarrServer, SyncRun
from integrations.fakes.base import Fault
from tests.catalog.sync.sonarr_fixtures import (
    push,
    rule_for,
    server_for,
    shows_known_to,
    sonarr_fake,
    statuses,
)

S = Decision.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(params=["v3", "v4"])
def fake(request):
    with sonarr_fake(request.param, catalog_size=50) as server:
        yield server


@pytest.mark.parametrize("path", ["/api/v3/series", "/api/v3/importlistexclusion"])
def test_a_401_after_validation_marks_the_server_unauthorised_and_touches_nothing(fake, path):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)
    fake.inject(Fault("status", status=401), path_prefix=path)
    run = push(fake, server)
    assert run.status == SyncRun.Status.FAILED
    server.refresh_from_db()
    assert server.state == SonarrServer.State.UNAUTHORIZED
    assert statuses(rule) == {S.PENDING: 3}
    assert fake.added == []


def test_exclusions_read_whole_when_one_is_removed_between_two_pages(monkeypatch):
    """Offset paging: removing a page-1 record while page 2 is read shifts a record from
    page 2 onto page 1, where it is never seen, and its series would be added."""
    from integrations.fakes.sonarr import bulk
    from integrations.fakes.sonarr import server as fake_server
    from integrations.sonarr import imports
    from tests.catalog.sync.sonarr_fixtures import client_for

    monkeypatch.setattr(imports, "EXCLUSION_PAGE", 2)
    with sonarr_fake("v4", catalog_size=10) as fake:
        for tvdb in (101, 102, 103, 104, 105):
            fake.add_exclusion(tvdb, f"excluded {tvdb}")
        served: list[int] = []

        def paged(self, request, route):
            answer = bulk.exclusion_paged(self, request, route)
            served.append(int(request.arg("page")))
            if len(served) == 1:  # an operator removes 101 right after page 1 went out
                self._exclusions[:] = [e for e in self._exclusions if e["tvdbId"] != 101]
            return answer

        monkeypatch.setitem(fake_server._ROUTES, ("GET", "importlistexclusion/paged"), paged)
        found = client_for(fake).exclusions(paged=True)
    assert {102, 103, 104, 105} <= found


def test_exclusions_that_never_hold_still_stop_the_read_as_transient(monkeypatch):
    from integrations.errors import TransientError
    from integrations.fakes.sonarr import bulk
    from integrations.fakes.sonarr import server as fake_server
    from integrations.sonarr import imports
    from tests.catalog.sync.sonarr_fixtures import client_for

    monkeypatch.setattr(imports, "EXCLUSION_PAGE", 2)
    with sonarr_fake("v4", catalog_size=10) as fake:
        for tvdb in (101, 102, 103):
            fake.add_exclusion(tvdb)

        def churning(self, request, route):  # a new exclusion after every page
            answer = bulk.exclusion_paged(self, request, route)
            self._exclusions.append({"tvdbId": 900 + len(self._exclusions),
                                     "title": "", "id": len(self._exclusions) + 1})
            return answer

        monkeypatch.setitem(fake_server._ROUTES, ("GET", "importlistexclusion/paged"), churning)
        with pytest.raises(TransientError, match="kept changing"):
            client_for(fake).exclusions(paged=True)
