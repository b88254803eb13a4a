"""Cases a push meets in the field: a key revoked after validation, exclusions that change
while they are paged, a show Sonarr cannot find that TVMaze keeps updating."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SonarrServer, SyncRun
from integrations.fakes.base import Fault
from tests.catalog.sync.sonarr_fixtures import (
    fake_per_version,
    push,
    rule_for,
    server_for,
    shows_known_to,
    sonarr_fake,
    statuses,
)

S = Decision.Status
pytestmark = pytest.mark.django_db


fake = fake_per_version(catalog_size=50)


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


def test_a_show_sonarr_cannot_find_keeps_its_retry_clock_when_tvmaze_updates_it(fake, settings):
    """The hook re-decides every show TVMaze changed; one Sonarr's lookup did not know
    (it has a TVDB id all along) must wait SONARR_RETRY_DELAY and count towards
    SONARR_ABANDON_AFTER, not start again with each new episode."""
    from catalog.rules.decide import decide_shows
    from tests import factories

    settings.SONARR_RETRY_DELAY = 7
    server = server_for(fake)
    rule = rule_for(server)
    show = factories.ShowFactory(tvdb_id=5_555_557, title="Unknown to SkyHook")
    decide_shows([show.pk])
    push(fake, server)
    before = Decision.objects.get(rule=rule, show=show)
    assert before.status == S.PENDING_TVDB and before.next_attempt_at is not None
    show.runtime = (show.runtime or 30) + 1  # a TVMaze update: a new episode, a new runtime
    show.save()
    decide_shows([show.pk])
    after = Decision.objects.get(rule=rule, show=show)
    assert (after.status, after.next_attempt_at, after.status_changed_at, after.attempts) == (
        S.PENDING_TVDB, before.next_attempt_at, before.status_changed_at, before.attempts)
    fake.reset_counts()
    push(fake, server)
    assert fake.counts["POST /api/v3/series/import"] == 0
    assert fake.counts["GET /api/v3/series/lookup"] == 0


def test_a_rule_moved_to_another_server_asks_the_new_one_about_an_unknown_tvdb_id():
    from catalog.rules.decide import decide_shows
    from catalog.rules.services import rule_server_moved
    from tests import factories

    rule = factories.DiscoveryRuleFactory()
    show = factories.ShowFactory(tvdb_id=5_555_558)
    decide_shows([show.pk])
    Decision.objects.filter(rule=rule).update(status=S.PENDING_TVDB,
                                              reason="lookup found nothing", attempts=3)
    was = rule.server_id
    rule.server = factories.SonarrServerFactory()
    rule.save()
    assert rule_server_moved(rule, was_server_id=was) == 1
    decide_shows([show.pk])
    assert statuses(rule) == {S.PENDING: 1}


def test_a_500_after_sonarr_added_half_a_batch_ends_with_exists_and_no_duplicate(
        fake, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.fakes.base import FakeResponse
    from integrations.fakes.sonarr import bulk
    from integrations.fakes.sonarr import server as fake_server

    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 6)
    broken = [True]

    def half_then_500(self, request, route):
        if not broken[0]:
            return bulk.series_import(self, request, route)
        broken[0] = False
        for body in request.json()[:3]:
            self._library.create(body, self._catalog[int(body["tvdbId"])])
        return FakeResponse(500, b'{"message":"database is locked"}',
                            {"Content-Type": "application/json"})

    monkeypatch.setitem(fake_server._ROUTES, ("POST", "series/import"), half_then_500)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert statuses(rule) == {S.PENDING: 6}
    push(fake, server, now=timezone.now() + timedelta(days=2))
    assert statuses(rule) == {S.EXISTS: 3, S.ADDED: 3}
    assert len(fake.library) == 6
    assert len({s["tvdbId"] for s in fake.library}) == 6


@pytest.mark.parametrize("body", [b"<html>Bad Request</html>", b"x" * 2_000_000,
                                  b'{"errors": {"$[0].tvdbId": ["bad"]}}', b"[1, null, []]",
                                  b'[{"propertyName": "TvdbId", "attemptedValue": true}]'])
def test_a_400_of_any_shape_fails_the_series_with_a_short_message(fake, monkeypatch, body):
    from integrations.fakes.base import FakeResponse
    from integrations.fakes.sonarr import server as fake_server

    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)

    def rejecting(self, request, route):
        return FakeResponse(400, body, {"Content-Type": "application/json"})

    monkeypatch.setitem(fake_server._ROUTES, ("POST", "series/import"), rejecting)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert statuses(rule) == {S.FAILED: 3}
    assert all(0 < len(d.reason) <= 500 for d in Decision.objects.filter(rule=rule))
    assert fake.counts["POST /api/v3/series/import"] == 5  # 3, then 1 + 2, then 1 + 1
