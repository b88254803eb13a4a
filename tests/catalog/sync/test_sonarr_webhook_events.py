"""What each webhook event does to the decisions of the server that sent it, through the
real view: SeriesAdd settles what waited as ``exists``; SeriesDelete marks ours
``removed_in_sonarr``, which no later push, refilter, re-decision, rule save or rule move
re-adds, until an operator approves it (then the next push adds it again); file events queue
one Plex scan per show after a delay. Every event applied twice changes nothing the second
time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, DiscoveryRule, Show, SonarrDeletion, SyncRun
from catalog.rules import services
from catalog.rules.decide import decide_shows
from catalog.rules.refilter import rule_refilter
from catalog.runs import run_claim
from catalog.runs.delayed import RUNNER
from catalog.runs.execute import job_execute
from catalog.sync.sonarr.webhook import sonarr_files_changed
from integrations.fakes.sonarr import SonarrFake
from tests import factories
from tests.catalog.sync.sonarr_fixtures import push, rule_for, server_for, shows_known_to
from tests.catalog.test_sonarr_webhook_auth import basic, url

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)  # rule saves queue refilters on commit


@pytest.fixture
def fake():
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as server:
        yield server


class Hook:
    """Sonarr's side of the webhook for one server: POSTs events with its secret."""

    def __init__(self, server_id: int) -> None:
        self.server_id = server_id
        self.secret = sonarr_webhook_secret_new(server_id=server_id)

    def send(self, event_type: str, tvdb_id: int | None = None, series_id: int = 5,
             **extra: object):
        body: dict = {"eventType": event_type, "instanceName": "Sonarr", **extra}
        if tvdb_id is not None:
            body["series"] = {"id": series_id, "title": "x", "tvdbId": tvdb_id,
                              "path": "/tv/x", "type": "standard", "year": 2020}
        return Client().post(url(self.server_id), body, content_type="application/json",
                             **basic(self.secret))


def _status(decision: Decision) -> tuple[str, int | None]:
    decision.refresh_from_db()
    return decision.status, decision.sonarr_series_id


def _refilter(rule: DiscoveryRule) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    return job_execute(run, lambda r: rule_refilter(r, rule_id=rule.pk), upstream="rules")


# ---- SeriesAdd --------------------------------------------------------------------------

def test_a_series_added_by_hand_settles_what_waited_as_exists():
    rule = factories.DiscoveryRuleFactory()
    other_rule = factories.DiscoveryRuleFactory(server=rule.server)
    elsewhere = factories.DiscoveryRuleFactory()  # another Sonarr server
    show = factories.ShowFactory()
    made = {status: factories.DecisionFactory(rule=factories.DiscoveryRuleFactory(
        server=rule.server), show=show, status=status) for status in
        (S.PENDING, S.AWAITING_APPROVAL, S.PENDING_TVDB, S.FAILED, S.REMOVED, S.FILTERED,
         S.DECLINED, S.SKIPPED)}
    untouched = factories.DecisionFactory(rule=elsewhere, show=show, status=S.PENDING)
    unrelated = factories.DecisionFactory(rule=other_rule, status=S.PENDING)
    hook = Hook(rule.server_id)
    answer = hook.send("SeriesAdd", show.tvdb_id, series_id=42)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"event": "SeriesAdd", "settled": 5, "being_sent": 0}
    for status in (S.PENDING, S.AWAITING_APPROVAL, S.PENDING_TVDB, S.FAILED, S.REMOVED):
        assert _status(made[status]) == (S.EXISTS, 42), status
        assert made[status].reason == "added in Sonarr (webhook)"
    for status in (S.FILTERED, S.DECLINED, S.SKIPPED):
        assert _status(made[status])[0] == status
    assert _status(untouched) == (S.PENDING, None)
    assert _status(unrelated) == (S.PENDING, None)
    again = hook.send("SeriesAdd", show.tvdb_id, series_id=42)
    assert again.json()["settled"] == 0


def test_a_series_added_again_takes_its_new_id_and_keeps_added():
    decision = factories.DecisionFactory(status=S.ADDED, sonarr_series_id=3)
    hook = Hook(decision.rule.server_id)
    assert hook.send("SeriesAdd", decision.show.tvdb_id, series_id=9).status_code == 200
    assert _status(decision) == (S.ADDED, 9)


def test_an_add_the_push_holds_is_left_to_the_push():
    decision = factories.DecisionFactory(status=S.SENDING)
    answer = Hook(decision.rule.server_id).send("SeriesAdd", decision.show.tvdb_id)
    assert answer.json() == {"event": "SeriesAdd", "settled": 0, "being_sent": 1}
    assert _status(decision) == (S.SENDING, None)


def test_a_hand_added_series_is_not_sent_by_the_next_push(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 3)
    series_id = fake.seed_library(shows[0].tvdb_id)
    Hook(server.pk).send("SeriesAdd", shows[0].tvdb_id, series_id=series_id)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert sorted(b["tvdbId"] for b in fake.added) == sorted(s.tvdb_id for s in shows[1:])
    assert _status(Decision.objects.get(rule=rule, show=shows[0])) == (S.EXISTS, series_id)


# ---- SeriesDelete -----------------------------------------------------------------------

def test_a_deleted_series_marks_ours_removed_and_nothing_else():
    rule = factories.DiscoveryRuleFactory()
    show = factories.ShowFactory()
    added = factories.DecisionFactory(rule=rule, show=show, status=S.ADDED, sonarr_series_id=4)
    found = factories.DecisionFactory(rule=factories.DiscoveryRuleFactory(server=rule.server),
                                      show=show, status=S.EXISTS, sonarr_series_id=4)
    waiting = factories.DecisionFactory(rule=factories.DiscoveryRuleFactory(
        server=rule.server), show=show, status=S.PENDING)
    elsewhere = factories.DecisionFactory(show=show, status=S.ADDED)
    hook = Hook(rule.server_id)
    answer = hook.send("SeriesDelete", show.tvdb_id, series_id=4, deletedFiles=True)
    assert answer.json() == {"event": "SeriesDelete", "removed": 2, "being_sent": 0}
    assert _status(added) == (S.REMOVED, 4) and _status(found) == (S.REMOVED, 4)
    assert added.reason == "deleted in Sonarr with its files (webhook)"
    # Another rule's decision still waiting stays pending until the next push, which
    # settles it removed_in_sonarr without sending it: the deletion stands for the server.
    assert _status(waiting)[0] == S.PENDING
    assert SonarrDeletion.objects.filter(server=rule.server, tvdb_id=show.tvdb_id,
                                         series_id=4, cleared_at__isnull=True).exists()
    assert _status(elsewhere)[0] == S.ADDED
    assert not SonarrDeletion.objects.filter(server=elsewhere.rule.server).exists()
    assert hook.send("SeriesDelete", show.tvdb_id, series_id=4).json()["removed"] == 0
    assert _status(added) == (S.REMOVED, 4)


def test_a_deleted_series_is_never_added_again_by_any_later_pass(fake, admin_user, operator,
                                                                 api_as):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 3)
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    gone = Decision.objects.get(rule=rule, show=shows[0])
    assert gone.status == S.ADDED
    fake.remove_series(gone.sonarr_series_id)
    assert Hook(server.pk).send("SeriesDelete", shows[0].tvdb_id,
                                series_id=gone.sonarr_series_id).status_code == 200
    assert _status(gone)[0] == S.REMOVED
    sent = len(fake.added)
    # Re-decisions of every kind: the page writer's hook, a refilter, a forced refilter...
    Show.objects.filter(pk=shows[0].pk).update(genres=["Drama", "Crime"])
    decide_shows([s.pk for s in shows])
    assert _refilter(rule).status == SyncRun.Status.SUCCEEDED
    admin, op = api_as(admin_user), api_as(operator)
    for change in ({"selections": [{"genres_any": ["Drama"]}]}, {"selections": []},
                   {"requires_approval": True}, {"requires_approval": False},
                   {"enabled": False}, {"enabled": True}):
        assert admin.patch(f"/api/rules/{rule.pk}/", change, format="json").status_code == 200
    # ...an operator's re-evaluation and skip (which would un-skip to pending)...
    assert op.post(f"/api/decisions/{gone.pk}/reevaluate/").status_code == 409
    assert op.post(f"/api/decisions/{gone.pk}/skip/").status_code == 409
    assert op.post(f"/api/decisions/{gone.pk}/decline/").status_code == 409
    # ...a move to another server and back, and the pushes after each.
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as other:
        moved_to = server_for(other, name="other")
        assert admin.patch(f"/api/rules/{rule.pk}/", {"server": moved_to.pk},
                           format="json").status_code == 200
        assert push(other, moved_to).status == SyncRun.Status.SUCCEEDED
        assert shows[0].tvdb_id not in {b["tvdbId"] for b in other.added}
        assert admin.patch(f"/api/rules/{rule.pk}/", {"server": server.pk},
                           format="json").status_code == 200
    for _ in range(2):
        assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    assert shows[0].tvdb_id not in {b["tvdbId"] for b in fake.added[sent:]}
    assert shows[0].tvdb_id not in {s["tvdbId"] for s in fake.library}
    assert _status(gone)[0] == S.REMOVED


def test_an_operator_approval_brings_a_deleted_series_back(fake, operator, api_as):
    server = server_for(fake)
    rule = rule_for(server)
    show = shows_known_to(fake, 1)[0]
    push(fake, server)
    decision = Decision.objects.get(rule=rule, show=show)
    fake.remove_series(decision.sonarr_series_id)
    Hook(server.pk).send("SeriesDelete", show.tvdb_id, series_id=decision.sonarr_series_id)
    answer = api_as(operator).post(f"/api/decisions/{decision.pk}/approve/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == S.PENDING and answer.json()["approved_by"] == "otto"
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    status, series_id = _status(decision)
    assert status == S.ADDED and series_id == fake.library[0]["id"]
    assert [s["tvdbId"] for s in fake.library] == [show.tvdb_id]


def test_a_bulk_approval_moves_removed_and_awaiting_only():
    removed = factories.DecisionFactory(status=S.REMOVED, sonarr_series_id=3)
    added = factories.DecisionFactory(status=S.ADDED)
    changed = services.decisions_approve(Decision.objects.filter(pk__in=[removed.pk, added.pk]),
                                         by="otto")
    assert changed == 1
    assert _status(removed) == (S.PENDING, None) and _status(added)[0] == S.ADDED


def test_the_api_and_the_ui_filter_and_show_removed_decisions(viewer, api_as, client):
    decision = factories.DecisionFactory(status=S.REMOVED, reason="deleted in Sonarr (webhook)")
    factories.DecisionFactory(status=S.ADDED)
    listed = api_as(viewer).get("/api/decisions/?status=removed_in_sonarr").json()
    assert [d["id"] for d in listed["results"]] == [decision.pk]
    client.force_login(viewer)
    page = client.get(f"/shows/{decision.show_id}/").content.decode()
    assert "removed_in_sonarr" in page and "approve to add it again" in page
    shows = client.get("/shows/?decision=removed_in_sonarr")
    assert shows.status_code == 200 and decision.show.title in shows.content.decode()
    admin_list = client.get("/admin/catalog/decision/?status__exact=removed_in_sonarr")
    assert admin_list.status_code == 200 and decision.show.title in admin_list.content.decode()


# ---- file events and the rest -------------------------------------------------------------

def test_an_import_queues_one_delayed_scan_per_show(settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    server = factories.SonarrServerFactory()
    hook = Hook(server.pk)
    before = timezone.now()
    first = hook.send("Download", 81189, isUpgrade=False)
    assert first.status_code == 202, first.content
    assert first.json() == {"event": "Download", "refresh_in": 30, "coalesced": False}
    for event in ("Download", "ImportComplete", "Rename", "EpisodeFileDelete"):
        again = hook.send(event, 81189)
        assert again.status_code == 202 and again.json()["coalesced"] is True
    hook.send("Download", 5555)
    waiting = Schedule.objects.filter(name__startswith="sonarr files").order_by("name")
    assert [s.name for s in waiting] == ["sonarr files tvdb:5555", "sonarr files tvdb:81189"]
    one = waiting.get(name="sonarr files tvdb:81189")
    stored = eval(one.kwargs)  # noqa: S307 (django-q2 literal_evals it)
    assert one.func == RUNNER and stored["target"] == "catalog.tasks.sonarr_files_changed_task"
    assert stored["arguments"] == {"tvdb_id": 81189}
    assert one.schedule_type == Schedule.ONCE and one.repeats == -1
    # Each event pushed it to the delay after itself (all within this test's second or so).
    assert before + timedelta(seconds=29) <= one.next_run <= timezone.now() + timedelta(
        seconds=31)


def test_an_import_late_in_the_delay_pushes_the_refresh_back_within_the_cap(settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    settings.SONARR_WEBHOOK_REFRESH_MAX_DELAY = 120
    first = timezone.now()
    assert sonarr_files_changed(tvdb_id=81189, now=first)["coalesced"] is False
    due = Schedule.objects.get(name="sonarr files tvdb:81189").next_run
    assert due == first + timedelta(seconds=30)
    late = first + timedelta(seconds=29)  # a second file, a second before the refresh
    assert sonarr_files_changed(tvdb_id=81189, now=late)["coalesced"] is True
    assert Schedule.objects.get(name="sonarr files tvdb:81189").next_run == late + timedelta(
        seconds=30)
    for seconds in range(50, 400, 20):  # a season pack imported file by file
        sonarr_files_changed(tvdb_id=81189, now=first + timedelta(seconds=seconds))
    assert Schedule.objects.get(name="sonarr files tvdb:81189").next_run == first + timedelta(
        seconds=120)


@pytest.mark.parametrize("event", ["Test", "Grab", "Health", "HealthRestored",
                                   "ApplicationUpdate", "ManualInteractionRequired"])
def test_other_events_are_acknowledged_and_change_nothing(event):
    decision = factories.DecisionFactory(status=S.PENDING)
    answer = Hook(decision.rule.server_id).send(event, decision.show.tvdb_id)
    assert answer.status_code == 200
    assert answer.json() == {"event": event, "ignored": True}
    assert _status(decision) == (S.PENDING, None)
    assert not Schedule.objects.filter(name__startswith="sonarr files").exists()
