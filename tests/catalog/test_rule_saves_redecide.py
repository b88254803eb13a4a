"""Every save of a rule re-decides: the API's POST, PUT, PATCH of selections alone, of
excludes alone, and the admin change form with its selection inlines each queue a `rules`
run from the rule as stored, and the decisions follow the edit, narrowing and widening."""

from __future__ import annotations

import pytest

from catalog.models import Decision, DiscoveryRule, RuleSelection, SyncRun
from catalog.rules.decide import decide_shows
from tests import factories

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)  # the refilter is queued on commit


@pytest.fixture
def rule():
    """A rule admitting everything, and three shows of which one is a comedy."""
    rule = factories.DiscoveryRuleFactory(name="everything")
    shows = [factories.ShowFactory(genres=["Drama"]), factories.ShowFactory(genres=["Drama"]),
             factories.ShowFactory(genres=["Comedy"])]
    decide_shows([s.pk for s in shows])
    return rule


def pending(rule: DiscoveryRule) -> int:
    return Decision.objects.filter(rule=rule, status=S.PENDING).count()


def refilters(rule: DiscoveryRule) -> int:
    return SyncRun.objects.filter(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                                  status=SyncRun.Status.SUCCEEDED).count()


def test_a_patch_of_selections_alone_narrows_then_widens(rule, admin_user, api_as):
    client = api_as(admin_user)
    assert pending(rule) == 3
    answer = client.patch(f"/api/rules/{rule.pk}/", {"selections": [{"genres_any": ["Drama"]}]},
                          format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["selections"][0]["genres_any"] == ["Drama"]
    assert refilters(rule) == 1
    assert pending(rule) == 2
    assert Decision.objects.get(rule=rule, status=S.FILTERED).reason == "genre:Comedy"
    answer = client.patch(f"/api/rules/{rule.pk}/", {"selections": []}, format="json")
    assert answer.status_code == 200
    assert refilters(rule) == 2
    assert pending(rule) == 3


def test_a_patch_of_excludes_alone_narrows_then_widens_and_replaces_the_object(
        rule, admin_user, api_as):
    client = api_as(admin_user)
    answer = client.patch(f"/api/rules/{rule.pk}/",
                          {"excludes": {"genres": ["Comedy"], "networks": ["CBS"]}},
                          format="json")
    assert answer.status_code == 200, answer.content
    assert pending(rule) == 2
    # The object is replaced whole: the networks list left out of this PATCH is emptied.
    answer = client.patch(f"/api/rules/{rule.pk}/", {"excludes": {"types": ["Reality"]}},
                          format="json")
    assert answer.json()["excludes"]["genres"] == []
    assert answer.json()["excludes"]["networks"] == []
    assert answer.json()["excludes"]["types"] == ["Reality"]
    assert pending(rule) == 3
    assert refilters(rule) == 2
    # A PATCH without the field keeps it, and queues nothing.
    answer = client.patch(f"/api/rules/{rule.pk}/", {"dry_run": True}, format="json")
    assert answer.json()["excludes"]["types"] == ["Reality"]
    assert refilters(rule) == 2


def test_a_patch_of_one_field_then_another_keeps_the_first(rule, admin_user, api_as):
    client = api_as(admin_user)
    client.patch(f"/api/rules/{rule.pk}/", {"selections": [{"genres_any": ["Comedy"]}]},
                 format="json")
    client.patch(f"/api/rules/{rule.pk}/", {"excludes": {"languages": ["Japanese"]}},
                 format="json")
    stored = DiscoveryRule.objects.get(pk=rule.pk)
    assert [s.genres_any for s in stored.selections.all()] == [["Comedy"]]
    assert stored.exclude_languages == ["Japanese"]
    assert pending(rule) == 1


def test_a_put_re_decides(rule, admin_user, api_as):
    client = api_as(admin_user)
    body = client.get(f"/api/rules/{rule.pk}/").json()
    body["selections"] = [{"genres_any": ["Comedy"]}]
    answer = client.put(f"/api/rules/{rule.pk}/", body, format="json")
    assert answer.status_code == 200, answer.content
    assert pending(rule) == 1
    assert refilters(rule) == 1


def test_a_post_decides_the_new_rule(admin_user, api_as):
    server = factories.SonarrServerFactory()
    show = factories.ShowFactory(genres=["Comedy"])
    answer = api_as(admin_user).post("/api/rules/", {
        "name": "dramas", "server": server.pk, "root_folder": "/tv",
        "quality_profile": "HD-1080p", "selections": [{"genres_any": ["Drama"]}]},
        format="json")
    assert answer.status_code == 201, answer.content
    decision = Decision.objects.get(rule_id=answer.json()["id"], show=show)
    assert (decision.status, decision.reason) == (S.FILTERED, "genre:Comedy")


def _change_form(rule: DiscoveryRule, selections: list[dict[str, str]]) -> dict[str, str]:
    existing = list(RuleSelection.objects.filter(rule=rule).order_by("position"))
    data = {
        "name": rule.name, "server": str(rule.server_id), "enabled": "on",
        "root_folder": rule.root_folder, "quality_profile": rule.quality_profile,
        "monitor": rule.monitor, "series_type": rule.series_type, "season_folder": "on",
        "selections-TOTAL_FORMS": str(len(existing) + len(selections)),
        "selections-INITIAL_FORMS": str(len(existing)),
    }
    for i, row in enumerate(existing):  # each stored selection, deleted
        data.update({f"selections-{i}-id": str(row.pk), f"selections-{i}-rule": str(rule.pk),
                     f"selections-{i}-position": str(i), f"selections-{i}-DELETE": "on"})
    for j, fields in enumerate(selections, start=len(existing)):
        data.update({f"selections-{j}-position": str(j),
                     **{f"selections-{j}-{k}": v for k, v in fields.items()}})
    return data


def test_the_admin_change_form_with_its_inlines_narrows_then_widens(rule, admin_user, client):
    client.force_login(admin_user)
    url = f"/admin/catalog/discoveryrule/{rule.pk}/change/"
    response = client.post(url, _change_form(rule, [{"genres_any": "Comedy"}]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert refilters(rule) == 1
    assert pending(rule) == 1
    response = client.post(url, _change_form(rule, []))
    assert response.status_code == 302
    assert refilters(rule) == 2
    assert pending(rule) == 3


def test_a_rule_enabled_again_re_decides_what_changed_meanwhile(rule, admin_user, api_as):
    client = api_as(admin_user)
    client.patch(f"/api/rules/{rule.pk}/", {"enabled": False}, format="json")
    late = factories.ShowFactory(genres=["Drama"])
    decide_shows([late.pk])  # decided against enabled rules only: not this one
    assert not Decision.objects.filter(rule=rule, show=late).exists()
    client.patch(f"/api/rules/{rule.pk}/", {"enabled": True}, format="json")
    assert Decision.objects.get(rule=rule, show=late).status == S.PENDING
