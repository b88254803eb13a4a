"""Map raw requests/urllib3 failures and error answers to UpstreamError (part of ``http``).

Kept apart from ``http.py`` so the policy stays readable; also used by the pyarr and
plexapi wrappers, which receive raw exceptions from the shared session.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from http import HTTPStatus

import requests
from requests import exceptions as rexc
from urllib3 import exceptions as uexc

from integrations.errors import (
    InternalError,
    InvalidError,
    RateLimitedError,
    Scrubber,
    TransientError,
    UpstreamError,
)
from integrations.http_redirects import CredentialRedirect

__all__ = ["error_from_exception", "status_message"]

MAX_MESSAGE = 200

# Ordered: the first matching class wins (subclasses before their bases).
_CLASSIFY: tuple[tuple[tuple[type[BaseException], ...], type[UpstreamError], str], ...] = (
    ((rexc.SSLError, uexc.SSLError), InternalError, "TLS handshake failed"),
    ((rexc.Timeout, uexc.TimeoutError, TimeoutError), TransientError, "timed out"),
    ((rexc.ChunkedEncodingError, uexc.ProtocolError, uexc.IncompleteRead,
      http.client.IncompleteRead), TransientError, "connection broken mid-response"),
    ((rexc.ContentDecodingError, uexc.DecodeError), TransientError, "body could not be decoded"),
    ((rexc.TooManyRedirects,), InternalError, "too many redirects"),
    ((CredentialRedirect,), InvalidError, "redirect to another origin refused"),
    ((rexc.InvalidURL, rexc.MissingSchema, rexc.InvalidSchema, rexc.URLRequired,
      rexc.InvalidHeader, rexc.InvalidJSONError), InternalError, "invalid request"),
    ((rexc.ConnectionError, uexc.HTTPError, http.client.HTTPException, OSError),
     TransientError, "connection failed"),
)


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error (requests wraps urllib3's MaxRetryError wraps the socket error)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args:
            inner = exc.args[0]
        if not isinstance(inner, BaseException):
            inner = exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_exception(
    exc: BaseException, upstream: str, method: str | None, url: str | None, scrubber: Scrubber
) -> UpstreamError:
    """The UpstreamError for a raw transport failure, its message and URL scrubbed."""
    if isinstance(exc, UpstreamError):
        return exc
    cls, phrase = InternalError, "request failed"
    if isinstance(exc, rexc.RetryError):
        is_429 = "429" in str(exc)
        cls = RateLimitedError if is_429 else TransientError
        phrase = "still rate limited after retries" if is_429 else "retries exhausted"
    else:
        for types, error_cls, text in _CLASSIFY:
            if isinstance(exc, types):
                cls, phrase = error_cls, text
                break
    root = _root_cause(exc)
    detail = str(root) or type(root).__name__
    message = _one_line(scrubber.text(f"{phrase} ({type(root).__name__}: {detail})"))
    return cls(message, upstream=upstream, method=method, url=scrubber.url(url))


def _default_message(response: requests.Response) -> str | None:
    """A human message from common JSON error bodies (``message``, ``status_message``...)."""
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type or not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("status_message", "message", "error", "title", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value
    if isinstance(body, list) and body and isinstance(body[0], dict):
        value = body[0].get("errorMessage") or body[0].get("message")
        if isinstance(value, str):
            return value
    return None


def status_message(
    response: requests.Response,
    extractor: Callable[[requests.Response], str | None] | None = None,
    scrub: Callable[[str], str] = str,
) -> str:
    """One line describing an error answer: the upstream's own words when we can read them.

    ``scrub`` runs before the line is cut: a key cut in half would no longer be recognised."""
    message: str | None = None
    for extract in (extractor, _default_message):
        if extract is None:
            continue
        try:
            message = extract(response)
        except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError):
            message = None
        if message:
            break
    if not message:
        try:
            message = HTTPStatus(response.status_code).phrase.lower()
        except ValueError:
            message = response.reason or f"HTTP {response.status_code}"
    return _one_line(scrub(message))
