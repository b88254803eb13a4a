"""The Plex client's direct lookups against the fake: the newest-stamp probe, one show's own
row, items by ratingKey, and the fake's mutations they observe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from integrations.errors import NotFoundError
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.http import HttpClient, HttpConfig
from integrations.plex import PlexClient

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=12, episodes=300)], seed=3) as fake:
        yield fake


@pytest.fixture
def client(fake) -> Iterator[PlexClient]:
    http = HttpClient(HttpConfig(upstream="plex", base_url=fake.url, max_retries=0,
                                 headers={"X-Plex-Token": fake.token}))
    client = PlexClient(http, fake.token)
    yield client
    client.close()


def _stamp(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def test_it_probes_the_total_and_the_newest_stamp_with_one_row(fake, client):
    total, newest = client.newest("1", kind="episode")
    episodes = fake.episodes_of("1")
    assert (total, newest) == (300, _stamp(max(e.updated_at for e in episodes)))
    assert fake.counts == {"GET /library/sections/{key}/all type=4": 1}
    fake.set_now(fake.now + 5_000)
    fake.replace_file(episodes[123].rk)
    assert client.newest("1", kind="episode") == (300, _stamp(fake.now))


def test_it_reads_one_show_with_its_fresh_leaf_count_and_404s_a_gone_one(fake, client):
    show = fake.shows_of("1")[2]
    before = client.show(str(show.rk)).leaf_count
    fake.add_episode(show.rk)
    assert client.show(str(show.rk)).leaf_count == before + 1 == show.leaf_count
    fake.remove_item(show.rk)
    with pytest.raises(NotFoundError):
        client.show(str(show.rk))


def test_it_finds_the_items_plex_still_has_by_rating_key(fake, client):
    episodes = fake.episodes_of("1")
    kept, gone = episodes[4], episodes[9]
    fake.remove_item(gone.rk)
    page = client.items_by_key([str(kept.rk), str(gone.rk)])
    assert [i.rating_key for i in page.items] == [str(kept.rk)]
    assert page.items[0].show_rating_key == str(kept.show.rk)
    assert client.items_by_key([str(gone.rk)]).items == ()


def test_it_sees_an_unstamped_upgrade_and_a_moved_episode_only_in_the_rows(fake, client):
    episodes = fake.episodes_of("1")
    upgraded, moved = episodes[0], episodes[200]
    target = fake.shows_of("1")[0]
    size, stamp = upgraded.media[0].parts[0].size, upgraded.updated_at
    fake.replace_file(upgraded.rk, stamp=False)
    fake.move_episode(moved.rk, target.rk)
    page = client.items_by_key([str(upgraded.rk), str(moved.rk)])
    rows = {i.rating_key: i for i in page.items}
    assert rows[str(upgraded.rk)].updated_at == _stamp(stamp)
    assert rows[str(upgraded.rk)].file_size not in (None, size)
    assert rows[str(moved.rk)].show_rating_key == str(target.rk)
    assert moved.rk in {e.rk for e in target.leaves()}


def test_it_lets_a_test_change_the_library_between_two_pages(fake, client):
    seen: list[str] = []
    fake.before_request = lambda request: seen.append(request.path)
    client.items("1", kind="episode", start=0)
    assert seen == ["/library/sections/1/all"]
