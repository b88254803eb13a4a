"""Hostile TMDB answers: refused for their show alone, never stored half-valid, never failing
a page. Run with DATABASE_URL on PostgreSQL too (it refuses NUL in text)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.forms.models import model_to_dict

from catalog.models import Show
from catalog.sync.tmdb import tmdb_id_refresh
from catalog.sync.tmdb.show import show_refresh
from integrations.errors import InvalidError
from tests import factories
from tests.catalog.sync.tmdb.helpers import (
    BASE,
    NOW,
    batch,
    client_for,
    feed_read,
    library_of,
    tv1399,
)

URL = f"{BASE}/tv/1399"


def _placeholder(**fields) -> Show:
    return factories.ShowFactory(**{"tmdb_id": 1399, "tvmaze_id": None, "tvdb_id": None,
                                    "imdb_id": None, "tmdb_status": "unknown", **fields})


@pytest.mark.django_db
@responses.activate
@pytest.mark.parametrize("edit", [
    {"overview": "Winter\x00is coming"}, {"name": "Game\x00of Thrones"}, {"status": "Ended\x00"},
    {"poster_path": "/a\x00.jpg"}, {"external_ids": {"imdb_id": "tt1\x00", "tvdb_id": None}},
], ids=["overview", "name", "status", "poster", "imdb"])
def test_a_nul_in_tmdb_text_is_refused_and_the_row_stays_as_it_was(edit):
    show = _placeholder()
    before = model_to_dict(Show.objects.get(pk=show.pk))
    responses.get(URL, json=tv1399(**edit))
    with pytest.raises(InvalidError, match="NUL"):
        tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert model_to_dict(Show.objects.get(pk=show.pk)) == before


@pytest.mark.django_db
def test_a_show_with_a_nul_in_its_name_fails_alone_in_a_batch(fake, now, new_run):
    bad, good = fake.ids[7], fake.ids[8]
    fake.change([bad], name="Bad\x00Name")
    library_of([bad, good], tvmaze_id=None)
    feed_read(now, timedelta(minutes=1))
    run = batch(fake, now, new_run)
    assert run.status == "succeeded" and run.errors == 1
    assert dict(Show.objects.values_list("tmdb_id", "tmdb_status")) == {
        bad: "unknown", good: "fresh"}


@pytest.mark.django_db
@responses.activate
@pytest.mark.parametrize("tmdb_id", [-5, 0, 2**31, 2**40])
def test_a_find_answer_naming_an_impossible_tmdb_id_is_refused(tmdb_id):
    show = factories.ShowFactory(tmdb_id=None, tvdb_id=81189, imdb_id=None,
                                 tmdb_status="unknown")
    responses.get(f"{BASE}/find/81189", json={"tv_results": [{"id": tmdb_id, "name": "X"}]})
    responses.get(f"{BASE}/tv/{tmdb_id}", json=tv1399(id=tmdb_id))
    with pytest.raises(InvalidError, match="out of range"):
        show_refresh(show, now=NOW, client=client_for())
    assert Show.objects.get(pk=show.pk).tmdb_id is None


@pytest.mark.django_db
@responses.activate
def test_a_season_listed_twice_counts_once_in_the_slot_map():
    _placeholder()
    responses.get(URL, json=tv1399(seasons=[
        {"season_number": 1, "episode_count": 10}, {"season_number": 2, "episode_count": 8},
        {"season_number": 1, "episode_count": 12}]))
    show = tmdb_id_refresh(1399, now=NOW, client=client_for())
    assert Show.objects.get(pk=show.pk).tmdb_season_episodes == [[1, 10], [2, 8]]
