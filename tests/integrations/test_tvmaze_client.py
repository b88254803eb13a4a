"""TvmazeClient against recorded TVMaze payloads served by ``responses``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from integrations import metrics
from integrations.errors import (
    AuthError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnsupportedError,
    UpstreamError,
)
from integrations.http import HttpClient
from integrations.tvmaze import TvmazeClient
from integrations.values import Reject
from integrations.values.tvmaze import parse_show

BASE = "https://api.tvmaze.com"
SECRET = "premium-secret-7f3a9c"


@pytest.fixture
def show13(load_recorded: Callable[[str], Any]) -> dict[str, Any]:
    return load_recorded("tvmaze/show_13_embed_seasons.json")


@pytest.fixture
def jessica(load_recorded: Callable[[str], Any]) -> dict[str, Any]:
    return load_recorded("tvmaze/singlesearch_jessica_jones_embed_seasons.json")


@pytest.fixture
def client(fast_config: Callable[..., Any]) -> TvmazeClient:
    return TvmazeClient(HttpClient(fast_config("tvmaze", BASE, max_retries=0)))


@responses.activate
def test_it_parses_the_recorded_show_13(client: TvmazeClient, show13: dict[str, Any]) -> None:
    responses.get(f"{BASE}/shows/13", json=show13)
    show = client.show(13)
    assert (show.id, show.name, show.type, show.language) == (13, "The Flash", "Scripted",
                                                              "English")
    assert show.genres == ("Drama", "Action", "Science-Fiction")
    assert (show.status, show.runtime, show.premiered, show.ended) == (
        "Running", 60, date(2014, 10, 7), None)
    assert (show.network, show.web_channel, show.country) == ("The CW", None, "US")
    assert (show.tvdb_id, show.imdb_id, show.tvrage_id) == (279121, "tt3107288", 36939)
    assert show.official_site == "http://www.cwtv.com/shows/the-flash/"
    assert show.image_url.endswith("/original_untouched/210/527217.jpg")
    assert show.rating == 7.9
    assert show.summary.startswith("<p>After a particle accelerator")
    assert show.updated == datetime(2020, 1, 8, 12, 56, 20, tzinfo=UTC)


@responses.activate
def test_it_reads_the_country_from_a_web_channel(
    client: TvmazeClient, jessica: dict[str, Any]
) -> None:
    responses.get(f"{BASE}/shows/1370", json=jessica)
    show = client.show(1370)
    assert (show.network, show.web_channel, show.country) == (None, "Netflix", "US")
    assert show.rating == 8.0 and isinstance(show.rating, float)


def test_it_allows_a_global_streamer_without_a_country(jessica: dict[str, Any]) -> None:
    jessica["webChannel"]["country"] = None
    assert parse_show(jessica).country is None


def test_it_falls_back_to_average_runtime(show13: dict[str, Any]) -> None:
    show13.update(runtime=None, averageRuntime=43, ended="2023-05-24")
    show = parse_show(show13)
    assert (show.runtime, show.ended) == (43, date(2023, 5, 24))


@pytest.mark.parametrize("broken", [
    {"id": None}, {"id": "13"}, {"id": True}, {"name": None}, {"runtime": "sixty"},
    {"genres": "Drama"}, {"premiered": "someday"}, {"updated": "yesterday"},
    {"externals": [279121]},
])
def test_it_refuses_a_malformed_show_with_a_reason(
    show13: dict[str, Any], broken: dict[str, Any]
) -> None:
    show13.update(broken)
    with pytest.raises(ValueError, match=next(iter(broken))):
        parse_show(show13)


@responses.activate
def test_it_parses_the_recorded_episode(
    client: TvmazeClient, load_recorded: Callable[[str], Any]
) -> None:
    episode = load_recorded("tvmaze/show_13_episodebynumber_s2e2.json")
    responses.get(f"{BASE}/shows/13/episodes", json=[episode])
    (parsed,) = client.episodes(13)
    assert (parsed.id, parsed.season, parsed.number, parsed.name) == (
        211206, 2, 2, "Flash of Two Worlds")
    assert parsed.airdate == date(2015, 10, 13)
    assert parsed.airstamp == datetime(2015, 10, 14, tzinfo=UTC)
    assert (parsed.runtime, parsed.type) == (60, None)


@responses.activate
def test_it_asks_for_specials_only_when_told(client: TvmazeClient) -> None:
    special = {"id": 9, "season": 1, "number": None, "airdate": "", "airstamp": None,
               "type": "significant_special"}
    responses.get(f"{BASE}/shows/13/episodes", json=[special],
                  match=[matchers.query_param_matcher({"specials": "1"})])
    (parsed,) = client.episodes(13, specials=True)
    assert (parsed.number, parsed.airdate, parsed.airstamp) == (None, None, None)


@responses.activate
def test_it_returns_none_past_the_last_index_page(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/shows", status=404, json={"name": "Not Found", "status": 404})
    assert client.show_index_page(999) is None
    assert metrics.count("tvmaze", "errors") == 0


@responses.activate
def test_it_lands_good_shows_and_rejects_malformed_ones(
    client: TvmazeClient, show13: dict[str, Any], jessica: dict[str, Any]
) -> None:
    no_id = {k: v for k, v in show13.items() if k != "id"}
    bad_runtime = {**copy.deepcopy(show13), "id": 14, "runtime": "sixty"}
    responses.get(f"{BASE}/shows", json=[show13, no_id, bad_runtime, jessica],
                  match=[matchers.query_param_matcher({"page": "0"})])
    page = client.show_index_page(0)
    assert [s.id for s in page.items] == [13, 1370]
    assert page.rejects == (Reject("#1", "id is missing"), Reject("14", "runtime is not an int"))
    assert page.cursor == "1"


@responses.activate
def test_it_refuses_an_index_that_is_not_an_array(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/shows", json={"shows": []})
    with pytest.raises(InvalidError):
        client.show_index_page(0)


@responses.activate
def test_it_treats_a_truncated_index_page_as_transient(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/shows", body='[{"id":1,"name":"Tru', content_type="application/json")
    with pytest.raises(TransientError, match="not valid JSON"):
        client.show_index_page(0)


@responses.activate
def test_it_raises_not_found_with_the_tvmaze_message(
    client: TvmazeClient, load_recorded: Callable[[str], Any]
) -> None:
    responses.get(f"{BASE}/shows/999999", status=404,
                  json=load_recorded("tvmaze/episodebynumber_404.json"))
    with pytest.raises(NotFoundError, match="Unknown episode") as caught:
        client.show(999999)
    assert caught.value.status == 404 and caught.value.upstream == "tvmaze"


@responses.activate
def test_it_reads_updates_as_an_object_keyed_by_string_ids(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/updates/shows", json={"1": 1704794065, "2": 1704790000},
                  match=[matchers.query_param_matcher({"since": "day"})])
    assert client.updates("day") == {1: 1704794065, 2: 1704790000}


@responses.activate
def test_it_refuses_an_updates_feed_that_is_an_array(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/updates/shows", json=[{"id": 1}])
    with pytest.raises(InvalidError):
        client.updates()


@responses.activate
def test_it_follows_the_lookup_redirect_to_the_show(
    client: TvmazeClient, show13: dict[str, Any]
) -> None:
    responses.get(f"{BASE}/lookup/shows", status=301, headers={"Location": f"{BASE}/shows/13"},
                  match=[matchers.query_param_matcher({"thetvdb": "279121"})])
    responses.get(f"{BASE}/shows/13", json=show13)
    assert client.lookup(tvdb_id=279121).id == 13


@responses.activate
def test_it_returns_none_when_a_lookup_misses(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/lookup/shows", status=404, body=b"",
                  match=[matchers.query_param_matcher({"imdb": "tt0000001"})])
    assert client.lookup(imdb_id="tt0000001") is None


def test_it_wants_exactly_one_lookup_id(client: TvmazeClient) -> None:
    with pytest.raises(ValueError):
        client.lookup(tvdb_id=1, imdb_id="tt1")


@pytest.mark.parametrize(("status", "error"), [
    (400, InvalidError), (401, AuthError), (403, AuthError), (404, NotFoundError),
    (405, UnsupportedError), (422, InvalidError), (429, RateLimitedError),
    (500, TransientError), (503, TransientError),
])
@responses.activate
def test_it_maps_each_error_status_to_its_class(
    client: TvmazeClient, status: int, error: type[UpstreamError]
) -> None:
    responses.get(f"{BASE}/shows/13", status=status, body=b"")
    with pytest.raises(error) as caught:
        client.show(13)
    assert type(caught.value) is error and caught.value.status == status


@responses.activate
def test_it_treats_an_html_body_as_transient(client: TvmazeClient) -> None:
    responses.get(f"{BASE}/shows/13", body="<html>busy</html>", content_type="text/html")
    with pytest.raises(TransientError):
        client.show(13)


@responses.activate
def test_it_sends_the_premium_key_as_a_query_parameter() -> None:
    client = TvmazeClient.build(base_url=BASE, api_key=SECRET, rate_limit=None, max_retries=0)
    responses.get(f"{BASE}/shows/13", json={},
                  match=[matchers.query_param_matcher({"apikey": SECRET})])
    with pytest.raises(InvalidError):  # an empty object is not a show
        client.show(13)


@responses.activate
def test_it_scrubs_the_premium_key_from_errors_and_repr() -> None:
    client = TvmazeClient.build(base_url=BASE, api_key=SECRET, rate_limit=None, max_retries=0)
    responses.get(f"{BASE}/shows/13", status=500, body=f"boom apikey={SECRET}")
    with pytest.raises(TransientError) as caught:
        client.show(13)
    shown = f"{caught.value} {caught.value!r} {client!r} {client.http!r}"
    assert SECRET not in shown
    assert "apikey=***" in caught.value.url
