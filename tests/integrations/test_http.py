"""The HTTP policy with ``responses``: retries, error classes, scrubbing, counters."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
import responses
from responses import matchers

from integrations import metrics
from integrations.errors import (
    AuthError,
    InternalError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnsupportedError,
)
from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer, Fault, json_response
from integrations.http import HttpClient, HttpConfig

BASE = "https://api.example.test/3"
MakeConfig = Callable[..., HttpConfig]


@pytest.fixture
def client(fast_config: MakeConfig) -> HttpClient:
    return HttpClient(fast_config("tmdb", BASE, max_retries=3, params={"api_key": "s3cr3t-key"}))


@responses.activate
def test_it_recovers_from_a_503_by_retrying(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=503)
    responses.get(f"{BASE}/tv/1", json={"id": 1})
    assert client.get_json("/tv/1") == {"id": 1}
    assert len(responses.calls) == 2


@responses.activate
def test_it_recovers_from_a_429_by_retrying(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=429, headers={"Retry-After": "0"})
    responses.get(f"{BASE}/tv/1", json={"id": 1})
    assert client.get_json("/tv/1") == {"id": 1}


@responses.activate
def test_it_fails_at_once_on_401_with_exactly_one_request(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=401, json={
        "status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.",
        "success": False})
    with pytest.raises(AuthError) as caught:
        client.get_json("/tv/1")
    assert len(responses.calls) == 1
    assert caught.value.message == "Invalid API key: You must be granted a valid key."


@responses.activate
def test_it_does_not_retry_403(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=403)
    with pytest.raises(AuthError):
        client.get_json("/tv/1")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFoundError), (400, InvalidError), (422, InvalidError), (405, UnsupportedError),
     (501, UnsupportedError), (409, InternalError)],
)
@responses.activate
def test_it_raises_the_class_for_each_non_retried_status(
    client: HttpClient, status: int, error: type
) -> None:
    responses.get(f"{BASE}/tv/1", status=status)
    with pytest.raises(error) as caught:
        client.get_json("/tv/1")
    assert (caught.value.status, len(responses.calls)) == (status, 1)


@responses.activate
def test_it_bounds_attempts_and_then_raises_transient(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=503)
    with pytest.raises(TransientError) as caught:
        client.get_json("/tv/1")
    assert (caught.value.status, len(responses.calls)) == (503, 4)  # 1 try + max_retries=3


@responses.activate
def test_it_raises_rate_limited_when_429_outlasts_the_retries(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=429)
    with pytest.raises(RateLimitedError):
        client.get_json("/tv/1")
    assert len(responses.calls) == 4


@responses.activate
def test_it_does_not_retry_a_post_on_503(client: HttpClient) -> None:
    responses.post(f"{BASE}/series", status=503)
    with pytest.raises(TransientError):
        client.request("POST", "/series", json={"title": "x"})
    assert len(responses.calls) == 1


@responses.activate
def test_it_hides_secrets_from_error_str_url_and_repr(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=404, json={"status_message": "nope s3cr3t-key"})
    with pytest.raises(NotFoundError) as caught:
        client.get_json("/tv/1", params={"append_to_response": "external_ids"})
    error = caught.value
    for text in (str(error), repr(error), error.url or "", error.message):
        assert "s3cr3t-key" not in text
    assert error.url == f"{BASE}/tv/1?api_key=***&append_to_response=external_ids"


@responses.activate
def test_it_hides_secret_headers_from_connection_errors(fast_config: MakeConfig) -> None:
    bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.secret"
    client = HttpClient(fast_config("tmdb", BASE, max_retries=0,
                                    headers={"Authorization": bearer}))
    responses.get(f"{BASE}/tv/1", body=requests.ConnectionError(f"refused; sent {bearer}"))
    with pytest.raises(TransientError) as caught:
        client.get_json("/tv/1")
    assert "eyJhbGciOiJIUzI1NiJ9" not in str(caught.value) + repr(caught.value)


def test_it_keeps_secrets_out_of_the_config_and_client_repr(client: HttpClient) -> None:
    assert "s3cr3t-key" not in repr(client.config) + repr(client)


@responses.activate
def test_it_sends_configured_params_and_headers_on_every_request(fast_config: MakeConfig) -> None:
    client = HttpClient(fast_config("sonarr", BASE, headers={"X-Api-Key": "k"},
                                    params={"apikey": "p"}))
    responses.get(f"{BASE}/series", json=[], match=[
        matchers.header_matcher({"X-Api-Key": "k"}),
        matchers.query_param_matcher({"apikey": "p", "term": "tvdb:1"}),
    ])
    assert client.get_json("/series", params={"term": "tvdb:1"}) == []


@responses.activate
def test_it_lets_the_session_carry_the_policy_for_other_libraries(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=503)
    responses.get(f"{BASE}/tv/1", json={"id": 1},
                  match=[matchers.query_param_matcher({"api_key": "s3cr3t-key"})])
    assert client.session.get(f"{BASE}/tv/1").json() == {"id": 1}


@responses.activate
def test_it_turns_a_non_json_body_into_a_transient_error(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", body="<html>oops</html>", content_type="text/html")
    with pytest.raises(TransientError, match="not valid JSON"):
        client.get_json("/tv/1")


@responses.activate
def test_it_turns_a_connection_error_into_a_transient_error(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", body=requests.ConnectionError("refused"))
    with pytest.raises(TransientError):
        client.get_json("/tv/1")


@responses.activate
def test_it_turns_a_read_timeout_into_a_transient_error(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", body=requests.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="timed out"):
        client.get_json("/tv/1")


@responses.activate
def test_it_uses_the_error_message_extractor(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=400, json={"errors": ["page must be <= 500"]})
    with pytest.raises(InvalidError, match="page must be <= 500"):
        client.get_json("/tv/1", error_message=lambda r: r.json()["errors"][0])


@responses.activate
def test_it_accepts_the_statuses_listed_as_ok(client: HttpClient) -> None:
    responses.get(f"{BASE}/lookup", status=301, headers={"Location": f"{BASE}/shows/1"})
    response = client.request("GET", "/lookup", allow_redirects=False, ok=(301,))
    assert response.headers["Location"] == f"{BASE}/shows/1"


def test_it_joins_paths_and_keeps_absolute_urls(client: HttpClient) -> None:
    assert (client.url("/tv/1"), client.url("tv/1"), client.url("http://other/x")) == (
        f"{BASE}/tv/1", f"{BASE}/tv/1", "http://other/x"
    )


@responses.activate
def test_it_counts_requests_retries_429s_and_errors(client: HttpClient) -> None:
    responses.get(f"{BASE}/tv/1", status=429)
    responses.get(f"{BASE}/tv/1", status=503)
    responses.get(f"{BASE}/tv/1", json={})
    responses.get(f"{BASE}/tv/2", status=404)
    client.get_json("/tv/1")
    with pytest.raises(NotFoundError):
        client.get_json("/tv/2")
    assert metrics.snapshot()["tmdb"] == {
        "requests": 4, "retries": 2, "rate_limited": 1, "errors": 1, "errors:not_found": 1
    }


@responses.activate
def test_it_counts_a_final_429_once(fast_config: MakeConfig) -> None:
    client = HttpClient(fast_config("tvmaze", BASE, max_retries=1))
    responses.get(f"{BASE}/shows", status=429)
    with pytest.raises(RateLimitedError):
        client.get_json("/shows")
    assert metrics.count("tvmaze", "rate_limited") == 2


class _Echo(FakeServer):
    name = "echo"

    def handle(self, request: FakeRequest) -> FakeResponse:
        return json_response({"path": request.path})


@pytest.fixture
def echo() -> Iterator[_Echo]:
    with _Echo() as server:
        yield server


def test_it_waits_as_long_as_retry_after_asks(echo: _Echo, fast_config: MakeConfig) -> None:
    echo.inject(Fault("status", status=429, retry_after=1))
    client = HttpClient(fast_config("tvmaze", echo.url))
    started = time.monotonic()
    assert client.get_json("/shows") == {"path": "/shows"}
    assert 1.0 <= time.monotonic() - started < 5.0  # generous: a loaded CI machine is slow


def test_it_caps_a_huge_retry_after_at_backoff_max(echo: _Echo, fast_config: MakeConfig) -> None:
    echo.inject(Fault("status", status=503, retry_after=3600))
    client = HttpClient(fast_config("tvmaze", echo.url, backoff_max=1.0))
    started = time.monotonic()
    assert client.get_json("/shows") == {"path": "/shows"}
    assert time.monotonic() - started < 5.0  # far below the hour asked for


def test_it_applies_the_default_read_timeout(echo: _Echo, fast_config: MakeConfig) -> None:
    """The fake holds its answer until the test lets go, so the only way the client can
    return is its own read timeout: no race between a delay and the machine's speed."""
    release = threading.Event()
    echo.on_request(lambda request: release.wait(30), path_prefix="/shows")
    client = HttpClient(fast_config("tvmaze", echo.url, read_timeout=0.2, max_retries=0))
    try:
        with pytest.raises(TransientError, match="timed out"):
            client.get_json("/shows")
        assert not release.is_set()  # the answer was still held when the client gave up
    finally:
        release.set()
    assert echo.counts["GET /shows"] == 1  # max_retries=0: one attempt, no retry


def test_it_reports_a_refused_connection_as_transient(fast_config: MakeConfig) -> None:
    with _Echo() as server:
        url = server.url  # a port that was just free and is now closed again
    client = HttpClient(fast_config("tvmaze", url, max_retries=1, params={"apikey": "zz-secret"}))
    with pytest.raises(TransientError) as caught:
        client.get_json("/shows")
    assert "zz-secret" not in str(caught.value)


@responses.activate
def test_it_keeps_repeated_params_and_the_configured_ones(client: HttpClient) -> None:
    responses.get(f"{BASE}/shows/1", json={}, match=[matchers.query_string_matcher(
        "api_key=s3cr3t-key&embed%5B%5D=episodes&embed%5B%5D=cast")])
    assert client.get_json("/shows/1", params=[("embed[]", "episodes"), ("embed[]", "cast")]) == {}


@responses.activate
def test_it_configures_a_session_it_is_given(fast_config: MakeConfig) -> None:
    session = requests.Session()
    client = HttpClient(fast_config("plex", BASE, max_retries=1), session=session)
    responses.get(f"{BASE}/library", status=503)
    responses.get(f"{BASE}/library", json={})
    assert (client.session is session, session.get(f"{BASE}/library").status_code) == (True, 200)


@pytest.fixture
def trickle() -> Iterator[str]:
    """A loopback server that answers 200 with a 200-byte body, one byte every 50 ms: no
    single read ever waits past a read timeout, yet the whole answer takes 10 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 200\r\n\r\n")
                for _ in range(200):
                    if stop.wait(0.05):
                        break
                    with contextlib.suppress(OSError):
                        conn.sendall(b" ")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_it_bounds_the_whole_answer_not_only_each_read(trickle: str,
                                                       fast_config: MakeConfig) -> None:
    client = HttpClient(fast_config("tvmaze", trickle, read_timeout=0.25, max_retries=0))
    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 1 s"):
        client.get_json("/shows")
    assert time.monotonic() - started < 5.0  # 4 read timeouts (1 s), far from the 10 s
