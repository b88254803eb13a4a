"""The Sonarr fake calls the real webhook on a live server, as Sonarr would: the echo of our
own adds leaves them ``added``; a series added by hand settles as ``exists``; one deleted by
hand becomes ``removed_in_sonarr`` and no later push re-adds it; an import queues a scan.
And while a push holds its claim mid-POST, a hand add (or delete) of a series ends where
Sonarr's own state says, with nothing sent twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django_q.models import Schedule

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, SonarrServer, SyncRun
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from tests.catalog.sync.sonarr_fixtures import push, rule_for, server_for, shows_known_to
from tests.catalog.sync.sonarr_races import World, held_world, hold
from tests.catalog.sync.test_sonarr_webhook_events import _status

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)


def connect(fake: SonarrFake, server: SonarrServer, live_server) -> None:
    """Settings -> Connect -> Webhook in the fake: our URL, any user, the secret."""
    secret = sonarr_webhook_secret_new(server_id=server.pk)
    fake.webhook(f"{live_server.url}/api/webhooks/sonarr/{server.pk}/", username="sonarr",
                 password=secret)


@pytest.fixture
def fake() -> Iterator[SonarrFake]:
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as server:
        yield server


def test_the_echo_of_our_own_adds_leaves_them_added(fake, live_server):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 4)
    connect(fake, server, live_server)
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    deliveries = fake.webhooks_wait()
    assert deliveries == [("SeriesAdd", 200)] * 4
    ids = {s["tvdbId"]: s["id"] for s in fake.library}
    for show in shows:
        assert _status(Decision.objects.get(rule=rule, show=show)) == (S.ADDED,
                                                                       ids[show.tvdb_id])


def test_hand_adds_deletes_imports_and_the_test_button(fake, live_server):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 3)
    connect(fake, server, live_server)
    fake.webhook_test()
    by_hand = fake.seed_library(shows[0].tvdb_id)
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    fake.webhooks_wait()
    assert _status(Decision.objects.get(rule=rule, show=shows[0])) == (S.EXISTS, by_hand)
    assert shows[0].tvdb_id not in {b["tvdbId"] for b in fake.added}
    doomed = Decision.objects.get(rule=rule, show=shows[1])
    gone = requests.delete(f"{fake.url}/api/v3/series/{doomed.sonarr_series_id}",
                           params={"deleteFiles": "true", "addImportListExclusion": "false"},
                           headers={"X-Api-Key": DEFAULT_API_KEY}, timeout=5)
    assert gone.status_code == 200
    fake.import_episode(shows[2].tvdb_id, 1, 3)
    deliveries = fake.webhooks_wait()
    assert deliveries[0] == ("Test", 200)
    assert deliveries[-2:] == [("SeriesDelete", 200), ("Download", 202)]
    assert _status(doomed)[0] == S.REMOVED
    assert "with its files" in doomed.reason
    assert Schedule.objects.filter(name=f"sonarr files tvdb:{shows[2].tvdb_id}").exists()
    sent = len(fake.added)
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    assert fake.added[sent:] == []
    assert _status(doomed)[0] == S.REMOVED
    assert SonarrServer.objects.get(pk=server.pk).webhook_event == "Download"


@pytest.fixture
def world(monkeypatch, admin_user, operator, live_server) -> Iterator[World]:
    with held_world(monkeypatch, admin_user, operator) as made:
        connect(made.a, made.server_a, live_server)
        yield made


@pytest.mark.parametrize(("where", "target", "claimed"), [
    ("post-1", 0, True),    # its batch is claimed and being POSTed
    ("post-1", 4, False),   # its batch is claimed only after the first one settles
    ("post-2", 4, True),
])
def test_a_hand_add_while_the_push_holds_its_claim_ends_consistent(world, where, target,
                                                                    claimed):
    tvdb = world.shows[target].tvdb_id
    heard = []

    def add_by_hand() -> None:
        world.a.seed_library(tvdb)
        world.a.webhooks_wait()
        heard.append(world.a.webhook_answers[-1])  # what our webhook answered to this add

    done = hold(world.a, where, add_by_hand)
    run = push(world.a, world.server_a)
    assert world.a.hook_errors == [] and done == [True]
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    world.a.webhooks_wait()
    # Held by the push, the hand add is left to it (it learns from Sonarr's answer); not yet
    # claimed, the webhook settles it and the claim then passes it by.
    assert heard[0] == {"event": "SeriesAdd", "settled": 0 if claimed else 1,
                      "being_sent": 1 if claimed else 0}
    by_hand = next(s["id"] for s in world.a.library if s["tvdbId"] == tvdb)
    assert _status(world.decision(target)) == (S.EXISTS, by_hand)
    others = [n for n in range(6) if n != target]
    assert {world.decision(n).status for n in others} == {S.ADDED}
    library = [s["tvdbId"] for s in world.a.library]
    assert sorted(library) == sorted(s.tvdb_id for s in world.shows)  # each once
    # A claimed one was POSTed in its batch, which Sonarr refused whole as already there
    # (its batch-mates went again without it); one not claimed yet was never sent.
    assert world.received(world.a)[target] == (1 if claimed else 0)


def test_a_hand_delete_while_the_push_holds_its_claim_is_never_undone(world):
    def delete_first() -> None:
        first = next(s for s in world.a.library if s["tvdbId"] == world.shows[0].tvdb_id)
        world.a.remove_series(first["id"])
        world.a.webhooks_wait()

    done = hold(world.a, "post-2", delete_first)
    run = push(world.a, world.server_a)
    assert done == [True] and run.status == SyncRun.Status.SUCCEEDED, run.error
    world.a.webhooks_wait()
    assert world.decision(0).status == S.REMOVED
    assert {world.decision(n).status for n in range(1, 6)} == {S.ADDED}
    assert push(world.a, world.server_a).status == SyncRun.Status.SUCCEEDED
    assert world.received(world.a)[0] == 1
    assert world.shows[0].tvdb_id not in {s["tvdbId"] for s in world.a.library}
