"""Plex surfaces: server create, discovery, library sync trigger, local path, admin actions."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from catalog.models import MediaItem, PathMapping, PlexLibrary, PlexServer, SyncRun
from catalog.runs import run_claim
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests import factories

TOKEN = "plex-fake-token-123"


@pytest.fixture
def plex_fake():
    libraries = [LibrarySpec(key="1", type="show", title="TV Shows", shows=6, episodes=40),
                 LibrarySpec(key="2", type="movie", title="Movies", movies=9)]
    with PlexFake(libraries, token=TOKEN, seed=5) as fake:
        yield fake


@pytest.fixture
def server(db, plex_fake):
    return PlexServer.objects.create(name="den", url=plex_fake.url, token=TOKEN)


@pytest.mark.django_db
def test_it_creates_a_server_without_echoing_its_token(admin_user, api_as, plex_fake):
    response = api_as(admin_user).post("/api/plex/servers/", {
        "name": "den", "url": plex_fake.url, "token": TOKEN}, format="json")
    assert response.status_code == 201
    assert "token" not in response.json()
    assert PlexServer.objects.get(name="den").token == TOKEN


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"name": "x", "url": "ftp://plex", "token": "t"},
    {"name": "x", "url": "http://plex:32400"},
    {"url": "http://plex:32400", "token": "t"},
])
def test_it_rejects_bad_server_input_with_field_errors(body, admin_user, api_as):
    response = api_as(admin_user).post("/api/plex/servers/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"name", "url", "token"}  # refused before any request
    assert not PlexServer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_discovers_libraries_and_schedules_them(server, admin_user, api_as):
    response = api_as(admin_user).post(f"/api/plex/servers/{server.pk}/discover/")
    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    libraries = {(lib.key, lib.type) for lib in PlexLibrary.objects.filter(server=server)}
    assert libraries == {("1", "show"), ("2", "movie")}
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {f"plex library {lib.pk}" for lib in PlexLibrary.objects.all()} <= names


@pytest.mark.django_db(transaction=True)
def test_it_fails_discovery_with_a_clear_auth_error(plex_fake, admin_user, api_as):
    bad = PlexServer.objects.create(name="bad", url=plex_fake.url, token="wrong-token")
    response = api_as(admin_user).post(f"/api/plex/servers/{bad.pk}/discover/")
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert run.status == SyncRun.Status.FAILED
    assert "401" in run.error and "wrong-token" not in run.error


@pytest.mark.django_db(transaction=True)
def test_it_scans_a_library_through_the_api(server, operator, api_as):
    from catalog.sync.plex import plex_discover

    plex_discover(server)
    library = PlexLibrary.objects.get(server=server, key="1")
    response = api_as(operator).post(f"/api/plex/libraries/{library.pk}/sync/", {"deep": False},
                                     format="json")
    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert MediaItem.objects.filter(library=library).count() == 40
    assert [e["event"] for e in run.events][:1] == ["plex_start"]
    assert run.events[-1]["event"] == "plex_done"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), [("viewer", 403), ("operator", 409)])
def test_it_lets_operators_trigger_library_scans(role, expected, users, api_as):
    library = factories.PlexLibraryFactory()
    run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}")
    response = api_as(users[role]).post(f"/api/plex/libraries/{library.pk}/sync/", {},
                                        format="json")
    assert response.status_code == expected


@pytest.mark.django_db
def test_it_resolves_an_items_local_path(viewer, api_as):
    item = factories.MediaItemFactory(file_path="/data/tv/Show/S01E01.mkv")
    PathMapping.objects.create(server=item.library.server, plex_prefix="/data/tv",
                               local_prefix="/mnt/tv")
    other = factories.MediaItemFactory(file_path="/elsewhere/x.mkv")
    client = api_as(viewer)
    assert client.get(f"/api/items/{item.pk}/local-path/").json() == {
        "plex_path": "/data/tv/Show/S01E01.mkv", "local_path": "/mnt/tv/Show/S01E01.mkv"}
    assert client.get(f"/api/items/{other.pk}/local-path/").json()["local_path"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"plex_prefix": "data/tv", "local_prefix": "/mnt/tv"},
    {"plex_prefix": "/data/tv", "local_prefix": "relative"},
    {"plex_prefix": "", "local_prefix": "/mnt/tv"},
])
def test_it_rejects_bad_path_mappings(body, admin_user, api_as):
    server = factories.PlexServerFactory()
    response = api_as(admin_user).post("/api/path-mappings/", {"server": server.pk, **body},
                                       format="json")
    assert response.status_code == 400
    assert not PathMapping.objects.exists()


@pytest.mark.django_db
def test_it_rejects_a_duplicate_prefix_with_409(admin_user, api_as):
    mapping = factories.PathMappingFactory(plex_prefix="/data/tv")
    response = api_as(admin_user).post("/api/path-mappings/", {
        "server": mapping.server_id, "plex_prefix": "/data/tv", "local_prefix": "/mnt/x"},
        format="json")
    assert response.status_code == 409
    assert PathMapping.objects.count() == 1


@pytest.mark.django_db
def test_it_marks_missing_items_deleted_only_after_confirmation(operator, client):
    missing = factories.MediaItemFactory(state=MediaItem.State.MISSING)
    active = factories.MediaItemFactory()
    client.force_login(operator)
    url = "/admin/catalog/mediaitem/"
    form = {"action": "mark_missing_deleted", "_selected_action": [missing.pk, active.pk]}
    first = client.post(url, form)
    assert first.status_code == 200 and b"Are you sure?" in first.content
    missing.refresh_from_db()
    assert missing.state == MediaItem.State.MISSING
    client.post(url, {**form, "confirmed": "yes"})
    missing.refresh_from_db()
    active.refresh_from_db()
    assert (missing.state, active.state) == (MediaItem.State.DELETED, MediaItem.State.ACTIVE)


@pytest.mark.django_db
def test_it_purges_only_deleted_items(operator, client):
    deleted = factories.MediaItemFactory(state=MediaItem.State.DELETED)
    kept = factories.MediaItemFactory(state=MediaItem.State.MISSING)
    client.force_login(operator)
    client.post("/admin/catalog/mediaitem/", {
        "action": "purge_deleted", "_selected_action": [deleted.pk, kept.pk], "confirmed": "yes"})
    assert list(MediaItem.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_it_refuses_cleanup_actions_to_viewers(viewer, client):
    item = factories.MediaItemFactory(state=MediaItem.State.MISSING)
    client.force_login(viewer)
    client.post("/admin/catalog/mediaitem/", {
        "action": "mark_missing_deleted", "_selected_action": [item.pk], "confirmed": "yes"})
    item.refresh_from_db()
    assert item.state == MediaItem.State.MISSING


@pytest.mark.django_db
def test_it_shows_missing_and_deleted_counts_on_the_library_list(viewer, client):
    library = factories.PlexLibraryFactory()
    show = factories.PlexShowFactory(library=library)
    factories.MediaItemFactory.create_batch(2, plex_show=show, library=library,
                                            state=MediaItem.State.MISSING)
    client.force_login(viewer)
    page = client.get("/admin/catalog/plexlibrary/").content.decode()
    assert '<td class="field-missing_count">2</td>' in page


@pytest.mark.django_db(transaction=True)
def test_it_queues_a_scan_from_the_admin(server, operator, client):
    from catalog.sync.plex import plex_discover

    plex_discover(server)
    library = PlexLibrary.objects.get(server=server, key="2")
    client.force_login(operator)
    client.post("/admin/catalog/plexlibrary/", {"action": "scan_now",
                                                "_selected_action": [library.pk]})
    run = SyncRun.objects.get(scope=f"library:{library.pk}")
    assert run.status == SyncRun.Status.SUCCEEDED
    assert MediaItem.objects.filter(library=library, kind="movie").count() == 9


@pytest.mark.django_db(transaction=True)
def test_it_scans_from_the_command_with_json(server, capsys):
    import json

    from catalog.sync.plex import plex_discover

    plex_discover(server)
    call_command("sync", "plex", "--server", "den", "--library", "1", "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "succeeded" and summary["processed"] >= 40


@pytest.mark.django_db
def test_it_explains_when_no_library_matches():
    with pytest.raises(CommandError, match="no enabled Plex library"):
        call_command("sync", "plex", "--server", "nope")


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, 3651, 10_000_000])
def test_it_rejects_an_out_of_range_retention(days, admin_user, api_as):
    library = factories.PlexLibraryFactory()
    response = api_as(admin_user).patch(f"/api/plex/libraries/{library.pk}/",
                                        {"retention_days": days}, format="json")
    assert response.status_code == 400
    assert "retention_days" in response.json()


@pytest.mark.django_db
def test_it_rejects_a_relative_prefix_in_the_admin(admin_user, client):
    server = factories.PlexServerFactory()
    client.force_login(admin_user)
    response = client.post("/admin/catalog/pathmapping/add/", {
        "server": server.pk, "plex_prefix": "relative", "local_prefix": "/mnt/tv"})
    assert response.status_code == 200
    assert b"absolute path" in response.content
    assert not PathMapping.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_and_frees_the_scope_when_the_queue_is_down(
    operator, api_as, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("catalog.runs.enqueue.async_task", broker_down)
    library = factories.PlexLibraryFactory()
    response = api_as(operator).post(f"/api/plex/libraries/{library.pk}/sync/", {},
                                     format="json")
    assert response.status_code == 503
    run = SyncRun.objects.get(scope=f"library:{library.pk}")
    assert run.status == SyncRun.Status.FAILED
    assert run.error == "could not enqueue the job (ConnectionError)"
    assert run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}").pk != run.pk


@pytest.mark.django_db(transaction=True)
def test_it_scans_the_other_libraries_when_one_is_busy(server, capsys):
    from catalog.sync.plex import plex_discover

    plex_discover(server)
    busy = PlexLibrary.objects.get(server=server, key="1")
    run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{busy.pk}")
    call_command("sync", "plex", "--server", "den", "--json")
    captured = capsys.readouterr()
    assert "already queued" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["status"] == "succeeded"


@pytest.mark.django_db
@pytest.mark.parametrize("hours", [-1, 8761, "daily", None])
def test_it_rejects_a_bad_verification_window(hours, admin_user, api_as):
    library = factories.PlexLibraryFactory()
    response = api_as(admin_user).patch(f"/api/plex/libraries/{library.pk}/",
                                        {"verify_hours": hours}, format="json")
    assert response.status_code == 400 and "verify_hours" in response.json()
    library.refresh_from_db()
    assert library.verify_hours == 24


@pytest.mark.django_db
def test_it_lets_only_an_admin_set_the_verification_window(admin_user, operator, api_as):
    library = factories.PlexLibraryFactory()
    url = f"/api/plex/libraries/{library.pk}/"
    assert api_as(operator).patch(url, {"verify_hours": 0}, format="json").status_code == 403
    assert api_as(None).patch(url, {"verify_hours": 0}, format="json").status_code == 401
    response = api_as(admin_user).patch(url, {"verify_hours": 0}, format="json")
    assert response.status_code == 200 and response.json()["verify_hours"] == 0
    library.refresh_from_db()
    assert library.verify_hours == 0
    assert api_as(operator).get(url).json()["verify_hours"] == 0


@pytest.mark.django_db
def test_it_edits_the_verification_window_in_the_admin(admin_user, client):
    library = factories.PlexLibraryFactory()
    client.force_login(admin_user)
    url = f"/admin/catalog/plexlibrary/{library.pk}/change/"
    form = {"server": library.server_id, "key": library.key, "title": library.title,
            "type": library.type, "enabled": "on", "retention_days": 30}
    assert client.post(url, {**form, "verify_hours": 6}).status_code == 302
    library.refresh_from_db()
    assert library.verify_hours == 6
    response = client.post(url, {**form, "verify_hours": -3})
    assert response.status_code == 200 and b"verify_hours" in response.content
    library.refresh_from_db()
    assert library.verify_hours == 6
