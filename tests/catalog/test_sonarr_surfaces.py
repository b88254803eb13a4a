"""The Sonarr surfaces: roles on every endpoint, structured and validated rules, decisions
listed, filtered, approved and declined (one and many), the push trigger, /ready."""

from __future__ import annotations

import pytest
from django.utils import timezone

from catalog.metrics import health
from catalog.models import Decision, DiscoveryRule, RuleSelection, SyncRun
from catalog.rules.decide import decide_shows
from catalog.runs import run_claim
from tests import factories

S = Decision.Status
ROLES = ["anonymous", "roleless", "viewer", "operator", "admin"]
READ = {"anonymous": 401, "roleless": 403, "viewer": 200, "operator": 200, "admin": 200}
pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    rule = factories.DiscoveryRuleFactory(name="dramas", requires_approval=True)
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"])
    shows = [factories.ShowFactory(genres=["Drama"]), factories.ShowFactory(genres=["Reality"])]
    decide_shows([s.pk for s in shows])
    return rule, shows


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/api/rules/", "/api/decisions/", "/api/sonarr/servers/",
                                 "/api/rules/{rule}/", "/api/decisions/{decision}/"])
def test_it_lets_every_role_read_and_nobody_else(url, role, users, api_as, world):
    rule, _ = world
    url = url.format(rule=rule.pk, decision=Decision.objects.first().pk)
    assert api_as(users[role]).get(url).status_code == READ[role]


def _expect(role: str, allowed_from: str, ok: int) -> int:
    order = ROLES
    if role == "anonymous":
        return 401
    if order.index(role) < order.index(allowed_from):
        return 403
    return ok


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_admins_create_change_and_delete_rules_and_servers(role, users, api_as,
                                                                         world):
    rule, _ = world
    client = api_as(users[role])
    body = {"name": f"new {role}", "server": rule.server_id, "root_folder": "/tv",
            "quality_profile": "Any"}
    assert client.post("/api/rules/", body, format="json").status_code == _expect(
        role, "admin", 201)
    assert client.patch(f"/api/rules/{rule.pk}/", {"dry_run": True},
                        format="json").status_code == _expect(role, "admin", 200)
    server = {"name": f"s-{role}", "url": "http://127.0.0.1:8989", "api_key": "k" * 32,
              "verify": False}  # a server that is down right now
    assert client.post("/api/sonarr/servers/", server, format="json").status_code == _expect(
        role, "admin", 201)
    assert client.delete(f"/api/rules/{rule.pk}/").status_code == _expect(role, "admin", 204)


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_operators_refilter_approve_decline_skip_and_push(role, users, api_as, world):
    rule, shows = world
    run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}")  # keep the work out
    run_claim(kind=SyncRun.Kind.SONARR, scope=f"server:{rule.server_id}")
    client = api_as(users[role])
    decision = Decision.objects.get(rule=rule, show=shows[0])
    assert client.post(f"/api/rules/{rule.pk}/refilter/").status_code == _expect(
        role, "operator", 409)
    assert client.post("/api/sync/sonarr/", {}, format="json").status_code == _expect(
        role, "operator", 409)
    for action in ("approve", "decline", "skip", "unskip", "reevaluate"):
        expected = _expect(role, "operator", 200 if action == "approve" else None)
        status = client.post(f"/api/decisions/{decision.pk}/{action}/").status_code
        if expected is None:
            assert status in (200, 409)
        else:
            assert status == expected
        bulk = client.post(f"/api/decisions/{action}/", {"ids": [decision.pk]}, format="json")
        assert bulk.status_code == _expect(role, "operator", 200)


def test_it_keeps_the_sonarr_api_key_write_only(admin_user, api_as):
    client = api_as(admin_user)
    key = "sonarr-key-NEVER-SHOWN-123"
    created = client.post("/api/sonarr/servers/", {"name": "tv", "url": "http://127.0.0.1:1",
                                                   "api_key": key, "verify": False},
                          format="json")
    assert created.status_code == 201 and key not in created.content.decode()
    listed = client.get("/api/sonarr/servers/").content.decode()
    detail = client.get(f"/api/sonarr/servers/{created.json()['id']}/").content.decode()
    assert key not in listed + detail and "api_key" not in listed


def test_it_creates_a_rule_from_structured_filters_in_canonical_spelling(admin_user, api_as,
                                                                          world):
    rule, _ = world
    body = {
        "name": "two selections", "server": rule.server_id, "root_folder": "/tv",
        "quality_profile": "HD-1080p", "tags": ["MediaSync", "mediasync"],
        "selections": [
            {"name": "English dramas", "languages": ["english"], "types": ["scripted"],
             "genres_any": ["drama"], "premiered_from": "2010-01-01", "runtime_min": 20},
            {"name": "anime", "languages": ["Japanese"], "types": ["Animation"]}],
        "excludes": {"statuses": ["ended"], "networks": ["CBS"]},
    }
    response = api_as(admin_user).post("/api/rules/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["selections"][0]["languages"] == ["English"]
    assert data["selections"][0]["genres_any"] == ["Drama"]
    assert data["excludes"]["statuses"] == ["Ended"] and data["tags"] == ["mediasync"]
    created = DiscoveryRule.objects.get(name="two selections")
    assert created.exclude_networks == ["CBS"] and created.selections.count() == 2


@pytest.mark.parametrize(("patch", "field"), [
    ({"selections": [{"genres_any": ["Dramaa"]}]}, "genres_any"),
    ({"selections": [{"runtime_min": 60, "runtime_max": 30}]}, "runtime_max"),
    ({"selections": [{"premiered_from": "2020-01-01", "premiered_before": "2019-01-01"}]},
     "premiered_before"),
    ({"selections": [{"premiered_from": "2020-13-45"}]}, "premiered_from"),
    ({"selections": [{"rating_min": 11}]}, "rating_min"),
    ({"selections": [{"languages": "English"}]}, "languages"),
    ({"excludes": {"countries": ["Atlantis"]}}, "countries"),
    ({"tags": ["no spaces allowed"]}, "tags"),
    ({"root_folder": "relative/path"}, "root_folder"),
    ({"monitor": "everything"}, "monitor"),
    ({"selections": "not a list"}, "selections"),
])
def test_it_answers_a_bad_filter_with_a_field_error_and_writes_nothing(patch, field,
                                                                      admin_user, api_as, world):
    rule, _ = world
    before = (rule.selections.count(), list(rule.selections.values_list("genres_any")))
    response = api_as(admin_user).patch(f"/api/rules/{rule.pk}/", patch, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert (rule.selections.count(), list(rule.selections.values_list("genres_any"))) == before
    created = api_as(admin_user).post("/api/rules/", {
        "name": "half", "server": rule.server_id, "root_folder": "/tv",
        "quality_profile": "Any", **patch}, format="json")
    assert created.status_code == 400
    assert not DiscoveryRule.objects.filter(name="half").exists()


def test_it_lists_decisions_filtered_by_rule_status_reason_and_show(viewer, api_as, world):
    rule, shows = world
    other = factories.DiscoveryRuleFactory()
    decide_shows([s.pk for s in shows])
    client = api_as(viewer)

    def ids(query: str) -> set[int]:
        return {d["id"] for d in client.get(f"/api/decisions/?{query}").json()["results"]}

    assert len(ids(f"rule={rule.pk}")) == 2 and len(ids(f"rule={other.pk}")) == 2
    filtered = Decision.objects.get(rule=rule, show=shows[1])
    assert ids(f"rule={rule.pk}&status=filtered") == {filtered.pk}
    assert ids("reason=genre:") == {filtered.pk}
    assert filtered.reason == "genre:Reality"
    assert len(ids(f"show={shows[0].pk}")) == 2
    row = client.get(f"/api/decisions/{filtered.pk}/").json()
    assert row["rule_name"] == "dramas" and row["show_title"] == shows[1].title
    assert client.get("/api/decisions/?status=bogus").status_code == 400


def test_it_approves_and_declines_only_what_awaits_approval(operator, api_as, world):
    rule, shows = world
    client = api_as(operator)
    waiting = Decision.objects.get(rule=rule, show=shows[0])
    filtered = Decision.objects.get(rule=rule, show=shows[1])
    assert waiting.status == S.AWAITING_APPROVAL
    assert client.post(f"/api/decisions/{filtered.pk}/approve/").status_code == 409
    response = client.post(f"/api/decisions/{waiting.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == S.PENDING
    assert response.json()["approved_by"] == "otto"
    decide_shows([shows[0].pk])  # a re-evaluation never asks again
    assert Decision.objects.get(pk=waiting.pk).status == S.PENDING
    assert client.post(f"/api/decisions/{waiting.pk}/decline/").status_code == 200
    assert Decision.objects.get(pk=waiting.pk).status == S.DECLINED
    decide_shows([shows[0].pk])  # declined is never re-decided automatically
    assert Decision.objects.get(pk=waiting.pk).status == S.DECLINED


def test_it_approves_and_declines_in_bulk(operator, api_as):
    rule = factories.DiscoveryRuleFactory(requires_approval=True)
    shows = factories.ShowFactory.create_batch(4)
    decide_shows([s.pk for s in shows])
    ids = list(Decision.objects.filter(rule=rule).values_list("id", flat=True))
    client = api_as(operator)
    assert client.post("/api/decisions/approve/", {"ids": ids[:3]},
                       format="json").json() == {"changed": 3, "being_sent": 0}
    assert client.post("/api/decisions/decline/", {"ids": ids},
                       format="json").json() == {"changed": 4, "being_sent": 0}
    assert client.post("/api/decisions/approve/", {"ids": []}, format="json").status_code == 400
    assert client.post("/api/decisions/approve/", {"ids": ["x"]},
                       format="json").status_code == 400


def test_it_skips_and_unskips_a_decision(operator, api_as, world):
    rule, shows = world
    client = api_as(operator)
    decision = Decision.objects.get(rule=rule, show=shows[0])
    assert client.post(f"/api/decisions/{decision.pk}/skip/").json()["status"] == S.SKIPPED
    decide_shows([shows[0].pk])
    assert Decision.objects.get(pk=decision.pk).status == S.SKIPPED
    back = client.post(f"/api/decisions/{decision.pk}/unskip/").json()
    assert back["status"] == S.AWAITING_APPROVAL


def test_it_queues_a_refilter_with_202(operator, api_as, world, django_capture_on_commit_callbacks):
    rule, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(operator).post(f"/api/rules/{rule.pk}/refilter/")
    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert (run.kind, run.scope, run.status) == ("rules", f"rule:{rule.pk}", "succeeded")


def test_it_refuses_a_push_with_nothing_to_push(operator, api_as):
    nothing = api_as(operator).post("/api/sync/sonarr/", {}, format="json")
    assert nothing.status_code == 409, nothing.content
    missing = api_as(operator).post("/api/sync/sonarr/", {"rule": 999}, format="json")
    assert (missing.status_code, missing.json()) == (404, {"rule": ["no such rule"]})
    assert not SyncRun.objects.exists()


def test_it_reports_invalid_rules_on_ready_without_failing_it(client, monkeypatch, world):
    rule, _ = world
    DiscoveryRule.objects.filter(pk=rule.pk).update(
        validation=DiscoveryRule.Validation.INVALID,
        validation_message="root folder '/tv' not found")
    monkeypatch.setitem(health.CHECKS, "broker", lambda: None)
    monkeypatch.setitem(health.CHECKS, "cluster", lambda: None)
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["sonarr"]["rules"] == {
        "dramas": "invalid: root folder '/tv' not found"}


def test_it_queues_what_is_not_pushed_yet_once_approval_is_turned_on(
        admin_user, api_as, django_capture_on_commit_callbacks):
    rule = factories.DiscoveryRuleFactory()
    shows = factories.ShowFactory.create_batch(3)
    decide_shows([s.pk for s in shows])
    Decision.objects.filter(rule=rule, show=shows[0]).update(status=S.ADDED)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(admin_user).patch(f"/api/rules/{rule.pk}/",
                                            {"requires_approval": True}, format="json")
    assert response.status_code == 200
    statuses = sorted(Decision.objects.filter(rule=rule).values_list("status", flat=True))
    assert statuses == [S.ADDED, S.AWAITING_APPROVAL, S.AWAITING_APPROVAL]


def test_it_decides_again_for_the_new_server_when_a_rule_moves(
        admin_user, api_as, django_capture_on_commit_callbacks):
    """What server A held, refused or excluded says nothing of server B; an operator's skip,
    a decline and an approval are the operator's, not the server's, and stay."""
    rule = factories.DiscoveryRuleFactory(requires_approval=True)
    shows = factories.ShowFactory.create_batch(6)
    decide_shows([s.pk for s in shows])
    now = timezone.now()
    marks = [(S.ADDED, "", 11), (S.EXISTS, "", 12), (S.FAILED, "Sonarr said no", None),
             (S.SKIPPED, "sonarr_exclusion", None), (S.SKIPPED, "skipped by ops", None),
             (S.DECLINED, "declined by ops", None)]
    for show, (status, reason, series) in zip(shows, marks, strict=True):
        Decision.objects.filter(rule=rule, show=show).update(
            status=status, reason=reason, sonarr_series_id=series, approved_at=now)
    Decision.objects.filter(rule=rule, show=shows[1]).update(approved_at=None)
    other = factories.SonarrServerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(admin_user).patch(f"/api/rules/{rule.pk}/", {"server": other.pk},
                                            format="json")
    assert response.status_code == 200
    after = {d.show_id: (d.status, d.sonarr_series_id)
             for d in Decision.objects.filter(rule=rule)}
    assert [after[s.pk] for s in shows] == [
        (S.PENDING, None), (S.AWAITING_APPROVAL, None), (S.PENDING, None), (S.PENDING, None),
        (S.SKIPPED, None), (S.DECLINED, None)]
    with django_capture_on_commit_callbacks(execute=True):
        api_as(admin_user).patch(f"/api/rules/{rule.pk}/", {"dry_run": True}, format="json")
    assert Decision.objects.filter(rule=rule, status=S.PENDING).count() == 3  # same server


def test_it_re_decides_a_rule_switched_back_on(admin_user, api_as,
                                               django_capture_on_commit_callbacks):
    rule = factories.DiscoveryRuleFactory(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        api_as(admin_user).post(f"/api/rules/{rule.pk}/refilter/")
    show = factories.ShowFactory()
    decide_shows([show.pk])  # disabled: the hook skips it
    assert not Decision.objects.filter(rule=rule).exists()
    with django_capture_on_commit_callbacks(execute=True):
        api_as(admin_user).patch(f"/api/rules/{rule.pk}/", {"enabled": True}, format="json")
    assert Decision.objects.get(rule=rule, show=show).status == S.PENDING


def test_it_tries_a_failed_add_again_on_re_evaluation(operator, api_as):
    rule = factories.DiscoveryRuleFactory()
    show = factories.ShowFactory()
    decide_shows([show.pk])
    decision = Decision.objects.get(rule=rule)
    Decision.objects.filter(pk=decision.pk).update(status=S.FAILED, reason="Sonarr said no")
    decide_shows([show.pk])  # automatic re-evaluation leaves it failed
    assert Decision.objects.get(pk=decision.pk).status == S.FAILED
    response = api_as(operator).post(f"/api/decisions/{decision.pk}/reevaluate/")
    assert response.status_code == 200 and response.json()["status"] == S.PENDING
    Decision.objects.filter(pk=decision.pk).update(status=S.ADDED)
    again = api_as(operator).post("/api/decisions/reevaluate/", {"ids": [decision.pk]},
                                  format="json")
    assert again.json() == {"changed": 0, "being_sent": 0}
    assert Decision.objects.get(pk=decision.pk).status == S.ADDED


@pytest.mark.parametrize("body", [
    {"server": 999_999},
    {"excludes": None},
    {"min_free_space_gb": -1},
    {"min_free_space_gb": 10 ** 12},
    {"name": "x" * 101},
    {"monitor_new_items": "some"},
    {"series_type": "cartoon"},
    {"quality_profile": "   "},
])
def test_it_rejects_hostile_rule_fields_with_a_400(body, admin_user, api_as):
    server = factories.SonarrServerFactory()
    base = {"name": "hostile", "server": server.pk, "root_folder": "/tv",
            "quality_profile": "Any"}
    response = api_as(admin_user).post("/api/rules/", {**base, **body}, format="json")
    assert response.status_code == 400
    assert set(response.json()) & ({*body} | {"non_field_errors"})
    assert not DiscoveryRule.objects.exists()


def test_it_answers_out_of_range_ids_with_a_400(operator, api_as):
    client = api_as(operator)
    huge = 10 ** 20
    assert client.post("/api/decisions/approve/", {"ids": [huge]},
                       format="json").status_code == 400
    assert client.post("/api/sync/sonarr/", {"rule": huge}, format="json").status_code == 400
