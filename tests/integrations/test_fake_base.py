"""The fake-server base against the real HttpClient: every fault kind, counts, rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from integrations import metrics
from integrations.errors import AuthError, TransientError
from integrations.fakes.base import (
    FakeRequest,
    FakeResponse,
    FakeServer,
    Fault,
    json_response,
    text_response,
)
from integrations.http import HttpClient, HttpConfig

MakeConfig = Callable[..., HttpConfig]


class TinyFake(FakeServer):
    """Two endpoints: a JSON show and an echo of the query; anything else is 404."""

    name = "tiny"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.startswith("/shows/"):
            return json_response({"id": int(request.path.rsplit("/", 1)[1]), "name": "x" * 400})
        if request.path == "/echo":
            return json_response({"q": request.arg("q"), "auth": request.headers.get("x-api-key")})
        if request.path == "/text":
            return text_response("plain")
        return json_response({"message": "Not Found"}, status=404)

    def endpoint_name(self, request: FakeRequest) -> str:
        return "GET /shows/:id" if request.path.startswith("/shows/") else request.path


@pytest.fixture
def fake() -> Iterator[TinyFake]:
    with TinyFake() as server:
        yield server


@pytest.fixture
def client(fake: TinyFake, fast_config: MakeConfig) -> HttpClient:
    return HttpClient(fast_config("tiny", fake.url, read_timeout=0.5, max_retries=2))


def test_it_serves_json_over_keep_alive(fake: TinyFake, client: HttpClient) -> None:
    ids = [client.get_json(f"/shows/{show}")["id"] for show in (1, 2, 3)]
    assert (ids, fake.connections_opened) == ([1, 2, 3], 1)


def test_it_passes_query_and_headers_to_the_handler(client: HttpClient) -> None:
    body = client.get_json("/echo", params={"q": "ä b"}, headers={"X-Api-Key": "k"})
    assert body == {"q": "ä b", "auth": "k"}


def test_it_counts_requests_per_endpoint(fake: TinyFake, client: HttpClient) -> None:
    for show in (1, 2, 3):
        client.get_json(f"/shows/{show}")
    client.get_json("/echo")
    assert (fake.counts["GET /shows/:id"], fake.counts["/echo"], fake.total_requests()) == (3, 1, 4)


def test_it_resets_counts(fake: TinyFake, client: HttpClient) -> None:
    client.get_json("/shows/1")
    fake.reset_counts()
    assert fake.total_requests() == 0


def test_it_recovers_from_a_429_with_retry_after(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("status", status=429, retry_after=1))
    started = time.monotonic()
    assert client.get_json("/shows/7")["id"] == 7
    assert time.monotonic() - started >= 1.0
    assert (fake.total_requests(), metrics.count("tiny", "rate_limited")) == (2, 1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_recovers_from_5xx(fake: TinyFake, client: HttpClient, status: int) -> None:
    fake.inject(Fault("status", status=status), times=2)
    assert client.get_json("/shows/7")["id"] == 7
    assert fake.total_requests() == 3


def test_it_fails_auth_at_once(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("status", status=401), times=5)
    with pytest.raises(AuthError):
        client.get_json("/shows/7")
    assert fake.total_requests() == 1


def test_it_answers_a_slow_response_within_the_timeout(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("slow", delay=0.2))
    assert client.get_json("/shows/7")["id"] == 7
    assert fake.total_requests() == 1


def test_it_times_out_a_response_slower_than_the_read_timeout(
    fake: TinyFake, client: HttpClient
) -> None:
    fake.inject(Fault("slow", delay=1.0), times=3)
    with pytest.raises(TransientError, match="timed out"):
        client.get_json("/shows/7")
    assert fake.total_requests() == 3


def test_it_retries_a_dropped_connection(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("drop"))
    assert client.get_json("/shows/7")["id"] == 7
    assert fake.total_requests() == 2


def test_it_gives_up_on_persistent_drops_with_a_transient_error(
    fake: TinyFake, client: HttpClient
) -> None:
    fake.inject(Fault("drop"), times=10)
    with pytest.raises(TransientError):
        client.get_json("/shows/7")
    assert fake.total_requests() == 3


def test_it_reports_a_truncated_body_as_transient(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("truncate"))
    with pytest.raises(TransientError, match="broken"):
        client.get_json("/shows/7")


def test_it_sends_the_full_content_length_but_half_the_body(fake: TinyFake) -> None:
    fake.inject(Fault("truncate"))
    response = requests.get(f"{fake.url}/shows/7", stream=True, timeout=2)
    declared = int(response.headers["Content-Length"])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018 - reading the body is the point
    assert declared > 400


def test_it_reports_a_non_json_body_as_transient(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("nonjson"))
    with pytest.raises(TransientError, match="text/html"):
        client.get_json("/shows/7")


def test_it_keeps_serving_after_a_fault(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("truncate"))
    with pytest.raises(TransientError):
        client.get_json("/shows/7")
    assert client.get_json("/shows/8")["id"] == 8


def test_it_limits_a_fault_to_a_path_prefix(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("status", status=401), path_prefix="/echo")
    assert client.get_json("/shows/1")["id"] == 1
    with pytest.raises(AuthError):
        client.get_json("/echo")


def test_it_clears_armed_faults(fake: TinyFake, client: HttpClient) -> None:
    fake.inject(Fault("status", status=401), times=3)
    fake.clear_faults()
    assert client.get_json("/shows/1")["id"] == 1


def test_it_enforces_a_sliding_window_rate_limit(fake: TinyFake) -> None:
    fake.enforce_rate_limit(3, 1.0)
    statuses = [requests.get(f"{fake.url}/shows/1", timeout=2).status_code for _ in range(5)]
    time.sleep(1.05)
    statuses.append(requests.get(f"{fake.url}/shows/1", timeout=2).status_code)
    assert (statuses, fake.rate_limited) == ([200, 200, 200, 429, 429, 200], 2)


def test_it_turns_a_handler_bug_into_a_500(fake: TinyFake) -> None:
    response = requests.get(f"{fake.url}/shows/not-a-number", timeout=2)
    assert response.status_code == 500


def test_it_hangs_up_kept_alive_connections_on_stop(fast_config: MakeConfig) -> None:
    server = TinyFake().start()
    client = HttpClient(fast_config("tiny", server.url, max_retries=0))
    client.get_json("/shows/1")
    server.stop()
    with pytest.raises(TransientError):
        client.get_json("/shows/1")
