"""POST /api/shows/, /load/, /loading/ and /api/live/: every role, hostile input, shapes."""

from __future__ import annotations

import pytest

from catalog.models import Show
from tests.catalog.loading.conftest import reload
from tests.factories import ShowFactory

pytestmark = pytest.mark.django_db

WRITE = {"anonymous": 401, "roleless": 403, "viewer": 403, "operator": 202, "admin": 202}
READ = {"anonymous": 401, "roleless": 403, "viewer": 200, "operator": 200, "admin": 200}


@pytest.mark.parametrize("role", list(WRITE))
def test_it_lets_only_operators_add_shows(role, users, api_as):
    response = api_as(users[role]).post("/api/shows/", {"tvdb_id": 81189}, format="json")
    assert response.status_code == WRITE[role]
    assert Show.objects.filter(tvdb_id=81189).exists() == (WRITE[role] == 202)


def test_it_answers_202_at_once_without_calling_any_upstream(
        fakes, operator, api_as, django_capture_on_commit_callbacks):
    tvmaze_id = fakes.tvmaze_show()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_as(operator).post("/api/shows/", {"tvmaze_id": tvmaze_id},
                                         format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["loading_status"] == "pending" and body["tvmaze_id"] == tvmaze_id
    assert [body[f] for f in ("facts_loaded", "episodes_loaded", "metadata_loaded",
                              "artwork_loaded")] == [False] * 4
    assert body["added_by"] == "otto" and body["artwork"] == {}
    assert fakes.requests() == 0
    # After the commit the loaders start (in-process here: the test queue is synchronous).
    for callback in callbacks:
        callback()
    show = Show.objects.get(pk=body["id"])
    assert show.loading_status == "completed", show.loading_errors
    assert fakes.requests() > 0


def test_it_returns_an_existing_show_and_queues_only_its_missing_parts(operator, api_as):
    show = ShowFactory(facts_loaded=True, episodes_loaded=True, loading_status="partial",
                       loading_errors={"metadata": "boom"})
    response = api_as(operator).post("/api/shows/", {"imdb_id": show.imdb_id}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == show.pk
    show = reload(show)
    assert show.loading_status == "pending"
    assert show.loading_parts == ["metadata", "artwork"] and show.loading_errors == {}
    assert show.added_by == "otto"


def test_it_leaves_a_fully_loaded_show_alone(operator, api_as):
    show = ShowFactory(facts_loaded=True, episodes_loaded=True, tmdb_loaded=True,
                       artwork_loaded=True, loading_status="completed")
    response = api_as(operator).post("/api/shows/", {"tvmaze_id": show.tvmaze_id},
                                     format="json")
    assert response.status_code == 200
    assert reload(show).loading_status == "completed"


def test_it_leaves_a_show_being_loaded_alone(operator, api_as):
    show = ShowFactory(loading_status="loading_episodes", loading_parts=["episodes"],
                       loading_owner="abc")
    response = api_as(operator).post("/api/shows/", {"tvdb_id": show.tvdb_id}, format="json")
    assert response.status_code == 200
    show = reload(show)
    assert (show.loading_status, show.loading_owner) == ("loading_episodes", "abc")


@pytest.mark.parametrize(("body", "field"), [
    ({"tvdb_id": "abc"}, "tvdb_id"),
    ({"tvmaze_id": -1}, "tvmaze_id"),
    ({"tmdb_id": 2**40}, "tmdb_id"),
    ({"tvdb_id": True}, "tvdb_id"),
    ({"tvdb_id": 1.5}, "tvdb_id"),
    ({"imdb_id": "nm0000001"}, "imdb_id"),
    ({"imdb_id": "tt1; DROP TABLE"}, "imdb_id"),
    ({"imdb_id": "tt0944947\n"}, "imdb_id"),
    ({"imdb_id": "tt\u0661\u0662\u0663\u0664\u0665\u0666\u0667"}, "imdb_id"),
    ({"imdb_id": ["tt0944947"]}, "imdb_id"),
    ({}, "non_field_errors"),
    ({"title": "Lost"}, "non_field_errors"),
    ({"tvdb_id": 1, "imdb_id": "tt0944947"}, "non_field_errors"),
])
def test_it_rejects_bad_ids_naming_the_field(body, field, operator, api_as):
    response = api_as(operator).post("/api/shows/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Show.objects.exists()


def test_it_rejects_a_body_that_is_not_an_object(operator, api_as):
    response = api_as(operator).post("/api/shows/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert not Show.objects.exists()


def test_it_adds_the_same_new_id_once(operator, api_as):
    first = api_as(operator).post("/api/shows/", {"tvdb_id": 42}, format="json")
    second = api_as(operator).post("/api/shows/", {"tvdb_id": 42}, format="json")
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Show.objects.count() == 1


@pytest.mark.parametrize("role", list(WRITE))
def test_it_lets_only_operators_ask_for_a_load(role, users, api_as):
    show = ShowFactory(loading_status="partial", facts_loaded=True)
    response = api_as(users[role]).post(f"/api/shows/{show.pk}/load/", {}, format="json")
    assert response.status_code == WRITE[role]
    assert (reload(show).loading_status == "pending") == (WRITE[role] == 202)


def test_it_loads_the_chosen_parts_even_when_loaded(operator, api_as):
    show = ShowFactory(loading_status="completed", facts_loaded=True, episodes_loaded=True,
                       tmdb_loaded=True, artwork_loaded=True)
    response = api_as(operator).post(f"/api/shows/{show.pk}/load/",
                                     {"parts": ["artwork", "facts", "artwork"]}, format="json")
    assert response.status_code == 202
    assert response.json()["parts"] == ["facts", "artwork"]
    assert response.json()["loading_status"] == "pending"


def test_it_answers_200_when_nothing_is_missing(operator, api_as):
    show = ShowFactory(loading_status="completed", facts_loaded=True, episodes_loaded=True,
                       tmdb_loaded=True, artwork_loaded=True)
    response = api_as(operator).post(f"/api/shows/{show.pk}/load/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["loading_status"] == "completed"


@pytest.mark.parametrize("status", ["pending", "loading_metadata"])
def test_it_answers_409_while_a_load_is_queued_or_running(status, operator, api_as):
    show = ShowFactory(loading_status=status, loading_parts=["metadata"])
    response = api_as(operator).post(f"/api/shows/{show.pk}/load/", {}, format="json")
    assert response.status_code == 409
    assert reload(show).loading_status == status


@pytest.mark.parametrize("parts", [["posters"], [], "artwork", [1], ["facts"] * 5])
def test_it_rejects_unknown_parts(parts, operator, api_as):
    show = ShowFactory(loading_status="partial")
    response = api_as(operator).post(f"/api/shows/{show.pk}/load/", {"parts": parts},
                                     format="json")
    assert response.status_code == 400
    assert "parts" in response.json()
    assert reload(show).loading_status == "partial"


def test_it_answers_404_for_a_load_of_an_unknown_show(operator, api_as):
    assert api_as(operator).post("/api/shows/999/load/", {}, format="json").status_code == 404


@pytest.mark.parametrize("role", list(READ))
def test_it_shows_the_loading_state_to_every_role(role, users, api_as):
    show = ShowFactory(loading_status="partial", facts_loaded=True, episodes_loaded=True,
                       tmdb_loaded=True, loading_errors={"artwork": "tmdb: 404"},
                       loading_error="artwork: tmdb: 404")
    response = api_as(users[role]).get(f"/api/shows/{show.pk}/loading/")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        assert response.json() == {
            "id": show.pk, "title": show.title, "loading_status": "partial",
            "progress": {"facts": True, "episodes": True, "metadata": True, "artwork": False},
            "parts": [], "started_at": None, "completed_at": None, "next_try_at": None,
            "message": "Loaded, except artwork.", "error": "artwork: tmdb: 404",
            "errors": {"artwork": "tmdb: 404"}}


@pytest.mark.parametrize("role", list(READ))
def test_it_serves_the_live_feed_to_every_role(role, users, api_as):
    response = api_as(users[role]).get("/api/live/")
    assert response.status_code == READ[role]


def test_it_feeds_loading_changes_since_a_cursor(operator, api_as, viewer):
    first = api_as(viewer).get("/api/live/").json()
    assert first["shows"] == [] and first["more"] is False
    api_as(operator).post("/api/shows/", {"tvdb_id": 7}, format="json")
    feed = api_as(viewer).get("/api/live/", {"since": first["cursor"]}).json()
    assert [(s["title"], s["loading_status"]) for s in feed["shows"]] == [("TVDB 7", "pending")]
    assert set(feed) == {"cursor", "after", "more", "shows", "runs"}


def test_it_rejects_a_bad_cursor(viewer, api_as):
    response = api_as(viewer).get("/api/live/", {"since": "yesterday"})
    assert response.status_code == 400 and "since" in response.json()


def test_it_still_answers_202_when_the_queue_is_down(operator, api_as, monkeypatch, settings,
                                                      django_capture_on_commit_callbacks):
    from catalog.models import SyncRun

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("catalog.runs.enqueue.async_task", broken)  # every run is enqueued there
    settings.LOADER_CONCURRENCY = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(operator).post("/api/shows/", {"tvdb_id": 77}, format="json")
    assert response.status_code == 202  # the show is queued durably; the minute resume retries
    assert Show.objects.get(tvdb_id=77).loading_status == "pending"
    run = SyncRun.objects.get(kind="load")
    assert run.status == "failed" and "could not enqueue" in run.error


def test_it_pages_a_long_live_feed_by_its_cursor(viewer, api_as):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(minutes=5)
    Show.objects.bulk_create([
        Show(title=f"S{n}", loading_status="pending", loading_changed_at=start
             + timedelta(seconds=n)) for n in range(205)])
    client = api_as(viewer)
    first = client.get("/api/live/", {"since": start.isoformat()}).json()
    assert first["more"] is True and len(first["shows"]) == 200
    rest = client.get("/api/live/", {"since": first["cursor"]}).json()
    assert rest["more"] is False
    titles = {s["title"] for s in first["shows"]} | {s["title"] for s in rest["shows"]}
    assert titles == {f"S{n}" for n in range(205)}


def test_it_pages_past_more_shows_than_a_page_changed_in_one_statement(viewer, api_as):
    """A bulk queue (admin "load" action, library sweep) stamps every show with one time:
    the feed must still page through them all, not serve the first page forever."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.sync.loading.queue import shows_request

    start = timezone.now() - timedelta(seconds=1)
    shows = Show.objects.bulk_create([Show(title=f"S{n}") for n in range(450)])
    assert shows_request([s.pk for s in shows]) == 450  # one UPDATE, one loading_changed_at
    client, seen, query = api_as(viewer), set(), {"since": start.isoformat()}
    for _ in range(5):
        feed = client.get("/api/live/", query).json()
        seen |= {s["id"] for s in feed["shows"]}
        query = {"since": feed["cursor"], **({"after": feed["after"]} if feed["more"] else {})}
        if not feed["more"]:
            break
    assert feed["more"] is False
    assert seen == {s.pk for s in shows}


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_poll_still_reaches_the_next_one(viewer, api_as, monkeypatch):
    """A writer's time is taken before it commits (a row lock, a long page transaction can
    hold the commit back): a poll in between must not move the cursor past that time, or
    the change (here a load finishing) never reaches the client."""
    import threading
    import time
    from datetime import timedelta

    from django.db import connection, connections, transaction
    from django.utils import timezone

    from catalog.api.views import loading as loading_views

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database cannot hold a write open beside a reader")
    monkeypatch.setattr(loading_views, "LIVE_OVERLAP", timedelta(milliseconds=200))
    start = timezone.now() - timedelta(minutes=1)
    show = ShowFactory(loading_status="loading_artwork", loading_changed_at=start)
    stamped, polled = threading.Event(), threading.Event()

    def finish() -> None:
        try:
            with transaction.atomic():
                Show.objects.filter(pk=show.pk).update(
                    loading_status="completed", loading_changed_at=timezone.now())
                stamped.set()
                polled.wait(timeout=10)  # commits only after the client's poll
        finally:
            connections.close_all()

    writer = threading.Thread(target=finish)
    writer.start()
    assert stamped.wait(timeout=10)
    time.sleep(0.5)  # the poll comes well past the writer's time plus the overlap
    client = api_as(viewer)
    first = client.get("/api/live/", {"since": start.isoformat()}).json()
    polled.set()
    writer.join(timeout=10)
    later = client.get("/api/live/", {"since": first["cursor"]}).json()
    assert [(s["id"], s["loading_status"]) for s in later["shows"]] == [(show.pk, "completed")]
