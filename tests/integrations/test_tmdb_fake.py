"""TmdbClient against the loopback TMDB fake: auth, details, find, changes, mutations, faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from integrations.errors import AuthError, InvalidError, NotFoundError, TransientError
from integrations.fakes.base import Fault
from integrations.fakes.tmdb import DEFAULT_API_KEY, DEFAULT_TOKEN, TmdbFake
from integrations.fakes.tvmaze import TvmazeFake
from integrations.http import HttpClient
from integrations.tmdb import TmdbClient
from integrations.values import ExternalId

COUNT, SEED = 800, 4


@pytest.fixture(scope="module")
def shared() -> Iterator[TmdbFake]:
    with TmdbFake(count=COUNT, seed=SEED) as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[TmdbFake]:
    with TmdbFake(count=300, seed=2) as fake:
        yield fake


@pytest.fixture
def connect(fast_config: Callable[..., Any]) -> Callable[..., TmdbClient]:
    def make(server: TmdbFake, **kw: Any) -> TmdbClient:
        kw.setdefault("params", {"api_key": server.api_key})
        return TmdbClient(HttpClient(fast_config("tmdb", server.url, **kw)))
    return make


def collect_changes(client: TmdbClient, **window: date) -> list[int]:
    ids, page = [], 1
    while True:
        result = client.changes(page=page, **window)
        ids += result.items
        if result.cursor is None:
            return ids
        page = int(result.cursor)


def fake_today(fake: TmdbFake) -> date:
    return datetime.fromtimestamp(fake.now, tz=UTC).date()


def test_it_matches_the_tvmaze_fake_built_from_the_same_seed(
    shared: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    client = connect(shared)
    tvmaze = TvmazeFake(count=COUNT, seed=SEED)
    matched = 0
    for tvdb, imdb, name in tvmaze.external_seeds()[:60]:
        if tvdb is None:
            continue
        for hit in client.find(ExternalId.parse(f"tvdb:{tvdb}")):
            show = client.tv(hit.id)
            assert (show.tvdb_id, show.name.startswith(name)) == (tvdb, True)
            matched += 1
        assert [h.id for h in client.find(ExternalId.parse(f"imdb:{imdb}"))] == \
            shared.ids_for(imdb_id=imdb)
    assert matched > 40


def test_it_seeds_from_given_triples() -> None:
    seeds = [(81_000 + i, f"tt{900_000 + i:07d}", f"Show {i}") for i in range(60)]
    fake = TmdbFake(seeds=seeds, seed=1)
    records = [fake.record(i) for i in fake.ids]
    assert len({r.tvdb for r in records}) >= 55
    by_tvdb = {tvdb: (imdb, name) for tvdb, imdb, name in seeds}
    assert all(r.name.startswith(by_tvdb[r.tvdb][1]) for r in records)


def test_it_finds_several_shows_for_a_duplicated_tvdb_id(
    shared: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    tvdb = next(r.tvdb for r in map(shared.record, shared.ids)
                if r.tvdb and len(shared.ids_for(tvdb_id=r.tvdb)) > 1)
    found = connect(shared).find(ExternalId.parse(f"tvdb:{tvdb}"))
    assert len(found) == 2 and found[0].id != found[1].id


def test_it_ignores_unrelated_episode_matches(
    shared: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    tvdb = next(shared.record(i).tvdb for i in shared.ids
                if (shared.record(i).tvdb or 0) % 10 == 3)
    raw = requests.get(f"{shared.url}/find/{tvdb}", timeout=5,
                       params={"external_source": "tvdb_id", "api_key": shared.api_key}).json()
    assert raw["tv_episode_results"]
    found = connect(shared).find(ExternalId.parse(f"tvdb:{tvdb}"))
    assert [f.id for f in found] == shared.ids_for(tvdb_id=tvdb)


def test_it_finds_nothing_for_an_unknown_id(shared: TmdbFake,
                                            connect: Callable[..., TmdbClient]) -> None:
    assert connect(shared).find(ExternalId.parse("tvdb:1")) == ()


def test_it_accepts_a_bearer_token_and_the_api_prefix(shared: TmdbFake) -> None:
    client = TmdbClient.build(base_url=f"{shared.url}/3", api_key=DEFAULT_TOKEN, rate_limit=None)
    assert client.tv(shared.ids[0]).id == shared.ids[0]


def test_it_serves_external_ids_on_their_own(shared: TmdbFake) -> None:
    tmdb_id = shared.ids[0]
    body = requests.get(f"{shared.url}/tv/{tmdb_id}/external_ids", timeout=5,
                        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}).json()
    assert (body["id"], body["tvdb_id"]) == (tmdb_id, shared.record(tmdb_id).tvdb)
    assert {"imdb_id", "wikidata_id", "facebook_id"} <= set(body)


def test_it_fails_a_wrong_key_at_once_with_the_real_401(shared: TmdbFake) -> None:
    shared.reset_counts()
    client = TmdbClient.build(base_url=shared.url, api_key="wrong-key-123", rate_limit=None)
    with pytest.raises(AuthError, match="Invalid API key") as caught:
        client.tv(shared.ids[0])
    assert "wrong-key-123" not in str(caught.value)
    assert shared.total_requests() == 1


def test_it_answers_an_unknown_show_with_code_34(
    shared: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    with pytest.raises(NotFoundError, match="could not be found"):
        connect(shared).tv(1)
    raw = requests.get(f"{shared.url}/tv/1", params={"api_key": DEFAULT_API_KEY}, timeout=5)
    assert raw.json() == {"status_code": 34,
                          "status_message": "The resource you requested could not be found."}


def test_it_lists_changes_of_the_last_day_across_pages(
    fake: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    targets = fake.ids[:150]
    fake.change(targets)
    ids = collect_changes(connect(fake))
    assert set(targets) <= set(ids) and len(ids) == len(set(ids))
    assert all(fake.record(i).changed >= fake.now - 86_400 for i in ids)


def test_it_lists_changes_in_a_date_window(fake: TmdbFake,
                                           connect: Callable[..., TmdbClient]) -> None:
    today = fake_today(fake)
    start = today - timedelta(days=13)
    ids = collect_changes(connect(fake), start_date=start, end_date=today)
    low = datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
    expected = {i for i in fake.ids if low <= fake.record(i).changed <= fake.now}
    assert set(ids) == expected and expected


def test_it_keeps_deleted_shows_in_the_changes_feed(
    fake: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    client = connect(fake)
    gone = fake.ids[0]
    fake.change([gone])
    fake.remove([gone])
    assert gone in collect_changes(client)
    with pytest.raises(NotFoundError):
        client.tv(gone)


def test_it_adds_shows_that_show_up_as_changes(
    fake: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    client = connect(fake)
    (new,) = fake.add(1, seeds=[(999_999, "tt9999999", "Brand New")])
    assert client.tv(new).tvdb_id == 999_999 and new in collect_changes(client)
    assert [f.id for f in client.find(ExternalId.parse("tvdb:999999"))] == [new]


def test_it_rejects_a_long_window_on_both_sides(
    fake: TmdbFake, connect: Callable[..., TmdbClient]
) -> None:
    fake.reset_counts()
    with pytest.raises(InvalidError):
        connect(fake).changes(start_date=date(2024, 1, 1), end_date=date(2024, 2, 1))
    assert fake.total_requests() == 0
    raw = requests.get(f"{fake.url}/tv/changes", timeout=5, params={
        "api_key": DEFAULT_API_KEY, "start_date": "2024-01-01", "end_date": "2024-02-01"})
    assert raw.status_code == 422 and raw.json()["status_code"] == 20


@pytest.mark.parametrize("fault", [
    Fault("status", status=429, retry_after=0,
          body=b'{"success":false,"status_code":25,"status_message":"Your request count '
               b'(41) is over the allowed limit of 40."}'),
    Fault("status", status=502), Fault("drop"),
])
def test_it_recovers_from_transient_faults(
    fake: TmdbFake, connect: Callable[..., TmdbClient], fault: Fault
) -> None:
    fake.inject(fault, times=2)
    assert connect(fake).tv(fake.ids[0]).id == fake.ids[0]


@pytest.mark.parametrize("kind", ["truncate", "nonjson"])
def test_it_reports_a_broken_body_as_transient(
    fake: TmdbFake, connect: Callable[..., TmdbClient], kind: str
) -> None:
    fake.inject(Fault(kind))
    with pytest.raises(TransientError):
        connect(fake).tv(fake.ids[0])
