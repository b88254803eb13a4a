"""The one ``/find`` policy: TVDB then IMDb, IMDb cross-check, premiere year, never a guess."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import responses

from catalog.sync.tmdb.find import tmdb_id_choose
from tests.catalog.sync.tmdb.helpers import BASE, client_for

TVDB, IMDB = 81189, "tt0903747"
PREMIERED = date(2008, 1, 20)


def hit(tmdb_id: int, first_aired: str | None) -> dict:
    return {"id": tmdb_id, "name": f"Show {tmdb_id}", "media_type": "tv",
            "first_air_date": first_aired}


def finds(by_tvdb: list[dict] | None = None, by_imdb: list[dict] | None = None, *,
          mock: Any = responses) -> None:
    """Answer ``/find`` by TVDB and by IMDb id (an answer left ``None`` is never asked)."""
    for value, source, results in ((TVDB, "tvdb_id", by_tvdb), (IMDB, "imdb_id", by_imdb)):
        if results is not None:
            mock.get(f"{BASE}/find/{value}", json={
                "movie_results": [], "person_results": [], "tv_results": results,
                "tv_episode_results": [], "tv_season_results": []},
                match=[responses.matchers.query_param_matcher(
                    {"external_source": source}, strict_match=False)])


def choose(*, tvdb_id=TVDB, imdb_id=IMDB, premiered=PREMIERED):
    return tmdb_id_choose(client_for(), tvdb_id=tvdb_id, imdb_id=imdb_id, premiered=premiered)


@responses.activate
def test_no_hit_by_either_id_is_not_on_tmdb_after_two_requests():
    finds(by_tvdb=[], by_imdb=[])
    found = choose()
    assert (found.tmdb_id, found.ambiguous) == (None, False)
    assert len(responses.calls) == 2


@responses.activate
def test_a_single_hit_is_taken_whatever_its_first_air_year_in_one_request():
    finds(by_tvdb=[hit(5001, "2010-03-01")])
    found = choose()
    assert (found.tmdb_id, found.note) == (5001, "")
    assert len(responses.calls) == 1  # the IMDb id is not asked for


@responses.activate
def test_a_repeated_hit_counts_once():
    finds(by_tvdb=[hit(5001, "2010-03-01"), hit(5001, "2010-03-01")])
    assert choose().tmdb_id == 5001


@responses.activate
def test_the_imdb_id_is_asked_only_when_tvdb_has_no_hit():
    finds(by_tvdb=[], by_imdb=[hit(1396, "2008-01-20")])
    assert choose().tmdb_id == 1396
    assert len(responses.calls) == 2


@responses.activate
def test_among_several_hits_the_premiere_year_decides():
    finds(by_tvdb=[hit(290000, "2019-05-01"), hit(1396, "2008-01-20")])
    found = choose(imdb_id=None)
    assert found.tmdb_id == 1396
    assert found.note == "tvdb 81189 matches TMDB [1396, 290000]; took 1396 (first aired 2008)"


@responses.activate
def test_the_imdb_id_cross_checks_hits_the_year_cannot_tell_apart():
    finds(by_tvdb=[hit(1396, "2008-01-20"), hit(310000, "2008-09-01")],
          by_imdb=[hit(310000, "2008-09-01")])
    found = choose()
    assert found.tmdb_id == 310000 and "imdb tt0903747 agrees" in found.note
    assert len(responses.calls) == 2  # no show costs more than two /find requests


@responses.activate
def test_an_imdb_agreement_outranks_the_premiere_year():
    finds(by_tvdb=[hit(1396, "2008-01-20"), hit(290000, "2019-05-01")],
          by_imdb=[hit(290000, "2019-05-01")])
    assert choose().tmdb_id == 290000


@responses.activate
def test_an_imdb_answer_sharing_no_hit_leaves_the_year_to_decide():
    finds(by_tvdb=[hit(1396, "2008-01-20"), hit(290000, "2019-05-01")],
          by_imdb=[hit(777, "2008-01-20")])
    assert choose().tmdb_id == 1396


@responses.activate
def test_a_malformed_imdb_id_is_never_sent():
    finds(by_tvdb=[hit(1396, "2008-01-20"), hit(290000, "2019-05-01")])
    assert choose(imdb_id="nm0000001").tmdb_id == 1396
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(("hits", "imdb_hits", "premiered"), [
    ([hit(1396, "2008-01-20"), hit(310000, "2008-09-01")], None, PREMIERED),  # same year
    ([hit(290000, "2019-05-01"), hit(300000, None)], None, PREMIERED),  # no year matches
    ([hit(1396, "2008-01-20"), hit(290000, "2019-05-01")], None, None),  # no premiere date
    ([hit(1396, "2008-01-20"), hit(310000, "2008-09-01")],  # imdb agrees with both
     [hit(1396, "2008-01-20"), hit(310000, "2008-09-01")], PREMIERED),
], ids=["same-year", "no-year-matches", "no-premiere", "imdb-agrees-with-both"])
def test_several_hits_nothing_settles_are_ambiguous_never_a_guess(hits, imdb_hits, premiered):
    finds(by_tvdb=hits, by_imdb=imdb_hits)
    found = choose(imdb_id=IMDB if imdb_hits is not None else None, premiered=premiered)
    assert found.tmdb_id is None and found.ambiguous
    assert found.candidates == tuple(sorted(h["id"] for h in hits))
    assert "ambiguous between" in found.note


@responses.activate
def test_several_hits_by_imdb_alone_are_told_apart_by_year_only():
    finds(by_imdb=[hit(1396, "2008-01-20"), hit(290000, "2019-05-01")])
    assert choose(tvdb_id=None).tmdb_id == 1396
    assert len(responses.calls) == 1
