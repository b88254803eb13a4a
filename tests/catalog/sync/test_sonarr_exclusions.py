"""A series on Sonarr's import-list exclusions is never POSTed: its decision ends ``skipped``
(``sonarr_exclusion``) however the push meets it — matched by TVDB id whatever the titles,
left claimed by a dead push, wanted by two rules, listed on any page of v4's paged list (or
by a v4 that only has the unpaged one), excluded between two batches and retried later, or
under a dry-run rule. Each test fails if the push stops skipping excluded series."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from catalog.models import Decision, SyncRun
from catalog.rules.engine import EXCLUDED
from integrations.fakes.base import Fault
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import (
    fake_per_version,
    push,
    rule_for,
    server_for,
    shows_known_to,
    sonarr_fake,
)

S = Decision.Status
pytestmark = pytest.mark.django_db


fake = fake_per_version(catalog_size=60)


def _sent(fake: SonarrFake) -> list[int]:
    """TVDB ids of every series the fake received in an import or add body."""
    return [body["tvdbId"] for body in fake.added]


def _status(rule: Any, show: Any) -> tuple[str, str]:
    decision = Decision.objects.get(rule=rule, show=show)
    return decision.status, decision.reason


def test_an_exclusion_matches_by_tvdb_id_whatever_the_titles(fake):
    """Sonarr excludes by TVDB id; an exclusion's title is free text an operator typed."""
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 3)
    fake.add_exclusion(shows[0].tvdb_id, "Another name for it")
    fake.add_exclusion(fake.catalog_ids[40], shows[1].title)  # a namesake, not this series
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[0]) == (S.SKIPPED, EXCLUDED)
    assert _status(rule, shows[1])[0] == S.ADDED and _status(rule, shows[2])[0] == S.ADDED
    assert sorted(_sent(fake)) == sorted([shows[1].tvdb_id, shows[2].tvdb_id])
    assert run.summary["counts"][S.SKIPPED] == 1


def test_an_excluded_series_a_dead_push_left_claimed_is_skipped_not_sent(fake):
    """A push died after claiming the decision (``sending``) and before Sonarr added it; the
    operator excluded the series meanwhile. The next push takes the orphaned claim over and
    settles it as excluded, never POSTing it."""
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 2)
    dead = SyncRun.objects.create(kind=SyncRun.Kind.SONARR, scope=f"server:{server.pk}",
                                  status=SyncRun.Status.FAILED, error="interrupted: killed")
    Decision.objects.filter(rule=rule, show=shows[0]).update(status=S.SENDING, claim_run=dead)
    fake.add_exclusion(shows[0].tvdb_id, "excluded while it was being sent")
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[0]) == (S.SKIPPED, EXCLUDED)
    assert Decision.objects.get(rule=rule, show=shows[0]).claim_run_id is None
    assert _status(rule, shows[1])[0] == S.ADDED
    assert _sent(fake) == [shows[1].tvdb_id]


def test_an_excluded_series_wanted_by_two_rules_is_skipped_for_both(fake):
    server = server_for(fake)
    first, second = rule_for(server, name="a first"), rule_for(server, name="b second")
    shows = shows_known_to(fake, 2)
    fake.add_exclusion(shows[1].tvdb_id, "excluded")
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(first, shows[1]) == _status(second, shows[1]) == (S.SKIPPED, EXCLUDED)
    assert _sent(fake) == [shows[0].tvdb_id]


def test_a_dry_run_rule_reports_an_excluded_series_as_skipped_not_as_would_add(fake):
    server = server_for(fake)
    rule = rule_for(server, dry_run=True)
    shows = shows_known_to(fake, 3)
    fake.add_exclusion(shows[2].tvdb_id, "excluded")
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[2]) == (S.SKIPPED, EXCLUDED)
    assert [_status(rule, s) for s in shows[:2]] == [(S.PENDING, "dry_run: would add")] * 2
    assert run.summary["counts"]["would_add"] == 2
    assert fake.added == []


# ---- how the list is read ------------------------------------------------------------

@pytest.fixture
def v4() -> Iterator[SonarrFake]:
    with sonarr_fake("v4", catalog_size=60) as server:
        yield server


LISTINGS = {  # page size 2: others' exclusions listed before the series' own, how many more
    # records the server's total promises than it serves, and the pages of one whole read
    "alone on one page": (0, 0, 1),
    "ending a full last page": (3, 0, 2),
    "alone on a partial last page": (4, 0, 3),
    "before an empty page the total promised": (3, 1, 3),
}


@pytest.mark.parametrize("listing", LISTINGS)
def test_an_exclusion_on_any_page_of_v4s_paged_list_is_skipped(v4, monkeypatch, listing):
    """The series' exclusion is the last record listed; the pages before it are full of
    other series', and a server may promise one record more than it serves (the reader
    then meets an empty page)."""
    from integrations.fakes.sonarr import bulk
    from integrations.fakes.sonarr import server as fake_server
    from integrations.sonarr import imports

    others, overstated, pages = LISTINGS[listing]
    monkeypatch.setattr(imports, "EXCLUSION_PAGE", 2)
    if overstated:
        def paged(self: SonarrFake, request: Any, route: str) -> Any:
            answer = bulk.exclusion_paged(self, request, route)
            page = json.loads(answer.body)
            page["totalRecords"] += overstated
            return self._json(page)

        monkeypatch.setitem(fake_server._ROUTES, ("GET", "importlistexclusion/paged"), paged)
    server = server_for(v4)
    rule = rule_for(server)
    shows = shows_known_to(v4, 3)
    for tvdb in v4.catalog_ids[40:40 + others]:
        v4.add_exclusion(tvdb, "someone else")
    v4.add_exclusion(shows[1].tvdb_id, "excluded")
    run = push(v4, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[1]) == (S.SKIPPED, EXCLUDED)
    assert sorted(_sent(v4)) == sorted([shows[0].tvdb_id, shows[2].tvdb_id])
    reads = 1 if pages == 1 else 2  # several pages are read twice, to see they held
    assert v4.counts["GET /api/v3/importlistexclusion/paged"] == pages * reads


def test_a_v4_without_the_paged_endpoint_skips_what_its_unpaged_list_excludes(v4, monkeypatch):
    """Sonarr v4 before 4.0.2 has only the (deprecated) unpaged list."""
    from integrations.fakes.sonarr import server as fake_server

    monkeypatch.setitem(fake_server._ROUTES, ("GET", "importlistexclusion/paged"),
                        lambda self, request, route: self._not_found(request.path))
    server = server_for(v4)
    rule = rule_for(server)
    shows = shows_known_to(v4, 2)
    v4.add_exclusion(shows[0].tvdb_id, "excluded")
    run = push(v4, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[0]) == (S.SKIPPED, EXCLUDED)
    assert _sent(v4) == [shows[1].tvdb_id]
    assert v4.counts["GET /api/v3/importlistexclusion"] == 1


def test_a_series_excluded_between_two_batches_is_skipped_at_its_retry(fake, monkeypatch):
    """The operator excludes a series of the second batch while the first is being added,
    and Sonarr then fails the second batch: the push that retries it skips the excluded
    series and sends only the others."""
    from catalog.sync.sonarr import send

    monkeypatch.setattr(send, "BATCH", 3)
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 6)

    def between_batches(_request: Any) -> None:
        fake.add_exclusion(shows[4].tvdb_id, "excluded mid-push")
        fake.inject(Fault("status", status=503), times=10, path_prefix="/api/v3/series/import")

    fake.on_request(between_batches, method="POST", path_prefix="/api/v3/series/import")
    run = push(fake, server)
    assert fake.hook_errors == []
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert [_status(rule, s)[0] for s in shows] == [S.ADDED] * 3 + [S.PENDING] * 3
    assert sorted(_sent(fake)) == sorted(s.tvdb_id for s in shows[:3])
    fake.clear_faults()
    Decision.objects.filter(rule=rule, status=S.PENDING).update(next_attempt_at=None)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _status(rule, shows[4]) == (S.SKIPPED, EXCLUDED)
    assert _status(rule, shows[3])[0] == _status(rule, shows[5])[0] == S.ADDED
    assert sorted(_sent(fake)[3:]) == sorted([shows[3].tvdb_id, shows[5].tvdb_id])
