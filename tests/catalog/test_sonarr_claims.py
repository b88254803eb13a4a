"""A decision a push has claimed (``sending``): every surface says it is being sent instead
of answering a change the push would ignore; each series of a rejected batch gets its own
outcome; a corrected TVDB id is tried at once; /sync/ starts only operator triggers."""

from __future__ import annotations

import pytest
from django.test import override_settings

from catalog.models import Decision, Show, SyncRun
from catalog.rules.decide import decide_shows
from catalog.rules.services import BEING_SENT
from tests import factories
from tests.catalog.sync.sonarr_fixtures import (
    push,
    rule_for,
    server_for,
    shows_known_to,
    sonarr_fake,
)

S = Decision.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    """Two decisions of one rule: one claimed by a running push, one pending."""
    rule = factories.DiscoveryRuleFactory()
    run = factories.SyncRunFactory(kind=SyncRun.Kind.SONARR, status=SyncRun.Status.RUNNING)
    sending = factories.DecisionFactory(rule=rule, status=S.SENDING, claim_run=run)
    pending = factories.DecisionFactory(rule=rule, status=S.PENDING)
    return sending, pending


@pytest.mark.parametrize("verb", ["decline", "skip", "approve", "unskip", "reevaluate"])
def test_the_api_answers_409_being_sent_for_a_claimed_decision(held, verb, operator, api_as):
    sending, _ = held
    answer = api_as(operator).post(f"/api/decisions/{sending.pk}/{verb}/")
    assert answer.status_code == 409
    assert answer.json()["detail"] == BEING_SENT
    assert answer.json()["status"] == S.SENDING
    sending.refresh_from_db()
    assert sending.status == S.SENDING


def test_a_settled_decision_is_a_409_that_says_so(operator, api_as):
    added = factories.DecisionFactory(status=S.ADDED)
    answer = api_as(operator).post(f"/api/decisions/{added.pk}/decline/")
    assert answer.status_code == 409
    assert answer.json()["detail"] == "nothing to change: the decision is added"


@pytest.mark.parametrize("verb", ["decline", "skip"])
def test_bulk_actions_count_what_is_being_sent(held, verb, operator, api_as):
    sending, pending = held
    client = api_as(operator)
    both = client.post(f"/api/decisions/{verb}/", {"ids": [sending.pk, pending.pk]},
                       format="json")
    assert both.status_code == 200
    assert both.json() == {"changed": 1, "being_sent": 1}
    only = client.post(f"/api/decisions/{verb}/", {"ids": [sending.pk]}, format="json")
    assert only.status_code == 409
    assert only.json() == {"changed": 0, "being_sent": 1, "detail": BEING_SENT}
    assert Decision.objects.get(pk=sending.pk).status == S.SENDING


def test_the_ui_says_a_claimed_decision_is_being_sent(held, operator, client):
    sending, pending = held
    client.force_login(operator)
    response = client.post("/decisions/review/", {"verdict": "decline",
                                                  "decision": [sending.pk, pending.pk]},
                           follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert f"Decline: 1 of 2 decision(s) changed; 1 is {BEING_SENT}." == said


@pytest.mark.parametrize(("action", "did"), [
    ("approve", "Approved"), ("decline", "Declined"), ("skip", "Skipped"),
    ("unskip", "Re-decided"), ("reevaluate", "Changed")])
@pytest.mark.parametrize("role", ["operator", "admin"])
def test_every_admin_action_warns_that_a_claimed_decision_is_being_sent(
        held, users, client, role, action, did):
    sending, pending = held
    client.force_login(users[role])
    response = client.post("/admin/catalog/decision/", {
        "action": action, "index": "0", "_selected_action": [sending.pk, pending.pk]},
        follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert any(m.startswith(f"{did}: ") for m in said), said
    assert f"1 decision(s) {BEING_SENT}." in said
    assert Decision.objects.get(pk=sending.pk).status == S.SENDING


@pytest.mark.parametrize(("other", "taken"), [
    (SyncRun.Status.RUNNING, False), (SyncRun.Status.QUEUED, False),
    (SyncRun.Status.FAILED, True), (SyncRun.Status.SUCCEEDED, True), (None, True)])
def test_a_push_takes_over_only_claims_whose_run_is_no_longer_active(other, taken):
    """Another server's push still sending (its rule moved here meanwhile) keeps its claim;
    one that died, or whose run row is gone, hands it to this push."""
    from django.utils import timezone

    from catalog.sync.sonarr.claim import candidates

    rule = factories.DiscoveryRuleFactory()
    holder = (factories.SyncRunFactory(kind=SyncRun.Kind.SONARR, status=other)
              if other else None)
    claimed = factories.DecisionFactory(rule=rule, status=S.SENDING, claim_run=holder)
    mine = factories.SyncRunFactory(kind=SyncRun.Kind.SONARR, status=SyncRun.Status.RUNNING)
    found = [i.id for i in candidates([rule.pk], timezone.now(), mine)]
    assert found == ([claimed.pk] if taken else [])


def test_a_refilter_never_moves_a_claimed_decision(held):
    sending, _ = held
    rule = sending.rule
    rule.selections.create(position=0, genres_any=["Reality"])  # the show no longer passes
    from catalog.rules.refilter import rule_refilter

    run = factories.SyncRunFactory(kind=SyncRun.Kind.RULES, status=SyncRun.Status.RUNNING)
    rule_refilter(run, rule_id=rule.pk)
    assert Decision.objects.get(pk=sending.pk).status == S.SENDING


# ---- each series its own outcome -----------------------------------------------------------

def test_each_series_a_400_names_is_settled_by_its_own_error(transactional_db):
    with sonarr_fake("v4", catalog_size=20) as fake:
        server = server_for(fake)
        rule = rule_for(server)
        shows = shows_known_to(fake, 4)
        unknown = [factories.ShowFactory(tvdb_id=900_000 + n) for n in range(2)]
        decide_shows([s.pk for s in unknown])
        run = push(fake, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        # One 400 named both unknown ids: the four others went in one more POST, no halving.
        assert fake.import_batches == [6, 4]
        for show in unknown:
            decision = Decision.objects.get(rule=rule, show=show)
            assert decision.status == S.PENDING_TVDB
            assert decision.refused_tvdb_id == show.tvdb_id
            assert "was not found" in decision.reason
        assert {Decision.objects.get(rule=rule, show=s).status for s in shows} == {S.ADDED}


def test_a_series_added_elsewhere_during_a_rejected_batch_ends_exists(transactional_db):
    with sonarr_fake("v4", catalog_size=20) as fake:
        server = server_for(fake)
        rule = rule_for(server)
        shows = shows_known_to(fake, 3)
        unknown = factories.ShowFactory(tvdb_id=900_000)
        decide_shows([unknown.pk])
        taken: list[int] = []
        fake.on_request(lambda _: taken.append(fake.seed_library(shows[1].tvdb_id)),
                        method="POST", path_prefix="/api/v3/series/import")
        fake.reset_counts()
        run = push(fake, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        decision = Decision.objects.get(rule=rule, show=shows[1])
        assert (decision.status, decision.sonarr_series_id) == (S.EXISTS, taken[0])
        assert Decision.objects.get(rule=rule, show=unknown).status == S.PENDING_TVDB
        assert {Decision.objects.get(rule=rule, show=s).status
                for s in (shows[0], shows[2])} == {S.ADDED}
        assert fake.counts["GET /api/v3/series"] == 2  # the library, then once for the batch


# ---- a corrected TVDB id -------------------------------------------------------------------

def test_a_corrected_tvdb_id_is_tried_at_once(transactional_db):
    with sonarr_fake("v4", catalog_size=20) as fake:
        server = server_for(fake)
        rule = rule_for(server)
        show = factories.ShowFactory(tvdb_id=900_000)
        decide_shows([show.pk])
        push(fake, server)
        decision = Decision.objects.get(rule=rule, show=show)
        assert decision.status == S.PENDING_TVDB and decision.next_attempt_at is not None
        decide_shows([show.pk])  # the same wrong id: it keeps waiting
        assert Decision.objects.get(pk=decision.pk).status == S.PENDING_TVDB
        Show.objects.filter(pk=show.pk).update(tvdb_id=fake.catalog_ids[0])
        decide_shows([show.pk])  # what the TVMaze writer's hook does with a changed show
        decision.refresh_from_db()
        assert (decision.status, decision.next_attempt_at) == (S.PENDING, None)
        run = push(fake, server)
        assert run.status == SyncRun.Status.SUCCEEDED
        assert Decision.objects.get(pk=decision.pk).status == S.ADDED


# ---- /sync/<kind>/ -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rules", "nonsense", "refresh"])
def test_sync_refuses_what_is_not_an_operator_trigger(kind, operator, client):
    client.force_login(operator)
    response = client.post(f"/sync/{kind}/")
    assert response.status_code == 400
    assert f"'{kind}' cannot be started here" in response.content.decode()
    assert not SyncRun.objects.exists()


@override_settings(LOADER_CONCURRENCY=0)
def test_sync_load_holds_the_pause(operator, client):
    factories.ShowFactory(loading_status="pending")
    client.force_login(operator)
    response = client.post("/sync/load/", follow=True)
    assert "Loading is paused" in " ".join(str(m) for m in response.context["messages"])
    assert not SyncRun.objects.exists()


@override_settings(LOADER_CONCURRENCY=1)
def test_sync_load_starts_loaders_in_their_slots_up_to_the_cap(operator, client,
                                                                monkeypatch):
    from catalog.sync.loading import queue

    monkeypatch.setattr(queue, "_enqueue", lambda run: True)
    from django.utils import timezone

    for _ in range(3):
        factories.ShowFactory(loading_status="pending", loading_next_at=timezone.now())
    client.force_login(operator)
    client.post("/sync/load/")
    client.post("/sync/load/")
    loads = list(SyncRun.objects.filter(kind=SyncRun.Kind.LOAD).values_list("scope", flat=True))
    assert loads == ["slot:0"]
