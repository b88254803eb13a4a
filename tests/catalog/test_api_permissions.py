"""The permission matrix on the API: anonymous / role-less / viewer / operator / admin."""

from __future__ import annotations

import pytest

from tests import factories

LIST_ENDPOINTS = [
    "/api/shows/", "/api/episodes/", "/api/plex/servers/", "/api/plex/libraries/",
    "/api/items/", "/api/path-mappings/", "/api/sonarr/servers/", "/api/rules/",
    "/api/decisions/", "/api/sync-runs/",
]

READ_EXPECTED = {"anonymous": 401, "roleless": 403, "viewer": 200, "operator": 200, "admin": 200}
ADMIN_WRITE_EXPECTED = {"anonymous": 401, "roleless": 403, "viewer": 403, "operator": 403,
                        "admin": 201}


@pytest.mark.django_db
@pytest.mark.parametrize("url", LIST_ENDPOINTS)
@pytest.mark.parametrize("role", list(READ_EXPECTED))
def test_it_enforces_the_read_matrix(url, role, users, api_as):
    response = api_as(users[role]).get(url)
    assert response.status_code == READ_EXPECTED[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ADMIN_WRITE_EXPECTED))
def test_it_lets_only_admins_create_servers(role, users, api_as):
    body = {"name": f"home-{role}", "url": "http://plex.local:32400", "token": "abc",
            "verify": False}
    response = api_as(users[role]).post("/api/plex/servers/", body, format="json")
    assert response.status_code == ADMIN_WRITE_EXPECTED[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ADMIN_WRITE_EXPECTED))
def test_it_lets_only_admins_manage_path_mappings(role, users, api_as):
    server = factories.PlexServerFactory()
    body = {"server": server.pk, "plex_prefix": "/data/tv", "local_prefix": "/mnt/tv"}
    response = api_as(users[role]).post("/api/path-mappings/", body, format="json")
    assert response.status_code == ADMIN_WRITE_EXPECTED[role]


@pytest.mark.django_db
def test_it_answers_anonymous_requests_with_a_token_challenge(api_as):
    response = api_as(None).get("/api/shows/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_it_rejects_writes_to_read_only_endpoints_even_for_admins(admin_user, api_as):
    response = api_as(admin_user).post("/api/shows/", {"title": "x"}, format="json")
    assert response.status_code == 405
