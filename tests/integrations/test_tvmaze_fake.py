"""TvmazeClient against the loopback TVMaze fake: paging, feeds, lookups, mutations, faults."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from integrations.errors import AuthError, NotFoundError, TransientError
from integrations.fakes.base import Fault
from integrations.fakes.tvmaze import PAGE_SIZE, TvmazeFake
from integrations.http import HttpClient
from integrations.tvmaze import TvmazeClient
from integrations.values.tvmaze import TvmazeShow

DAY = 86_400


@pytest.fixture(scope="module")
def shared() -> Iterator[TvmazeFake]:
    """A read-only fake shared by the tests that do not mutate it."""
    with TvmazeFake(count=2000, seed=7) as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[TvmazeFake]:
    """A fresh small fake for tests that mutate it or inject faults."""
    with TvmazeFake(count=600, seed=3) as fake:
        yield fake


@pytest.fixture
def connect(fast_config: Callable[..., Any]) -> Callable[..., TvmazeClient]:
    def make(server: TvmazeFake, **kw: Any) -> TvmazeClient:
        return TvmazeClient(HttpClient(fast_config("tvmaze", server.url, **kw)))
    return make


def walk(client: TvmazeClient) -> tuple[list[TvmazeShow], list[str], int]:
    """Every show of the index, the refs of rejects, and the number of pages read."""
    shows, rejects, page = [], [], 0
    while (result := client.show_index_page(page)) is not None:
        shows += result.items
        rejects += [r.ref for r in result.rejects]
        page = int(result.cursor)
    return shows, rejects, page


def test_it_walks_the_index_to_the_404_end_landing_every_show(
    shared: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    shows, rejects, pages = walk(connect(shared))
    assert [s.id for s in shows] == shared.ids and rejects == []
    assert pages == shared.last_page + 1 == max(shared.ids) // PAGE_SIZE + 1


def test_it_pages_by_id_with_gaps(shared: TvmazeFake, connect: Callable[..., TvmazeClient],
                                  ) -> None:
    client = connect(shared)
    first, second = client.show_index_page(0), client.show_index_page(1)
    assert first.items[0].id == 1 and all(s.id < PAGE_SIZE for s in first.items)
    assert all(PAGE_SIZE <= s.id < 2 * PAGE_SIZE for s in second.items)
    assert len(first.items) < PAGE_SIZE - 1 and len(second.items) < PAGE_SIZE


def test_it_generates_the_documented_variety(
    shared: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    shows, _, _ = walk(connect(shared))
    n = len(shows)
    web_only = [s for s in shows if s.network is None and s.web_channel is not None]
    assert 0.10 < len(web_only) / n < 0.20
    assert 0.3 < sum(s.country is None for s in web_only) / len(web_only) < 0.7
    assert 0.06 < sum(s.tvdb_id is None and s.imdb_id is None for s in shows) / n < 0.14
    assert any(any(ord(c) > 0x3000 for c in s.name) for s in shows)  # CJK / emoji
    assert any(any(0x7F < ord(c) < 0x3000 for c in s.name) for s in shows)  # accents
    assert sum(s.runtime is None for s in shows) / n < 0.05  # averageRuntime fills most
    tvdb = [s.tvdb_id for s in shows if s.tvdb_id]
    imdb = [s.imdb_id for s in shows if s.imdb_id]
    assert len(set(tvdb)) == len(tvdb) and len(set(imdb)) == len(imdb)


def test_it_serves_runtime_null_with_average_runtime_set(shared: TvmazeFake) -> None:
    shows = requests.get(f"{shared.url}/shows", params={"page": 0}, timeout=5).json()
    pairs = {(s["runtime"] is None, s["averageRuntime"] is None) for s in shows}
    assert {(True, False), (True, True), (False, False)} <= pairs
    assert {"averageRuntime", "ended", "dvdCountry", "_links"} <= set(shows[0])


def test_it_is_deterministic_for_a_seed() -> None:
    one, two, other = TvmazeFake(count=300, seed=5), TvmazeFake(count=300, seed=5), \
        TvmazeFake(count=300, seed=6)
    assert one.external_seeds() == two.external_seeds() != other.external_seeds()


def test_it_generates_a_large_catalog_correctly() -> None:
    big = TvmazeFake(count=100_000, seed=1)
    ids = big.ids
    assert len(ids) == 100_000 and ids[0] == 1 and len(set(ids)) == len(ids)
    assert big.last_page == ids[-1] // PAGE_SIZE
    tvdb = [t for t, _, _ in big.external_seeds() if t is not None]
    assert len(set(tvdb)) == len(tvdb)


def test_it_filters_the_updates_feed_by_window(
    shared: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    client = connect(shared)
    everything, month = client.updates(), client.updates("month")
    week, day = client.updates("week"), client.updates("day")
    assert sorted(everything) == shared.ids
    assert set(day) < set(week) < set(month) < set(everything)
    assert all(ts >= shared.now - DAY for ts in day.values())
    assert all(ts < shared.now - 7 * DAY for i, ts in month.items() if i not in week)
    assert everything[shared.ids[0]] == int(client.show(shared.ids[0]).updated.timestamp())


def test_it_looks_up_by_tvdb_and_imdb_through_the_301(
    shared: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    show_id = next(i for i in shared.ids if shared.record(i).tvdb)
    record = shared.record(show_id)
    client = connect(shared)
    assert client.lookup(tvdb_id=record.tvdb).id == show_id
    assert client.lookup(imdb_id=record.imdb).id == show_id
    assert client.lookup(tvdb_id=1) is None
    raw = requests.get(f"{shared.url}/lookup/shows", params={"thetvdb": record.tvdb},
                       allow_redirects=False, timeout=5)
    assert raw.status_code == 301 and raw.content == b""
    assert raw.headers["Location"] == f"{shared.url}/shows/{show_id}"


def test_it_serves_episodes_and_specials_on_request(
    shared: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    show_id = next(i for i in shared.ids if i % 3 == 0)
    record, client = shared.record(show_id), connect(shared)
    regular = client.episodes(show_id)
    assert len(regular) == record.seasons * record.per_season
    assert all(e.number is not None and e.airstamp.tzinfo for e in regular)
    specials = [e for e in client.episodes(show_id, specials=True) if e.number is None]
    assert len(specials) == 1


def test_it_embeds_seasons_and_searches_by_name(shared: TvmazeFake) -> None:
    record = shared.record(shared.ids[0])
    found = requests.get(f"{shared.url}/singlesearch/shows",
                         params={"q": record.name, "embed": "seasons"}, timeout=5)
    assert found.json()["name"] == record.name
    assert len(found.json()["_embedded"]["seasons"]) >= 1
    missing = requests.get(f"{shared.url}/singlesearch/shows", params={"q": "zz-no-such"},
                           timeout=5)
    assert (missing.status_code, missing.content) == (404, b"")


def test_it_makes_changes_visible_to_the_next_sync(
    fake: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    client = connect(fake)
    target = fake.ids[10]
    before = client.show(target)
    fake.change([target], ts=fake.now)
    after = client.show(target)
    assert after.status != before.status and after.updated > before.updated
    assert client.updates("day")[target] == fake.now
    page = client.show_index_page(target // PAGE_SIZE)
    assert next(s for s in page.items if s.id == target).status == after.status


def test_it_adds_and_removes_shows(fake: TvmazeFake,
                                   connect: Callable[..., TvmazeClient]) -> None:
    client = connect(fake)
    gone, added = fake.ids[:3], fake.add(300)
    fake.remove(gone)
    shows, _, _ = walk(client)
    ids = {s.id for s in shows}
    assert set(added) <= ids and not set(gone) & ids
    assert min(added) > max(set(fake.ids) - set(added))
    with pytest.raises(NotFoundError):
        client.show(gone[0])


@pytest.mark.parametrize("kind", ["id", "runtime", "updated"])
def test_it_turns_a_malformed_show_into_a_reject(
    fake: TvmazeFake, connect: Callable[..., TvmazeClient], kind: str
) -> None:
    target = fake.ids[5]
    fake.malform(target, kind)
    page = connect(fake).show_index_page(target // PAGE_SIZE)
    (reject,) = page.rejects
    assert reject.ref == ("#5" if kind == "id" else str(target))
    assert kind in reject.reason
    assert target not in {s.id for s in page.items} and len(page.items) > 100


@pytest.mark.parametrize("fault", [
    Fault("status", status=503), Fault("status", status=500),
    Fault("status", status=429, retry_after=0), Fault("drop"),
    Fault("slow", delay=0.2),
])
def test_it_recovers_from_transient_faults(
    fake: TvmazeFake, connect: Callable[..., TvmazeClient], fault: Fault
) -> None:
    fake.inject(fault, times=2, path_prefix="/shows")
    page = connect(fake).show_index_page(0)
    assert page is not None and page.items[0].id == 1


def test_it_honours_retry_after(fake: TvmazeFake, connect: Callable[..., TvmazeClient]) -> None:
    fake.inject(Fault("status", status=429, retry_after=1))
    started = time.monotonic()
    assert connect(fake).show(fake.ids[0]).id == fake.ids[0]
    assert time.monotonic() - started >= 0.9
    assert fake.counts["GET /shows/:id"] == 2


def test_it_fails_auth_at_once_without_retrying(
    fake: TvmazeFake, connect: Callable[..., TvmazeClient]
) -> None:
    fake.inject(Fault("status", status=401), times=5)
    with pytest.raises(AuthError):
        connect(fake).show_index_page(0)
    assert fake.counts["GET /shows"] == 1


@pytest.mark.parametrize("kind", ["truncate", "nonjson"])
def test_it_reports_a_broken_body_as_transient(
    fake: TvmazeFake, connect: Callable[..., TvmazeClient], kind: str
) -> None:
    fake.inject(Fault(kind))
    with pytest.raises(TransientError):
        connect(fake).show_index_page(0)
