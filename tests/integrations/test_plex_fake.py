"""PlexClient against the loopback Plex fake: paging, filters, leaves, formats, mutations,
faults, plexapi without auto-reload, and a 100,000-episode library listed flat."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from integrations.errors import AuthError, TransientError
from integrations.fakes.base import Fault
from integrations.fakes.plex import BASE_NOW, LibrarySpec, PlexFake
from integrations.fakes.plex.render import (
    leaf_node,
    leaf_row_xml,
    show_node,
    show_row_xml,
    xml_pieces,
)
from integrations.http import HttpClient
from integrations.plex import PlexClient
from integrations.values import Authority
from integrations.values.plex import PlexItem, PlexShow

TOKEN = "fake-token"
LIBRARIES = [
    LibrarySpec("1", "show", "TV Shows", shows=40, episodes=1000),
    LibrarySpec("2", "movie", "Movies", movies=60, root="/data/movies"),
]
LISTING = "GET /library/sections/{key}/all type="


@pytest.fixture(scope="module")
def shared() -> Iterator[PlexFake]:
    """A read-only fake shared by the tests that do not mutate it."""
    with PlexFake(LIBRARIES, seed=5) as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    """A fresh small fake for tests that mutate it or inject faults."""
    with PlexFake([LibrarySpec("1", "show", "TV", shows=6, episodes=60)], seed=2) as fake:
        yield fake


@pytest.fixture
def connect(fast_config: Callable[..., Any]) -> Callable[..., PlexClient]:
    def make(server: PlexFake, *, token: str = TOKEN, **kw: Any) -> PlexClient:
        prefer_json = kw.pop("prefer_json", False)
        config = fast_config("plex", server.url, headers={"X-Plex-Token": token}, **kw)
        return PlexClient(HttpClient(config), token, prefer_json=prefer_json)
    return make


def all_shows(client: PlexClient, key: str = "1", **kw: Any) -> list[PlexShow]:
    return [show for page in client.iter_shows(key, **kw) for show in page.items]


def all_items(client: PlexClient, key: str = "1", **kw: Any) -> list[PlexItem]:
    kw.setdefault("kind", "episode")
    return [item for page in client.iter_items(key, **kw) for item in page.items]


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# -- listings -------------------------------------------------------------------------------


def test_it_lists_the_sections(shared: PlexFake, connect: Callable[..., PlexClient]) -> None:
    tv, movies = connect(shared).sections()
    assert (tv.key, tv.type, tv.title, tv.locations) == ("1", "show", "TV Shows", ("/data/tv",))
    assert (movies.key, movies.type, movies.locations) == ("2", "movie", ("/data/movies",))


def test_it_pages_shows_by_the_container_headers(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    shared.reset_counts()
    shows = all_shows(connect(shared), size=7)
    assert [int(s.rating_key) for s in shows] == [s.rk for s in shared.shows_of("1")]
    assert shared.counts[LISTING + "2"] == math.ceil(40 / 7)
    assert sum(s.leaf_count for s in shows) == 1000


def test_it_lists_every_episode_once_with_media(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    items = all_items(connect(shared))
    assert [int(i.rating_key) for i in items] == [e.rk for e in shared.episodes_of("1")]
    assert all(i.type == "episode" and i.show_rating_key for i in items)
    assert sum(1 for i in items if i.media) >= 990


def test_it_lists_movies_with_their_parts(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    movies = all_items(connect(shared), "2", kind="movie", size=25)
    assert len(movies) == 60 and {m.type for m in movies} == {"movie"}
    assert all(m.primary_file.startswith("/data/movies/") for m in movies if m.media)


def test_it_follows_a_server_that_returns_less_than_asked(
    connect: Callable[..., PlexClient]
) -> None:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=5, episodes=230)],
                  max_page_size=50) as capped:
        items = all_items(connect(capped), size=200)
        assert len(items) == 230 and capped.counts[LISTING + "4"] == 5


def test_it_honours_paging_sent_as_query_parameters(shared: PlexFake) -> None:
    response = requests.get(f"{shared.url}/library/sections/1/all", timeout=5, params={
        "type": 4, "X-Plex-Container-Start": 10, "X-Plex-Container-Size": 3,
        "X-Plex-Token": TOKEN})
    assert 'size="3" totalSize="1000" offset="10"' in response.text
    assert response.headers["X-Plex-Container-Total-Size"] == "1000"
    assert response.headers["X-Plex-Container-Start"] == "10"


def test_it_counts_with_a_size0_probe(shared: PlexFake, connect: Callable[..., PlexClient]
                                      ) -> None:
    client = connect(shared)
    assert (client.count("1", kind="show"), client.count("1", kind="episode")) == (40, 1000)
    assert client.count("2", kind="movie") == 60


def test_it_emits_guid_children_only_when_asked(shared: PlexFake) -> None:
    url, headers = f"{shared.url}/library/sections/1/all", {"X-Plex-Token": TOKEN}
    plain = requests.get(url, params={"type": 2}, headers=headers, timeout=5).text
    guids = requests.get(url, params={"type": 2, "includeGuids": 1}, headers=headers,
                         timeout=5).text
    assert "<Guid " not in plain and '<Guid id="tvdb://' in guids


def test_it_expands_a_show_in_one_all_leaves_request(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    show = max(shared.shows_of("1"), key=lambda s: s.leaf_count)
    shared.reset_counts()
    leaves = connect(shared).show_leaves(str(show.rk))
    assert [int(i.rating_key) for i in leaves] == [e.rk for e in show.leaves()]
    assert {i.show_rating_key for i in leaves} == {str(show.rk)}
    assert shared.counts == {"GET /library/metadata/{rk}/allLeaves": 1}


def test_it_reads_the_same_values_from_json(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    as_xml, as_json = connect(shared), connect(shared, prefer_json=True)
    assert as_json.sections() == as_xml.sections()
    assert as_json.shows("1", size=15) == as_xml.shows("1", size=15)
    assert as_json.items("1", kind="episode", start=300) == as_xml.items("1", kind="episode",
                                                                          start=300)
    assert as_json.items("2", kind="movie") == as_xml.items("2", kind="movie")


def test_it_generates_realistic_variety(
    shared: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    client = connect(shared)
    shows, items = all_shows(client), all_items(client)
    guids = [s.guid for s in shows]
    assert any(g.startswith("com.plexapp.agents.thetvdb://") for g in guids)
    assert any(g.startswith("plex://show/") for g in guids)
    assert any(s.external_id(Authority.TVDB) and s.guid.startswith("plex://") for s in shows)
    assert any(i.part_count == 2 for i in items)
    assert any(not i.playable for i in items)
    assert any(not t.isascii() for t in [s.title for s in shows] + [i.title for i in items])


def test_it_writes_windows_paths_when_asked(connect: Callable[..., PlexClient]) -> None:
    spec = LibrarySpec("3", "show", "Anime", shows=2, episodes=10, root="D:\\TV")
    with PlexFake([spec], windows_paths=True) as windows:
        client = connect(windows)
        item = all_items(client, "3")[0]
        assert client.sections()[0].locations == ("D:\\TV",)
        assert item.primary_file.startswith("D:\\TV\\") and "\\Season 01\\" in item.primary_file


def test_it_generates_the_same_library_from_the_same_seed() -> None:
    first, second = (PlexFake(LIBRARIES, seed=9) for _ in range(2))
    rows = [PlexFake.row_pieces(e) for e in first.episodes_of("1")]
    assert rows == [PlexFake.row_pieces(e) for e in second.episodes_of("1")]


def test_it_renders_listing_rows_like_the_element_tree(shared: PlexFake) -> None:
    episodes = shared.episodes_of("1")
    movies = list(shared.sections["2"].movies)
    assert all(leaf_row_xml(e) == xml_pieces(leaf_node(e)) for e in episodes + movies)
    assert all(show_row_xml(s) == xml_pieces(show_node(s)) for s in shared.shows_of("1"))


def test_it_serves_detail_with_nested_streams(shared: PlexFake) -> None:
    episode = next(e for e in shared.episodes_of("1") if e.media and e.media[0].parts)
    shared.reset_counts()
    text = requests.get(f"{shared.url}/library/metadata/{episode.rk}", timeout=5,
                        headers={"X-Plex-Token": TOKEN}).text
    assert '<Stream id="' in text and "</Part></Media>" in text
    assert shared.count_prefix("GET /library/metadata/") == 1


# -- change filters and mutations -----------------------------------------------------------


def test_it_filters_by_updated_and_added_since(
    fake: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    client = connect(fake)
    episodes = fake.episodes_of("1")
    fake.set_now(BASE_NOW + 100)
    fake.replace_file(episodes[3].rk)
    added = fake.add_episode(fake.shows_of("1")[2].rk)
    changed = all_items(client, updated_since=at(BASE_NOW + 99))
    new = all_items(client, added_since=at(BASE_NOW + 99))
    assert [i.rating_key for i in changed] == [str(episodes[3].rk), added]
    assert [i.rating_key for i in new] == [added]
    assert all_items(client, updated_since=at(BASE_NOW + 100)) == []  # ">>=" means after


def test_it_replaces_a_file_keeping_the_counts(
    fake: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    client = connect(fake)
    show = fake.shows_of("1")[0]
    before_show = client.shows("1").items[0]
    before = client.show_leaves(str(show.rk))[0]
    fake.set_now(BASE_NOW + 500)
    fake.replace_file(before.rating_key)
    after_show = client.shows("1").items[0]
    after = client.show_leaves(str(show.rk))[0]
    assert after.file_size != before.file_size and after.updated_at == at(BASE_NOW + 500)
    assert after_show.updated_at == at(BASE_NOW + 500)
    assert (after_show.leaf_count, after_show.child_count) == (before_show.leaf_count,
                                                               before_show.child_count)


def test_it_adds_and_removes_episodes(fake: PlexFake, connect: Callable[..., PlexClient]) -> None:
    client = connect(fake)
    show = client.shows("1").items[1]
    gone_show = fake.shows_of("1")[4]
    gone_leaves = gone_show.leaf_count
    added = fake.add_episode(show.rating_key)
    fake.remove_item(fake.shows_of("1")[1].leaves()[0].rk)
    fake.remove_item(gone_show.rk)
    shows = all_shows(client)
    assert len(shows) == 5 and shows[1].leaf_count == show.leaf_count
    assert added in [i.rating_key for i in client.show_leaves(show.rating_key)]
    assert client.count("1", kind="episode") == 60 + 1 - 1 - gone_leaves
    assert str(gone_show.rk) not in {i.show_rating_key for i in all_items(client)}


def test_it_touches_a_show(fake: PlexFake, connect: Callable[..., PlexClient]) -> None:
    client = connect(fake)
    fake.set_now(BASE_NOW + 42)
    fake.touch_show(fake.shows_of("1")[3].rk)
    assert all_shows(client)[3].updated_at == at(BASE_NOW + 42)


# -- auth and faults ------------------------------------------------------------------------


def test_it_refuses_a_wrong_token(fake: PlexFake, connect: Callable[..., PlexClient]) -> None:
    client = connect(fake, token="wrong")
    with pytest.raises(AuthError):
        client.connect()
    with pytest.raises(AuthError):
        client.shows("1")
    assert fake.counts["GET /"] == 1 and fake.counts[LISTING + "2"] == 1


def test_it_answers_identity_without_a_token(fake: PlexFake) -> None:
    text = requests.get(f"{fake.url}/identity", timeout=5).text
    assert f'machineIdentifier="{fake.machine_identifier}"' in text


@pytest.mark.parametrize("fault", [
    Fault("status", status=503), Fault("status", status=429, retry_after=0), Fault("drop"),
])
def test_it_recovers_from_a_transient_fault(
    fake: PlexFake, connect: Callable[..., PlexClient], fault: Fault
) -> None:
    fake.inject(fault, times=1, path_prefix="/library/sections/1/all")
    assert len(connect(fake, max_retries=2).shows("1").items) == 6
    assert fake.counts[LISTING + "2"] == 2


@pytest.mark.parametrize("fault", [Fault("truncate"), Fault("nonjson")])
def test_it_reports_an_unreadable_body_as_transient(
    fake: PlexFake, connect: Callable[..., PlexClient], fault: Fault
) -> None:
    fake.inject(fault, path_prefix="/library/sections/1/all")
    with pytest.raises(TransientError):
        connect(fake, max_retries=0).items("1", kind="episode")


def test_it_times_out_a_slow_server(fake: PlexFake, connect: Callable[..., PlexClient]) -> None:
    fake.inject(Fault("slow", delay=0.6), path_prefix="/library")
    with pytest.raises(TransientError):
        connect(fake, max_retries=0, read_timeout=0.2).sections()


# -- plexapi --------------------------------------------------------------------------------


def test_it_builds_plexapi_objects_that_never_reload(
    fake: PlexFake, connect: Callable[..., PlexClient]
) -> None:
    client = connect(fake)
    info = client.connect()
    assert info.machine_identifier == fake.machine_identifier
    show = client.server.library.section("TV").all()[0]
    fake.reset_counts()
    assert (show.originallyAvailableAt, show.audienceRating, show.studio) == (None, None, None)
    assert fake.count_prefix("GET /library/metadata/") == 0
    show._autoReload = True  # control: the same access with reload on does hit the server
    assert show.studio is None and fake.count_prefix("GET /library/metadata/") == 1


# -- scale ----------------------------------------------------------------------------------


def test_it_lists_100000_episodes_flat_without_metadata_requests(
    connect: Callable[..., PlexClient]
) -> None:
    started = time.perf_counter()
    big = PlexFake([LibrarySpec("1", "show", "TV Shows", shows=2000, episodes=100_000)], seed=3)
    generated = time.perf_counter() - started
    with big:
        client = connect(big)
        listed = time.perf_counter()
        sections = client.sections()
        shows = sum(len(page.items) for page in client.iter_shows("1"))
        episodes = sum(len(page.items) for page in client.iter_items("1", kind="episode"))
        listing = time.perf_counter() - listed
    assert (len(sections), shows, episodes) == (1, 2000, 100_000)
    assert big.counts[LISTING + "4"] == math.ceil(100_000 / 200) == 500
    assert big.counts[LISTING + "2"] == 10 and big.counts["GET /library/sections"] == 1
    assert big.total_requests() == 511 and big.count_prefix("GET /library/metadata/") == 0
    print(f"\n100k episodes: generated in {generated:.2f}s, listed in {listing:.2f}s")


def test_a_slow_library_answers_late_and_the_others_at_once():
    fake = PlexFake([LibrarySpec("1", "show", "Archive", shows=2, episodes=10, delay=0.4),
                     LibrarySpec("2", "movie", "Movies", movies=3, root="/data/movies")],
                    token=TOKEN).start()
    try:
        def timed(path: str) -> float:
            started = time.monotonic()
            assert requests.get(f"{fake.url}{path}", params={"X-Plex-Token": TOKEN},
                                timeout=5).ok
            return time.monotonic() - started

        show = fake.shows_of("1")[0]
        assert timed("/library/sections/1/all") >= 0.4
        assert timed(f"/library/metadata/{show.seasons[0].rk}/children") >= 0.4
        assert timed("/library/sections/2/all") < 0.3
        assert timed("/identity") < 0.3
    finally:
        fake.stop()
