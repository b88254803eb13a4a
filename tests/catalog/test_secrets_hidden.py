"""Secrets are write-only everywhere, for every role: admin pages, API answers, the schema,
str/repr, the error text and events of a failing run, and the log lines it writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from catalog.apps import _teach_log_scrubber
from catalog.models import Decision, PlexServer, SonarrServer, SyncRun
from catalog.runs.execute import sync_run_now
from integrations.fakes.base import Fault
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.sonarr import SonarrFake
from integrations.fakes.tvmaze import TvmazeFake
from tests import factories
from tests.catalog.sync.sonarr_fixtures import client_for, push, rule_for, shows_known_to

PLEX_SECRET = "plex-token-SECRET-value"
SONARR_SECRET = "sonarr-apikey-SECRET-value"
TMDB_SECRET = "tmdb-key-SECRET-value"
TVMAZE_SECRET = "tvmaze-key-SECRET-value"
SECRETS = (PLEX_SECRET, SONARR_SECRET, TMDB_SECRET, TVMAZE_SECRET)
ROLES = ["viewer", "operator", "admin"]


def assert_no_secret(text: str, where: str = "") -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked in {where}"


@pytest.fixture(autouse=True)
def _upstream_keys(settings):
    """As if the process had started with these keys configured."""
    settings.TMDB_API_KEY = TMDB_SECRET
    settings.TVMAZE_API_KEY = TVMAZE_SECRET
    _teach_log_scrubber()


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler (filter and formatter included) writes."""
    buffer = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "the console handler is configured"
    streams = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, streams, strict=True):
        handler.setStream(stream)


@pytest.fixture
def servers(db, admin_user):
    plex = factories.PlexServerFactory(token=PLEX_SECRET)
    sonarr = factories.SonarrServerFactory(api_key=SONARR_SECRET)
    factories.PathMappingFactory(server=plex)
    factories.DiscoveryRuleFactory(server=sonarr)
    factories.PlexLibraryFactory(server=plex)
    for server in (plex, sonarr):  # history pages have something to list
        LogEntry.objects.log_actions(
            user_id=admin_user.pk, queryset=[server], action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["Token", "URL"]}}]))
    return plex, sonarr


def _admin_pages(plex: PlexServer, sonarr: SonarrServer) -> list[str]:
    pages = []
    for model, obj in (("plexserver", plex), ("sonarrserver", sonarr)):
        base = f"/admin/catalog/{model}/"
        pages += [base, f"{base}{obj.pk}/change/", f"{base}{obj.pk}/history/",
                  f"{base}{obj.pk}/delete/", f"{base}add/"]
    pages += ["/admin/catalog/pathmapping/", "/admin/catalog/discoveryrule/",
              "/admin/catalog/plexlibrary/", "/admin/catalog/syncrun/", "/admin/",
              "/admin/admin/logentry/"]
    for model, related in (("pathmapping", plex.path_mappings.get()),
                           ("plexlibrary", plex.libraries.get()),
                           ("discoveryrule", sonarr.rules.get())):
        pages.append(f"/admin/catalog/{model}/{related.pk}/change/")
    pages.append(f"/admin/catalog/plexlibrary/?server__id__exact={plex.pk}")
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_keeps_secrets_out_of_every_admin_page_for_every_role(role, users, servers, client):
    plex, sonarr = servers
    client.force_login(users[role])
    seen = 0
    for page in _admin_pages(plex, sonarr):
        response = client.get(page)
        assert response.status_code in (200, 302, 403, 404), page
        assert_no_secret(response.content.decode(), f"{page} as {role}")
        seen += response.status_code == 200
    assert seen >= 10  # the role really read the server pages, not only refusals


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_to_filter_an_admin_list_by_a_key(role, users, servers, client):
    """A list filtered by a guessed prefix would tell the key one character at a time."""
    client.force_login(users[role])
    for model, field, secret in (("plexserver", "token", PLEX_SECRET),
                                 ("sonarrserver", "api_key", SONARR_SECRET)):
        for lookup in (f"{field}__startswith={secret[:5]}", f"{field}={secret}",
                       f"{field}__regex=^{secret[0]}", f"{field}__gt={secret[:5]}"):
            response = client.get(f"/admin/catalog/{model}/?{lookup}")
            assert response.status_code == 400, f"{model} filtered by {lookup} as {role}"
        assert client.get(f"/admin/catalog/{model}/?name=x").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_it_shows_readers_only_whether_a_key_is_set(role, users, servers, client):
    plex, _ = servers
    client.force_login(users[role])
    page = client.get(f"/admin/catalog/plexserver/{plex.pk}/change/").content.decode()
    assert "set (never shown)" in page
    assert plex.url in page  # the rest of the server is readable


@pytest.mark.django_db
def test_it_never_renders_a_typed_key_back_on_a_form_with_errors(admin_user, servers, client):
    plex, _ = servers
    client.force_login(admin_user)
    for page, name in ((f"/admin/catalog/plexserver/{plex.pk}/change/", plex.name),
                       ("/admin/catalog/plexserver/add/", "new")):
        response = client.post(page, {
            "name": name, "url": "ftp://wrong", "token": PLEX_SECRET, "verify": "on",
            "path_mappings-TOTAL_FORMS": "0", "path_mappings-INITIAL_FORMS": "0"})
        assert response.status_code == 200 and "http:// and https://" in response.content.decode()
        assert_no_secret(response.content.decode(), page)


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_the_action_confirmation(operator, servers, client):
    item = factories.MediaItemFactory(library=factories.PlexLibraryFactory(server=servers[0]),
                                      state="deleted")
    client.force_login(operator)
    response = client.post("/admin/catalog/mediaitem/", {
        "action": "purge_deleted", "_selected_action": [item.pk]})
    assert response.status_code == 200 and "Are you sure" in response.content.decode()
    assert_no_secret(response.content.decode(), "action confirmation")


API_URLS = ["/api/plex/servers/", "/api/sonarr/servers/", "/api/path-mappings/", "/api/rules/",
            "/api/plex/libraries/", "/api/sync-runs/", "/api/schema/", "/api/schema/?format=json"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_keeps_secrets_out_of_api_answers_for_every_role(role, users, servers, api_as):
    plex, sonarr = servers
    client = api_as(users[role])
    urls = [*API_URLS, f"/api/plex/servers/{plex.pk}/", f"/api/sonarr/servers/{sonarr.pk}/",
            f"/api/plex/libraries/{plex.libraries.get().pk}/",
            f"/api/path-mappings/{plex.path_mappings.get().pk}/",
            f"/api/rules/{sonarr.rules.get().pk}/", "/api/docs/"]
    for url in urls:
        for accept in ("application/json", "text/html"):  # the browsable API's forms too
            response = client.get(url, HTTP_ACCEPT=accept)
            unrenderable = (url.startswith("/api/schema/") and accept == "text/html") or \
                (url == "/api/docs/" and accept == "application/json")
            assert response.status_code == (406 if unrenderable else 200), url
            assert_no_secret(response.content.decode(), f"{url} ({accept}) as {role}")


@pytest.mark.django_db
def test_it_documents_keys_as_write_only_in_the_schema(admin_user, api_as):
    schema = api_as(admin_user).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["PlexServerRequest"]["properties"]["token"]["writeOnly"] is True
    assert schema["SonarrServerRequest"]["properties"]["api_key"]["writeOnly"] is True
    assert "token" not in schema["PlexServer"]["properties"]
    assert "api_key" not in schema["SonarrServer"]["properties"]


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_write_answers(servers, admin_user, api_as):
    plex, sonarr = servers
    client = api_as(admin_user)
    answers = [
        client.post("/api/sonarr/servers/", {"name": "new", "url": "http://sonarr:8989",
                                             "api_key": SONARR_SECRET, "verify": False}),
        client.patch(f"/api/plex/servers/{plex.pk}/", {"token": PLEX_SECRET, "verify": False}),
        client.put(f"/api/sonarr/servers/{sonarr.pk}/", {
            "name": sonarr.name, "url": "ftp://nope", "api_key": SONARR_SECRET}),
        client.post("/api/plex/servers/", {"name": "x", "url": f"http://u:{PLEX_SECRET}@h",
                                           "token": PLEX_SECRET}),
    ]
    assert [a.status_code for a in answers] == [201, 200, 400, 400]
    for answer in answers:
        assert_no_secret(answer.content.decode(), "write answer")


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_str_and_repr(servers):
    for server in servers:
        assert_no_secret(f"{server} {server!r}", "str/repr")


@pytest.mark.django_db
def test_it_keeps_the_key_out_of_a_failed_check_answer(admin_user, api_as):
    with SonarrFake(api_key="the-right-key") as fake:
        response = api_as(admin_user).post("/api/sonarr/servers/", {
            "name": "s", "url": fake.url, "api_key": SONARR_SECRET})
    assert response.status_code == 400 and "unauthorised" in response.json()["api_key"][0]
    assert_no_secret(response.content.decode(), "check answer")


@pytest.mark.django_db
def test_it_keeps_a_key_cut_by_the_message_limit_out_of_a_failed_check_answer(admin_user,
                                                                               api_as):
    body = json.dumps({"message": f"{'x' * 185} {SONARR_SECRET}"})
    with SonarrFake(api_key=SONARR_SECRET) as fake:
        fake.inject(Fault(kind="status", status=404, body=body.encode()), times=2)
        response = api_as(admin_user).post("/api/sonarr/servers/", {
            "name": "s", "url": fake.url, "api_key": SONARR_SECRET})
    assert response.status_code == 400 and "not a Sonarr server" in response.json()["url"][0]
    assert SONARR_SECRET[:10] not in response.content.decode()


def _echo_fault(secret: str) -> Fault:
    """An upstream whose error body repeats the credential it was sent."""
    body = json.dumps({"message": f"bad credentials {secret} (X-Plex-Token={secret})"})
    return Fault(kind="status", status=400, body=body.encode())


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_plex_token_out_of_a_failing_runs_record_and_logs(admin_user, api_as,
                                                                         console_log):
    with PlexFake([LibrarySpec("1", "show", "TV", shows=2, episodes=4)],
                  token=PLEX_SECRET) as fake:
        server = PlexServer.objects.create(name="den", url=fake.url, token=PLEX_SECRET)
        fake.inject(_echo_fault(PLEX_SECRET), times=10)
        run = sync_run_now(kind=SyncRun.Kind.PLEX, options={"server_id": server.pk},
                           triggered_by="test")
    assert run.status == SyncRun.Status.FAILED and run.error
    record = api_as(admin_user).get(f"/api/sync-runs/{run.pk}/").content.decode()
    logs = console_log.getvalue()
    assert f"run {run.pk} failed" in logs  # the failure was logged, and read here
    for text, where in ((run.error, "error"), (json.dumps(run.events), "events"),
                        (record, "API"), (logs, "logs")):
        assert_no_secret(text, where)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_tvmaze_key_out_of_a_failing_runs_record_and_logs(console_log, settings):
    with TvmazeFake(count=300, seed=3) as fake:
        settings.TVMAZE_BASE_URL = fake.url
        settings.TVMAZE_RATE_CALLS = 0
        fake.inject(_echo_fault(TVMAZE_SECRET), times=10)
        run = sync_run_now(kind=SyncRun.Kind.TVMAZE, options={"full": True},
                           triggered_by="test")
    assert run.status == SyncRun.Status.FAILED and run.error
    assert "apikey=***" in run.error or "***" in run.error  # the key was there, masked
    logs = console_log.getvalue()
    assert f"run {run.pk} failed" in logs
    for text, where in ((run.error, "error"), (json.dumps(run.events), "events"),
                        (logs, "logs")):
        assert_no_secret(text, where)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_it_keeps_upstream_keys_out_of_crash_logs(console_log):
    try:
        raise RuntimeError(f"upstream said {TMDB_SECRET} and {TVMAZE_SECRET}")
    except RuntimeError:
        logging.getLogger("catalog.runs.execute").exception("run 1 crashed")
    logs = console_log.getvalue()
    assert "run 1 crashed" in logs and "RuntimeError" in logs
    assert_no_secret(logs, "crash log")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [PlexServer, SonarrServer])
def test_it_keeps_secrets_out_of_the_django_q_admin(model, admin_user, client, servers):
    client.force_login(admin_user)
    ContentType.objects.get_for_model(model)
    for page in ("/admin/django_q/schedule/", "/admin/django_q/success/",
                 "/admin/django_q/failure/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert_no_secret(response.content.decode(), page)


@pytest.mark.django_db
@pytest.mark.parametrize("padding", [0, 280])  # the key whole, or cut by the length limit
def test_it_keeps_the_sonarr_key_out_of_a_rejected_imports_decision(padding, viewer, client,
                                                                     api_as):
    with SonarrFake(version=SonarrFake.V4, catalog_size=20, api_key=SONARR_SECRET) as fake:
        server = factories.SonarrServerFactory(url=fake.url, api_key=SONARR_SECRET)
        rule = rule_for(server)
        show = shows_known_to(fake, 1)[0]
        body = json.dumps([{"errorMessage": f"{'x' * padding} key {SONARR_SECRET} refused"}])
        fake.inject(Fault(kind="status", status=400, body=body.encode()), times=10,
                    path_prefix="/api/v3/series/import")
        run = push(fake, server, client=client_for(fake, api_key=SONARR_SECRET))
    decision = Decision.objects.get(rule=rule)
    assert run.status == SyncRun.Status.SUCCEEDED and decision.status == "failed"
    client.force_login(viewer)
    for text, where in ((decision.reason, "reason"),
                        (client.get(f"/shows/{show.pk}/").content.decode(), "show page"),
                        (api_as(viewer).get("/api/decisions/").content.decode(), "API")):
        assert SONARR_SECRET[:10] not in text, f"the key leaked in {where}"


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_key_cut_by_the_message_limit_out_of_a_failing_run(console_log, settings):
    body = json.dumps({"message": f"{'x' * 185} {TVMAZE_SECRET} is not a key"})
    with TvmazeFake(count=300, seed=3) as fake:
        settings.TVMAZE_BASE_URL = fake.url
        settings.TVMAZE_RATE_CALLS = 0
        fake.inject(Fault(kind="status", status=400, body=body.encode()), times=10)
        run = sync_run_now(kind=SyncRun.Kind.TVMAZE, options={"full": True},
                           triggered_by="test")
    assert run.status == SyncRun.Status.FAILED and "xxxx" in run.error
    for text, where in ((run.error, "error"), (console_log.getvalue(), "logs")):
        assert TVMAZE_SECRET[:10] not in text, f"a cut key leaked in {where}"
