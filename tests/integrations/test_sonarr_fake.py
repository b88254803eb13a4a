"""The Sonarr client against the Sonarr fake, v3 and v4: add flows, imports and every fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from integrations.errors import AuthError, InvalidError, TransientError, UnsupportedError
from integrations.fakes.base import Fault
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from integrations.http import HttpClient, HttpConfig
from integrations.sonarr import SonarrClient
from integrations.values.sonarr import AddOptions, AddOutcome, SonarrSeries, freeze

VERSIONS = [SonarrFake.V3, SonarrFake.V4]
MakeConfig = Callable[..., HttpConfig]


@pytest.fixture(params=VERSIONS, ids=["v3", "v4"])
def fake(request: pytest.FixtureRequest) -> Iterator[SonarrFake]:
    with SonarrFake(version=request.param, catalog_size=40) as server:
        yield server


@pytest.fixture
def connect(fast_config: MakeConfig) -> Callable[..., SonarrClient]:
    def make(server: SonarrFake, key: str = DEFAULT_API_KEY, **kw: object) -> SonarrClient:
        kw.setdefault("max_retries", 3)
        return SonarrClient(HttpClient(fast_config("sonarr", server.url, **kw)), key)

    return make


@pytest.fixture
def client(fake: SonarrFake, connect: Callable[..., SonarrClient]) -> SonarrClient:
    return connect(fake)


def options_for(client: SonarrClient) -> AddOptions:
    """What a caller does: ask the server for its version, profiles and folders."""
    client.status()
    languages = client.language_profiles()
    return AddOptions(quality_profile_id=client.quality_profiles()[0].id,
                      root_folder_path=client.root_folders()[0].path,
                      language_profile_id=languages[0].id if languages else None)


def lookup(client: SonarrClient, tvdb_id: int) -> SonarrSeries:
    series = client.lookup_tvdb(tvdb_id)
    assert series is not None
    return series


def test_it_adds_a_series_end_to_end(fake, client) -> None:
    options, is_v4 = options_for(client), fake.is_v4
    result = client.add(lookup(client, 81189), options, is_v4=is_v4)
    assert result.outcome is AddOutcome.ADDED
    (series,) = client.series()
    assert (series.id, series.tvdb_id, series.path) == (result.series_id, 81189,
                                                        "/tv/Breaking Bad")
    assert ("languageProfileId" in fake.added[-1]) is not is_v4


def test_it_reports_a_duplicate_add_as_exists_with_its_id(fake, client) -> None:
    options = options_for(client)
    series = lookup(client, 81189)
    first = client.add(series, options, is_v4=fake.is_v4)
    again = client.add(series, options, is_v4=fake.is_v4)
    assert (again.outcome, again.series_id) == (AddOutcome.EXISTS, first.series_id)


def test_it_looks_up_an_added_series_with_its_id(fake, client) -> None:
    series_id = fake.seed_library(81189)
    found = lookup(client, 81189)
    assert (found.id, found.path, found.in_library) == (series_id, "/tv/Breaking Bad", True)


def test_it_answers_none_for_an_unknown_tvdb_id(client) -> None:
    assert client.lookup_tvdb(3) is None


def test_it_lists_exclusions(fake, client) -> None:
    fake.add_exclusion(81189, "Breaking Bad")
    assert client.exclusions() == frozenset({81189})


def test_it_reports_languages_per_version(fake, client) -> None:
    names = [p.name for p in client.language_profiles()]
    assert names == ([] if fake.is_v4 else ["English"])


def test_it_serves_the_v4_language_profile_stub() -> None:
    with SonarrFake(version=SonarrFake.V4, catalog_size=1) as server:
        answer = requests.get(f"{server.url}/api/v3/languageprofile",
                              headers={"X-Api-Key": DEFAULT_API_KEY}, timeout=5).json()
    assert answer == [{"name": "Deprecated", "upgradeAllowed": True,
                       "cutoff": {"id": 1, "name": "English"},
                       "languages": [{"language": {"id": 1, "name": "English"},
                                      "allowed": True}], "id": 1}]


def test_it_escapes_and_omits_like_the_server_version(fake) -> None:
    fake.add_catalog(424242, "Ça commence aujourd'hui")
    raw = requests.get(f"{fake.url}/api/v3/series/lookup", params={"term": "tvdb:424242"},
                       headers={"X-Api-Key": DEFAULT_API_KEY}, timeout=5).content
    assert (b"\\u0027" in raw) is fake.is_v4
    assert (b":null" in raw) is not fake.is_v4


def test_it_creates_tags(client) -> None:
    tag = client.create_tag("anime")
    assert tag in client.tags()
    assert client.create_tag("anime") == tag


def test_it_imports_a_batch_in_one_request(fake, client) -> None:
    options, ids = options_for(client), fake.catalog_ids[1:4]
    items = [(lookup(client, i), options) for i in ids]
    fake.reset_counts()
    results = client.import_series(items, is_v4=fake.is_v4)
    assert [r.outcome for r in results] == [AddOutcome.ADDED] * 3
    assert {s.id: s.tvdb_id for s in client.series()} == {r.series_id: r.tvdb_id
                                                          for r in results}
    assert fake.counts["POST /api/v3/series/import"] == 1
    assert fake.counts["POST /api/v3/series"] == 0


def test_it_adds_one_by_one_when_the_batch_holds_an_existing_series(fake, client) -> None:
    options, ids = options_for(client), fake.catalog_ids[1:4]
    existing = fake.seed_library(ids[0])
    results = client.import_series([(lookup(client, i), options) for i in ids],
                                   is_v4=fake.is_v4)
    assert (results[0].outcome, results[0].series_id) == (AddOutcome.EXISTS, existing)
    assert [r.outcome for r in results[1:]] == [AddOutcome.ADDED, AddOutcome.ADDED]
    assert {s.tvdb_id for s in client.series()} == set(ids)


def test_it_raises_unsupported_when_the_server_lacks_import(fast_config, connect) -> None:
    with SonarrFake(version=SonarrFake.V4, catalog_size=5, supports_import=False) as server:
        client = connect(server)
        with pytest.raises(UnsupportedError):
            client.import_series([(lookup(client, 81189), AddOptions(1, "/tv"))], is_v4=True)


def test_it_rejects_an_unknown_quality_profile_as_invalid(fake, client) -> None:
    options = AddOptions(quality_profile_id=99, root_folder_path="/tv", language_profile_id=1)
    result = client.add(lookup(client, 81189), options, is_v4=fake.is_v4)
    assert (result.outcome, result.message) == (AddOutcome.INVALID,
                                                "Quality Profile does not exist")


def test_it_rejects_an_empty_title_and_a_bad_tvdb_id_together(fake, client) -> None:
    broken = SonarrSeries(id=None, tvdb_id=1, title="", year=None, path=None, monitored=True,
                          tvmaze_id=None, imdb_id=None, tmdb_id=None, title_slug=None,
                          payload=freeze({"tvdbId": 0, "title": ""}))
    result = client.add(broken, options_for(client), is_v4=fake.is_v4)
    assert result.outcome is AddOutcome.INVALID
    assert "'Title' must not be empty." in result.message
    assert "'Tvdb Id' must be greater than '0'." in result.message


def test_it_rejects_a_missing_root_folder_as_invalid(fake, client) -> None:
    options = AddOptions(quality_profile_id=1, root_folder_path="", language_profile_id=1)
    result = client.add(lookup(client, 81189), options, is_v4=fake.is_v4)
    assert (result.outcome, result.message) == (AddOutcome.INVALID, "Invalid Path: ''")


def test_it_checks_the_language_profile_on_v3_only(fake, client) -> None:
    options = AddOptions(quality_profile_id=1, root_folder_path="/tv", language_profile_id=7)
    result = client.add(lookup(client, 81189), options, is_v4=fake.is_v4)
    expected = AddOutcome.ADDED if fake.is_v4 else AddOutcome.INVALID
    assert result.outcome is expected


def test_it_reports_skyhook_down_as_transient(fake, client) -> None:
    series = lookup(client, 81189)
    fake.skyhook_down(True)
    with pytest.raises(TransientError) as caught:
        client.lookup_tvdb(81189)
    assert caught.value.status == 503
    assert client.add(series, options_for(client), is_v4=fake.is_v4).outcome is (
        AddOutcome.TRANSIENT)


def test_it_recovers_from_5xx(fake, client) -> None:
    fake.inject(Fault("status", status=503), times=2, path_prefix="/api/v3/series/lookup")
    assert lookup(client, 81189).tvdb_id == 81189
    assert fake.counts["GET /api/v3/series/lookup"] == 3


def test_it_recovers_from_429_with_retry_after(fake, client) -> None:
    fake.inject(Fault("status", status=429, retry_after=0), times=2)
    assert client.status().version == fake.version
    assert fake.counts["GET /api/v3/system/status"] == 3


@pytest.mark.parametrize("kind", ["drop", "truncate", "nonjson"])
def test_it_reports_broken_answers_as_transient(fake, client, kind) -> None:
    fake.inject(Fault(kind), times=10)
    with pytest.raises(TransientError):
        client.tags()


def test_it_reports_a_slow_server_as_transient(fake, connect) -> None:
    client = connect(fake, read_timeout=0.2, max_retries=0)
    fake.inject(Fault("slow", delay=0.4))
    with pytest.raises(TransientError):
        client.status()


@pytest.mark.parametrize("kind", ["slow", "drop"])
def test_it_recovers_from_one_slow_or_dropped_read(fake, connect, kind) -> None:
    client = connect(fake, read_timeout=0.2)
    fake.inject(Fault(kind, delay=0.4))
    assert client.status().version == fake.version


def test_it_fails_at_once_with_a_wrong_key(fake, connect) -> None:
    with pytest.raises(AuthError):
        connect(fake, key="wrong-key").status()
    assert fake.total_requests() == 1


def test_it_reports_a_wrong_key_on_add_as_auth(fake, client, connect) -> None:
    series, options = lookup(client, 81189), options_for(client)
    result = connect(fake, key="wrong-key").add(series, options, is_v4=fake.is_v4)
    assert result.outcome is AddOutcome.AUTH


@pytest.mark.parametrize("how", ["query", "bearer"])
def test_it_accepts_the_key_the_ways_the_version_does(fake, how) -> None:
    url = f"{fake.url}/api/v3/system/status"
    if how == "query":
        answer = requests.get(url, params={"apikey": DEFAULT_API_KEY}, timeout=5)
    else:
        answer = requests.get(url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
                              timeout=5)
    assert answer.status_code == (200 if how == "query" or fake.is_v4 else 401)


def test_it_builds_a_working_client_from_settings(fake) -> None:
    client = SonarrClient.build(base_url=fake.url, api_key=DEFAULT_API_KEY, read_timeout=5)
    assert client.status().is_v4 is fake.is_v4


def test_it_rejects_a_tag_label_v4_does_not_allow(connect) -> None:
    with SonarrFake(version=SonarrFake.V4, catalog_size=1) as server:
        client = connect(server)
        with pytest.raises(InvalidError, match="Allowed characters"):
            client.create_tag("not allowed!")


def test_it_lowercases_any_tag_label_on_v3(connect) -> None:
    with SonarrFake(version=SonarrFake.V3, catalog_size=1) as server:
        assert connect(server).create_tag("Not Allowed!").label == "not allowed!"
