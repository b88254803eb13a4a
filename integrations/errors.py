"""The closed set of upstream failures the sync planner acts on.

Callers never see raw ``requests``/``urllib3`` exceptions: the HTTP layer maps every
failure to one of these, carrying the upstream, the (scrubbed) request and a one-line message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = [
    "AuthError",
    "ErrorKind",
    "InternalError",
    "InvalidError",
    "NotFoundError",
    "RateLimitedError",
    "Scrubber",
    "TransientError",
    "UnsupportedError",
    "UpstreamError",
    "error_for_status",
    "install_log_scrubber",
    "scrub_url",
]

SCRUBBED = "***"


class ErrorKind(StrEnum):
    """What the planner should do: retry later, back off, fix config, skip, or report a bug."""

    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"
    INTERNAL = "internal"


def _one_line(text: str) -> str:
    """Collapse whitespace so a message (often an upstream body) stays on one log line."""
    return " ".join(str(text).split())


class UpstreamError(Exception):
    """Base of every failure talking to an upstream; ``url`` is always already scrubbed."""

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL

    def __init__(
        self,
        message: str,
        *,
        upstream: str,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = _one_line(message)
        self.upstream = upstream
        self.method = method.upper() if method else None
        self.url = url
        self.status = status
        super().__init__(str(self))

    @property
    def permanent(self) -> bool:
        """Whether retrying the same request later is pointless."""
        return self.kind not in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED)

    def __str__(self) -> str:
        head = " ".join(part for part in (self.method, self.url) if part)
        if self.status is not None:
            head = f"{head} -> {self.status}" if head else str(self.status)
        parts = [part for part in (head, self.message) if part]
        return f"{self.upstream}: {': '.join(parts)}" if parts else self.upstream

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, upstream={self.upstream!r}, "
            f"method={self.method!r}, url={self.url!r}, status={self.status!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Keep keyword-only construction picklable (errors cross worker processes)."""
        return (_rebuild, (type(self), self.message, self.upstream, self.method, self.url,
                           self.status))


def _rebuild(
    cls: type[UpstreamError],
    message: str,
    upstream: str,
    method: str | None,
    url: str | None,
    status: int | None,
) -> UpstreamError:
    return cls(message, upstream=upstream, method=method, url=url, status=status)


class TransientError(UpstreamError):
    """Connection errors, timeouts, 5xx, truncated or non-JSON bodies: retry later."""

    kind = ErrorKind.TRANSIENT


class RateLimitedError(UpstreamError):
    """Still answered 429 after every retry: back off."""

    kind = ErrorKind.RATE_LIMITED


class AuthError(UpstreamError):
    """401/403: credentials are wrong; never retried."""

    kind = ErrorKind.AUTH


class NotFoundError(UpstreamError):
    """404: the thing asked for does not exist (upstream)."""

    kind = ErrorKind.NOT_FOUND


class InvalidError(UpstreamError):
    """400/422, or a payload that does not have the documented shape."""

    kind = ErrorKind.INVALID


class UnsupportedError(UpstreamError):
    """405/501, or an endpoint/feature this server version lacks."""

    kind = ErrorKind.UNSUPPORTED


class InternalError(UpstreamError):
    """Anything else: most likely a bug on our side of the conversation."""

    kind = ErrorKind.INTERNAL


_BY_STATUS: dict[int, type[UpstreamError]] = {
    400: InvalidError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    405: UnsupportedError,
    408: TransientError,
    410: NotFoundError,
    422: InvalidError,
    429: RateLimitedError,
    501: UnsupportedError,
}


def error_for_status(status: int) -> type[UpstreamError]:
    """The error class for an HTTP status that was not acceptable."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return TransientError
    return InternalError


def scrub_url(url: str, secret_names: Iterable[str]) -> str:
    """Replace the query values (and any userinfo password) of secrets with ``***``.

    Names match case-insensitively: ``apikey`` and ``ApiKey`` are the same secret.
    """
    secrets = {name.lower() for name in secret_names}
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0] + ("?" + SCRUBBED if "?" in url else "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{SCRUBBED}@{host}" if ":" in userinfo else f"{SCRUBBED}@{host}"
    query = "&".join(_scrub_pair(pair, secrets) for pair in parts.query.split("&"))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _scrub_pair(pair: str, secrets: set[str]) -> str:
    """Scrub one raw ``key=value`` query segment, leaving every other byte as it was."""
    key = pair.partition("=")[0]
    if unquote_plus(key).lower() in secrets:
        return f"{key}={SCRUBBED}"
    return pair


_PAIR_PATTERN = (
    r"(?i)((?<![A-Za-z0-9_-])(?:{names})['\"]?\s*[=:]\s*['\"]?)"  # name= / 'name': '
    r"(?:Bearer\s+)?[^&\s'\",;}}]+"  # the value, up to a delimiter
)


@dataclass(frozen=True, slots=True)
class Scrubber:
    """Removes secrets from URLs and free text: by parameter/header *name* and by the
    actual configured *values* (which catches them wherever they turn up)."""

    names: frozenset[str] = frozenset()
    values: tuple[str, ...] = ()

    @classmethod
    def for_config(
        cls,
        names: Iterable[str],
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Scrubber:
        lowered = frozenset(name.lower() for name in names)
        found: set[str] = set()
        for mapping in (headers or {}, params or {}):
            for key, value in mapping.items():
                if key.lower() in lowered and value:
                    found.add(str(value))
                    found.add(str(value).split(" ", 1)[-1])  # the token of "Bearer <token>"
        # Longest first so a token inside a longer secret cannot leave a fragment.
        values = tuple(sorted((v for v in found if len(v) >= 4), key=len, reverse=True))
        return cls(lowered, values)

    def merged(self, other: Scrubber) -> Scrubber:
        values = sorted(set(self.values) | set(other.values), key=len, reverse=True)
        return Scrubber(self.names | other.names, tuple(values))

    def url(self, url: str | None) -> str | None:
        """``url`` with secret query values (and any password) replaced by ``***``."""
        if url is None:
            return None
        return self.text(scrub_url(url, self.names))

    def text(self, text: str) -> str:
        """``text`` with every known secret value and ``name=value`` pair masked."""
        for value in self.values:
            text = text.replace(value, SCRUBBED)
        if self.names:
            pattern = _PAIR_PATTERN.format(names="|".join(re.escape(n) for n in sorted(self.names)))
            text = re.sub(pattern, lambda m: m.group(1) + SCRUBBED, text)
        return text


class SecretLogFilter(logging.Filter):
    """Scrubs secrets from records of chatty third-party loggers (urllib3 logs full URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.scrubber = Scrubber()

    def add(self, scrubber: Scrubber) -> None:
        self.scrubber = self.scrubber.merged(scrubber)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        clean = self.scrubber.text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


LOG_FILTER = SecretLogFilter()
_SCRUBBED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests", "plexapi",
                     "pyarr", "integrations")


def install_log_scrubber(scrubber: Scrubber) -> None:
    """Teach the shared log filter these secrets and attach it to the chatty loggers."""
    LOG_FILTER.add(scrubber)
    for name in _SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if LOG_FILTER not in logger.filters:
            logger.addFilter(LOG_FILTER)
