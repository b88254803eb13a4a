"""Credentials never leave their origin on a redirect (part of the ``http`` policy).

``requests`` strips only ``Authorization`` when a redirect changes host, and keeps it on an
``http`` -> ``https`` upgrade; ``X-Plex-Token``, ``X-Api-Key`` and key query parameters go
wherever the ``Location`` says. Here a request that carries any secret (by header or query
name) is never sent to another scheme, host or port: the redirected copy is stripped of every
secret and then refused by the adapter with :class:`CredentialRedirect`, whose message names
the new location (scrubbed) so that the operator can fix the configured URL.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

__all__ = ["CredentialRedirect", "guard_redirects", "origin", "refused_redirect"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MARK = "_mediasync_refused_redirect"


class CredentialRedirect(requests.exceptions.InvalidURL):
    """A credential-carrying request was redirected to another origin; nothing was sent."""


def origin(url: str | None) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in, as browsers compare origins."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return ("", url or "", None)
    scheme = parts.scheme.lower()
    return (scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme))


def _origin_text(url: str | None) -> str:
    scheme, host, port = origin(url)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}" if port else f"{scheme}://{shown}"


def _carries(request: requests.PreparedRequest, names: frozenset[str]) -> bool:
    """Whether ``request`` sends any of the secret ``names`` (headers or query parameters)."""
    if any(key.lower() in names and value for key, value in request.headers.items()):
        return True
    query = urlsplit(request.url or "").query
    return any(key.lower() in names for key, _ in parse_qsl(query, keep_blank_values=True))


def _strip(request: requests.PreparedRequest, names: frozenset[str]) -> None:
    """Remove every secret header and query parameter from ``request`` (in place)."""
    for key in [k for k in request.headers if k.lower() in names]:
        del request.headers[key]
    parts = urlsplit(request.url or "")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in names]
    if len(kept) != len(pairs):
        request.url = urlunsplit(parts._replace(query=urlencode(kept)))


def guard_redirects(session: requests.Session, secret_names: Iterable[str]) -> None:
    """Make ``session`` strip secrets from, and mark as refused, any redirect that changes
    origin after a request that carried one (the adapter then refuses to send it)."""
    names = frozenset(name.lower() for name in secret_names)
    original = session.rebuild_auth
    if getattr(original, "_mediasync_guard", False):
        return

    def rebuild_auth(self: requests.Session, prepared: requests.PreparedRequest,
                     response: requests.Response) -> None:
        previous = response.request
        carried = previous is not None and _carries(previous, names)
        original(prepared, response)
        if previous is not None and origin(previous.url) != origin(prepared.url):
            # Strip whatever the copy still holds (a header, or a key echoed in Location).
            carried = carried or _carries(prepared, names)
            _strip(prepared, names)
            if carried:
                setattr(prepared, _MARK, _origin_text(previous.url))

    rebuild_auth._mediasync_guard = True  # type: ignore[attr-defined]
    session.rebuild_auth = types.MethodType(rebuild_auth, session)  # type: ignore[method-assign]


def refused_redirect(request: requests.PreparedRequest) -> CredentialRedirect | None:
    """The error to raise instead of sending ``request``, when it is a refused redirect."""
    source = getattr(request, _MARK, None)
    if source is None:
        return None
    return CredentialRedirect(f"to {request.url} (credentials are only sent to {source})")
