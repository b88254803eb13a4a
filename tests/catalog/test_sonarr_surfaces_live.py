"""Sonarr surfaces that reach the fake: validate, the push trigger, the command, the admin
(roles, actions, structured rule form) and the API key that never shows."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Decision, DiscoveryRule, RuleSelection, SonarrServer, SyncRun
from catalog.tasks import sonarr_sync_task
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from tests import factories
from tests.catalog.sync.sonarr_fixtures import rule_for, server_for, shows_known_to

S = Decision.Status
ROLES = ["anonymous", "roleless", "viewer", "operator", "admin"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with SonarrFake(version=SonarrFake.V4, catalog_size=60) as server:
        yield server


@pytest.mark.parametrize("role", ROLES)
def test_it_validates_a_rule_for_operators_saying_what_is_missing(role, users, api_as, fake):
    rule = rule_for(server_for(fake), quality_profile="Nope", tags=["new-tag"])
    response = api_as(users[role]).post(f"/api/rules/{rule.pk}/validate/")
    expected = {"anonymous": 401, "roleless": 403, "viewer": 403}.get(role, 200)
    assert response.status_code == expected
    if expected != 200:
        assert fake.total_requests() == 0
        return
    body = response.json()
    assert body["valid"] is False
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["quality_profile"]["ok"] is False and checks["root_folder"]["ok"] is True
    assert "tags to create: new-tag" in checks["tags"]["detail"]
    assert fake.counts["POST /api/v3/tag"] == 0  # validation creates nothing
    rule.refresh_from_db()
    assert rule.validation == DiscoveryRule.Validation.INVALID
    listed = api_as(users[role]).get(f"/api/rules/{rule.pk}/").json()
    assert listed["validation"] == "invalid" and "Nope" in listed["validation_message"]


def test_it_answers_validate_when_sonarr_is_down_without_a_500(operator, api_as):
    rule = factories.DiscoveryRuleFactory(server=factories.SonarrServerFactory(
        url="http://127.0.0.1:9"))
    response = api_as(operator).post(f"/api/rules/{rule.pk}/validate/")
    assert response.status_code == 200 and response.json()["valid"] is False
    assert "sonarr-apikey-SECRET-value" not in response.content.decode()


def test_it_pushes_from_the_api_with_202_one_run_per_server(operator, api_as, fake,
                                                           django_capture_on_commit_callbacks):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(operator).post("/api/sync/sonarr/", {"rule": rule.pk}, format="json")
    assert response.status_code == 202
    (run,) = response.json()["runs"]
    assert run["kind"] == "sonarr" and run["scope"] == f"server:{server.pk}"
    assert SyncRun.objects.get(pk=run["id"]).status == SyncRun.Status.SUCCEEDED
    assert set(Decision.objects.filter(rule=rule).values_list("status", flat=True)) == {S.ADDED}


def test_it_pushes_from_the_command_and_the_schedule(fake, capsys):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 2)
    call_command("sync", "sonarr", "--rule", rule.name, "--json")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["kind"] == "sonarr" and line["status"] == "succeeded"
    assert line["counts"] == {"added": 2}
    shows_known_to(fake, 1, start=10)
    assert sonarr_sync_task() == "succeeded"
    assert Decision.objects.filter(rule=rule, status=S.ADDED).count() == 3
    with pytest.raises(CommandError, match="no rule named 'nope'"):
        call_command("sync", "sonarr", "--rule", "nope")


def test_it_fails_the_command_with_one_line_when_the_key_is_refused(fake):
    server = factories.SonarrServerFactory(url=fake.url, api_key="refused-key-000")
    rule_for(server)
    with pytest.raises(CommandError) as caught:
        call_command("sync", "sonarr")
    assert "refused-key-000" not in str(caught.value)
    server.refresh_from_db()
    assert server.state == SonarrServer.State.UNAUTHORIZED


ADMIN_PAGES = {
    "/admin/catalog/discoveryrule/": {"viewer": 200, "operator": 200, "admin": 200},
    "/admin/catalog/discoveryrule/add/": {"viewer": 403, "operator": 403, "admin": 200},
    "/admin/catalog/discoveryrule/{rule}/change/": {"viewer": 200, "operator": 200,
                                                    "admin": 200},
    "/admin/catalog/sonarrserver/": {"viewer": 200, "operator": 200, "admin": 200},
    "/admin/catalog/sonarrserver/add/": {"viewer": 403, "operator": 403, "admin": 200},
    "/admin/catalog/sonarrserver/{server}/change/": {"viewer": 200, "operator": 200,
                                                     "admin": 200},
    "/admin/catalog/decision/": {"viewer": 200, "operator": 200, "admin": 200},
    "/admin/catalog/decision/{decision}/change/": {"viewer": 200, "operator": 200,
                                                   "admin": 200},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(ADMIN_PAGES))
def test_it_applies_the_role_matrix_to_the_sonarr_admin_pages(page, role, users, client):
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"])
    decision = factories.DecisionFactory(rule=rule)
    if users[role] is not None:
        client.force_login(users[role])
    url = page.format(rule=rule.pk, server=rule.server_id, decision=decision.pk)
    response = client.get(url)
    expected = ADMIN_PAGES[page].get(role, 302)
    assert response.status_code == expected
    assert "sonarr-apikey-SECRET-value" not in response.content.decode()


@pytest.mark.parametrize(("role", "changed"), [("viewer", False), ("operator", True),
                                               ("admin", True)])
def test_it_lets_operators_approve_from_the_admin(role, changed, users, client):
    rule = factories.DiscoveryRuleFactory(requires_approval=True)
    decision = factories.DecisionFactory(rule=rule, status=S.AWAITING_APPROVAL)
    client.force_login(users[role])
    client.post("/admin/catalog/decision/", {"action": "approve",
                                              "_selected_action": [decision.pk]})
    decision.refresh_from_db()
    assert (decision.status == S.PENDING) is changed


@pytest.mark.parametrize("action", ["skip", "decline", "reevaluate"])
def test_it_runs_decision_actions_on_the_selected_shows(action, operator, client):
    rule = factories.DiscoveryRuleFactory()
    show = factories.ShowFactory()
    from catalog.rules.decide import decide_shows

    decide_shows([show.pk])
    client.force_login(operator)
    response = client.post("/admin/catalog/show/", {"action": action,
                                                    "_selected_action": [show.pk]})
    assert response.status_code == 302
    status = Decision.objects.get(rule=rule, show=show).status
    assert status == {"skip": S.SKIPPED, "decline": S.DECLINED, "reevaluate": S.PENDING}[action]


def _rule_form(server_id: int, **extra) -> dict:
    data = {
        "name": "anime", "server": server_id, "enabled": "on", "root_folder": "/anime",
        "quality_profile": "HD-1080p", "monitor": "all", "series_type": "anime",
        "season_folder": "on", "tags": "anime, mediasync", "exclude_statuses": ["Ended"],
        "exclude_networks": "CBS, ABC",
        "selections-TOTAL_FORMS": "1", "selections-INITIAL_FORMS": "0",
        "selections-MIN_NUM_FORMS": "0", "selections-MAX_NUM_FORMS": "1000",
        "selections-0-position": "0", "selections-0-name": "japanese animation",
        "selections-0-languages": ["Japanese"], "selections-0-types": ["Animation"],
        "selections-0-runtime_min": "15", "selections-0-networks_any": "",
    }
    data.update(extra)
    return data


def test_it_lets_an_admin_build_a_rule_from_structured_fields(admin_user, client,
                                                              django_capture_on_commit_callbacks):
    server = factories.SonarrServerFactory()
    factories.ShowFactory(language="Japanese", type="Animation", runtime=24)
    factories.ShowFactory(language="English")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/catalog/discoveryrule/add/", _rule_form(server.pk))
    assert response.status_code == 302, response.context["adminform"].errors if (
        response.context) else response
    rule = DiscoveryRule.objects.get(name="anime")
    assert rule.tags == ["anime", "mediasync"] and rule.exclude_networks == ["CBS", "ABC"]
    assert rule.selections.get().languages == ["Japanese"]
    statuses = sorted(Decision.objects.filter(rule=rule).values_list("status", flat=True))
    assert statuses == [S.FILTERED, S.PENDING]  # refiltered on save


def test_it_decides_again_when_the_admin_moves_a_rule_to_another_server(
        admin_user, client, django_capture_on_commit_callbacks):
    server = factories.SonarrServerFactory()
    factories.ShowFactory(language="Japanese", type="Animation", runtime=24)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/catalog/discoveryrule/add/", _rule_form(server.pk))
    rule = DiscoveryRule.objects.get(name="anime")
    Decision.objects.filter(rule=rule).update(status=S.ADDED, sonarr_series_id=5)
    other = factories.SonarrServerFactory()
    selection = rule.selections.get()
    form = _rule_form(other.pk, **{"selections-INITIAL_FORMS": "1",
                                   "selections-0-id": str(selection.pk),
                                   "selections-0-rule": str(rule.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/catalog/discoveryrule/{rule.pk}/change/", form)
    assert response.status_code == 302
    assert list(Decision.objects.filter(rule=rule).values_list("status", "sonarr_series_id")) \
        == [(S.PENDING, None)]


@pytest.mark.parametrize(("extra", "error"), [
    ({"selections-0-runtime_max": "10"}, "must be at least runtime_min"),
    ({"selections-0-premiered_from": "2020-99-01"}, "Enter a valid date"),
    ({"selections-0-languages": ["Klingon"]}, "Select a valid choice"),
    ({"tags": "bad tag!"}, "only a-z, 0-9"),
    ({"root_folder": "anime"}, "absolute path"),
    ({"selections-0-runtime_min": str(10 ** 12)}, "less than or equal to 10000"),
])
def test_it_shows_a_clear_error_for_a_bad_rule_form(extra, error, admin_user, client):
    server = factories.SonarrServerFactory()
    client.force_login(admin_user)
    response = client.post("/admin/catalog/discoveryrule/add/", _rule_form(server.pk, **extra))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not DiscoveryRule.objects.exists()


def test_it_keeps_the_sonarr_key_when_the_admin_leaves_it_blank(admin_user, client):
    server = factories.SonarrServerFactory()
    client.force_login(admin_user)
    page = client.get(f"/admin/catalog/sonarrserver/{server.pk}/change/").content.decode()
    assert server.api_key not in page
    client.post(f"/admin/catalog/sonarrserver/{server.pk}/change/",
                {"name": server.name, "url": server.url, "enabled": "on", "api_key": ""})
    server.refresh_from_db()
    assert server.api_key == "sonarr-apikey-SECRET-value"
    assert DEFAULT_API_KEY not in page


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_it_never_renders_a_server_secret_on_a_read_only_page(role, users, client):
    sonarr, plex = factories.SonarrServerFactory(), factories.PlexServerFactory()
    client.force_login(users[role])
    pages = (client.get(f"/admin/catalog/sonarrserver/{sonarr.pk}/change/").content.decode()
             + client.get(f"/admin/catalog/plexserver/{plex.pk}/change/").content.decode())
    assert sonarr.api_key not in pages and plex.token not in pages
    assert sonarr.name in pages


@pytest.mark.parametrize(("role", "runs"), [("viewer", 0), ("operator", 2), ("admin", 2)])
def test_it_lets_operators_run_the_rule_and_server_actions(role, runs, users, client,
                                                           django_capture_on_commit_callbacks):
    rule = factories.DiscoveryRuleFactory()
    client.force_login(users[role])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/catalog/discoveryrule/", {"action": "refilter_now",
                                                       "_selected_action": [rule.pk]})
        client.post("/admin/catalog/sonarrserver/", {
            "action": "push_now", "_selected_action": [rule.server_id]})
    assert SyncRun.objects.count() == runs


def test_it_refuses_a_flood_of_selections_with_a_400(admin_user, api_as):
    rule = factories.DiscoveryRuleFactory()
    response = api_as(admin_user).patch(f"/api/rules/{rule.pk}/",
                                        {"selections": [{}] * 21}, format="json")
    assert response.status_code == 400 and "selections" in response.json()


def test_it_checks_stale_rules_when_a_worker_spawns(django_capture_on_commit_callbacks):
    from django_q.signals import post_spawn

    rule = factories.DiscoveryRuleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post_spawn.send(sender="django_q", proc_name="Worker-1")
    run = SyncRun.objects.get(kind=SyncRun.Kind.RULES)
    assert run.scope == f"rule:{rule.pk}" and run.triggered_by == "startup"


def test_it_bounds_the_free_space_field_in_the_admin(admin_user, client):
    server = factories.SonarrServerFactory()
    client.force_login(admin_user)
    response = client.post("/admin/catalog/discoveryrule/add/",
                           _rule_form(server.pk, min_free_space_gb=str(10 ** 12)))
    assert response.status_code == 200 and not DiscoveryRule.objects.exists()
