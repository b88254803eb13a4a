"""Token and session login on the API, and failed-login throttling."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_it_issues_a_token_that_authenticates_requests(viewer):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/shows/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_with_400(viewer):
    response = APIClient().post("/api/auth/token/", {"username": "vera", "password": "nope"})
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_it_locks_out_after_repeated_failures_even_with_the_right_password(viewer, client):
    for _ in range(5):
        client.post("/login/", {"username": "vera", "password": "wrong"})
    response = client.post("/login/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_logs_in_through_the_login_page(viewer, client):
    response = client.post("/login/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_sends_anonymous_dashboard_visitors_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_it_refuses_the_dashboard_to_role_less_accounts(roleless, client):
    client.force_login(roleless)
    assert client.get("/").status_code == 403


@pytest.mark.django_db
def test_it_locks_the_token_endpoint_after_repeated_failures(viewer):
    client = APIClient()
    for _ in range(5):
        client.post("/api/auth/token/", {"username": "vera", "password": "wrong"})
    response = client.post("/api/auth/token/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300
    assert "token" not in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/admin/", "/admin/login/"])
def test_it_tells_a_role_less_account_why_and_offers_a_log_out(roleless, client, url):
    client.force_login(roleless)
    response = client.get(url, follow=True)
    page = response.content.decode()
    assert response.status_code == 403
    assert "has no role yet" in page and "nobody" in page
    assert 'action="/logout/"' in page and "Log out" in page
    assert 'href="/admin/"' not in page  # no links to surfaces it cannot use


@pytest.mark.django_db
def test_it_lets_a_role_less_account_log_out(roleless, client):
    client.force_login(roleless)
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
