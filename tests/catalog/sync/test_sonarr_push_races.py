"""What an operator does while a push runs: the fake Sonarr holds the push at each step
(a validation read, the library read, the exclusions read, the first and the second import
POST) and, at that instant, the operator declines, skips, approves, edits the rule's
selections, moves the rule to another server, disables it, deletes it, or deletes the server,
through the API. Sonarr receives exactly the series still pending when their batch was
claimed; a rule saved meanwhile is not claimed from again until the next push validates it;
every decision ends where an operator expects; nothing is added twice or to a server the rule
had left before the claim."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import Decision, DiscoveryRule, Show, SyncRun
from catalog.rules.services import BEING_SENT
from tests.catalog.sync.sonarr_fixtures import push
from tests.catalog.sync.sonarr_races import HOLDS, World, held_world, hold

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)

CLAIMED_BATCHES = {"validation": 0, "library": 0, "exclusions": 0, "post-1": 1, "post-2": 2}
TARGETS = {"first batch": 0, "second batch": 5}


@pytest.fixture
def world(monkeypatch, admin_user, operator) -> Iterator[World]:
    with held_world(monkeypatch, admin_user, operator) as made:
        yield made


def claimed(where: str, index: int) -> bool:
    """Whether show ``index`` had been claimed when the push was held at ``where``."""
    return index // 3 < CLAIMED_BATCHES[where]


def _claimed_shows(where: str) -> dict[int, int]:
    return {n: 1 for n in range(6) if claimed(where, n)}


def pushed(world: World, where: str, done: list[bool]) -> None:
    run = push(world.a, world.server_a)
    assert world.a.hook_errors == []
    assert done == [True], f"the push never reached {where}"
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert [n for n, c in world.received(world.a).items() if c > 1] == []


# ---- actions on one decision ----------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("where", HOLDS)
@pytest.mark.parametrize("verdict", ["decline", "skip"])
def test_a_verdict_wins_before_the_claim_and_is_told_being_sent_after(world, where, target,
                                                                      verdict):
    t = TARGETS[target]
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.operator.post(
        f"/api/decisions/{world.decision(t).pk}/{verdict}/")))
    pushed(world, where, done)
    others = {n: 1 for n in range(6) if n != t}
    answer = answers[0]
    if claimed(where, t):
        assert answer.status_code == 409
        expected_detail = BEING_SENT if t // 3 == CLAIMED_BATCHES[where] - 1 else "added"
        assert expected_detail in answer.json()["detail"]
        assert world.received(world.a) == {**others, t: 1}
        assert world.decision(t).status == S.ADDED
    else:
        assert answer.status_code == 200, answer.content
        assert world.received(world.a) == others
        assert world.decision(t).status == (S.DECLINED if verdict == "decline" else S.SKIPPED)
    assert {world.decision(n).status for n in others} == {S.ADDED}


@pytest.mark.parametrize("where", HOLDS)
def test_an_approval_during_the_push_waits_for_the_next_one(world, where):
    DiscoveryRule.objects.filter(pk=world.rule.pk).update(requires_approval=True)
    Decision.objects.filter(rule=world.rule).update(status=S.AWAITING_APPROVAL)
    ids = [world.decision(n).pk for n in range(5)]
    assert world.operator.post("/api/decisions/approve/", {"ids": ids},
                               format="json").json()["changed"] == 5
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.operator.post(
        f"/api/decisions/{world.decision(5).pk}/approve/")))
    pushed(world, where, done)
    assert answers[0].status_code == 200
    if where == "validation":  # approved before the push read what it would send
        assert world.received(world.a) == dict.fromkeys(range(6), 1)
        return
    assert world.received(world.a) == dict.fromkeys(range(5), 1)
    assert world.decision(5).status == S.PENDING  # approved: the next push sends it
    push(world.a, world.server_a)
    assert world.received(world.a) == dict.fromkeys(range(6), 1)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("where", HOLDS)
def test_a_narrowing_edit_keeps_what_was_not_claimed_yet_out_of_sonarr(world, where, target):
    t = TARGETS[target]
    Show.objects.filter(pk=world.shows[t].pk).update(genres=["Reality"])
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.admin.patch(
        f"/api/rules/{world.rule.pk}/", {"selections": [{"genres_any": ["Drama"]}]},
        format="json")))
    pushed(world, where, done)
    assert answers[0].status_code == 200, answers[0].content
    # An edited rule is not claimed from again in this push: the rest waits for the next.
    assert world.received(world.a) == _claimed_shows(where)
    push(world.a, world.server_a)
    others = {n: 1 for n in range(6) if n != t}
    if claimed(where, t):
        assert world.received(world.a) == {**others, t: 1}
        assert world.decision(t).status == S.ADDED
    else:
        assert world.received(world.a) == others
        decision = world.decision(t)
        assert (decision.status, decision.reason) == (S.FILTERED, "genre:Reality")


# ---- actions on the rule or the server ---------------------------------------------------

@pytest.mark.parametrize("where", HOLDS)
def test_a_rule_moved_mid_push_sends_the_rest_to_its_new_server_only(world, where):
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.admin.patch(
        f"/api/rules/{world.rule.pk}/", {"server": world.server_b.pk}, format="json")))
    pushed(world, where, done)
    assert answers[0].status_code == 200, answers[0].content
    assert world.received(world.a) == _claimed_shows(where)
    # Whatever the first server got, the decisions now speak of the new server.
    assert {world.decision(n).status for n in range(6)} == {S.PENDING}
    run = push(world.b, world.server_b)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert world.received(world.b) == dict.fromkeys(range(6), 1)
    assert world.received(world.a) == _claimed_shows(where)
    library_b = {s["tvdbId"]: s["id"] for s in world.b.library}
    for n, show in enumerate(world.shows):
        assert world.decision(n).sonarr_series_id == library_b[show.tvdb_id]


@pytest.mark.parametrize("where", HOLDS)
def test_a_rule_disabled_mid_push_sends_only_what_was_claimed(world, where):
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.admin.patch(
        f"/api/rules/{world.rule.pk}/", {"enabled": False}, format="json")))
    pushed(world, where, done)
    assert answers[0].status_code == 200
    assert world.received(world.a) == _claimed_shows(where)
    assert {n: world.decision(n).status for n in range(6)} == {
        n: S.ADDED if claimed(where, n) else S.PENDING for n in range(6)}


@pytest.mark.parametrize("where", HOLDS)
@pytest.mark.parametrize("doomed", ["rule", "server"])
def test_a_rule_or_server_deleted_mid_push_sends_only_what_was_claimed(world, where, doomed):
    url = (f"/api/rules/{world.rule.pk}/" if doomed == "rule"
           else f"/api/sonarr/servers/{world.server_a.pk}/")
    answers = []
    done = hold(world.a, where, lambda: answers.append(world.admin.delete(url)))
    pushed(world, where, done)
    assert answers[0].status_code == 204, answers[0].content
    assert world.received(world.a) == _claimed_shows(where)
    assert not Decision.objects.exists()
