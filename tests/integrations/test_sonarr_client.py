"""The Sonarr client against recorded payloads with ``responses``: parsing and every quirk."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from integrations.errors import (
    AuthError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnsupportedError,
)
from integrations.http import HttpClient, HttpConfig
from integrations.sonarr import SonarrClient
from integrations.sonarr.wire import pyarr_body
from integrations.values.sonarr import AddOptions, AddOutcome, SonarrSeries, thaw

BASE = "http://sonarr.test:8989"
API = f"{BASE}/api/v3"
KEY = "k3y-0f-s0narr-7f1e2d3c4b5a69788796a5b4"
V3_OPTIONS = AddOptions(quality_profile_id=1, root_folder_path="/tv", language_profile_id=1)
V4_OPTIONS = AddOptions(quality_profile_id=1, root_folder_path="/tv")
EXISTS_V4 = [{"propertyName": "TvdbId", "errorMessage": "This series has already been added",
              "attemptedValue": 81189, "severity": "error", "errorCode": "SeriesExistsValidator",
              "formattedMessageArguments": [],
              "formattedMessagePlaceholderValues": {"propertyName": "Tvdb Id",
                                                    "propertyValue": 81189}}]
Load = Callable[[str], Any]


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(fast_config: Callable[..., HttpConfig]) -> SonarrClient:
    return SonarrClient(HttpClient(fast_config("sonarr", BASE, max_retries=1)), KEY)


@pytest.fixture
def breaking_bad(load_recorded: Load) -> SonarrSeries:
    return SonarrSeries.from_payload(load_recorded("sonarr/legacy_series_lookup_tvdb.json")[0])


def sent_body(mock: responses.RequestsMock, index: int = -1) -> Any:
    return json.loads(mock.calls[index].request.body)


def test_it_parses_the_recorded_v3_status(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/system/status", json=load_recorded("sonarr/system_status_v3.json"))
    status = client.status()
    assert (status.version, status.major, status.is_v4) == ("3.0.6.1451", 3, False)
    assert status.supports_language_profiles


def test_it_parses_the_recorded_3_0_8_status(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/system/status", json=load_recorded("sonarr/system_status_v3_3.0.8.json"))
    assert client.status().version == "3.0.8.1507"


def test_it_treats_v4_as_having_no_language_profiles(mocked, client) -> None:
    mocked.get(f"{API}/system/status", json={"appName": "Sonarr", "version": "4.0.19.2979",
                                             "isNetCore": True})
    status = client.status()
    assert status.is_v4 and not status.supports_language_profiles
    assert client.language_profiles() == ()
    assert len(mocked.calls) == 1


def test_it_sends_the_api_key_as_a_header(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/system/status", json=load_recorded("sonarr/system_status_v3.json"))
    client.status()
    assert mocked.calls[0].request.headers["X-Api-Key"] == KEY
    assert KEY not in mocked.calls[0].request.url


def test_it_parses_the_recorded_root_folders(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/rootfolder", json=load_recorded("sonarr/rootfolder_v3.json"))
    (folder,) = client.root_folders()
    assert (folder.id, folder.path, folder.accessible) == (3, "/tv", True)
    assert folder.free_space == 6172693233664


def test_it_reads_a_root_folder_without_free_space_as_none(mocked, client) -> None:
    mocked.get(f"{API}/rootfolder", json=[{"path": "/tv", "accessible": False, "id": 1}])
    assert client.root_folders()[0].free_space is None


def test_it_parses_the_recorded_quality_profiles(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/qualityprofile", json=load_recorded("sonarr/qualityprofile_v3.json"))
    assert [(p.id, p.name) for p in client.quality_profiles()] == [(1, "Any")]


def test_it_parses_the_recorded_tags(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/tag", json=load_recorded("sonarr/tag.json"))
    assert {t.id: t.label for t in client.tags()} == {3: "othertag", 1: "tag_by_id", 2: "tv"}


def test_it_creates_a_tag_from_the_recorded_201(mocked, client, load_recorded) -> None:
    mocked.post(f"{API}/tag", status=201, json=load_recorded("sonarr/tag_post_201.json"))
    tag = client.create_tag("tag_by_id")
    assert (tag.id, tag.label) == (1, "tag_by_id")
    assert sent_body(mocked) == {"label": "tag_by_id"}


def test_it_parses_the_recorded_lookup(mocked, client, load_recorded) -> None:
    mocked.get(f"{API}/series/lookup",
               json=load_recorded("sonarr/legacy_series_lookup_tvdb.json"))
    series = client.lookup_tvdb(81189)
    assert series is not None
    assert (series.id, series.tvdb_id, series.title, series.year) == (None, 81189,
                                                                      "Breaking Bad", 2008)
    assert (series.tvmaze_id, series.imdb_id, series.title_slug) == (169, "tt0903747",
                                                                     "breaking-bad")
    assert mocked.calls[0].request.params == {"term": "tvdb:81189"}


def test_it_answers_none_for_an_empty_lookup(mocked, client) -> None:
    mocked.get(f"{API}/series/lookup", json=[])
    assert client.lookup_tvdb(1) is None


def test_it_keeps_the_lookup_payload_deeply_read_only(breaking_bad) -> None:
    with pytest.raises(TypeError):
        breaking_bad.payload["title"] = "x"  # type: ignore[index]
    assert isinstance(breaking_bad.payload["seasons"], tuple)


def test_it_parses_exclusions(mocked, client) -> None:
    mocked.get(f"{API}/importlistexclusion", json=[{"tvdbId": 81189, "title": "BB", "id": 1},
                                                   {"tvdbId": 0, "title": "bad", "id": 2}])
    assert client.exclusions() == frozenset({81189})


def test_it_adds_a_series_answered_by_201(mocked, client, breaking_bad, load_recorded) -> None:
    mocked.post(f"{API}/series", status=201, json=load_recorded(
        "sonarr/legacy_series_post_201.json"), headers={"Location": "/api/v3/series/24"})
    result = client.add(breaking_bad, V3_OPTIONS, is_v4=False)
    assert (result.outcome, result.series_id, result.tvdb_id) == (AddOutcome.ADDED, 24, 81189)


def test_it_takes_the_new_id_from_location_when_the_body_is_unreadable(
        mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=201, body='{"title": "Breaking',
                headers={"Location": "/api/v3/series/31"}, content_type="application/json")
    assert client.add(breaking_bad, V3_OPTIONS, is_v4=False).series_id == 31


def test_it_sends_the_lookup_item_with_our_options(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=201, json={"id": 2, "tvdbId": 81189})
    options = AddOptions(quality_profile_id=4, root_folder_path="/anime", language_profile_id=2,
                         monitor="future", series_type="anime", tags=(1, 3),
                         search_for_missing=True)
    client.add(breaking_bad, options, is_v4=False)
    body = sent_body(mocked)
    assert body["title"] == "Breaking Bad" and body["images"][0]["coverType"] == "banner"
    assert (body["qualityProfileId"], body["languageProfileId"]) == (4, 2)
    assert (body["rootFolderPath"], body["seriesType"], body["tags"]) == ("/anime", "anime",
                                                                          [1, 3])
    assert body["addOptions"]["monitor"] == "future"
    assert body["addOptions"]["searchForMissingEpisodes"] is True


def test_it_omits_the_language_profile_on_v4(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=201, json={"id": 2, "tvdbId": 81189})
    client.add(breaking_bad, V4_OPTIONS, is_v4=True)
    assert "languageProfileId" not in sent_body(mocked)


def test_it_refuses_a_v3_add_without_language_profile_without_asking(
        mocked, client, breaking_bad) -> None:
    result = client.add(breaking_bad, V4_OPTIONS, is_v4=False)
    assert result.outcome is AddOutcome.INVALID
    assert len(mocked.calls) == 0


def test_it_does_not_mutate_the_lookup_item(mocked, client, load_recorded) -> None:
    raw = load_recorded("sonarr/legacy_series_lookup_tvdb.json")[0]
    before = copy.deepcopy(raw)
    series = SonarrSeries.from_payload(raw)
    mocked.post(f"{API}/series", status=201, json={"id": 2, "tvdbId": 81189})
    client.add(series, AddOptions(1, "/tv", 1, monitored=False), is_v4=False)
    assert raw == before and thaw(series.payload) == before
    assert all(not s["monitored"] for s in sent_body(mocked)["seasons"])


def test_it_reports_the_v4_exists_array_as_exists_with_the_library_id(
        mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=400, json=EXISTS_V4)
    mocked.get(f"{API}/series", json=[{"id": 7, "tvdbId": 81189, "title": "Breaking Bad"}])
    result = client.add(breaking_bad, V4_OPTIONS, is_v4=True)
    assert (result.outcome, result.series_id) == (AddOutcome.EXISTS, 7)
    assert mocked.calls[1].request.params == {"tvdbId": "81189"}


def test_it_reports_the_v2_era_exists_body_as_exists(mocked, client, breaking_bad,
                                                     load_recorded) -> None:
    mocked.post(f"{API}/series", status=400,
                json=load_recorded("sonarr/series_post_400_exists_v2era.json"))
    mocked.get(f"{API}/series", json=[])
    assert client.add(breaking_bad, V3_OPTIONS, is_v4=False).outcome is AddOutcome.EXISTS


def test_it_finds_exists_among_other_failures(mocked, client, breaking_bad,
                                             load_recorded) -> None:
    body = load_recorded("sonarr/series_post_400_validation_v4.json") + EXISTS_V4
    mocked.post(f"{API}/series", status=400, json=body)
    mocked.get(f"{API}/series", json=[])
    assert client.add(breaking_bad, V4_OPTIONS, is_v4=True).outcome is AddOutcome.EXISTS


def test_it_reports_a_validation_400_as_invalid(mocked, client, breaking_bad,
                                               load_recorded) -> None:
    mocked.post(f"{API}/series", status=400,
                json=load_recorded("sonarr/series_post_400_validation_v4.json"))
    result = client.add(breaking_bad, V4_OPTIONS, is_v4=True)
    assert result.outcome is AddOutcome.INVALID
    assert result.message == "'Tvdb Id' must be greater than '0'."


def test_it_reports_an_id_skyhook_does_not_know_as_not_found(mocked, client,
                                                           breaking_bad) -> None:
    mocked.post(f"{API}/series", status=400, json=[{
        "propertyName": "TvdbId", "errorMessage": "A series with this ID was not found. Path: ",
        "attemptedValue": 81189}])
    assert client.add(breaking_bad, V4_OPTIONS, is_v4=True).outcome is AddOutcome.NOT_FOUND


def test_it_reports_a_409_race_as_exists(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=409, json={"message": "UNIQUE constraint failed"})
    mocked.get(f"{API}/series", json=[{"id": 9, "tvdbId": 81189}])
    result = client.add(breaking_bad, V4_OPTIONS, is_v4=True)
    assert (result.outcome, result.series_id) == (AddOutcome.EXISTS, 9)


def test_it_reports_a_401_add_as_auth(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=401)
    result = client.add(breaking_bad, V4_OPTIONS, is_v4=True)
    assert result.outcome is AddOutcome.AUTH
    assert KEY not in result.message


def test_it_reports_a_503_add_as_transient(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series", status=503,
                json={"message": "SkyHook down", "description": "SkyHookException"})
    assert client.add(breaking_bad, V4_OPTIONS, is_v4=True).outcome is AddOutcome.TRANSIENT


def test_it_raises_auth_on_a_401_read(mocked, client) -> None:
    mocked.get(f"{API}/tag", status=401)
    with pytest.raises(AuthError) as caught:
        client.tags()
    assert caught.value.status == 401


def test_it_raises_transient_when_skyhook_is_down(mocked, client) -> None:
    mocked.get(f"{API}/series/lookup", status=503, json={
        "message": "Search for 'tvdb' failed. Unable to communicate with SkyHook.",
        "description": "SkyHookException"})
    with pytest.raises(TransientError) as caught:
        client.lookup_tvdb(81189)
    assert caught.value.status == 503 and "SkyHook" in caught.value.message


def test_it_raises_rate_limited_on_a_429_body_returned_as_data(mocked, client) -> None:
    mocked.get(f"{API}/series", status=429, json={"message": "Too Many Requests"},
               headers={"Retry-After": "0"})
    with pytest.raises(RateLimitedError):
        client.series()


def test_it_raises_transient_on_a_refused_connection(fast_config) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = HttpClient(fast_config("sonarr", f"http://127.0.0.1:{port}", max_retries=0))
    with pytest.raises(TransientError) as caught:
        SonarrClient(http, KEY).status()
    assert caught.value.__cause__ is None


def test_it_raises_invalid_with_the_messages_of_a_400_read(mocked, client,
                                                         load_recorded) -> None:
    mocked.get(f"{API}/tag", status=400,
               json=load_recorded("sonarr/series_post_400_validation_v4.json"))
    with pytest.raises(InvalidError, match="must be greater than '0'"):
        client.tags()


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (405, UnsupportedError),
                                               (403, AuthError), (502, TransientError)])
def test_it_maps_pyarr_status_errors_to_ours(mocked, client, status, error) -> None:
    mocked.get(f"{API}/rootfolder", status=status, body="")
    with pytest.raises(error):
        client.root_folders()


def test_it_raises_transient_on_a_non_json_500(mocked, client) -> None:
    mocked.get(f"{API}/qualityprofile", status=500, body="<html>oops</html>",
               content_type="text/html")
    with pytest.raises(TransientError):
        client.quality_profiles()


def test_it_raises_transient_on_a_2xx_html_body(mocked, client) -> None:
    mocked.get(f"{API}/tag", body="<html>login</html>", content_type="text/html")
    with pytest.raises(TransientError):
        client.tags()


def test_it_raises_transient_on_a_truncated_json_body(mocked, client) -> None:
    mocked.get(f"{API}/series", body='[{"id": 1, "tvdb', content_type="application/json")
    with pytest.raises(TransientError):
        client.series()


def test_it_raises_invalid_when_a_list_endpoint_answers_an_object(mocked, client) -> None:
    mocked.get(f"{API}/rootfolder", json={"path": "/tv"})
    with pytest.raises(InvalidError):
        client.root_folders()


def test_it_never_shows_the_api_key_in_errors(mocked, client) -> None:
    mocked.get(f"{API}/tag", status=500, json={"message": f"bad key {KEY}"})
    with pytest.raises(TransientError) as caught:
        client.tags()
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert KEY not in repr(client)


def test_it_imports_a_batch(mocked, client, breaking_bad) -> None:
    other = SonarrSeries.from_payload({"tvdbId": 5, "title": "Other"})
    mocked.post(f"{API}/series/import", json=[{"id": 3, "tvdbId": 81189}])
    mocked.get(f"{API}/series", json=[{"id": 3, "tvdbId": 81189}, {"id": 1, "tvdbId": 5}])
    results = client.import_series([(breaking_bad, V4_OPTIONS), (other, V4_OPTIONS)],
                                   is_v4=True)
    assert [(r.outcome, r.series_id) for r in results] == [(AddOutcome.ADDED, 3),
                                                           (AddOutcome.EXISTS, 1)]
    assert all("languageProfileId" not in body for body in sent_body(mocked, 0))


def test_it_raises_unsupported_when_import_is_missing(mocked, client, breaking_bad) -> None:
    mocked.post(f"{API}/series/import", status=404)
    with pytest.raises(UnsupportedError):
        client.import_series([(breaking_bad, V4_OPTIONS)], is_v4=True)


def test_it_adds_one_by_one_when_the_batch_is_rejected(mocked, client, breaking_bad,
                                                      load_recorded) -> None:
    mocked.post(f"{API}/series/import", status=400,
                json=load_recorded("sonarr/series_post_400_validation_v4.json"))
    mocked.post(f"{API}/series", status=201, json={"id": 4, "tvdbId": 81189})
    (result,) = client.import_series([(breaking_bad, V4_OPTIONS)], is_v4=True)
    assert (result.outcome, result.series_id) == (AddOutcome.ADDED, 4)


def test_it_reads_the_body_out_of_a_pyarr_bad_request() -> None:
    raw = json.dumps(EXISTS_V4).encode()
    assert json.loads(pyarr_body(f"Bad Request, possibly a bug. {raw!s}")) == EXISTS_V4


def test_it_scrubs_the_api_key_from_direct_call_errors(mocked, client) -> None:
    mocked.get(f"{API}/importlistexclusion", status=400, json={"message": f"key {KEY} refused"})
    with pytest.raises(InvalidError) as caught:
        client.exclusions()
    assert KEY not in str(caught.value)
