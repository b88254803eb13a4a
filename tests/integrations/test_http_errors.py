"""Raw transport failures and error bodies mapped to the closed error set, plus counters."""

from __future__ import annotations

import http.client
from collections.abc import Callable

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, ResponseError

from integrations import metrics
from integrations.errors import (
    InternalError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    Scrubber,
    TransientError,
)
from integrations.http import HttpClient, HttpConfig
from integrations.http_errors import error_from_exception

BASE = "https://sonarr.test/api/v3"
SCRUB = Scrubber.for_config({"apikey"}, params={"apikey": "abcd1234"})


def _classify(exc: BaseException) -> type:
    return type(error_from_exception(exc, "sonarr", "GET", f"{BASE}/series?apikey=abcd1234",
                                     SCRUB))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.ConnectTimeout("connect timed out"), TransientError),
        (requests.ReadTimeout("read timed out"), TransientError),
        (requests.ConnectionError("refused"), TransientError),
        (requests.exceptions.ChunkedEncodingError("Response ended prematurely"), TransientError),
        (requests.exceptions.ContentDecodingError("bad gzip"), TransientError),
        (http.client.IncompleteRead(b"abc", 10), TransientError),
        (ConnectionResetError(104, "reset by peer"), TransientError),
        (requests.exceptions.SSLError("certificate verify failed"), InternalError),
        (requests.TooManyRedirects("30 redirects"), InternalError),
        (requests.exceptions.InvalidURL("no host"), InternalError),
        (requests.exceptions.RetryError(
            MaxRetryError(None, "/x", ResponseError("too many 429 error responses"))),  # type: ignore[arg-type]
         RateLimitedError),
        (requests.exceptions.RetryError(
            MaxRetryError(None, "/x", ResponseError("too many 503 error responses"))),  # type: ignore[arg-type]
         TransientError),
    ],
)
def test_it_classifies_each_raw_failure(exc: BaseException, expected: type) -> None:
    assert _classify(exc) is expected


def test_it_scrubs_the_url_and_message_of_a_raw_failure() -> None:
    error = error_from_exception(
        requests.ConnectionError("Max retries exceeded with url: /series?apikey=abcd1234"),
        "sonarr", "GET", f"{BASE}/series?apikey=abcd1234", SCRUB,
    )
    assert "abcd1234" not in str(error) + repr(error)
    assert error.url == f"{BASE}/series?apikey=***"


def test_it_keeps_a_raw_failure_message_on_one_short_line() -> None:
    error = error_from_exception(requests.ConnectionError("a\nb " + "x" * 500), "sonarr", "GET",
                                 BASE, SCRUB)
    assert "\n" not in str(error) and len(error.message) <= 200


@responses.activate
def test_it_reads_sonarr_validation_failures_as_the_message(
    fast_config: Callable[..., HttpConfig],
) -> None:
    client = HttpClient(fast_config("sonarr", BASE))
    responses.post(f"{BASE}/series", status=400, json=[
        {"propertyName": "TvdbId", "errorMessage": "This series has already been added",
         "errorCode": "SeriesExistsValidator"}])
    with pytest.raises(InvalidError, match="already been added"):
        client.request("POST", "/series", json={})


@responses.activate
def test_it_falls_back_to_the_status_phrase_for_an_empty_body(
    fast_config: Callable[..., HttpConfig],
) -> None:
    client = HttpClient(fast_config("tvmaze", BASE))
    responses.get(f"{BASE}/singlesearch/shows", status=404, body=b"")
    with pytest.raises(NotFoundError, match="not found"):
        client.get_json("/singlesearch/shows")


def test_it_lists_every_event_for_an_upstream_in_the_snapshot() -> None:
    metrics.record("plex", "requests", 3)
    assert metrics.snapshot() == {
        "plex": {"requests": 3, "retries": 0, "rate_limited": 0, "errors": 0}
    }


def test_it_forgets_counters_on_reset() -> None:
    metrics.record("plex", "retries")
    metrics.reset()
    assert (metrics.snapshot(), metrics.count("plex", "retries")) == ({}, 0)


def test_it_rejects_an_unknown_event() -> None:
    with pytest.raises(ValueError, match="unknown metrics event"):
        metrics.record("plex", "bogus")


def test_it_hands_out_each_increment_once_for_persisting() -> None:
    metrics.record("bench", "errors", kind="auth")
    metrics.record("bench", "requests", 2)
    assert metrics.drain() == {("bench", "errors:auth"): 1, ("bench", "requests"): 2}
    metrics.record("bench", "requests")
    assert metrics.drain() == {("bench", "requests"): 1}
    assert metrics.drain() == {}
    assert metrics.count("bench", "requests") == 3  # the totals are not drained


def test_it_takes_back_what_could_not_be_persisted() -> None:
    metrics.record("bench", "retries")
    pending = metrics.drain()
    metrics.record("bench", "retries")
    metrics.restore(pending)
    assert metrics.drain() == {("bench", "retries"): 2}
