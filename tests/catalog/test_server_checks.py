"""Saving a Plex or Sonarr server checks its URL, that it answers, and that it takes the key."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from catalog.models import PlexServer, SonarrServer
from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer, json_response
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.sonarr import SonarrFake

TOKEN = "plex-check-token"
KEY = "sonarr-check-key-0123456789abcdef"


@pytest.fixture
def plex() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=1, episodes=1)], token=TOKEN) as fake:
        yield fake


@pytest.fixture
def sonarr() -> Iterator[SonarrFake]:
    with SonarrFake(api_key=KEY, version=SonarrFake.V4) as fake:
        yield fake


class Radarr(FakeServer):
    """Something else with Sonarr's API shape."""

    def handle(self, request: FakeRequest) -> FakeResponse:
        return json_response({"appName": "Radarr", "version": "5.2.6.8376"})


class Redirector(FakeServer):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def handle(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(302, b"", {"Location": self.target + request.path})


@pytest.fixture
def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _post(client, kind: str, url: str, key: str, **extra):
    field = "token" if kind == "plex" else "api_key"
    return client.post(f"/api/{kind}/servers/", {"name": "s", "url": url, field: key, **extra},
                       format="json")


@pytest.mark.django_db
def test_it_saves_a_plex_server_that_answers_with_its_identity(admin_user, api_as, plex):
    response = _post(api_as(admin_user), "plex", plex.url, TOKEN)
    assert response.status_code == 201, response.content
    assert response.json()["machine_identifier"] == plex.machine_identifier
    assert response.json()["version"] == plex.version


@pytest.mark.django_db
def test_it_saves_a_sonarr_server_with_its_version(admin_user, api_as, sonarr):
    response = _post(api_as(admin_user), "sonarr", sonarr.url, KEY)
    assert response.status_code == 201, response.content
    assert response.json()["version"] == SonarrFake.V4


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["plex", "sonarr"])
def test_it_names_a_refused_key(kind, admin_user, api_as, plex, sonarr):
    url = plex.url if kind == "plex" else sonarr.url
    response = _post(api_as(admin_user), kind, url, "wrong-key")
    field = "token" if kind == "plex" else "api_key"
    assert response.status_code == 400
    assert response.json()[field][0].startswith("unauthorised")
    assert not PlexServer.objects.exists() and not SonarrServer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["plex", "sonarr"])
def test_it_names_an_unreachable_server(kind, admin_user, api_as, closed_url):
    response = _post(api_as(admin_user), kind, closed_url, "k")
    assert response.status_code == 400
    assert response.json()["url"][0].startswith("unreachable")


@pytest.mark.django_db
def test_it_names_a_server_of_another_kind(admin_user, api_as, plex, sonarr):
    client = api_as(admin_user)
    not_plex = _post(client, "plex", sonarr.url, KEY)
    assert not_plex.status_code == 400
    assert not_plex.json()["url"][0].startswith("not a Plex")
    with FakeServer() as elsewhere:  # some web server: 404 on Sonarr's status
        not_sonarr = _post(client, "sonarr", elsewhere.url, KEY)
    assert not_sonarr.status_code == 400
    assert not_sonarr.json()["url"][0].startswith("not a Sonarr")
    with Radarr() as radarr:
        response = _post(client, "sonarr", radarr.url, KEY)
    assert response.status_code == 400 and "Radarr" in response.json()["url"][0]


@pytest.mark.django_db
def test_it_names_a_redirect_to_another_origin(admin_user, api_as, plex):
    with Redirector(plex.url) as redirector:
        response = _post(api_as(admin_user), "plex", redirector.url, TOKEN)
    assert response.status_code == 400
    message = response.json()["url"][0]
    assert message.startswith("redirected") and plex.url in message
    assert plex.counts.total() == 0  # the token never reached the other port


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["plex", "sonarr"])
def test_it_saves_a_server_that_is_down_when_asked_not_to_verify(kind, admin_user, api_as,
                                                                 closed_url):
    response = _post(api_as(admin_user), kind, closed_url, "k", verify=False)
    assert response.status_code == 201
    assert "verify" not in response.json()


@pytest.mark.django_db
def test_it_checks_again_when_the_url_or_key_changes_only(admin_user, api_as, plex, closed_url):
    client = api_as(admin_user)
    server = _post(client, "plex", plex.url, TOKEN).json()
    detail = f"/api/plex/servers/{server['id']}/"
    assert client.patch(detail, {"url": closed_url}).status_code == 400
    assert client.patch(detail, {"token": "wrong"}).status_code == 400
    assert PlexServer.objects.get().token == TOKEN
    plex.stop()  # down now: a change that touches neither needs no check
    assert client.patch(detail, {"enabled": False}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "needle"), [
    ("ftp://plex:21", "http:// and https://"),
    ("file:///etc/passwd", "http:// and https://"),
    ("javascript:alert(1)", "http:// and https://"),
    ("http://user:hunter2@plex:32400", "no user name or password"),
    ("http://token@plex:32400", "no user name or password"),
    ("http://plex:32400/?X-Plex-Token=abc", "without a query"),
    ("http://plex:32400/#x", "without a query"),
    ("http://plex:99999", "valid URL"),
    ("http://plex :32400", "without spaces"),
    ("http://pl\tex:32400", "without spaces"),
    ("http://", "names no host"),
    ("plex:32400", "http:// and https://"),
])
def test_it_refuses_a_bad_url_before_any_request(url, needle, admin_user, api_as):
    for kind in ("plex", "sonarr"):
        response = _post(api_as(admin_user), kind, url, "k")
        assert response.status_code == 400
        assert needle in response.json()["url"][0]
        assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_it_checks_in_the_admin_unless_the_box_is_cleared(admin_user, client, plex):
    client.force_login(admin_user)
    form = {"name": "den", "url": plex.url, "token": "wrong", "enabled": "on",
            "path_mappings-TOTAL_FORMS": "0", "path_mappings-INITIAL_FORMS": "0"}
    refused = client.post("/admin/catalog/plexserver/add/", {**form, "verify": "on"})
    assert refused.status_code == 200 and "unauthorised" in refused.content.decode()
    assert not PlexServer.objects.exists()
    checked = client.post("/admin/catalog/plexserver/add/", {**form, "token": TOKEN,
                                                             "verify": "on"})
    assert checked.status_code == 302
    assert PlexServer.objects.get().machine_identifier == plex.machine_identifier
    unchecked = client.post("/admin/catalog/plexserver/add/", {**form, "name": "down"})
    assert unchecked.status_code == 302  # box cleared: saved without a request
