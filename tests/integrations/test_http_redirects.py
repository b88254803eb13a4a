"""No credential follows a redirect to another origin: a loopback redirector points every
client at a second listener, which must never receive the secret."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.errors import InvalidError, UpstreamError
from integrations.plex import PlexClient
from integrations.sonarr import SonarrClient
from integrations.tmdb import TmdbClient
from integrations.tvmaze import TvmazeClient

SECRET = "credential-SECRET-0123456789"
BEARER = "eyJ-read-token-SECRET-0123456789"
# The listeners answer at once; the timeouts only bound a hang, and must not fire on a loaded
# machine (a timeout is a TransientError, not the refusal these tests expect).
FAST = {"connect_timeout": 30, "read_timeout": 30, "max_retries": 0}


class _Listener:
    """A loopback HTTP server that records what it receives and answers from ``reply``."""

    def __init__(self) -> None:
        self.seen: list[str] = []  # request line + headers, as received
        self.reply: tuple[int, dict[str, str], bytes] = (200, {}, b"{}")
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.seen.append(f"{self.requestline}\n{self.headers}")
                status, headers, body = listener.reply
                if callable(headers):
                    headers = headers(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pair() -> Iterator[tuple[_Listener, _Listener]]:
    """(redirector, elsewhere): the first answers 302 to the second."""
    redirector, elsewhere = _Listener(), _Listener()
    yield redirector, elsewhere
    redirector.close()
    elsewhere.close()


def _redirect_to(redirector: _Listener, target: str, status: int = 302) -> None:
    redirector.reply = (status, lambda path: {"Location": target + path}, b"")


def _clients(base_url: str) -> dict[str, object]:
    return {
        "plex": lambda: PlexClient.build(base_url=base_url, token=SECRET, **FAST).connect(),
        "sonarr": lambda: SonarrClient.build(base_url=base_url, api_key=SECRET, **FAST).status(),
        "tmdb key": lambda: TmdbClient.build(base_url=base_url, api_key=SECRET, rate_limit=None,
                                             **FAST).tv(1),
        "tmdb bearer": lambda: TmdbClient.build(base_url=base_url, api_key=BEARER,
                                                rate_limit=None, **FAST).tv(1),
        "tvmaze key": lambda: TvmazeClient.build(base_url=base_url, api_key=SECRET,
                                                 rate_limit=None, **FAST).show(1),
    }


CLIENTS = list(_clients("http://unused"))


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("where", ["another port", "another host", "another scheme"])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_it_refuses_to_carry_a_credential_to_another_origin(pair, client, where, status):
    redirector, elsewhere = pair
    target = {"another port": elsewhere.url(),
              "another host": elsewhere.url("localhost"),
              "another scheme": f"https://127.0.0.1:{elsewhere.port}"}[where]
    _redirect_to(redirector, target, status)
    with pytest.raises(UpstreamError) as caught:
        _clients(redirector.url())[client]()
    assert elsewhere.seen == []  # nothing at all was sent to the new origin
    error = caught.value
    assert isinstance(error, InvalidError)
    assert target.split("://")[1] in str(error)  # names the new location...
    for secret in (SECRET, BEARER):
        assert secret not in str(error) and secret not in repr(error)  # ...but not the secret
    assert len(redirector.seen) == 1


def test_it_masks_a_key_that_the_redirect_echoes_back(pair):
    redirector, elsewhere = pair
    redirector.reply = (302, lambda path: {"Location": f"{elsewhere.url()}{path}"}, b"")
    with pytest.raises(InvalidError) as caught:
        _clients(redirector.url())["tmdb key"]()
    assert "api_key=" in str(caught.value)  # the Location carried the key along...
    assert SECRET not in str(caught.value)  # ...and the error shows it masked
    assert elsewhere.seen == []


def test_it_follows_a_redirect_within_the_same_origin_with_the_credential(pair):
    redirector, _ = pair
    calls = {"n": 0}

    def headers(path: str) -> dict[str, str]:
        calls["n"] += 1
        return {"Location": "/api/v3/system/status/moved"} if calls["n"] == 1 else \
            {"Content-Type": "application/json"}

    redirector.reply = (302, headers, b"")
    client = SonarrClient.build(base_url=redirector.url(), api_key=SECRET, **FAST)
    redirector.reply = (200, {"Content-Type": "application/json"}, b'{"version": "4.0.1.1"}')
    assert client.status().major == 4
    assert SECRET in redirector.seen[-1]  # same origin: the key still goes along


def test_it_follows_a_cross_origin_redirect_when_no_credential_is_configured(pair):
    redirector, elsewhere = pair
    _redirect_to(redirector, elsewhere.url())
    elsewhere.reply = (200, {"Content-Type": "application/json"},
                       b'{"id": 1, "name": "Show", "updated": 1}')
    client = TvmazeClient.build(base_url=redirector.url(), rate_limit=None, **FAST)
    with contextlib.suppress(UpstreamError):  # the payload's shape is not the point here
        client.show(1)
    assert len(elsewhere.seen) == 1
