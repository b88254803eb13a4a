"""TMDB surfaces besides the API: the command, the schedule, admin actions, the dashboard."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Decision, Show, SyncRun
from catalog.runs import run_claim
from catalog.tasks import tmdb_sync_task
from integrations.fakes.tmdb import DEFAULT_API_KEY
from tests import factories
from tests.catalog.sync.tmdb.helpers import KEY, show_with_tmdb_id, tmdb_fake_configured


@pytest.fixture
def fake(settings):
    with tmdb_fake_configured(settings) as server:
        yield server


_got = show_with_tmdb_id


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
def test_it_shows_an_ambiguous_tmdb_match_in_the_admin_and_the_ui(viewer, client):
    show = factories.ShowFactory(tmdb_id=None, tmdb_status="ambiguous",
                                 tmdb_fetched_at=timezone.now())
    factories.ShowFactory(tmdb_id=None, tmdb_status="not_found")
    client.force_login(viewer)
    admin_list = client.get("/admin/catalog/show/?tmdb_status__exact=ambiguous")
    assert [s.pk for s in admin_list.context["cl"].result_list] == [show.pk]
    assert "Ambiguous on TMDB" in admin_list.content.decode()
    assert "Ambiguous on TMDB" in client.get(f"/shows/{show.pk}/").content.decode()


@pytest.mark.django_db
def test_it_counts_only_library_shows_as_placeholders(viewer, client):
    factories.ShowFactory.create_batch(3)  # TVMaze-only: not placeholders
    factories.PlexShowFactory(show__tvmaze_id=None)  # a Plex placeholder
    factories.DecisionFactory(status=Decision.Status.EXISTS,
                              show__tmdb_status="fresh")  # in the library, enriched
    factories.ShowFactory(operator_added=True, tmdb_status="not_found",
                          tmdb_fetched_at=timezone.now() - timedelta(days=1))
    client.force_login(viewer)
    counts = client.get("/").context["counts"]
    assert (counts["shows"], counts["library_shows"], counts["placeholders"]) == (6, 3, 1)


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


def test_it_builds_the_client_on_the_shared_limit_of_40_a_second(settings):
    from catalog.upstreams.clients import tmdb_client

    settings.TMDB_API_KEY, settings.TMDB_RATE_CALLS, settings.TMDB_RATE_PERIOD = KEY, 40, 1.0
    settings.REDIS_URL = ""
    client = tmdb_client()
    limit = client.http.config.rate_limit
    assert (limit.calls, limit.period, limit.backend) == (40, 1.0, settings.RATE_LIMIT_DB)
    assert KEY not in repr(client) and KEY not in repr(client.http.config)
