"""The same role matrix in the Django admin."""

from __future__ import annotations

import pytest

from tests import factories

READ_ALL = {"anonymous": 302, "roleless": 302, "viewer": 200, "operator": 200, "admin": 200}
ADMIN_ONLY = {"anonymous": 302, "roleless": 302, "viewer": 403, "operator": 403, "admin": 200}
EXPECTED = {
    # page -> {role: status}
    "show_list": READ_ALL,
    "server_add": ADMIN_ONLY,
    "user_list": ADMIN_ONLY,
    "schedule_list": ADMIN_ONLY,
}
URLS = {
    "show_list": "/admin/catalog/show/",
    "server_add": "/admin/catalog/plexserver/add/",
    "user_list": "/admin/auth/user/",
    "schedule_list": "/admin/django_q/schedule/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(EXPECTED))
@pytest.mark.parametrize("role", ["anonymous", "roleless", "viewer", "operator", "admin"])
def test_it_enforces_the_admin_matrix(page, role, users, client):
    factories.ShowFactory()
    if users[role] is not None:
        client.force_login(users[role])
    assert client.get(URLS[page]).status_code == EXPECTED[page][role]


@pytest.mark.django_db
def test_it_lets_an_admin_add_a_server_through_the_form(admin_user, client):
    client.force_login(admin_user)
    response = client.post("/admin/catalog/plexserver/add/", {
        "name": "den", "url": "http://den:32400", "token": "t0ken", "enabled": "on",
        "path_mappings-TOTAL_FORMS": "0", "path_mappings-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    from catalog.models import PlexServer

    assert PlexServer.objects.get(name="den").token == "t0ken"


@pytest.mark.django_db
def test_it_keeps_the_token_when_the_secret_field_is_left_blank(admin_user, client):
    server = factories.PlexServerFactory(token="keep-me")
    client.force_login(admin_user)
    response = client.post(f"/admin/catalog/plexserver/{server.pk}/change/", {
        "name": server.name, "url": server.url, "token": "", "enabled": "on",
        "path_mappings-TOTAL_FORMS": "0", "path_mappings-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.token == "keep-me"


@pytest.mark.django_db
def test_it_shows_a_clear_error_for_a_bad_server_url(admin_user, client):
    client.force_login(admin_user)
    response = client.post("/admin/catalog/plexserver/add/", {
        "name": "bad", "url": "not a url", "token": "x",
        "path_mappings-TOTAL_FORMS": "0", "path_mappings-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert b"Enter a valid URL" in response.content
