"""Hostile TVMaze index records: each is refused alone, with its id, and the good shows of the
same page land. Run with DATABASE_URL on PostgreSQL too (NUL and varchar limits bite there)."""

from __future__ import annotations

import orjson
import pytest
import responses

from catalog.models import Show
from catalog.sync.tvmaze import tvmaze_sync
from integrations.tvmaze import TvmazeClient
from tests.catalog.sync.conftest import fast_http

BASE = "https://api.tvmaze.com"
BAD_ID = 300


def _show(show_id: int, **fields) -> dict:
    return {"id": show_id, "name": f"Show {show_id}", "updated": 1_700_000_000 + show_id,
            "genres": [], "externals": {}, **fields}


HOSTILE = {
    "negative id": {"id": -1},
    "id past 32 bits": {"id": 2**31},
    "id past 63 bits": {"id": 2**63},
    "negative runtime": {"runtime": -5},
    "runtime past 32 bits": {"runtime": 2**31},
    "negative tvdb id": {"externals": {"thetvdb": -3}},
    "tvdb id past 32 bits": {"externals": {"thetvdb": 2**40}},
    "overlong imdb id": {"externals": {"imdb": "tt" + "1" * 100}},
    "updated past time_t": {"updated": 2**63},
    "NUL in the name": {"name": "Bad\x00Show"},
    "NUL in a genre": {"genres": ["Drama\x00"]},
    "NUL in the country": {"network": {"name": "N", "country": {"code": "U\x00S"}}},
    "NUL in the language": {"language": "Eng\x00lish"},
}


def _sync(new_run, records: list[dict]) -> dict:
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/updates/shows", json={"1": 1, "2": 2})
        mock.get(f"{BASE}/shows?page=0", body=orjson.dumps(records),
                 content_type="application/json")
        mock.get(f"{BASE}/shows?page=1", status=404)
        return tvmaze_sync(new_run(), TvmazeClient(fast_http("tvmaze", BASE, max_retries=0)))


@pytest.mark.django_db
@pytest.mark.parametrize("edit", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_record_is_refused_alone_and_the_page_lands(new_run, edit):
    bad = {**_show(BAD_ID), **edit}
    summary = _sync(new_run, [_show(1), bad, _show(2)])
    assert sorted(Show.objects.values_list("tvmaze_id", flat=True)) == [1, 2]
    assert len(summary["rejects"]) == 1
    assert summary["rejects"][0].startswith(f"{bad['id']}: ")


@pytest.mark.django_db
def test_an_overlong_language_is_cut_to_its_column(new_run):
    summary = _sync(new_run, [_show(1, language="L" * 1000)])
    assert summary["rejects"] == []
    assert Show.objects.get(tvmaze_id=1).language == "L" * 64


@pytest.mark.django_db
@pytest.mark.parametrize(("fragment", "written"), [
    ('"id": 300, "runtime": 1180591620717411303424', [1, 2]),  # 2**70: past orjson's 64 bits
    ('"id": 1180591620717411303424', [1, 2]),
    ('"id": 300, "name": "Lone \\ud800 half"', [1, 2]),
    ('"id": 300, "rating": {"average": NaN}', [1, 2, 300]),  # read as no rating
])
def test_a_record_orjson_cannot_read_is_refused_alone(new_run, fragment, written):
    """orjson refuses a whole body for one such value; the page must still land."""
    good = [orjson.dumps(_show(n)).decode() for n in (1, 2)]
    bad = "{" + fragment + ', "updated": 1700000300, "genres": [], "externals": {}}'
    if '"name"' not in fragment:
        bad = bad.replace("{", '{"name": "Odd", ', 1)
    body = f"[{good[0]}, {bad}, {good[1]}]"
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/updates/shows", json={"1": 1, "2": 2})
        mock.get(f"{BASE}/shows?page=0", body=body, content_type="application/json")
        mock.get(f"{BASE}/shows?page=1", status=404)
        summary = tvmaze_sync(new_run(), TvmazeClient(fast_http("tvmaze", BASE, max_retries=0)))
    assert sorted(Show.objects.values_list("tvmaze_id", flat=True)) == written
    assert len(summary["rejects"]) == 3 - len(written)
