"""The plexapi side of the Plex client: connect and authenticate, never fetch data.

plexapi gets the HttpClient's session (timeouts, retries, pacing, counters); whatever it
raises is turned into an `UpstreamError` here, and its lazy auto-reload is switched off.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import plexapi
import plexapi.exceptions
from plexapi.server import PlexServer

from integrations.errors import (
    AuthError,
    InvalidError,
    NotFoundError,
    TransientError,
    UpstreamError,
    error_for_status,
)
from integrations.http import HttpClient

__all__ = ["connect_server", "disable_plexapi_autoreload"]

UPSTREAM = "plex"
_PLEXAPI_STATUS = re.compile(r"^\((\d{3})\)")


def disable_plexapi_autoreload() -> None:
    """Turn plexapi's lazy `reload()` on missing attributes off for every object built after.

    Process-wide on purpose: mediasync never wants a hidden `GET /library/metadata/{rk}`.
    (The `PLEXAPI_PLEXAPI_AUTORELOAD` environment variable still wins, as plexapi reads it first.)
    """
    plexapi.CONFIG.data.setdefault("plexapi", {})["autoreload"] = "false"


def connect_server(http: HttpClient, token: str) -> PlexServer:
    """`PlexServer(...)` on the policy session (one `GET /`); raises only UpstreamError."""
    disable_plexapi_autoreload()
    config = http.config
    try:
        server = PlexServer(config.base_url, token, session=http.session,
                            timeout=(config.connect_timeout, config.read_timeout))
    except Exception as exc:  # plexapi, requests and XML errors all map to UpstreamError
        raise plexapi_error(http, exc) from None
    server._autoReload = False
    return server


def plexapi_error(http: HttpClient, exc: Exception) -> UpstreamError:
    """The UpstreamError for what plexapi raised while talking to `/`."""
    url = http.scrubber.url(http.url("/"))
    if isinstance(exc, plexapi.exceptions.Unauthorized):
        return AuthError("unauthorized: check the Plex token", upstream=UPSTREAM,
                         method="GET", url=url, status=401)
    if isinstance(exc, plexapi.exceptions.NotFound):
        return NotFoundError("not a Plex Media Server (404 on /)", upstream=UPSTREAM,
                             method="GET", url=url, status=404)
    if isinstance(exc, plexapi.exceptions.BadRequest):
        match = _PLEXAPI_STATUS.match(str(exc))
        status = int(match.group(1)) if match else None
        error_cls = error_for_status(status) if status else InvalidError
        return error_cls("server refused the connection request", upstream=UPSTREAM,
                         method="GET", url=url, status=status)
    if isinstance(exc, ET.ParseError | AttributeError):
        return TransientError(f"unreadable answer on / ({type(exc).__name__})",
                              upstream=UPSTREAM, method="GET", url=url)
    return http.error_from_exception(exc, "GET", http.url("/"))
