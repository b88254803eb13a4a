"""Loading a show's parts against the fakes: flags, errors, retries, outcomes."""

from __future__ import annotations

import pytest

from catalog.models import Episode, Show
from catalog.sync.loading import show_add, show_request
from integrations.fakes.base import Fault
from integrations.fakes.tvmaze_render import episode_objs
from tests.catalog.loading.conftest import reload

pytestmark = pytest.mark.django_db

ALL_LOADED = {"facts": True, "episodes": True, "metadata": True, "artwork": True}


def _progress(show: Show) -> dict[str, bool]:
    return {"facts": show.facts_loaded, "episodes": show.episodes_loaded,
            "metadata": show.tmdb_loaded, "artwork": show.artwork_loaded}


def test_it_loads_every_part_of_a_show_added_by_tvdb_id(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    rec = fakes.tvmaze.record(tvmaze_id)
    show = show_add(field="tvdb_id", value=rec.tvdb, by="otto").show
    run = drain()
    show = reload(show)
    assert run.status == "succeeded" and run.summary["completed"] == 1
    assert [(e["part"], e["ok"]) for e in run.events if e["event"] == "part"] == [
        ("facts", True), ("episodes", True), ("metadata", True), ("artwork", True)]
    assert run.summary["upstream_requests"] == {"tvmaze": 3, "tmdb": 7}  # lookup+301, episodes;
    # find, tv, images, configuration and three image files
    assert show.loading_status == "completed" and _progress(show) == ALL_LOADED
    assert show.tvmaze_id == tvmaze_id and show.title == rec.name
    assert show.tmdb_id == fakes.tmdb_id_of(tvmaze_id) and show.tmdb_status == "fresh"
    assert show.loading_started_at <= show.loading_completed_at
    assert show.loading_errors == {} and show.loading_error == "" and show.loading_parts == []
    expected = episode_objs(rec, specials=True)
    assert Episode.objects.filter(show=show).count() == len(expected)
    specials = [e for e in expected if e["number"] is None]
    assert Episode.objects.filter(show=show, number=None).count() == len(specials)


def test_it_loads_a_show_added_by_tmdb_id_metadata_first(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tmdb_id", value=fakes.tmdb_id_of(tvmaze_id)).show
    run = drain()
    show = reload(show)
    assert show.loading_status == "completed", show.loading_errors
    assert show.tvmaze_id == tvmaze_id and show.episodes.exists()
    assert [e["part"] for e in run.events if e["event"] == "part"] == [
        "metadata", "facts", "episodes", "artwork"]


def test_it_retries_a_transient_failure_and_then_succeeds(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    # Three 503s exhaust the HTTP layer's two retries once; the part's second try succeeds.
    fakes.tvmaze.inject(Fault("status", status=503), times=3,
                        path_prefix=f"/shows/{tvmaze_id}/episodes")
    drain()
    show = reload(show)
    assert show.loading_status == "completed" and show.episodes_loaded
    assert show.loading_attempts == {} and show.loading_errors == {}
    assert fakes.tvmaze.counts["GET /shows/:id/episodes"] == 4


def test_it_fails_a_part_after_three_transient_tries_and_completes_the_rest(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    fakes.tvmaze.inject(Fault("status", status=502), times=100,
                        path_prefix=f"/shows/{tvmaze_id}/episodes")
    drain()
    show = reload(show)
    assert show.loading_status == "partial"
    assert _progress(show) == {**ALL_LOADED, "episodes": False}
    assert show.loading_attempts == {"episodes": 3}
    assert "502" in show.loading_errors["episodes"]
    assert show.loading_error.startswith("episodes: ")
    assert fakes.tvmaze.counts["GET /shows/:id/episodes"] == 9  # 3 tries x 3 requests


def test_it_fails_auth_errors_at_once_while_the_other_parts_complete(fakes, drain, clients):
    from dataclasses import replace

    from integrations.tmdb import TmdbClient
    from tests.catalog.sync.conftest import fast_http

    bad = replace(clients, tmdb=TmdbClient(fast_http("tmdb", fakes.tmdb.url,
                                                     params={"api_key": "wrong"})))
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    drain(with_clients=bad)
    show = reload(show)
    assert show.loading_status == "partial"
    assert _progress(show) == {"facts": True, "episodes": True, "metadata": False,
                               "artwork": False}
    assert "Invalid API key" in show.loading_errors["metadata"]
    assert show.loading_attempts == {"metadata": 1, "artwork": 1}
    assert "wrong" not in show.loading_error
    assert show.loading_errors["artwork"] == "the show has no TMDB id yet (metadata)"
    assert fakes.tmdb.total_requests() == 1  # the one find: no retries


def test_it_fails_a_show_unknown_everywhere(fakes, drain):
    show = show_add(field="tvdb_id", value=987654321).show
    drain()
    show = reload(show)
    assert show.loading_status == "failed"
    assert show.loading_errors["facts"] == "TVMaze has no show with TVDB 987654321"
    assert set(show.loading_errors) == {"facts", "episodes", "metadata", "artwork"}
    assert show.loading_errors["metadata"] == "not on TMDB"


def test_it_retries_a_failed_part_on_request(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    fakes.tvmaze.inject(Fault("status", status=500), times=9,
                        path_prefix=f"/shows/{tvmaze_id}/episodes")
    drain()
    assert reload(show).loading_status == "partial"
    fakes.tvmaze.reset_counts()
    fakes.tmdb.reset_counts()
    assert show_request(reload(show))
    assert reload(show).loading_parts == ["episodes"]
    drain()
    show = reload(show)
    assert show.loading_status == "completed" and show.loading_errors == {}
    assert fakes.tvmaze.counts == {"GET /shows/:id/episodes": 1}
    assert fakes.tmdb.total_requests() == 0


def test_it_keeps_episodes_current_on_a_later_load(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    drain()
    rec = fakes.tvmaze.record(tvmaze_id)
    before = Episode.objects.filter(show=show).count()
    rec.per_season -= 1
    fakes.tvmaze.change([tvmaze_id], name="Renamed Show")
    assert show_request(reload(show), ["facts", "episodes"])
    drain()
    show = reload(show)
    assert show.title == "Renamed Show"
    assert Episode.objects.filter(show=show).count() == len(episode_objs(rec, specials=True))
    assert Episode.objects.filter(show=show).count() == before - rec.seasons


def test_it_merges_a_bare_add_into_the_catalog_show_it_turns_out_to_be(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    other = Show.objects.create(title="Mirror", tvmaze_id=tvmaze_id)
    show = show_add(field="tmdb_id", value=fakes.tmdb_id_of(tvmaze_id), by="otto").show
    drain()
    assert not Show.objects.filter(pk=show.pk).exists()
    other = reload(other)
    assert other.tmdb_id == fakes.tmdb_id_of(tvmaze_id) and other.added_by == "otto"
    assert other.loading_status == "completed", other.loading_errors  # its parts queued


def test_it_reports_a_facts_clash_with_a_catalog_show_when_the_add_holds_more(fakes, drain):
    from tests import factories

    tvmaze_id = fakes.tvmaze_show()
    other = Show.objects.create(title="Mirror", tvmaze_id=tvmaze_id)
    show = show_add(field="tmdb_id", value=fakes.tmdb_id_of(tvmaze_id)).show
    factories.PlexShowFactory(show=show)
    drain()
    show = reload(show)
    assert show.loading_errors["facts"] == (
        f"TVMaze show {tvmaze_id} is already in the catalog as show {other.pk}")
    assert show.loading_status == "partial" and show.tmdb_loaded
    assert reload(other).title == "Mirror"
