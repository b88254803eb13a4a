"""TmdbClient against recorded TMDB payloads served by ``responses``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import responses
from responses import matchers

from integrations.errors import (
    AuthError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UpstreamError,
)
from integrations.http import HttpClient
from integrations.tmdb import TmdbClient
from integrations.values import ExternalId
from integrations.values.tmdb import TmdbFindResult, TmdbSeasonSummary, parse_tv

BASE = "https://api.themoviedb.org/3"
V3_KEY = "v3secret0123456789abcdef"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXNlY3JldA"


@pytest.fixture
def tv1399(load_recorded: Callable[[str], Any]) -> dict[str, Any]:
    show = load_recorded("tmdb/tv_1399.json")
    show["external_ids"] = load_recorded("tmdb/tv_1399_external_ids.json")
    return show


@pytest.fixture
def client(fast_config: Callable[..., Any]) -> TmdbClient:
    config = fast_config("tmdb", BASE, max_retries=0, params={"api_key": V3_KEY})
    return TmdbClient(HttpClient(config))


@responses.activate
def test_it_parses_the_recorded_tv_1399_with_external_ids(
    client: TmdbClient, tv1399: dict[str, Any]
) -> None:
    responses.get(f"{BASE}/tv/1399", json=tv1399, match=[matchers.query_param_matcher(
        {"api_key": V3_KEY, "append_to_response": "external_ids"})])
    show = client.tv(1399)
    assert (show.id, show.name, show.original_name) == (1399, "Game of Thrones",
                                                         "Game of Thrones")
    assert (show.tvdb_id, show.imdb_id) == (121361, "tt0944947")
    assert (show.status, show.type, show.in_production) == ("Ended", "Scripted", False)
    assert (show.first_air_date, show.last_air_date) == (date(2011, 4, 17), date(2019, 5, 19))
    assert (show.number_of_seasons, show.number_of_episodes) == (8, 73)
    assert show.episode_run_time == ()
    assert show.genres == ("Sci-Fi & Fantasy", "Drama", "Action & Adventure")
    assert (show.networks, show.origin_country, show.original_language) == (("HBO",), ("US",),
                                                                              "en")
    assert show.seasons[0] == TmdbSeasonSummary(0, 270, date(2010, 12, 5), "Specials")
    assert (show.poster_path, show.popularity, show.vote_average) == (
        "/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg", 639.898, tv1399["vote_average"])


def test_it_has_no_tvdb_or_imdb_id_without_appended_external_ids(
    load_recorded: Callable[[str], Any]
) -> None:
    show = parse_tv(load_recorded("tmdb/tv_1399.json"))
    assert (show.tvdb_id, show.imdb_id) == (None, None)


@responses.activate
def test_it_refuses_a_show_without_an_id(client: TmdbClient, tv1399: dict[str, Any]) -> None:
    del tv1399["id"]
    responses.get(f"{BASE}/tv/1399", json=tv1399)
    with pytest.raises(InvalidError, match="id is missing"):
        client.tv(1399)


@responses.activate
def test_it_reads_only_tv_results_from_find(
    client: TmdbClient, load_recorded: Callable[[str], Any]
) -> None:
    responses.get(f"{BASE}/find/72023", json=load_recorded("tmdb/find_72023_tvdb_id.json"),
                  match=[matchers.query_param_matcher(
                      {"api_key": V3_KEY, "external_source": "tvdb_id"})])
    found = client.find(ExternalId.parse("tvdb:72023"))
    assert found == (TmdbFindResult(1406, "Deadwood", date(2004, 3, 21)),)


@responses.activate
def test_it_finds_by_imdb_id_and_returns_every_match(client: TmdbClient) -> None:
    results = [{"id": 1, "name": "A", "first_air_date": ""}, {"id": 2, "name": "B"}]
    responses.get(f"{BASE}/find/tt0944947", json={"tv_results": results, "movie_results": []},
                  match=[matchers.query_param_matcher(
                      {"api_key": V3_KEY, "external_source": "imdb_id"})])
    found = client.find(ExternalId.parse("imdb:tt0944947"))
    assert [(r.id, r.first_air_date) for r in found] == [(1, None), (2, None)]


@responses.activate
def test_it_returns_no_match_as_an_empty_tuple(client: TmdbClient) -> None:
    responses.get(f"{BASE}/find/1", json={"tv_results": [], "tv_episode_results": []})
    assert client.find(ExternalId.parse("tvdb:1")) == ()


def test_it_cannot_find_by_other_authorities(client: TmdbClient) -> None:
    with pytest.raises(ValueError, match="plex"):
        client.find(ExternalId.parse("plex:123"))


@responses.activate
def test_it_pages_the_changes_feed(
    client: TmdbClient, load_recorded: Callable[[str], Any]
) -> None:
    responses.get(f"{BASE}/tv/changes", json=load_recorded("tmdb/tv_changes_excerpt.json"),
                  match=[matchers.query_param_matcher({"api_key": V3_KEY, "page": "1"})])
    page = client.changes()
    assert page.items == (1769, 90282, 241608, 203942, 243069)
    assert (page.cursor, page.total, page.rejects) == ("2", 5228, ())


@responses.activate
def test_it_ends_the_changes_feed_on_the_last_page(client: TmdbClient) -> None:
    body = {"results": [{"id": 7, "adult": False}, {"adult": False}], "page": 3,
            "total_pages": 3, "total_results": 202}
    responses.get(f"{BASE}/tv/changes", json=body, match=[matchers.query_param_matcher(
        {"api_key": V3_KEY, "page": "3", "start_date": "2024-01-01",
         "end_date": "2024-01-15"})])
    page = client.changes(start_date=date(2024, 1, 1), end_date=date(2024, 1, 15), page=3)
    assert (page.items, page.cursor, len(page.rejects)) == ((7,), None, 1)


@responses.activate
def test_it_refuses_a_changes_window_over_14_days_without_asking(client: TmdbClient) -> None:
    with pytest.raises(InvalidError, match="14 days"):
        client.changes(start_date=date(2024, 1, 1), end_date=date(2024, 1, 16))
    assert len(responses.calls) == 0


def test_it_builds_image_urls() -> None:
    assert TmdbClient.image_url("/abc.jpg") == "https://image.tmdb.org/t/p/original/abc.jpg"
    assert TmdbClient.image_url("/abc.jpg", "w500") == "https://image.tmdb.org/t/p/w500/abc.jpg"


@responses.activate
def test_it_turns_the_recorded_401_into_an_auth_error(
    client: TmdbClient, load_recorded: Callable[[str], Any]
) -> None:
    responses.get(f"{BASE}/tv/1399", status=401,
                  json=load_recorded("tmdb/error_401_invalid_api_key.json"))
    with pytest.raises(AuthError) as caught:
        client.tv(1399)
    assert caught.value.message == "Invalid API key: You must be granted a valid key."
    assert V3_KEY not in str(caught.value)


@responses.activate
def test_it_turns_the_recorded_404_without_success_key_into_not_found(
    client: TmdbClient, load_recorded: Callable[[str], Any]
) -> None:
    responses.get(f"{BASE}/tv/9", status=404,
                  json=load_recorded("tmdb/error_404_resource_not_found.json"))
    with pytest.raises(NotFoundError, match="could not be found"):
        client.tv(9)


@pytest.mark.parametrize(("status", "code", "error"), [
    (429, 25, RateLimitedError), (422, 20, InvalidError), (400, 22, InvalidError),
    (503, 9, TransientError),
])
@responses.activate
def test_it_maps_tmdb_error_bodies_to_error_classes(
    client: TmdbClient, status: int, code: int, error: type[UpstreamError]
) -> None:
    body = {"success": False, "status_code": code, "status_message": f"message {code}"}
    responses.get(f"{BASE}/tv/changes", status=status, json=body)
    with pytest.raises(error) as caught:
        client.changes()
    assert type(caught.value) is error and caught.value.message.startswith(f"message {code}")


@responses.activate
def test_it_sends_a_v3_key_as_api_key_and_scrubs_it() -> None:
    client = TmdbClient.build(base_url=BASE, api_key=V3_KEY, rate_limit=None, max_retries=0)
    responses.get(f"{BASE}/tv/1", status=500, body=f"oops {V3_KEY}",
                  match=[matchers.query_param_matcher(
                      {"api_key": V3_KEY, "append_to_response": "external_ids"})])
    with pytest.raises(TransientError) as caught:
        client.tv(1)
    assert V3_KEY not in f"{caught.value} {caught.value!r} {client!r} {client.http!r}"


@responses.activate
def test_it_sends_a_read_token_as_bearer_and_scrubs_it(
    load_recorded: Callable[[str], Any]
) -> None:
    client = TmdbClient.build(base_url=BASE, api_key=TOKEN, rate_limit=None, max_retries=0)
    responses.get(f"{BASE}/tv/1", status=401,
                  json=load_recorded("tmdb/error_401_invalid_api_key.json"),
                  match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"}),
                         matchers.query_param_matcher({"append_to_response": "external_ids"})])
    with pytest.raises(AuthError) as caught:
        client.tv(1)
    assert TOKEN not in f"{caught.value} {caught.value!r} {client!r} {client.http!r}"


def test_it_needs_a_key() -> None:
    with pytest.raises(ValueError):
        TmdbClient.build(base_url=BASE, api_key="", rate_limit=None)
