"""TMDB surfaces: the per-show refresh, the batch trigger, the command, admin, dashboard."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import responses
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Decision, MediaItem, Show, SyncRun
from catalog.runs import run_claim
from catalog.tasks import tmdb_sync_task
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from tests import factories
from tests.catalog.sync.tmdb_fixtures import BASE, KEY, tv1399

ROLES = [("anonymous", 401), ("roleless", 403), ("viewer", 403), ("operator", 200),
         ("admin", 200)]


@pytest.fixture
def tmdb_settings(settings):
    settings.TMDB_BASE_URL, settings.TMDB_API_KEY = BASE, KEY
    settings.TMDB_RATE_CALLS, settings.HTTP_MAX_RETRIES = 0, 0
    settings.TMDB_CACHE_TTL_DAYS = 7
    return settings


@pytest.fixture
def fake(settings):
    with TmdbFake(count=120, seed=9) as server:
        settings.TMDB_BASE_URL, settings.TMDB_API_KEY = server.url, DEFAULT_API_KEY
        settings.TMDB_RATE_CALLS = 0
        yield server


def _got(**fields) -> Show:
    return factories.ShowFactory(**{"tmdb_id": 1399, "tvdb_id": None, "imdb_id": None,
                                    **fields})


# POST /api/shows/{id}/sync/ -------------------------------------------------------------
@pytest.mark.django_db
@responses.activate
@pytest.mark.parametrize(("role", "expected"), ROLES)
def test_it_lets_operators_and_admins_refresh_one_show(role, expected, users, api_as,
                                                      tmdb_settings):
    show = _got()
    responses.get(f"{BASE}/tv/1399", json=tv1399())
    response = api_as(users[role]).post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == expected
    refreshed = Show.objects.get(pk=show.pk)
    assert (refreshed.tmdb_status == "fresh") is (expected == 200)
    if expected == 200:
        body = response.json()
        assert body["tmdb_status"] == "fresh" and body["tmdb_series_status"] == "Ended"
        assert body["episode_slots"]["expected"] == 73
        assert body["episode_slots"]["in_plex"] is False and body["episode_slots"]["warning"]
        assert KEY not in response.content.decode()


@pytest.mark.django_db
@responses.activate
def test_it_answers_404_for_an_unknown_show_and_a_show_tmdb_lacks(operator, api_as,
                                                                 tmdb_settings):
    client = api_as(operator)
    assert client.post("/api/shows/999999/sync/", {}, format="json").status_code == 404
    assert client.post("/api/shows/abc/sync/", {}, format="json").status_code == 404
    lost = factories.ShowFactory(tmdb_id=None, tvdb_id=5555, imdb_id=None)
    responses.get(f"{BASE}/find/5555", json={"tv_results": [], "movie_results": []})
    response = client.post(f"/api/shows/{lost.pk}/sync/", {}, format="json")
    assert response.status_code == 404 and "not on TMDB" in response.json()["detail"]
    assert Show.objects.get(pk=lost.pk).tmdb_status == "not_found"
    again = client.post(f"/api/shows/{lost.pk}/sync/", {}, format="json")
    assert again.status_code == 404 and len(responses.calls) == 1  # remembered


@pytest.mark.django_db
@responses.activate
def test_it_finds_the_tmdb_id_of_a_show_that_has_none(operator, api_as, tmdb_settings):
    show = factories.ShowFactory(tmdb_id=None, tvdb_id=121361, imdb_id=None)
    responses.get(f"{BASE}/find/121361", json={"tv_results": [{"id": 1399, "name": "GoT"}]})
    responses.get(f"{BASE}/tv/1399", json=tv1399())
    response = api_as(operator).post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == 200 and response.json()["tmdb_id"] == 1399


@pytest.mark.django_db
@responses.activate
def test_it_answers_502_on_a_tmdb_error_without_the_key(operator, api_as, tmdb_settings):
    show = _got()
    responses.get(f"{BASE}/tv/1399", status=401, json={
        "status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.",
        "success": False})
    response = api_as(operator).post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == 502 and response.json()["kind"] == "auth"
    assert KEY not in response.content.decode()
    assert Show.objects.get(pk=show.pk).tmdb_status == "unknown"


@pytest.mark.django_db
def test_it_answers_502_when_no_tmdb_key_is_configured(operator, api_as, settings):
    settings.TMDB_API_KEY = ""
    response = api_as(operator).post(f"/api/shows/{_got().pk}/sync/", {}, format="json")
    assert response.status_code == 502 and "TMDB_API_KEY is not set" in response.json()["detail"]


@pytest.mark.django_db
@responses.activate
def test_it_keeps_fresh_facts_unless_forced(operator, api_as, tmdb_settings):
    show = _got(tmdb_status="fresh", tmdb_fetched_at=timezone.now(), overview="kept")
    client = api_as(operator)
    assert client.post(f"/api/shows/{show.pk}/sync/", {}, format="json").json()[
        "overview"] == "kept"
    responses.get(f"{BASE}/tv/1399", json=tv1399())
    forced = client.post(f"/api/shows/{show.pk}/sync/", {"force": True}, format="json")
    assert forced.json()["overview"].startswith("Seven noble families")
    assert client.post(f"/api/shows/{show.pk}/sync/", {"force": "perhaps"},
                       format="json").status_code == 400


@pytest.mark.django_db
def test_it_lists_have_and_expected_slots_and_library_membership(viewer, api_as):
    plex_show = factories.PlexShowFactory(show=_got(tmdb_season_episodes=[[1, 10], [2, 8]]))
    for n in range(1, 9):
        factories.MediaItemFactory(plex_show=plex_show, library=plex_show.library,
                                   season_number=1, episode_number=n,
                                   state=MediaItem.State.ACTIVE)
    outsider = factories.ShowFactory(tmdb_id=None)
    client = api_as(viewer)
    rows = {r["id"]: r for r in client.get("/api/shows/").json()["results"]}
    got = rows[plex_show.show_id]
    assert (got["slots_have"], got["slots_expected"], got["in_library"]) == (8, 18, True)
    assert rows[outsider.pk]["in_library"] is False
    detail = client.get(f"/api/shows/{plex_show.show_id}/").json()["episode_slots"]
    assert detail["summary"] == "S01 8/10, S02 0/8" and detail["seasons"][0]["missing"] == [9, 10]
    in_library = client.get("/api/shows/?in_library=true").json()["results"]
    assert [r["id"] for r in in_library] == [plex_show.show_id]


# POST /api/sync/tmdb/ --------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("roleless", 403),
                                                ("viewer", 403), ("operator", 409),
                                                ("admin", 409)])
def test_it_lets_operators_and_admins_trigger_the_batch(role, expected, users, api_as):
    run_claim(kind=SyncRun.Kind.TMDB, scope="library")  # keep the work out of this test
    response = api_as(users[role]).post("/api/sync/tmdb/", {}, format="json")
    assert response.status_code == expected


@pytest.mark.django_db(transaction=True)
def test_it_answers_202_and_refreshes_the_library_in_the_worker(fake, operator, api_as):
    show = factories.PlexShowFactory(show__tmdb_id=fake.ids[0], show__tvdb_id=None,
                                     show__imdb_id=None).show
    response = api_as(operator).post("/api/sync/tmdb/", {}, format="json")
    assert response.status_code == 202
    run = api_as(operator).get(f"/api/sync-runs/{response.json()['id']}/").json()
    assert run["status"] == "succeeded" and run["scope"] == "library"
    assert Show.objects.get(pk=show.pk).tmdb_status == "fresh"
    assert DEFAULT_API_KEY not in json.dumps(run)


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"tmdb_ids": [424242]}, {"tmdb_ids": ["x"]},
                                  {"tmdb_ids": [0]}, {"tmdb_ids": []},
                                  {"tmdb_ids": list(range(1, 1003))}, {"tmdb_ids": "1"},
                                  {"force": "perhaps"}, {"tmdb_ids": [2**31]}])
def test_it_rejects_a_bad_batch_body_with_field_errors(body, operator, api_as):
    response = api_as(operator).post("/api/sync/tmdb/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"tmdb_ids", "force"}
    assert not SyncRun.objects.exists()


# the command -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_it_prints_the_batch_summary_as_json(fake, capsys):
    factories.PlexShowFactory(show__tmdb_id=fake.ids[1], show__tvdb_id=None, show__imdb_id=None)
    call_command("sync", "tmdb", "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "succeeded" and summary["refreshed"] == 1
    assert summary["requests"] == fake.total_requests()
    call_command("sync", "tmdb", "--json", "--tmdb-id", str(fake.ids[1]), "--force")
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["mode"], again["refreshed"], again["force"]) == ("shows", 1, True)


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--tmdb-id", "424242"], "no show in the catalog or in Plex has TMDB id 424242"),
    (["--tmdb-id", "abc"], "not a TMDB id"), (["--tmdb-id", "0"], "not a TMDB id"),
])
def test_it_exits_non_zero_with_one_line_for_a_bad_id(args, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("sync", "tmdb", *args)
    assert "\n" not in str(caught.value)
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_fails_the_command_clearly_without_a_key(settings, caplog):
    settings.TMDB_API_KEY = ""
    with pytest.raises(CommandError, match="TMDB_API_KEY is not set"):
        call_command("sync", "tmdb")


@pytest.mark.django_db
def test_it_skips_a_scheduled_batch_while_one_runs():
    run_claim(kind=SyncRun.Kind.TMDB, scope="library")
    assert tmdb_sync_task() == "skipped: already running"


# admin and dashboard -------------------------------------------------------------------------
ADMIN_ROLES = [("anonymous", False), ("roleless", False), ("viewer", False), ("operator", True),
               ("admin", True)]


def _login(client, user) -> None:
    if user is not None:
        client.force_login(user)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), ADMIN_ROLES)
def test_it_offers_force_tmdb_sync_to_operators_only(fake, role, allowed, users, client,
                                                   django_capture_on_commit_callbacks):
    show = factories.ShowFactory(tmdb_id=fake.ids[2], tmdb_status="fresh",
                                 tmdb_fetched_at=timezone.now(), tvdb_id=None, imdb_id=None)
    _login(client, users[role])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/catalog/show/", {"action": "force_tmdb_sync",
                                             "_selected_action": [show.pk]})
    run = SyncRun.objects.filter(kind=SyncRun.Kind.TMDB).first()
    assert (run is not None and run.status == "succeeded") is allowed
    assert (fake.total_requests() == 1) is allowed


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), ADMIN_ROLES)
def test_it_lets_operators_add_a_show_to_the_library(role, allowed, users, client):
    show = factories.ShowFactory()
    _login(client, users[role])
    client.post("/admin/catalog/show/", {"action": "add_to_library",
                                         "_selected_action": [show.pk]})
    assert Show.objects.get(pk=show.pk).operator_added is allowed


@pytest.mark.django_db
def test_it_shows_the_slot_map_on_the_admin_page(viewer, client):
    show = _got(tmdb_season_episodes=[[1, 2]])
    client.force_login(viewer)
    page = client.get(f"/admin/catalog/show/{show.pk}/change/").content.decode()
    assert "S01 0/2" in page and "not in Plex" in page


@pytest.mark.django_db
def test_it_counts_only_library_shows_as_placeholders(viewer, client):
    factories.ShowFactory.create_batch(3)  # TVMaze-only: not placeholders
    factories.PlexShowFactory(show__tvmaze_id=None)  # a Plex placeholder
    factories.DecisionFactory(status=Decision.Status.EXISTS,
                              show__tmdb_status="fresh")  # in the library, enriched
    factories.ShowFactory(operator_added=True, tmdb_status="not_found",
                          tmdb_fetched_at=timezone.now() - timedelta(days=1))
    client.force_login(viewer)
    context = client.get("/").context
    assert (context["show_count"], context["library_count"], context["placeholder_count"]) == (
        6, 3, 1)


@pytest.mark.django_db
def test_it_never_logs_the_key(fake, caplog):
    factories.PlexShowFactory(show__tmdb_id=fake.ids[3], show__tvdb_id=None,
                              show__imdb_id=None)
    with caplog.at_level(logging.DEBUG):
        call_command("sync", "tmdb")
    assert DEFAULT_API_KEY not in caplog.text


@pytest.mark.django_db
def test_it_keeps_a_rejected_key_out_of_every_page_that_shows_the_run(fake, settings,
                                                                     admin_user, client,
                                                                     api_as):
    settings.TMDB_API_KEY = rejected = "rejected-SECRET-tmdb-key-42"
    factories.PlexShowFactory(show__tmdb_id=fake.ids[4], show__tvdb_id=None,
                              show__imdb_id=None)
    with pytest.raises(CommandError) as caught:
        call_command("sync", "tmdb")
    assert "Invalid API key" in str(caught.value) and rejected not in str(caught.value)
    run = SyncRun.objects.get(kind=SyncRun.Kind.TMDB)
    client.force_login(admin_user)
    pages = [client.get("/").content, client.get("/admin/catalog/syncrun/").content,
             client.get(f"/admin/catalog/syncrun/{run.pk}/change/").content,
             api_as(admin_user).get(f"/api/sync-runs/{run.pk}/").content]
    assert all(rejected.encode() not in page for page in pages)


@pytest.mark.django_db
def test_it_accepts_an_id_only_plex_carries_and_links_it_in_the_run(fake, capsys):
    tmdb_id = fake.ids[5]
    plex = factories.PlexShowFactory(show=None, guid=f"tmdb://{tmdb_id}")
    call_command("sync", "tmdb", "--tmdb-id", str(tmdb_id), "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["refreshed"] == 1
    plex.refresh_from_db()
    assert plex.show.tmdb_id == tmdb_id and plex.show.tmdb_status == "fresh"
