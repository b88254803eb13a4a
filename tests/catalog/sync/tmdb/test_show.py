"""``tmdb_id_refresh``: each branch of the refresh policy, with an injected clock and
``responses``."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from django.forms.models import model_to_dict

from catalog.models import MediaItem, Show
from catalog.sync.exceptions import ShowNotFoundInLibrary
from catalog.sync.tmdb import tmdb_id_refresh
from catalog.sync.tmdb.slots import slot_map
from integrations.errors import AuthError, NotFoundError, TransientError
from tests import factories
from tests.catalog.sync.tmdb.helpers import BASE, KEY, NOW, client_for, tv1399

pytestmark = pytest.mark.django_db
URL = f"{BASE}/tv/1399"


def _show(**fields) -> Show:
    defaults = {"tmdb_id": 1399, "tmdb_status": Show.TmdbStatus.FRESH,
                "tmdb_fetched_at": NOW - timedelta(days=1), "tmdb_jitter_days": 0,
                "overview": "old", "tvdb_id": None, "imdb_id": None}
    return factories.ShowFactory(**{**defaults, **fields})


@responses.activate
def test_it_returns_a_fresh_show_without_a_request():
    show = _show()
    assert tmdb_id_refresh(1399, now=NOW, client=client_for()).overview == "old"
    assert len(responses.calls) == 0
    assert Show.objects.get(pk=show.pk).tmdb_fetched_at == NOW - timedelta(days=1)


@responses.activate
def test_it_refreshes_at_exactly_ttl_days_and_not_a_second_before():
    show = _show(tmdb_fetched_at=NOW - timedelta(days=7) + timedelta(seconds=1))
    assert tmdb_id_refresh(1399, now=NOW, client=client_for()).overview == "old"
    assert len(responses.calls) == 0
    Show.objects.filter(pk=show.pk).update(tmdb_fetched_at=NOW - timedelta(days=7))
    responses.get(URL, json=tv1399())
    refreshed = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert len(responses.calls) == 1
    assert refreshed.overview.startswith("Seven noble families")
    assert refreshed.tmdb_fetched_at == NOW


@responses.activate
def test_it_always_refreshes_a_placeholder_inside_the_ttl():
    _show(tmdb_status=Show.TmdbStatus.UNKNOWN, tmdb_fetched_at=NOW - timedelta(minutes=5),
          tvmaze_id=None, title="Game of Thrones (Plex)")
    responses.get(URL, json=tv1399())
    show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert len(responses.calls) == 1
    assert show.tmdb_status == Show.TmdbStatus.FRESH
    assert show.title == "Game of Thrones"  # TVMaze does not know it: TMDB names it


@responses.activate
def test_it_refreshes_a_fresh_show_when_forced():
    _show(tmdb_fetched_at=NOW - timedelta(minutes=1))
    responses.get(URL, json=tv1399())
    refreshed = tmdb_id_refresh(1399, force=True, now=NOW, client=client_for())
    assert refreshed.tmdb_series_status == "Ended"
    assert len(responses.calls) == 1


@responses.activate
def test_it_asks_once_with_external_ids_appended_and_no_key_leaks(caplog):
    _show(tmdb_status=Show.TmdbStatus.UNKNOWN)
    responses.get(URL, json=tv1399())
    with caplog.at_level(logging.DEBUG):
        tmdb_id_refresh(1399, now=NOW, client=client_for())
    (call,) = responses.calls
    assert "append_to_response=external_ids" in call.request.url
    assert KEY not in caplog.text


@responses.activate
def test_it_refreshes_a_show_absent_from_plex_with_an_empty_slot_map_and_a_warning(caplog):
    item = factories.MediaItemFactory(plex_show__show=_show(tmdb_status="unknown"),
                                      season_number=1, episode_number=1,
                                      state=MediaItem.State.MISSING)
    responses.get(URL, json=tv1399())
    with caplog.at_level(logging.WARNING, logger="catalog.sync.tmdb"):
        show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert show.pk == item.plex_show.show_id and show.tmdb_status == Show.TmdbStatus.FRESH
    slots = slot_map(show)
    assert not slots.in_plex and slots.have == 0 and slots.expected == 73
    assert all(season.held == () for season in slots.seasons)
    assert "not in Plex" in caplog.text and "1399" in caplog.text


@responses.activate
def test_it_maps_held_episodes_per_regular_season_leaving_specials_out(caplog):
    plex_show = factories.PlexShowFactory(show=_show(tmdb_status="unknown"))
    for season, episode, state in [(1, 1, "active"), (1, 2, "remote_only"), (1, 3, "missing"),
                                   (1, 3, "unavailable"), (0, 1, "active"), (1, 99, "active"),
                                   (2, 1, "deleted")]:
        factories.MediaItemFactory(plex_show=plex_show, library=plex_show.library,
                                   season_number=season, episode_number=episode, state=state)
    responses.get(URL, json=tv1399())
    with caplog.at_level(logging.WARNING, logger="catalog.sync.tmdb"):
        slots = slot_map(tmdb_id_refresh(1399, now=NOW, client=client_for()))
    assert slots.in_plex and "not in Plex" not in caplog.text
    assert [s.season for s in slots.seasons] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert slots.seasons[0].held == (1, 2) and slots.seasons[1].held == ()
    assert slots.summary.startswith("S01 2/10, S02 0/10")
    assert (slots.have, slots.expected) == (2, 73)


@responses.activate
def test_it_raises_show_not_found_in_library_without_a_request():
    factories.ShowFactory(tmdb_id=1400)
    factories.PlexShowFactory(show=None, guid="com.plexapp.agents.themoviedb://13990?lang=en")
    with pytest.raises(ShowNotFoundInLibrary, match="TMDB id 1399"):
        tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert len(responses.calls) == 0


@responses.activate
def test_it_links_an_unlinked_plex_show_carrying_the_id_and_refreshes_it():
    plex = factories.PlexShowFactory(show=None, title="GoT",
                                     guid="com.plexapp.agents.themoviedb://1399?lang=en")
    responses.get(URL, json=tv1399())
    show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    plex.refresh_from_db()
    assert plex.show_id == show.pk and show.title == "Game of Thrones"
    assert (show.tvdb_id, show.imdb_id) == (121361, "tt0944947")


@responses.activate
@pytest.mark.parametrize(("status", "body", "error"), [
    (401, {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid "
                                               "key.", "success": False}, AuthError),
    (404, {"status_code": 34, "status_message": "The resource you requested could not be "
                                                "found."}, NotFoundError),
    (503, {"status_code": 9, "status_message": "Service offline."}, TransientError),
])
def test_it_leaves_the_row_unchanged_on_a_tmdb_error(status, body, error):
    show = _show(tmdb_status=Show.TmdbStatus.UNKNOWN)
    before = model_to_dict(Show.objects.get(pk=show.pk))
    responses.get(URL, json=body, status=status)
    with pytest.raises(error) as caught:
        tmdb_id_refresh(1399, now=NOW, client=client_for(max_retries=1))
    assert model_to_dict(Show.objects.get(pk=show.pk)) == before
    assert KEY not in str(caught.value)


@responses.activate
def test_it_leaves_the_row_unchanged_on_a_malformed_answer():
    show = _show(tmdb_status=Show.TmdbStatus.UNKNOWN)
    before = model_to_dict(Show.objects.get(pk=show.pk))
    responses.get(URL, json={"id": 1399, "name": None})
    with pytest.raises(Exception, match="malformed"):
        tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert model_to_dict(Show.objects.get(pk=show.pk)) == before


@responses.activate
def test_it_keeps_tvmaze_facts_and_never_takes_ids_another_show_holds():
    other = factories.ShowFactory(tvdb_id=121361, imdb_id="tt9999999")
    show = _show(tmdb_status="unknown", title="Game of Thrones (TVMaze)", imdb_id=None)
    responses.get(URL, json=tv1399())
    show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert show.title == "Game of Thrones (TVMaze)"  # a TVMaze show keeps its own title
    assert (show.tvdb_id, show.imdb_id) == (None, "tt0944947")
    assert Show.objects.get(pk=other.pk).tvdb_id == 121361


@responses.activate
def test_it_refreshes_a_row_stamped_in_the_future_by_a_clock_that_went_back():
    show = _show(tmdb_fetched_at=NOW + timedelta(hours=2))
    assert tmdb_id_refresh(1399, now=NOW, client=client_for()).pk == show.pk
    assert len(responses.calls) == 0  # a little ahead: fresh
    Show.objects.filter(pk=show.pk).update(tmdb_fetched_at=NOW + timedelta(days=30))
    responses.get(URL, json=tv1399())
    assert tmdb_id_refresh(1399, now=NOW, client=client_for()).tmdb_fetched_at == NOW


@responses.activate
def test_it_takes_the_rows_jitter_off_its_ttl_and_draws_a_new_one():
    show = _show(tmdb_fetched_at=NOW - timedelta(days=4) + timedelta(seconds=1),
                 tmdb_jitter_days=3)
    tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert len(responses.calls) == 0
    Show.objects.filter(pk=show.pk).update(tmdb_fetched_at=NOW - timedelta(days=4))
    responses.get(URL, json=tv1399())
    assert 0 <= tmdb_id_refresh(1399, now=NOW, client=client_for()).tmdb_jitter_days <= 3


@responses.activate
def test_it_refreshes_every_time_with_a_zero_ttl(settings):
    settings.TMDB_CACHE_TTL_DAYS = 0
    _show(tmdb_fetched_at=NOW)
    responses.get(URL, json=tv1399())
    assert tmdb_id_refresh(1399, now=NOW, client=client_for()).tmdb_jitter_days == 0
    assert len(responses.calls) == 1


@responses.activate
def test_it_stores_nonsense_counts_and_overlong_paths_safely():
    _show(tmdb_status="unknown")
    responses.get(URL, json=tv1399(
        number_of_seasons=-3, number_of_episodes=2**40, poster_path="/" + "p" * 5000,
        status="S" * 300, seasons=[{"season_number": -1, "episode_count": 4},
                                   {"season_number": 1, "episode_count": -7},
                                   {"season_number": 2, "episode_count": 6}]))
    show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert (show.tmdb_seasons, show.tmdb_episodes) == (None, None)
    assert len(show.poster_path) == 200 and len(show.tmdb_series_status) == 32
    assert Show.objects.get(pk=show.pk).tmdb_season_episodes == [[1, 0], [2, 6]]
