"""The closed error set: classification by status, one-line messages, scrubbing, pickling."""

from __future__ import annotations

import logging
import pickle

import pytest

from integrations.errors import (
    AuthError,
    ErrorKind,
    InternalError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    Scrubber,
    TransientError,
    UnsupportedError,
    UpstreamError,
    error_for_status,
    install_log_scrubber,
    scrub_url,
)

SECRETS = {"api_key", "apikey", "X-Plex-Token", "X-Api-Key", "Authorization", "token"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, InvalidError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (405, UnsupportedError),
        (409, InternalError),
        (422, InvalidError),
        (429, RateLimitedError),
        (500, TransientError),
        (501, UnsupportedError),
        (502, TransientError),
        (503, TransientError),
        (504, TransientError),
        (418, InternalError),
    ],
)
def test_it_maps_each_status_to_its_error_class(status: int, expected: type) -> None:
    assert error_for_status(status) is expected


@pytest.mark.parametrize(
    ("cls", "kind", "permanent"),
    [
        (TransientError, ErrorKind.TRANSIENT, False),
        (RateLimitedError, ErrorKind.RATE_LIMITED, False),
        (AuthError, ErrorKind.AUTH, True),
        (NotFoundError, ErrorKind.NOT_FOUND, True),
        (InvalidError, ErrorKind.INVALID, True),
        (UnsupportedError, ErrorKind.UNSUPPORTED, True),
        (InternalError, ErrorKind.INTERNAL, True),
    ],
)
def test_it_gives_each_class_its_kind_and_permanence(
    cls: type[UpstreamError], kind: ErrorKind, permanent: bool
) -> None:
    error = cls("boom", upstream="tvmaze")
    assert (error.kind, error.permanent, isinstance(error, UpstreamError)) == (
        kind, permanent, True
    )


def test_it_uses_the_closed_set_of_kind_values() -> None:
    assert {k.value for k in ErrorKind} == {
        "transient", "rate_limited", "auth", "not_found", "invalid", "unsupported", "internal"
    }


def test_it_formats_a_one_line_message_with_upstream_request_and_status() -> None:
    error = TransientError(
        "service\nunavailable",
        upstream="tvmaze",
        method="get",
        url="https://api.tvmaze.com/shows?page=3",
        status=503,
    )
    assert str(error) == (
        "tvmaze: GET https://api.tvmaze.com/shows?page=3 -> 503: service unavailable"
    )


def test_it_formats_without_a_request_when_none_is_known() -> None:
    assert str(InternalError("bad shape", upstream="plex")) == "plex: bad shape"


def test_it_keeps_the_attributes_it_was_given() -> None:
    error = NotFoundError("gone", upstream="tmdb", method="GET", url="https://x/3/tv/1", status=404)
    assert (error.message, error.upstream, error.method, error.url, error.status) == (
        "gone", "tmdb", "GET", "https://x/3/tv/1", 404
    )


def test_it_survives_pickling_between_processes() -> None:
    error = RateLimitedError("slow down", upstream="tmdb", method="GET", url="u", status=429)
    clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (type(clone), str(clone)) == (RateLimitedError, str(error))


def test_it_scrubs_secret_query_values_and_keeps_the_rest() -> None:
    url = "https://api.themoviedb.org/3/tv/1399?api_key=abc123&append_to_response=external_ids"
    assert scrub_url(url, SECRETS) == (
        "https://api.themoviedb.org/3/tv/1399?api_key=***&append_to_response=external_ids"
    )


def test_it_scrubs_secret_names_case_insensitively() -> None:
    url = "http://plex:32400/library/sections?x-plex-token=tok&APIKEY=k"
    assert scrub_url(url, SECRETS) == "http://plex:32400/library/sections?x-plex-token=***&APIKEY=***"


def test_it_leaves_plex_filter_keys_untouched_while_scrubbing() -> None:
    url = "http://plex/library/sections/1/all?type=4&updatedAt%3E%3E=1700000000&X-Plex-Token=t"
    assert scrub_url(url, SECRETS) == (
        "http://plex/library/sections/1/all?type=4&updatedAt%3E%3E=1700000000&X-Plex-Token=***"
    )


def test_it_scrubs_a_password_in_the_url() -> None:
    assert scrub_url("http://user:hunter2@host/path", SECRETS) == "http://user:***@host/path"


def test_it_scrubs_configured_secret_values_from_free_text() -> None:
    scrubber = Scrubber.for_config(SECRETS, {"Authorization": "Bearer eyJtoken.value"},
                                   {"api_key": "k3y-s3cret"})
    text = "failed: 'Authorization': 'Bearer eyJtoken.value' url=/x?api_key=k3y-s3cret"
    assert "eyJtoken.value" not in scrubber.text(text)
    assert "k3y-s3cret" not in scrubber.text(text)


def test_it_scrubs_secret_pairs_by_name_even_with_unknown_values() -> None:
    scrubber = Scrubber.for_config(SECRETS)
    assert scrubber.text("GET /api/v3/series?apikey=zzz9&term=tvdb:1") == (
        "GET /api/v3/series?apikey=***&term=tvdb:1"
    )


def test_it_scrubs_secrets_from_third_party_log_records(caplog: pytest.LogCaptureFixture) -> None:
    install_log_scrubber(Scrubber.for_config(SECRETS, params={"api_key": "logged-secret-1"}))
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            '%s "GET %s HTTP/1.1" 200', "https://api", "/3/tv/1?api_key=logged-secret-1"
        )
    assert "logged-secret-1" not in caplog.text
    assert "api_key=***" in caplog.text
