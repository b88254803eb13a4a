"""TMDB in the API: the per-show refresh, the batch trigger, slots in the show list."""

from __future__ import annotations

import json

import pytest
import responses
from django.utils import timezone

from catalog.models import MediaItem, Show, SyncRun
from catalog.runs import run_claim
from integrations.fakes.tmdb import DEFAULT_API_KEY
from tests import factories
from tests.catalog.sync.tmdb.helpers import (
    BASE,
    KEY,
    show_with_tmdb_id,
    tmdb_fake_configured,
    tv1399,
)

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
    with tmdb_fake_configured(settings) as server:
        yield server


_got = show_with_tmdb_id


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
@responses.activate
def test_it_answers_404_when_tmdb_no_longer_knows_the_stored_id(operator, api_as,
                                                                 tmdb_settings):
    show = _got()
    responses.get(f"{BASE}/tv/1399", status=404, json={
        "status_code": 34, "status_message": "The resource you requested could not be found.",
        "success": False})
    response = api_as(operator).post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == 404 and response.json()["kind"] == "not_found"
    assert KEY not in response.content.decode()
    assert Show.objects.get(pk=show.pk).tmdb_status == "unknown"  # the row is left as it was


@pytest.mark.django_db
@responses.activate
def test_it_answers_never_matched_and_no_longer_known_with_one_404_shape(operator, api_as,
                                                                        tmdb_settings):
    client = api_as(operator)
    never = factories.ShowFactory(tmdb_id=None, tvdb_id=5555, imdb_id=None)
    responses.get(f"{BASE}/find/5555", json={"tv_results": [], "movie_results": []})
    gone = _got()
    responses.get(f"{BASE}/tv/1399", status=404, json={
        "status_code": 34, "status_message": "The resource you requested could not be found.",
        "success": False})
    answers = [client.post(f"/api/shows/{s.pk}/sync/", {}, format="json") for s in (never, gone)]
    assert [a.status_code for a in answers] == [404, 404]
    bodies = [a.json() for a in answers]
    assert [sorted(b) for b in bodies] == [["detail", "kind"]] * 2
    assert [b["kind"] for b in bodies] == ["not_found", "not_found"]
    assert all(b["detail"].startswith("not on TMDB") for b in bodies)
    remembered = client.post(f"/api/shows/{never.pk}/sync/", {}, format="json")
    assert (remembered.status_code, sorted(remembered.json())) == (404, ["detail", "kind"])
    assert remembered.json()["kind"] == "not_found"


@pytest.mark.django_db
@responses.activate
def test_it_answers_409_ambiguous_and_records_it_without_guessing(operator, api_as,
                                                                 tmdb_settings):
    show = factories.ShowFactory(tmdb_id=None, tvdb_id=5555, imdb_id=None,
                                 premiered="2008-01-20")
    responses.get(f"{BASE}/find/5555", json={"tv_results": [
        {"id": 11, "name": "A", "first_air_date": "2008-01-20"},
        {"id": 12, "name": "B", "first_air_date": "2008-06-01"}]})
    client = api_as(operator)
    response = client.post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == 409 and response.json()["kind"] == "ambiguous"
    assert "[11, 12]" in response.json()["detail"]
    row = Show.objects.get(pk=show.pk)
    assert (row.tmdb_id, row.tmdb_status) == (None, "ambiguous")
    again = client.post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert (again.status_code, again.json()["kind"]) == (409, "ambiguous")
    assert len(responses.calls) == 1  # remembered for the TTL
    listed = client.get("/api/shows/?tmdb_status=ambiguous").json()["results"]
    assert [s["id"] for s in listed] == [show.pk]


@pytest.mark.django_db
@responses.activate
def test_it_answers_409_conflict_when_the_match_belongs_to_another_show(operator, api_as,
                                                                       tmdb_settings):
    holder = _got()
    show = factories.ShowFactory(tmdb_id=None, tvdb_id=5555, imdb_id=None)
    responses.get(f"{BASE}/find/5555", json={"tv_results": [{"id": 1399, "name": "GoT"}]})
    response = api_as(operator).post(f"/api/shows/{show.pk}/sync/", {}, format="json")
    assert response.status_code == 409 and response.json()["kind"] == "conflict"
    assert f"show {holder.pk}" in response.json()["detail"]
    assert Show.objects.get(pk=show.pk).tmdb_status == "error"


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
@pytest.mark.parametrize("body", [{"tmdb_ids": ["x"]},
                                  {"tmdb_ids": [0]}, {"tmdb_ids": []},
                                  {"tmdb_ids": list(range(1, 1003))}, {"tmdb_ids": "1"},
                                  {"force": "perhaps"}, {"tmdb_ids": [2**31]}])
def test_it_rejects_a_bad_batch_body_with_field_errors(body, operator, api_as):
    response = api_as(operator).post("/api/sync/tmdb/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"tmdb_ids", "force"}
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_answers_404_naming_a_tmdb_id_nobody_has(operator, api_as):
    response = api_as(operator).post("/api/sync/tmdb/", {"tmdb_ids": [424242]}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "tmdb_ids": ["no show in the catalog or in Plex has TMDB id 424242"]}
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_lists_a_bounded_number_of_missing_episodes_and_counts_the_rest(viewer, api_as):
    # TMDB's counts are stored up to 2**31 - 1: listing every missing number of such a season
    # would build a response of gigabytes. The listing stops at a budget; the count is exact.
    plex_show = factories.PlexShowFactory(show=_got(
        tmdb_season_episodes=[[s, 100_000] for s in range(1, 51)]))
    factories.MediaItemFactory(plex_show=plex_show, library=plex_show.library, season_number=1,
                               episode_number=2, state=MediaItem.State.ACTIVE)
    response = api_as(viewer).get(f"/api/shows/{plex_show.show_id}/")
    assert response.status_code == 200 and len(response.content) < 1_000_000
    seasons = response.json()["episode_slots"]["seasons"]
    assert sum(len(s["missing"]) for s in seasons) == 10_000
    assert seasons[0]["missing"][:3] == [1, 3, 4] and seasons[0]["missing_count"] == 99_999
    assert [s["missing_count"] for s in seasons[1:]] == [100_000] * 49
