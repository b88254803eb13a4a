"""Every page for every role: anonymous to the login, role-less told so, actions by role."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SyncRun
from tests.catalog.ui.conftest import pages

ROLES = ("anonymous", "roleless", "viewer", "operator", "admin")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_serves_every_page_by_role(role, users, world, client):
    if users[role] is not None:
        client.force_login(users[role])
    for url in pages(world):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        elif role == "roleless":
            assert response.status_code == 403
            assert b"Your account has no role yet" in response.content
        else:
            assert response.status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("role,buttons", [("viewer", False), ("operator", True),
                                          ("admin", True)])
def test_it_shows_action_buttons_only_to_operators(role, buttons, users, world, client):
    client.force_login(users[role])
    dashboard = client.get("/").content.decode()
    show = client.get(f"/shows/{world.show.pk}/").content.decode()
    runs = client.get("/runs/").content.decode()
    assert ("Sync TVMaze now" in dashboard) is buttons
    assert ("Refresh from TVMaze" in show) is buttons
    assert ('value="approve"' in show) is buttons
    assert ("Cancel</button>" in runs) is buttons
    assert ("edit in admin" in show) is (role == "admin")


@pytest.mark.django_db
@pytest.mark.parametrize("role,code", [("anonymous", 302), ("roleless", 403), ("viewer", 403)])
def test_it_refuses_actions_below_operator(role, code, users, world, client):
    if users[role] is not None:
        client.force_login(users[role])
    decision = Decision.objects.filter(status="awaiting_approval").first()
    posts = [("/sync/tvmaze/", {}), (f"/runs/{world.run.pk}/cancel/", {}),
             ("/decisions/review/", {"verdict": "approve", "decision": decision.pk}),
             (f"/shows/{world.show.pk}/refresh/", {})]
    for url, data in posts:
        assert client.post(url, data).status_code == code, url
    assert SyncRun.objects.get(pk=world.run.pk).cancel_requested_at is None
    assert Decision.objects.get(pk=decision.pk).status == "awaiting_approval"
    assert not SyncRun.objects.filter(triggered_by__in=["vera", "nobody"]).exists()


@pytest.mark.django_db
def test_it_refuses_get_on_actions(operator, world, client):
    client.force_login(operator)
    assert client.get("/sync/tvmaze/").status_code == 405
    assert client.get(f"/runs/{world.run.pk}/cancel/").status_code == 405


@pytest.mark.django_db
def test_it_sends_a_polling_page_whose_session_ended_to_the_login(client):
    response = client.get("/runs/active/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://localhost/runs/?kind=plex")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/login/?next=%2Fruns%2F"
