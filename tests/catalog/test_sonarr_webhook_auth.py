"""Sonarr's webhook lets in only its server's secret: every role, logged in by session or
token, is refused without it; a wrong secret, a server without one and a server that does
not exist get the same 401 byte for byte; the secret is shown once (API action, admin
action) and never again, in no page, answer or log line."""

from __future__ import annotations

import base64
import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import SonarrServer
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "roleless", "viewer", "operator", "admin"]
TEST_EVENT = {"eventType": "Test", "instanceName": "Sonarr", "applicationUrl": "",
              "series": {"id": 1, "title": "Test Title", "tvdbId": 1234}}


def url(server_id: object) -> str:
    return f"/api/webhooks/sonarr/{server_id}/"


def basic(secret: str, user: str = "sonarr") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def server(admin_user) -> tuple[SonarrServer, str]:
    made = factories.SonarrServerFactory()
    client = APIClient()
    client.force_authenticate(admin_user)
    answer = client.post(f"/api/sonarr/servers/{made.pk}/webhook-secret/")
    assert answer.status_code == 201, answer.content
    return made, answer.json()["password"]


def _logged_in(how: str, user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    if user is None:
        return client
    if how == "session":
        assert client.login(username=user.username, password=PASSWORD)
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _fingerprint(response) -> tuple:
    headers = sorted((k, v) for k, v in response.items() if k.lower() != "date")
    return response.status_code, tuple(headers), response.content


@pytest.mark.parametrize("how", ["session", "token"])
@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_every_role_without_the_secret(users, server, role, how):
    client = _logged_in(how, users[role])
    answer = client.post(url(server[0].pk), TEST_EVENT, format="json")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Basic")
    assert SonarrServer.objects.get(pk=server[0].pk).webhook_event == ""


def test_it_accepts_the_secret_as_the_basic_password_with_any_user_name(server):
    srv, secret = server
    for user in ("sonarr", "", "anything at all"):
        answer = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                               **basic(secret, user))
        assert answer.status_code == 200, answer.content
    assert SonarrServer.objects.get(pk=srv.pk).webhook_event == "Test"


def test_it_accepts_the_secret_in_a_header(server):
    srv, secret = server
    answer = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                           HTTP_X_WEBHOOK_SECRET=secret)
    assert answer.status_code == 200
    assert answer.json() == {"event": "Test", "ignored": True}


def test_it_answers_put_like_post(server):
    srv, secret = server
    answer = Client().put(url(srv.pk), TEST_EVENT, content_type="application/json",
                          **basic(secret))
    assert answer.status_code == 200


def test_it_never_says_whether_a_server_exists(server, admin_user):
    srv, secret = server
    without = factories.SonarrServerFactory()  # no secret generated
    other = factories.SonarrServerFactory()
    other_secret = APIClient()
    other_secret.force_authenticate(admin_user)
    foreign = other_secret.post(f"/api/sonarr/servers/{other.pk}/webhook-secret/").json()
    attempts = {
        "wrong secret": (srv.pk, basic("not-the-secret")),
        "another server's secret": (srv.pk, basic(foreign["password"])),
        "no secret set": (without.pk, basic(secret)),
        "no such server": (999_999, basic(secret)),
        "no such server, huge id": (10**40, basic(secret)),
        "not an id": ("abc", basic(secret)),
        "no credentials": (srv.pk, {}),
        "empty password": (srv.pk, basic("")),
        "malformed basic": (srv.pk, {"HTTP_AUTHORIZATION": "Basic %%%not-base64"}),
        "bearer": (srv.pk, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}),
        "huge secret": (srv.pk, basic("x" * 100_000)),
    }
    answers = {name: Client().post(url(pk), TEST_EVENT, content_type="application/json",
                                   **headers) for name, (pk, headers) in attempts.items()}
    prints = {name: _fingerprint(a) for name, a in answers.items()}
    assert {p[0] for p in prints.values()} == {401}
    assert len(set(prints.values())) == 1, prints
    assert SonarrServer.objects.exclude(webhook_event="").count() == 0


def test_a_new_secret_replaces_the_old_one(server, admin_user):
    srv, old = server
    client = APIClient()
    client.force_authenticate(admin_user)
    new = client.post(f"/api/sonarr/servers/{srv.pk}/webhook-secret/").json()["password"]
    assert new != old
    refused = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                            **basic(old))
    taken = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                          **basic(new))
    assert (refused.status_code, taken.status_code) == (401, 200)


def test_clearing_the_secret_closes_the_webhook(server, admin_user):
    srv, secret = server
    client = APIClient()
    client.force_authenticate(admin_user)
    assert client.delete(f"/api/sonarr/servers/{srv.pk}/webhook-secret/").status_code == 204
    answer = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                           **basic(secret))
    assert answer.status_code == 401
    assert client.get(f"/api/sonarr/servers/{srv.pk}/").json()["webhook_configured"] is False


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_generate_a_secret(users, role):
    srv = factories.SonarrServerFactory()
    client = APIClient()
    client.force_authenticate(users[role])
    assert client.post(f"/api/sonarr/servers/{srv.pk}/webhook-secret/").status_code == 403
    assert client.delete(f"/api/sonarr/servers/{srv.pk}/webhook-secret/").status_code == 403
    assert SonarrServer.objects.get(pk=srv.pk).webhook_secret_hash == ""


def test_the_secret_is_shown_once_and_never_again(admin_user, viewer, caplog, client):
    caplog.set_level(logging.DEBUG)
    srv = factories.SonarrServerFactory()
    api = APIClient()
    api.force_authenticate(admin_user)
    answer = api.post(f"/api/sonarr/servers/{srv.pk}/webhook-secret/")
    secret = answer.json()["password"]
    assert answer["Cache-Control"] == "no-store"
    assert answer.json()["url"].endswith(url(srv.pk))
    stored = SonarrServer.objects.get(pk=srv.pk)
    assert secret not in stored.webhook_secret_hash and len(stored.webhook_secret_hash) == 64
    Client().post(url(srv.pk), TEST_EVENT, content_type="application/json", **basic(secret))
    Client().post(url(srv.pk), {"eventType": "Nope"}, content_type="application/json",
                  **basic(secret))
    pages = [api.get(f"/api/sonarr/servers/{srv.pk}/"), api.get("/api/sonarr/servers/"),
             api.get("/api/schema/")]
    detail = pages[0].json()
    assert detail["webhook_configured"] is True and detail["webhook_event"] == "Test"
    assert "webhook_secret_hash" not in detail
    for user in (admin_user, viewer):
        client.force_login(user)
        pages += [client.get(f"/admin/catalog/sonarrserver/{srv.pk}/change/"),
                  client.get("/admin/catalog/sonarrserver/")]
    for page in pages:
        assert page.status_code == 200
        assert secret not in page.content.decode()
        assert stored.webhook_secret_hash not in page.content.decode()
    assert secret not in caplog.text
    assert secret not in repr(stored) and secret not in str(stored)


def test_the_admin_action_shows_new_secrets_on_a_page_of_their_own(admin_user, client):
    first, second = factories.SonarrServerFactory(), factories.SonarrServerFactory()
    client.force_login(admin_user)
    page = client.post("/admin/catalog/sonarrserver/", {
        "action": "webhook_secret_generate", "_selected_action": [first.pk, second.pk]})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    text = page.content.decode()
    for srv in (first, second):
        assert url(srv.pk) in text
    secrets = [line.split(">", 1)[1].split("<", 1)[0] for line in
               text.split('<code class="webhook-secret"')[1:]]
    assert len(secrets) == 2
    for srv, secret in zip(sorted([first, second], key=lambda s: s.name), secrets,
                           strict=True):
        answer = Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                               **basic(secret))
        assert answer.status_code == 200
    later = client.get(f"/admin/catalog/sonarrserver/{first.pk}/change/").content.decode()
    assert all(secret not in later for secret in secrets)
    assert "secret set" in later


def test_the_admin_refuses_more_servers_than_one_page_shows_instead_of_cutting(
        admin_user, client):
    servers = [factories.SonarrServerFactory() for _ in range(21)]
    client.force_login(admin_user)
    page = client.post("/admin/catalog/sonarrserver/", {
        "action": "webhook_secret_generate", "_selected_action": [s.pk for s in servers]},
        follow=True)
    assert "no secret was generated" in page.content.decode()
    assert not SonarrServer.objects.exclude(webhook_secret_hash="").exists()


def test_operators_cannot_generate_a_secret_in_the_admin(operator, client):
    srv = factories.SonarrServerFactory()
    client.force_login(operator)
    client.post("/admin/catalog/sonarrserver/", {
        "action": "webhook_secret_generate", "_selected_action": [srv.pk]})
    assert SonarrServer.objects.get(pk=srv.pk).webhook_secret_hash == ""


def test_refused_calls_are_limited_per_address_and_the_right_secret_never_is(server,
                                                                             settings):
    settings.SONARR_WEBHOOK_RATE = 3
    srv, secret = server
    codes = [Client().post(url(srv.pk), TEST_EVENT, content_type="application/json",
                           **basic(secret if n % 2 else "wrong")).status_code
             for n in range(10)]
    # The secret is checked first: right secrets are never limited nor counted; past three
    # wrong ones, the address's refused calls get 429 instead of 401 until the window ends.
    assert codes[:6] == [401, 200, 401, 200, 401, 200]
    assert codes[6:] == [429, 200, 429, 200]


def test_nobody_filters_the_admin_list_by_the_secrets_hash(server, viewer, admin_user, client):
    srv, _ = server
    prefix = SonarrServer.objects.get(pk=srv.pk).webhook_secret_hash[:1]
    for user in (viewer, admin_user):
        client.force_login(user)
        answer = client.get(f"/admin/catalog/sonarrserver/?webhook_secret_hash__startswith="
                            f"{prefix}")
        assert answer.status_code == 400  # DisallowedModelAdminLookup, as for the API key
