"""Hostile input in the admin: a clear answer, never a 500, nothing half-written."""

from __future__ import annotations

import pytest

from tests import factories

LISTS = ["plexserver", "plexlibrary", "mediaitem", "sonarrserver", "discoveryrule", "decision",
         "syncrun", "show"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["name=a%00b", "status__exact=%00", "state__exact=%00",
                                   "q=a%00b", "a%00b=1"])
@pytest.mark.parametrize("model", LISTS)
def test_it_answers_400_to_a_nul_in_a_changelist_parameter(model, query, admin_user, client):
    """PostgreSQL refuses NUL in text: a filter carrying one would be a 500 there."""
    factories.PlexServerFactory()
    client.force_login(admin_user)
    response = client.get(f"/admin/catalog/{model}/?{query}")
    assert response.status_code == 400
    assert b"NUL" in response.content


def _rule_form(server_id: int, selections: int = 1, **extra: str) -> dict:
    data = {
        "name": "hostile", "server": server_id, "enabled": "on", "root_folder": "/tv",
        "quality_profile": "HD", "monitor": "all", "series_type": "standard",
        "season_folder": "on", "selections-TOTAL_FORMS": str(selections),
        "selections-INITIAL_FORMS": "0",
    }
    for i in range(selections):
        data[f"selections-{i}-position"] = str(i)
    data.update(extra)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["exclude_networks", "selections-0-networks_any",
                                   "selections-0-networks_none"])
def test_it_refuses_a_nul_in_a_rule_network_list(field, admin_user, client):
    """A comma list is checked as text: PostgreSQL cannot store NUL in a JSON string."""
    from catalog.models import DiscoveryRule

    server = factories.SonarrServerFactory()
    client.force_login(admin_user)
    response = client.post("/admin/catalog/discoveryrule/add/",
                           _rule_form(server.pk, **{field: "HBO\x00, CBS"}))
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not DiscoveryRule.objects.exists()


@pytest.mark.django_db
def test_it_holds_a_rule_to_the_api_s_limit_of_selections(admin_user, client):
    """A rule the admin saves can be sent back through the API unchanged (PUT)."""
    from catalog.models import DiscoveryRule
    from catalog.rules.engine import MAX_SELECTIONS

    server = factories.SonarrServerFactory()
    client.force_login(admin_user)
    response = client.post("/admin/catalog/discoveryrule/add/",
                           _rule_form(server.pk, selections=MAX_SELECTIONS + 1))
    assert response.status_code == 200
    assert f"Please submit at most {MAX_SELECTIONS} forms." in response.content.decode()
    assert not DiscoveryRule.objects.exists()
    response = client.post("/admin/catalog/discoveryrule/add/",
                           _rule_form(server.pk, selections=MAX_SELECTIONS))
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("selected", ["abc", "1.5", "", "a\x00"])
@pytest.mark.parametrize(("model", "action"), [
    ("decision", "approve"), ("show", "skip"), ("syncrun", "cancel_runs"),
    ("mediaitem", "purge_deleted"), ("plexlibrary", "scan_now"), ("auth/user", "delete_selected"),
])
def test_it_answers_400_to_a_selected_row_that_is_not_an_id(model, action, selected,
                                                             admin_user, client):
    """Django would filter ``pk__in`` with the text and fail with a ValueError (a 500)."""
    factories.DecisionFactory()
    path = model if "/" in model else f"catalog/{model}"
    client.force_login(admin_user)
    response = client.post(f"/admin/{path}/", {"action": action, "index": "0",
                                               "_selected_action": ["1", selected]})
    assert response.status_code == 400
    assert b"not a row id" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["discoveryrule", "sonarrserver"])
def test_it_lets_an_admin_delete_a_rule_or_server_that_has_decided_shows(target, admin_user,
                                                                          client):
    """Decisions are derived rows nobody deletes by hand: they go with their rule, as the
    API's DELETE does, instead of making the admin refuse ("Cannot delete")."""
    from catalog.models import Decision, DiscoveryRule

    rule = factories.DiscoveryRuleFactory()
    factories.DecisionFactory(rule=rule)
    pk = rule.pk if target == "discoveryrule" else rule.server_id
    client.force_login(admin_user)
    page = client.get(f"/admin/catalog/{target}/{pk}/delete/")
    assert "Cannot delete" not in page.content.decode()
    response = client.post(f"/admin/catalog/{target}/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not DiscoveryRule.objects.exists() and not Decision.objects.exists()


@pytest.mark.django_db
def test_it_still_refuses_an_operator_the_delete_page(operator, client):
    rule = factories.DiscoveryRuleFactory()
    client.force_login(operator)
    assert client.get(f"/admin/catalog/discoveryrule/{rule.pk}/delete/").status_code == 403
    response = client.post(f"/admin/catalog/discoveryrule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_it_lists_a_bounded_sample_of_what_a_delete_takes_along(admin_user, client):
    from catalog.admin.site import LISTED_PER_LEVEL

    rule = factories.DiscoveryRuleFactory()
    for _ in range(LISTED_PER_LEVEL + 30):
        factories.DecisionFactory(rule=rule)
    client.force_login(admin_user)
    page = client.get(f"/admin/catalog/discoveryrule/{rule.pk}/delete/").content.decode()
    assert page.count("<li>Decision:") == LISTED_PER_LEVEL
    assert "… and 30 more" in page
    assert f"Decisions: {LISTED_PER_LEVEL + 30}" in page
