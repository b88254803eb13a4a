"""What the operator changes while a push runs, and what a push that fails
after its claim leaves behind (issue 16, DESIGN rule 11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import Decision, DiscoveryRule, SyncRun
from integrations.fakes.base import Fault
from tests.catalog.sync.sonarr_fixtures import push
from tests.catalog.sync.sonarr_races import World, held_world, hold

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(monkeypatch, admin_user, operator) -> Iterator[World]:
    with held_world(monkeypatch, admin_user, operator) as made:
        yield made


def test_a_rule_switched_to_dry_run_mid_push_adds_nothing_more(world):
    """The operator switches the rule to dry run while the first batch is in flight: the
    API says 200, the rule is a dry run from then on, and no later batch may reach Sonarr."""
    answers = []
    done = hold(world.a, "post-1", lambda: answers.append(world.admin.patch(
        f"/api/rules/{world.rule.pk}/", {"dry_run": True}, format="json")))
    run = push(world.a, world.server_a)
    assert done == [True] and world.a.hook_errors == []
    assert answers[0].status_code == 200, answers[0].content
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    # Shows 0-2 were claimed and posted before the switch; 3-5 were not claimed yet.
    assert world.received(world.a) == {0: 1, 1: 1, 2: 1}, (
        "a dry-run rule had series added to Sonarr after the switch")
    assert {world.decision(n).status for n in (3, 4, 5)} == {S.PENDING}


def test_a_root_folder_changed_mid_push_is_never_sent_with_the_old_folder(world):
    """The operator moves the rule to another root folder (say, the old disk is full) while
    batch 1 is in flight; batch 2 is claimed after the edit: it must not be added under the
    folder the operator just left (sent with the new one, or held back, but not the old)."""
    world.a.set_root_folder("/tv2")
    answers = []
    done = hold(world.a, "post-1", lambda: answers.append(world.admin.patch(
        f"/api/rules/{world.rule.pk}/", {"root_folder": "/tv2"}, format="json")))
    run = push(world.a, world.server_a)
    assert done == [True] and world.a.hook_errors == []
    assert answers[0].status_code == 200, answers[0].content
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    index = {s.tvdb_id: n for n, s in enumerate(world.shows)}
    after_edit = {index[b["tvdbId"]]: b["rootFolderPath"] for b in world.a.added
                  if index[b["tvdbId"]] >= 3}
    assert "/tv" not in set(after_edit.values()), after_edit


def _tagged(world: World) -> None:
    DiscoveryRule.objects.filter(pk=world.rule.pk).update(tags=["mediasync-new"])


def test_a_push_that_fails_creating_a_tag_leaves_nothing_being_sent(world):
    """Sonarr answers 500 to the tag creation the push makes just after claiming batch 1:
    nothing was posted, the run fails, and the operator must be able to decline a show (not
    be told it is 'being sent to Sonarr right now' while no push runs); the next push then
    sends only what is still wanted."""
    _tagged(world)
    # Once validation has read the tags: the library read arms the fault for the creation.
    world.a.on_request(lambda _r: world.a.inject(Fault("status", status=500), times=10,
                                                 path_prefix="/api/v3/tag"),
                       method="GET", path_prefix="/api/v3/series")
    run = push(world.a, world.server_a)
    assert run.status == SyncRun.Status.FAILED
    assert world.a.added == []  # nothing reached Sonarr
    stuck = [n for n in range(6) if world.decision(n).status == S.SENDING]
    answer = world.operator.post(f"/api/decisions/{world.decision(0).pk}/decline/")
    assert (stuck, answer.status_code) == ([], 200), answer.content
    world.a.clear_faults()
    assert push(world.a, world.server_a).status == SyncRun.Status.SUCCEEDED
    assert world.received(world.a) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    assert world.decision(0).status == S.DECLINED


def test_an_unexpected_answer_to_the_import_leaves_nothing_being_sent(world):
    """A reverse proxy answers 413 to the bulk POST: Sonarr never saw the batch. The run
    fails; the batch must not stay 'being sent' with no push running."""
    world.a.inject(Fault("status", status=413), times=10,
                   path_prefix="/api/v3/series/import")
    run = push(world.a, world.server_a)
    assert run.status == SyncRun.Status.FAILED
    stuck = {n: world.decision(n).status for n in range(6)
             if world.decision(n).status == S.SENDING}
    assert stuck == {}
    answer = world.operator.post(f"/api/decisions/{world.decision(0).pk}/skip/")
    assert answer.status_code == 200, answer.content
