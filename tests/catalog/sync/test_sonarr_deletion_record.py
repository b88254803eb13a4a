"""A series deleted in Sonarr is recorded per (server, TVDB id): the push settles any decision
of that server for the id ``removed_in_sonarr`` without sending it; an operator's approval of
one, or a hand-made add in Sonarr, lifts the record and the series may be sent again."""
from __future__ import annotations

import pytest

from catalog.models import Decision, SonarrDeletion, SyncRun
from catalog.rules.decide import decide_shows
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import push, rule_for, server_for, shows_known_to
from tests.catalog.sync.test_sonarr_webhook_events import Hook

S = Decision.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as server:
        yield server


def _deleted_with_a_waiting_rule(fake):
    server = server_for(fake)
    adding = rule_for(server)
    show = shows_known_to(fake, 1)[0]
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    later = rule_for(server, name="later")
    decide_shows([show.pk])
    gone = Decision.objects.get(rule=adding, show=show)
    fake.remove_series(gone.sonarr_series_id)
    assert Hook(server.pk).send("SeriesDelete", show.tvdb_id,
                                series_id=gone.sonarr_series_id).status_code == 200
    sent = len(fake.added)
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    waiting = Decision.objects.get(rule=later, show=show)
    assert waiting.status == S.REMOVED, waiting.reason
    assert show.tvdb_id not in {b["tvdbId"] for b in fake.added[sent:]}
    return server, show, gone, waiting


def test_an_approval_of_the_other_rules_removed_decision_sends_it_again(fake, operator,
                                                                        api_as):
    server, show, gone, waiting = _deleted_with_a_waiting_rule(fake)
    assert api_as(operator).post(f"/api/decisions/{waiting.pk}/approve/").status_code == 200
    assert SonarrDeletion.objects.get(server=server, tvdb_id=show.tvdb_id).cleared_at

    assert push(fake, server).status == SyncRun.Status.SUCCEEDED

    waiting.refresh_from_db()
    assert waiting.status == S.ADDED
    assert show.tvdb_id in {s["tvdbId"] for s in fake.library}
    gone.refresh_from_db()
    assert gone.status == S.REMOVED  # the approval was for the other rule only


def test_a_hand_made_add_lifts_the_deletion_and_a_replay_of_the_delete_does_not_restore_it(
        fake):
    server, show, gone, waiting = _deleted_with_a_waiting_rule(fake)
    hook = Hook(server.pk)
    assert hook.send("SeriesAdd", show.tvdb_id, series_id=900).json()["settled"] == 2
    assert SonarrDeletion.objects.get(server=server, tvdb_id=show.tvdb_id).cleared_at
    replay = hook.send("SeriesDelete", show.tvdb_id, series_id=gone.sonarr_series_id)
    assert replay.json()["removed"] == 0
    assert SonarrDeletion.objects.get(server=server, tvdb_id=show.tvdb_id).cleared_at
    for decision in (gone, waiting):
        decision.refresh_from_db()
        assert (decision.status, decision.sonarr_series_id) == (S.EXISTS, 900)


def test_an_approval_lifts_only_the_deletions_of_what_it_approves_in_constant_statements(
        django_assert_max_num_queries):
    """Approving after a mass delete is one request: its cost must not grow with the number
    of series, and a deletion of a series (or a server) it does not approve stands."""
    from django.utils import timezone

    from catalog.rules.services import decisions_approve
    from tests import factories

    rule = factories.DiscoveryRuleFactory()
    other_server = factories.DiscoveryRuleFactory().server
    removed = [factories.DecisionFactory(rule=rule, status=S.REMOVED) for _ in range(30)]
    kept = factories.DecisionFactory(rule=rule, status=S.REMOVED)
    now = timezone.now()
    for decision in [*removed, kept]:
        SonarrDeletion.objects.create(server=rule.server, tvdb_id=decision.show.tvdb_id,
                                      deleted_at=now)
    SonarrDeletion.objects.create(server=other_server, tvdb_id=removed[0].show.tvdb_id,
                                  deleted_at=now)
    with django_assert_max_num_queries(4):
        assert decisions_approve(Decision.objects.filter(pk__in=[d.pk for d in removed]),
                                 by="vera") == 30
    standing = set(SonarrDeletion.objects.filter(cleared_at__isnull=True)
                   .values_list("server_id", "tvdb_id"))
    assert standing == {(rule.server_id, kept.show.tvdb_id),
                        (other_server.pk, removed[0].show.tvdb_id)}
