"""The fake's bulk endpoints behave as API_NOTES describes: series/import validates the
whole batch first (one failure, a 400 for all), skips duplicates inside the batch silently,
answers only what it added; exclusions unpaged (deprecated on v4) and paged (v4 only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from integrations.http import HttpClient, HttpConfig
from integrations.sonarr import SonarrClient
from integrations.sonarr.imports import import_body
from integrations.values.sonarr import AddOptions, AddOutcome


@pytest.fixture(params=[SonarrFake.V3, SonarrFake.V4], ids=["v3", "v4"])
def fake(request: pytest.FixtureRequest) -> Iterator[SonarrFake]:
    with SonarrFake(version=request.param, catalog_size=50) as server:
        yield server


def _client(fake: SonarrFake) -> SonarrClient:
    http = HttpClient(HttpConfig(upstream="sonarr", base_url=fake.url, max_retries=0,
                                 headers={"X-Api-Key": DEFAULT_API_KEY}))
    return SonarrClient(http, DEFAULT_API_KEY)


def _body(fake: SonarrFake, tvdb_id: int, **options) -> dict:
    base = {"quality_profile_id": 1, "root_folder_path": "/tv", "language_profile_id": 1}
    return import_body(tvdb_id, f"t{tvdb_id}", AddOptions(**{**base, **options}),
                       is_v4=fake.is_v4)


def test_it_adds_a_batch_and_answers_only_what_it_added(fake):
    ids = fake.catalog_ids[:4]
    answer = _client(fake).import_batch([_body(fake, t) for t in [*ids, ids[0]]])
    assert not answer.rejected and set(answer.added) == set(ids)
    assert len(fake.library) == 4  # the repeat inside the batch was skipped silently


def test_it_rejects_the_whole_batch_when_one_series_is_unknown(fake):
    ids = fake.catalog_ids[:3]
    answer = _client(fake).import_batch([_body(fake, t) for t in ids] + [_body(fake, 9_999_999)])
    assert answer.rejected and answer.outcome is AddOutcome.NOT_FOUND
    assert set(answer.failures) == {9_999_999}
    assert fake.library == []


def test_it_rejects_the_batch_when_a_series_is_already_in_the_library(fake):
    ids = fake.catalog_ids[:3]
    fake.seed_library(ids[1])
    answer = _client(fake).import_batch([_body(fake, t) for t in ids])
    assert answer.rejected and answer.outcome is AddOutcome.INVALID
    assert "slug" in answer.message.lower() or "path" in answer.message.lower()
    assert len(fake.library) == 1


def test_it_rejects_an_unknown_quality_profile_and_on_v3_language_profile(fake):
    answer = _client(fake).import_batch([_body(fake, fake.catalog_ids[0],
                                               quality_profile_id=77)])
    assert answer.rejected and "Quality Profile does not exist" in answer.message
    v3_language = _client(fake).import_batch([_body(fake, fake.catalog_ids[0],
                                                    language_profile_id=42)])
    assert v3_language.rejected is (not fake.is_v4)


def test_it_lists_exclusions_unpaged_deprecated_on_v4_and_paged_on_v4_only(fake):
    for tvdb in fake.catalog_ids[:3]:
        fake.add_exclusion(tvdb, "x")
    base = f"{fake.url}/api/v3/importlistexclusion"
    headers = {"X-Api-Key": DEFAULT_API_KEY}
    unpaged = requests.get(base, headers=headers, timeout=5)
    assert len(unpaged.json()) == 3
    assert (unpaged.headers.get("Deprecation") == "true") is fake.is_v4
    paged = requests.get(f"{base}/paged?page=2&pageSize=2", headers=headers, timeout=5)
    if not fake.is_v4:
        assert paged.status_code == 404
        return
    body = paged.json()
    assert (body["page"], body["pageSize"], body["totalRecords"]) == (2, 2, 3)
    assert [r["tvdbId"] for r in body["records"]] == [fake.catalog_ids[2]]


def test_it_refuses_a_duplicate_exclusion(fake):
    url = f"{fake.url}/api/v3/importlistexclusion"
    headers = {"X-Api-Key": DEFAULT_API_KEY}
    first = requests.post(url, json={"tvdbId": 81189, "title": "BB"}, headers=headers, timeout=5)
    again = requests.post(url, json={"tvdbId": 81189, "title": "BB"}, headers=headers, timeout=5)
    assert first.status_code == 201 and again.status_code == 400
    assert "already been added" in again.text


def test_it_reports_root_folders_with_free_space(fake):
    fake.set_root_folder("/tv", accessible=False, free_space=12)
    roots = {r.path: r for r in _client(fake).root_folders()}
    assert roots["/tv"].accessible is False and roots["/tv"].free_space == 12
    assert roots["/anime"].free_space > 0


def test_it_falls_back_to_the_unpaged_exclusions_before_v4_0_2():
    with SonarrFake(version="4.0.1.929", catalog_size=5) as fake:
        fake.add_exclusion(81189, "BB")
        fake_routes_without_paged(fake)
        assert _client(fake).exclusions(paged=True) == {81189}


def fake_routes_without_paged(fake: SonarrFake) -> None:
    """4.0.0/4.0.1 answered the paged path with a 404."""
    from integrations.fakes.base import Fault

    fake.inject(Fault("status", status=404), path_prefix="/api/v3/importlistexclusion/paged")
