"""PlexClient against the recorded Plex payloads served by ``responses``; guid parsing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from integrations.errors import (
    AuthError,
    InvalidError,
    NotFoundError,
    TransientError,
    UpstreamError,
)
from integrations.http import HttpClient
from integrations.plex import PlexClient, parse_guid
from integrations.plex.parse import item_from, parse_container
from integrations.values import Authority, ExternalId

BASE = "http://plex.test:32400"
TOKEN = "plex-secret-token-9d2f"
SHOWS = f"{BASE}/library/sections/2/all"
ROOT_XML = (
    '<MediaContainer size="0" friendlyName="Basement" machineIdentifier="abc123" '
    'platform="Linux" version="1.40.2.8395-c67dce28e" myPlex="1"></MediaContainer>'
)


@pytest.fixture
def xml(recorded: Path) -> Callable[[str], str]:
    return lambda name: (recorded / "plex" / name).read_text(encoding="utf-8")


@pytest.fixture
def client(fast_config: Callable[..., Any]) -> PlexClient:
    config = fast_config("plex", BASE, max_retries=0, headers={"X-Plex-Token": TOKEN})
    return PlexClient(HttpClient(config), TOKEN)


def ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# -- recorded payloads ---------------------------------------------------------------------


@responses.activate
def test_it_parses_the_recorded_sections(client: PlexClient, xml: Callable[[str], str]) -> None:
    responses.get(f"{BASE}/library/sections", body=xml("library_sections.xml"))
    movies, tv, music = client.sections()
    assert (tv.key, tv.type, tv.title, tv.agent) == ("2", "show", "TV Shows",
                                                     "com.plexapp.agents.thetvdb")
    assert tv.uuid == "80208576-f7d1-406d-b6d8-aa96a5362131"
    assert (tv.updated_at, tv.scanned_at) == (ts(1602523323), ts(1605461424))
    assert tv.locations == ("/storage/tvshows",)
    assert (movies.type, movies.locations, music.type) == ("movie", ("/storage/movies",), "artist")


@responses.activate
def test_it_parses_the_recorded_show_listing(client: PlexClient, xml: Callable[[str], str]) -> None:
    responses.get(SHOWS, body=xml("section_all_type2.xml"))
    page = client.shows("2")
    [show] = page.items
    assert (show.rating_key, show.title, show.year) == ("30", "TV Show", 2000)
    assert (show.child_count, show.leaf_count) == (5, 100)
    assert (show.added_at, show.updated_at) == (ts(1377827407), ts(1488495292))
    assert show.guid == "com.plexapp.agents.thetvdb://12345?lang=en"
    assert show.external_ids == (ExternalId(Authority.TVDB, "12345"),)
    assert page.cursor is None and page.rejects == ()


@responses.activate
def test_it_reads_the_total_from_a_size0_probe(
    client: PlexClient, xml: Callable[[str], str]
) -> None:
    responses.get(SHOWS, body=xml("section_all_type2_size0_totalSize.xml"),
                  match=[matchers.header_matcher({"X-Plex-Container-Size": "0"})])
    assert client.count("2", kind="show") == 10


@responses.activate
def test_it_parses_the_recorded_movie_listing(
    client: PlexClient, xml: Callable[[str], str]
) -> None:
    responses.get(f"{BASE}/library/sections/1/all", body=xml("section_all_type1_excerpt.xml"))
    page = client.items("1", kind="movie")
    assert [m.rating_key for m in page.items] == ["1", "2"]
    movie = page.items[0]
    assert (movie.type, movie.title, movie.year, movie.duration) == ("movie", "Movie 1", 2000,
                                                                      9000000)
    assert movie.external_ids == (ExternalId(Authority.IMDB, "tt0123456"),)
    assert (movie.show_rating_key, movie.episode_number) == (None, None)
    assert (movie.media, movie.part_count, movie.file_size, movie.primary_file) == ((), 0, None,
                                                                                    None)


def test_it_parses_the_recorded_episode_with_nested_media(xml: Callable[[str], str]) -> None:
    body = xml("library_section_show_recently_added_episode.xml").encode()
    [show] = parse_container(body, "text/xml;charset=utf-8").rows
    episode = item_from(show["Video"][0])
    assert (episode.rating_key, episode.type, episode.title) == ("35", "episode", "Episode 5")
    assert (episode.show_rating_key, episode.season_number, episode.episode_number) == ("30", 1, 5)
    assert episode.external_ids == (
        ExternalId(Authority.PLEX, "episode/60d5ff1c4a0721002c4e5d75"),)
    assert (episode.added_at, episode.updated_at) == (ts(1631586399), ts(1631586401))
    [media] = episode.media
    assert (media.id, media.width, media.height, media.video_resolution) == (396946, 1920, 1080,
                                                                             "1080")
    assert episode.primary_file == "/storage/tvshows/TV Show/Season 1/Episode 5.mkv"
    assert (episode.file_size, episode.part_count) == (6040228848, 1)
    assert episode.streams_signature == "h264/eac3/6"
    assert episode.primary_guid == "plex://episode/60d5ff1c4a0721002c4e5d75"


@responses.activate
def test_it_attaches_flattened_parts_and_drops_legacy_episode_guids(
    client: PlexClient, xml: Callable[[str], str]
) -> None:
    responses.get(f"{BASE}/library/metadata/20/allLeaves",
                  body=xml("metadata_children_episodes_excerpt.xml"))
    first, second = client.show_leaves("20")
    assert (first.rating_key, second.rating_key) == ("10", "11")
    assert (first.episode_number, second.episode_number) == (1, 2)
    assert first.external_ids == ()  # thetvdb://12345/1/10 names the show, not the episode
    assert first.primary_guid == "com.plexapp.agents.thetvdb://12345/1/10?lang=en"
    assert [p.id for p in first.media[0].parts] == [4631]
    assert (first.file_size, first.streams_signature) == (8500000000, "h264/dca/6")


@responses.activate
def test_it_parses_the_recorded_movie_detail(client: PlexClient, xml: Callable[[str], str]) -> None:
    responses.get(f"{BASE}/library/metadata/1/allLeaves",
                  body=xml("metadata_movie_detail_sanitized.xml"))
    [movie] = client.show_leaves("1")
    assert movie.external_ids == (ExternalId(Authority.IMDB, "tt0123456"),)
    assert movie.primary_file == "/storage/videos/video.mkv"
    assert movie.media[0].parts[0].container == "mkv"


@responses.activate
def test_it_parses_the_recorded_json_all_leaves(
    fast_config: Callable[..., Any], recorded: Path
) -> None:
    body = (recorded / "plex" / "section_allLeaves_example.json").read_text()
    responses.get(f"{BASE}/library/metadata/148/allLeaves", body=body,
                  content_type="application/json",
                  match=[matchers.header_matcher({"Accept": "application/json"})])
    client = PlexClient(HttpClient(fast_config("plex", BASE, max_retries=0)), TOKEN,
                        prefer_json=True)
    [episode] = client.show_leaves("148")
    assert (episode.rating_key, episode.show_rating_key) == ("150", "148")
    assert (episode.season_number, episode.episode_number, episode.year) == (4, 8, 1997)
    assert episode.streams_signature == "mpeg2video/ac3/6"
    assert episode.file_size == 1883816967
    assert episode.primary_file.endswith("Babylon 5 S04E08 The Illusion of Truth.mkv")
    assert episode.updated_at == ts(1681283788)


# -- requests and paging --------------------------------------------------------------------


@responses.activate
def test_it_pages_with_container_headers_and_asks_for_guids(
    client: PlexClient, xml: Callable[[str], str]
) -> None:
    responses.get(SHOWS, body=xml("section_all_type2.xml"), match=[
        matchers.header_matcher({"X-Plex-Container-Start": "400",
                                 "X-Plex-Container-Size": "200", "X-Plex-Token": TOKEN,
                                 "Accept": "application/json"}),
        matchers.query_param_matcher({"type": "2", "includeGuids": "1"}),
    ])
    assert len(client.shows("2", start=400).items) == 1


@responses.activate
def test_it_sends_change_filters_as_operator_keys(client: PlexClient) -> None:
    responses.get(SHOWS, body='<MediaContainer size="0" totalSize="0" offset="0"/>')
    client.items("2", kind="episode", updated_since=ts(1700000000), added_since=ts(1690000000))
    query = responses.calls[0].request.url.split("?", 1)[1]
    assert "type=4" in query and "includeGuids=1" in query
    assert "updatedAt%3E%3E=1700000000" in query and "addedAt%3E%3E=1690000000" in query


def container(rows: int, *, total: int | None, offset: int = 0) -> str:
    video = ('<Video ratingKey="{rk}" type="episode" title="E" grandparentRatingKey="9" '
             'index="1" parentIndex="1" updatedAt="1" addedAt="1" />')
    total_attr = f' totalSize="{total}"' if total is not None else ""
    body = "".join(video.format(rk=offset + n + 1) for n in range(rows))
    return f'<MediaContainer size="{rows}"{total_attr} offset="{offset}">{body}</MediaContainer>'


@responses.activate
def test_it_continues_after_a_page_shorter_than_asked(client: PlexClient) -> None:
    responses.get(SHOWS, body=container(150, total=400))
    page = client.items("2", kind="episode")
    assert (len(page.items), page.cursor, page.total) == (150, "150", 400)


@responses.activate
def test_it_ends_at_the_total(client: PlexClient) -> None:
    responses.get(SHOWS, body=container(100, total=300, offset=200))
    page = client.items("2", kind="episode", start=200)
    assert (page.cursor, page.total) == (None, 300)


@responses.activate
def test_it_refuses_an_empty_page_before_the_total(client: PlexClient) -> None:
    responses.get(SHOWS, body=container(200, total=450))
    responses.get(SHOWS, body=container(0, total=450, offset=200))
    pages = client.iter_items("2", kind="episode")
    assert len(next(pages).items) == 200
    with pytest.raises(TransientError) as caught:
        next(pages)
    assert "empty page at offset 200 of a 450-row listing" in str(caught.value)
    assert "\n" not in str(caught.value) and TOKEN not in str(caught.value)


@responses.activate
def test_it_ends_at_an_empty_page_at_or_past_the_total(client: PlexClient) -> None:
    responses.get(SHOWS, body=container(0, total=0))
    responses.get(SHOWS, body=container(0, total=200, offset=200))
    assert (client.items("2", kind="episode").cursor,
            client.items("2", kind="episode", start=200).cursor) == (None, None)


@responses.activate
def test_it_keeps_paging_without_total_size_until_a_short_page(client: PlexClient) -> None:
    responses.get(SHOWS, body=container(200, total=None))
    responses.get(SHOWS, body=container(30, total=None, offset=200))
    pages = list(client.iter_items("2", kind="episode"))
    assert [len(p.items) for p in pages] == [200, 30]
    assert (pages[0].cursor, pages[1].cursor, pages[1].total) == ("200", None, 230)


@responses.activate
def test_it_rejects_a_malformed_row_and_keeps_the_rest(client: PlexClient) -> None:
    body = container(3, total=3).replace('ratingKey="2" ', "").replace(
        'ratingKey="3" type="episode"', 'ratingKey="3" type="episode" duration="long"')
    responses.get(SHOWS, body=body)
    page = client.items("2", kind="episode")
    assert [i.rating_key for i in page.items] == ["1"]
    assert [r.ref for r in page.rejects] == ["#1", "3"]
    assert "ratingKey" in page.rejects[0].reason and "duration" in page.rejects[1].reason


# -- connection and errors ------------------------------------------------------------------


@responses.activate
def test_it_connects_through_plexapi_and_returns_the_identity(client: PlexClient) -> None:
    responses.get(f"{BASE}/", body=ROOT_XML,
                  match=[matchers.header_matcher({"X-Plex-Token": TOKEN})])
    info = client.connect()
    assert (info.machine_identifier, info.friendly_name, info.platform) == ("abc123", "Basement",
                                                                            "Linux")
    assert info.version == "1.40.2.8395-c67dce28e"
    assert client.server._autoReload is False


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthError), (403, AuthError), (404, NotFoundError), (400, InvalidError),
    (503, TransientError),
])
@responses.activate
def test_it_classifies_connect_failures(
    client: PlexClient, status: int, error: type[UpstreamError]
) -> None:
    responses.get(f"{BASE}/", status=status, body="<html>nope</html>")
    with pytest.raises(error) as caught:
        client.connect()
    assert (caught.value.upstream, caught.value.status) == ("plex", status)


@responses.activate
def test_it_reports_a_refused_connection_as_transient(client: PlexClient) -> None:
    responses.get(f"{BASE}/", body=requests.ConnectionError("refused"))
    with pytest.raises(TransientError):
        client.connect()


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthError), (404, NotFoundError), (400, InvalidError), (500, TransientError),
])
@responses.activate
def test_it_classifies_listing_failures(
    client: PlexClient, status: int, error: type[UpstreamError]
) -> None:
    responses.get(SHOWS, status=status, body="<html>nope</html>")
    with pytest.raises(error):
        client.shows("2")
    assert len(responses.calls) == 1


@responses.activate
def test_it_reports_a_truncated_body_as_transient(
    client: PlexClient, xml: Callable[[str], str]
) -> None:
    body = xml("section_all_type2.xml")
    responses.get(SHOWS, body=body[: len(body) // 2])
    with pytest.raises(TransientError, match="truncated"):
        client.shows("2")


@responses.activate
def test_it_reports_a_body_that_is_not_a_container_as_invalid(client: PlexClient) -> None:
    responses.get(SHOWS, body="<Response code='200'/>")
    with pytest.raises(InvalidError, match="MediaContainer"):
        client.shows("2")


@responses.activate
def test_it_never_shows_the_token() -> None:
    client = PlexClient.build(base_url=BASE, token=TOKEN, max_retries=0)
    responses.get(SHOWS, status=401, body=f"<html>bad token {TOKEN}</html>")
    responses.get(f"{BASE}/", status=401, body=f"<html>bad token {TOKEN}</html>")
    with pytest.raises(AuthError) as listing:
        client.shows("2")
    with pytest.raises(AuthError) as connecting:
        client.connect()
    for error in (listing.value, connecting.value):
        assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert TOKEN not in repr(client) and TOKEN not in repr(client.http)
    assert responses.calls[0].request.headers["X-Plex-Token"] == TOKEN


# -- guids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("guid", "expected"), [
    ("tvdb://81189", "tvdb:81189"),
    ("tmdb://1396", "tmdb:1396"),
    ("imdb://tt0903747", "imdb:tt0903747"),
    ("plex://show/5d9c086c46115600200aa2fe", "plex:show/5d9c086c46115600200aa2fe"),
    ("plex://episode/60d5ff1c4a0721002c4e5d75", "plex:episode/60d5ff1c4a0721002c4e5d75"),
    ("com.plexapp.agents.thetvdb://81189?lang=en", "tvdb:81189"),
    ("com.plexapp.agents.thetvdb://81189/1/2?lang=en", "tvdb:81189"),
    ("com.plexapp.agents.tvdb://81189?lang=en", "tvdb:81189"),
    ("com.plexapp.agents.themoviedb://1396?lang=en", "tmdb:1396"),
    ("com.plexapp.agents.imdb://tt0903747?lang=en", "imdb:tt0903747"),
    ("com.plexapp.agents.hama://anidb-1234?lang=en", None),
    ("com.plexapp.agents.anidb://1234", None),
    ("com.plexapp.agents.none://5e4a3f?lang=xn", None),
    ("local://123", None),
    ("tvdb://not-a-number", None),
    ("imdb://0903747", None),
    ("81189", None),
    ("", None),
])
def test_it_parses_guids_of_new_and_legacy_agents(guid: str, expected: str | None) -> None:
    parsed = parse_guid(guid)
    assert (parsed.descriptor if parsed else None) == expected


@responses.activate
@pytest.mark.parametrize("stamp", ["99999999999999999999", "-99999999999999999999",
                                   "100000000000000"])
def test_it_rejects_a_row_whose_stamp_no_datetime_holds_and_keeps_the_rest(
        client: PlexClient, stamp: str) -> None:
    # fromtimestamp raises OverflowError or OSError past the platform's time_t, not
    # ValueError: the row must still become a reject, not end the page.
    good, bad = container(2, total=2).split('<Video ratingKey="2"')
    body = good + '<Video ratingKey="2"' + bad.replace('updatedAt="1"', f'updatedAt="{stamp}"')
    responses.get(SHOWS, body=body)
    page = client.items("2", kind="episode")
    assert [i.rating_key for i in page.items] == ["1"]
    assert [r.ref for r in page.rejects] == ["2"] and "updatedAt" in page.rejects[0].reason


def test_an_item_read_by_key_carries_its_own_section_over_the_containers():
    """``/library/metadata/{rk,rk}`` may hold rows of several sections: each row's
    ``librarySectionID`` says which (the container's only where a row does not)."""
    from integrations.plex.parse import Container, item_from, map_rows, sectioned

    container = Container(attrs={"librarySectionID": "1"}, rows=(
        {"ratingKey": "7", "type": "movie", "title": "a", "librarySectionID": "2"},
        {"ratingKey": "8", "type": "movie", "title": "b"},
        {"ratingKey": "9", "type": "movie", "title": "c", "librarySectionID": 3}),
        size=3, total_size=None, offset=None)
    items, rejects = map_rows(container.rows, sectioned(item_from, container.attrs))
    assert not rejects
    assert [(i.rating_key, i.section_key) for i in items] == [("7", "2"), ("8", "1"),
                                                              ("9", "3")]
