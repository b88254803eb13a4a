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
