"""A ``SeriesDelete`` that lands while a push is sending that very series wins: the decision
ends ``removed_in_sonarr`` whether the delete arrives during the POST or after Sonarr added
it but before the push wrote its outcome, and no later push, refilter or re-decision adds it
again. The echo of our own add arriving mid-send is left to the push (``added``, one POST),
and a late copy of that echo after the delete does not bring the series back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.db import connections, transaction
from django.utils import timezone

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, SyncRun
from catalog.rules.decide import decide_shows
from catalog.runs import run_claim, run_start
from catalog.sync.sonarr import push as push_module
from catalog.sync.sonarr.claim import claim, still_claimed
from catalog.sync.sonarr.outcomes import Item
from catalog.sync.sonarr.webhook import sonarr_series_deleted
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import (
    client_for,
    push,
    rule_for,
    server_for,
    shows_known_to,
)
from tests.catalog.sync.sonarr_races import World, held_world, hold
from tests.catalog.sync.test_sonarr_webhook_events import Hook, _refilter

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(monkeypatch, admin_user, operator) -> Iterator[World]:
    with held_world(monkeypatch, admin_user, operator) as made:
        yield made


def _deliver(live_server, server_id: int, secret: str, tvdb_id: int, series_id: int,
             event: str = "SeriesDelete") -> dict:
    """A series event from Sonarr, through the real endpoint of the live server."""
    answer = requests.post(
        f"{live_server.url}/api/webhooks/sonarr/{server_id}/", auth=("sonarr", secret),
        json={"eventType": event, "deletedFiles": False, "instanceName": "Sonarr",
              "series": {"id": series_id, "title": "x", "tvdbId": tvdb_id, "path": "/tv/x"}},
        timeout=10)
    assert answer.status_code == 200, answer.content
    return answer.json()


def _never_again(world: World) -> None:
    """No later push, refilter or re-decision adds show 0 again."""
    sent = world.received(world.a)[0]
    decide_shows([s.pk for s in world.shows])
    assert _refilter(world.rule).status == SyncRun.Status.SUCCEEDED
    for _ in range(2):
        assert push(world.a, world.server_a).status == SyncRun.Status.SUCCEEDED
    assert world.received(world.a)[0] == sent
    decision = world.decision(0)
    assert decision.status == S.REMOVED and decision.claim_run_id is None


def test_a_delete_during_the_post_ends_removed_not_added(world, live_server):
    secret = sonarr_webhook_secret_new(server_id=world.server_a.pk)
    heard: list[dict] = []

    def delete_now() -> None:
        assert world.decision(0).status == S.SENDING  # claimed, its POST in flight
        heard.append(_deliver(live_server, world.server_a.pk, secret,
                              world.shows[0].tvdb_id, series_id=777))

    done = hold(world.a, "post-1", delete_now)
    run = push(world.a, world.server_a)
    assert world.a.hook_errors == [] and done == [True]
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert heard == [{"event": "SeriesDelete", "removed": 1, "being_sent": 1}]
    decision = world.decision(0)
    assert (decision.status, decision.sonarr_series_id) == (S.REMOVED, 777)
    assert decision.reason == "deleted in Sonarr (webhook)"
    assert {world.decision(n).status for n in range(1, 6)} == {S.ADDED}
    assert world.received(world.a)[0] == 1
    _never_again(world)


def test_a_delete_after_sonarr_added_it_but_before_the_outcome_wins(world, live_server):
    secret = sonarr_webhook_secret_new(server_id=world.server_a.pk)
    world.a.webhook(f"{live_server.url}/api/webhooks/sonarr/{world.server_a.pk}/",
                    username="sonarr", password=secret)  # the echo of our adds is heard too
    client = client_for(world.a)
    post = client.import_batch
    added: list[int] = []

    def import_then_delete(bodies):
        answer = post(bodies)  # Sonarr added the batch and called the webhook for each
        if not added:
            world.a.webhooks_wait()
            added.append(next(s["id"] for s in world.a.library
                              if s["tvdbId"] == world.shows[0].tvdb_id))
            world.a.remove_series(added[0])  # by hand, before the push writes its outcome
            world.a.webhooks_wait()
        return answer

    client.import_batch = import_then_delete
    run = push(world.a, world.server_a, client=client)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    world.a.webhooks_wait()
    answers = world.a.webhook_answers
    assert answers[:4] == [{"event": "SeriesAdd", "settled": 0, "being_sent": 1}] * 3 + [
        {"event": "SeriesDelete", "removed": 1, "being_sent": 1}]
    decision = world.decision(0)
    assert (decision.status, decision.sonarr_series_id) == (S.REMOVED, added[0])
    assert {world.decision(n).status for n in range(1, 6)} == {S.ADDED}
    assert world.received(world.a) == dict.fromkeys(range(6), 1)  # each POSTed once
    # The echo of the add the delete undid, delivered late again, does not bring it back.
    again = _deliver(live_server, world.server_a.pk, secret, world.shows[0].tvdb_id,
                     series_id=added[0], event="SeriesAdd")
    assert again == {"event": "SeriesAdd", "settled": 0, "being_sent": 0}
    _never_again(world)
    assert world.shows[0].tvdb_id not in {s["tvdbId"] for s in world.a.library}


def test_a_hand_add_after_the_delete_with_a_new_series_id_is_exists(world):
    hook = Hook(world.server_a.pk)
    assert push(world.a, world.server_a).status == SyncRun.Status.SUCCEEDED
    first = world.decision(0).sonarr_series_id
    assert hook.send("SeriesDelete", world.shows[0].tvdb_id, series_id=first).json()[
        "removed"] == 1
    again = hook.send("SeriesAdd", world.shows[0].tvdb_id, series_id=first + 100)
    assert again.json()["settled"] == 1
    decision = world.decision(0)
    assert (decision.status, decision.sonarr_series_id) == (S.EXISTS, first + 100)


def test_a_claim_the_delete_took_back_is_not_sent(world):
    run = run_claim(kind=SyncRun.Kind.SONARR, scope=f"server:{world.server_a.pk}",
                    options={"server_id": world.server_a.pk})
    assert run_start(run)
    rows = Decision.objects.filter(rule=world.rule).order_by("show_id")
    items = [Item(d.pk, d.show_id, d.rule_id, d.status, 0, None, d.show.tvdb_id,
                  d.show.title) for d in rows]
    world.rule.refresh_from_db()
    claimed = claim(run, world.server_a.pk, items, timezone.now(),
                    {world.rule.pk: world.rule.updated_at})
    assert len(claimed) == 6
    sonarr_series_deleted(server_id=world.server_a.pk, tvdb_id=world.shows[0].tvdb_id)
    left = still_claimed(run, claimed)
    assert [i.show_id for i in left] == [s.pk for s in world.shows[1:]]
    # What another run claimed, or a stale list, is not this run's either.
    other = run_claim(kind=SyncRun.Kind.SONARR, scope="server:other", options={})
    assert still_claimed(other, claimed) == []
    assert still_claimed(run, []) == []


def test_the_push_never_posts_a_series_deleted_between_claim_and_post(world, monkeypatch,
                                                                       live_server):
    """Batch two is claimed in the transaction that writes batch one's outcome; a delete
    landing then (here: as batch one's answer is read) is honoured before batch two is sent."""
    secret = sonarr_webhook_secret_new(server_id=world.server_a.pk)
    client = client_for(world.a)
    post = client.import_batch
    calls: list[int] = []

    def import_then(bodies):
        answer = post(bodies)
        calls.append(len(bodies))
        return answer

    claim_next = push_module.claim_owned

    def claim_then_delete(*args, **kwargs):
        got = claim_next(*args, **kwargs)
        if calls and any(i.tvdb_id == world.shows[3].tvdb_id for i in got):
            transaction.on_commit(lambda: _deliver(live_server, world.server_a.pk, secret,
                                                   world.shows[3].tvdb_id, series_id=55))
        return got

    monkeypatch.setattr(push_module, "claim_owned", claim_then_delete)
    client.import_batch = import_then
    run = push(world.a, world.server_a, client=client)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert world.received(world.a)[3] == 0  # taken back before batch two went out
    assert calls == [3, 2]
    assert world.decision(3).status == S.REMOVED
    assert {world.decision(n).status for n in (0, 1, 2, 4, 5)} == {S.ADDED}


def test_a_delete_during_a_one_by_one_add_wins_too(live_server):
    """A server without ``series/import`` gets lookup + ``POST /series`` per series: the
    delete landing during that POST wins the same way."""
    with SonarrFake(version=SonarrFake.V3, catalog_size=10, supports_import=False) as fake:
        server = server_for(fake)
        rule = rule_for(server)
        show = shows_known_to(fake, 1)[0]
        secret = sonarr_webhook_secret_new(server_id=server.pk)
        heard: list[dict] = []

        def delete_now(request) -> None:
            if request.path.rstrip("/") != "/api/v3/series":
                return  # the series/import it tries first (404 here)
            try:
                heard.append(_deliver(live_server, server.pk, secret, show.tvdb_id, 31))
            finally:
                connections.close_all()

        fake.on_request(delete_now, method="POST", path_prefix="/api/v3/series", times=2)
        assert push(fake, server).status == SyncRun.Status.SUCCEEDED
        assert fake.hook_errors == []
        assert heard == [{"event": "SeriesDelete", "removed": 1, "being_sent": 1}]
        decision = Decision.objects.get(rule=rule, show=show)
        assert (decision.status, decision.sonarr_series_id) == (S.REMOVED, 31)
        assert push(fake, server).status == SyncRun.Status.SUCCEEDED
        assert [b["tvdbId"] for b in fake.added] == [show.tvdb_id]  # never POSTed again
