"""Is this really a reachable Plex (or Sonarr) server that takes this key? One quick answer.

Used when an operator saves a server: each failure comes back as a :class:`ServerCheckError`
whose ``reason`` says which of the usual mistakes it is (nothing answers, the key is refused,
something else answers there, or a redirect elsewhere), with a one-line, secret-free message.
Every request goes through the shared HTTP policy, without retries so the answer is quick.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from integrations.errors import AuthError, InvalidError, UpstreamError
from integrations.http import HttpClient, HttpConfig, decode_json
from integrations.plex.parse import parse_container, server_info_from
from integrations.values.plex import PlexServerInfo
from integrations.values.sonarr import SonarrStatus

__all__ = ["CheckReason", "ServerCheckError", "check_plex", "check_sonarr"]

CHECK_TIMEOUTS: dict[str, Any] = {"connect_timeout": 5.0, "read_timeout": 10.0, "max_retries": 0}


class CheckReason(StrEnum):
    UNREACHABLE = "unreachable"
    UNAUTHORIZED = "unauthorized"
    WRONG_SERVER = "wrong_server"
    REDIRECTED = "redirected"


class ServerCheckError(Exception):
    """Why a server cannot be used as configured; ``secret`` is True when the key is at fault."""

    def __init__(self, reason: CheckReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def secret(self) -> bool:
        return self.reason is CheckReason.UNAUTHORIZED


def _transport(error: UpstreamError, product: str) -> ServerCheckError:
    """What a failed request means for the check."""
    if isinstance(error, AuthError):
        return ServerCheckError(CheckReason.UNAUTHORIZED,
                                f"unauthorised: the server refused this {product} key "
                                f"({error.status or 'no status'})")
    if error.status is None and isinstance(error, InvalidError):
        return ServerCheckError(CheckReason.REDIRECTED, f"redirected: {error.message}")
    if error.status is None or error.status >= 500:
        detail = error.message if error.status is None else f"it answered {error.status}"
        return ServerCheckError(CheckReason.UNREACHABLE, f"unreachable: {detail}")
    return ServerCheckError(CheckReason.WRONG_SERVER,
                            f"not a {product} server: it answered {error.status} "
                            f"({error.message})")


def _client(upstream: str, base_url: str, headers: dict[str, str]) -> HttpClient:
    return HttpClient(HttpConfig(upstream=upstream, base_url=base_url.rstrip("/"),
                                 headers=headers, **CHECK_TIMEOUTS))


def check_plex(*, base_url: str, token: str) -> PlexServerInfo:
    """``/identity`` (open on every Plex) says it is Plex; ``/`` with the token says the token
    is good and who the server is."""
    client = _client("plex", base_url, {"X-Plex-Token": token, "Accept": "application/xml",
                                        "X-Plex-Product": "mediasync",
                                        "X-Plex-Client-Identifier": "mediasync"})
    try:
        for path in ("/identity", "/"):
            response = client.request("GET", path, ok=(200,))
            try:
                container = parse_container(response.content, response.headers.get(
                    "Content-Type"))
                info = server_info_from(container.attrs)
            except (ValueError, SyntaxError, KeyError, AttributeError):
                raise ServerCheckError(CheckReason.WRONG_SERVER,
                                       f"not a Plex Media Server: {path} is not a Plex "
                                       "MediaContainer with a machine identifier") from None
        return info
    except UpstreamError as error:
        raise _transport(error, "Plex") from None
    finally:
        client.close()


def check_sonarr(*, base_url: str, api_key: str) -> SonarrStatus:
    """``/api/v3/system/status`` with the key: Sonarr names itself and its version there."""
    client = _client("sonarr", base_url, {"X-Api-Key": api_key})
    try:
        response = client.request("GET", "/api/v3/system/status", ok=(200,))
    except UpstreamError as error:
        raise _transport(error, "Sonarr") from None
    finally:
        client.close()
    try:
        body = decode_json(response)
    except ValueError:
        body = None
    app = body.get("appName") if isinstance(body, dict) else None
    if not isinstance(body, dict) or (app is not None and app != "Sonarr"):
        what = f"it is {app}" if isinstance(app, str) else "its status is not Sonarr's"
        raise ServerCheckError(CheckReason.WRONG_SERVER, f"not a Sonarr server: {what}")
    try:
        return SonarrStatus.from_version(str(body.get("version", "")))
    except ValueError:
        raise ServerCheckError(CheckReason.WRONG_SERVER,
                               "not a Sonarr server: its status names no version") from None
