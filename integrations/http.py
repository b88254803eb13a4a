"""One HTTP policy for every upstream: timeouts, pooling, retries, shared rate limit, errors.

``HttpClient.session`` carries the whole policy in its adapter, so handing it to pyarr or
plexapi gives them the same timeouts, retries, pacing and counters. ``HttpClient.request``
additionally turns every failure into an :class:`~integrations.errors.UpstreamError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from integrations import metrics
from integrations.errors import (
    RateLimitedError,
    Scrubber,
    TransientError,
    UpstreamError,
    error_for_status,
    install_log_scrubber,
)
from integrations.http_errors import error_from_exception, status_message
from integrations.http_policy import PolicyAdapter, PolicyRetry
from integrations.http_redirects import guard_redirects
from integrations.ratelimit import RateLimit

__all__ = ["DEFAULT_SECRET_NAMES", "HttpClient", "HttpConfig", "RateLimit", "build_session"]

DEFAULT_SECRET_NAMES = frozenset(
    {"api_key", "apikey", "X-Plex-Token", "X-Api-Key", "Authorization", "token"}
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
Params = Mapping[str, Any] | Collection[tuple[str, Any]] | None


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Everything the policy needs to know about one upstream (no Django settings here)."""

    upstream: str
    base_url: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    rate_limit: RateLimit | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    secret_names: frozenset[str] = DEFAULT_SECRET_NAMES

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", dict(self.headers))
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "secret_names", frozenset(self.secret_names))

    @property
    def scrubber(self) -> Scrubber:
        """Knows the secret names and the actual secret values configured here."""
        return Scrubber.for_config(self.secret_names, self.headers, self.params)

    def __repr__(self) -> str:
        # Never show header or parameter values: they hold api keys and tokens.
        return (
            f"HttpConfig(upstream={self.upstream!r}, base_url={self.base_url!r}, "
            f"timeouts=({self.connect_timeout}, {self.read_timeout}), "
            f"max_retries={self.max_retries}, rate_limit={self.rate_limit!r}, "
            f"headers={sorted(self.headers)!r}, params={sorted(self.params)!r})"
        )


def build_session(config: HttpConfig, session: requests.Session | None = None) -> requests.Session:
    """Configure ``session`` (or a new one) with the whole policy for ``config``."""
    session = session or requests.Session()
    retry = PolicyRetry(
        total=config.max_retries,
        backoff_factor=config.backoff_factor,
        backoff_jitter=config.backoff_factor,
        backoff_max=config.backoff_max,
        retry_after_max=max(1, math.ceil(config.backoff_max)),
        status_forcelist=RETRY_STATUSES,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        upstream=config.upstream,
        rate_limit=config.rate_limit,
    )
    adapter = PolicyAdapter(
        upstream=config.upstream,
        timeout=(config.connect_timeout, config.read_timeout),
        retry=retry,
        rate_limit=config.rate_limit,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if str(session.headers.get("User-Agent", "")).startswith("python-requests"):
        session.headers["User-Agent"] = f"mediasync/0.1 {session.headers['User-Agent']}"
    session.headers.update(config.headers)
    session.params = {**dict(session.params or {}), **config.params}
    guard_redirects(session, config.secret_names)
    install_log_scrubber(config.scrubber)
    return session


def decode_json(response: requests.Response) -> Any:
    """The body as JSON (orjson: several times faster than the standard library on the
    100 MB a catalog walk reads); raises ValueError when it is not JSON.

    orjson refuses a whole body for one integer past 64 bits, a ``NaN`` or a lone surrogate
    in one record; the standard library reads those (``NaN`` and the infinities as null), so
    that the record's parser refuses that record alone instead of the page failing.
    """
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return json.loads(response.content, parse_constant=lambda _: None)


class HttpClient:
    """A configured session plus request helpers that raise only UpstreamError."""

    def __init__(self, config: HttpConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        self.scrubber = config.scrubber
        self.session = build_session(config, session)

    def __repr__(self) -> str:
        return f"HttpClient({self.config!r})"

    def url(self, path: str) -> str:
        """``base_url`` + ``path``; an absolute URL is used as it is."""
        if path.startswith(("http://", "https://")):
            return path
        if not path:
            return self.config.base_url
        return self.config.base_url.rstrip("/") + "/" + path.lstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        allow_redirects: bool = True,
        ok: Collection[int] = (200, 201, 202, 204),
        error_message: Callable[[requests.Response], str | None] | None = None,
    ) -> requests.Response:
        """Send one request under the policy; a non-``ok`` answer raises its UpstreamError."""
        url = self.url(path)
        merged = self._params(params)
        try:
            response = self.session.request(
                method, url, params=merged, headers=headers, json=json, data=data,
                allow_redirects=allow_redirects,
            )
        except (requests.RequestException, Urllib3HTTPError, OSError) as exc:
            raise self._count(
                error_from_exception(exc, self.config.upstream, method,
                                     self._full_url(method, url, merged), self.scrubber)
            ) from None
        if response.status_code not in ok:
            raise self._count(self.error_from_response(response, error_message)) from None
        return response

    def get_json(
        self,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200,),
        error_message: Callable[[requests.Response], str | None] | None = None,
    ) -> Any:
        """GET and decode JSON; a body that is not JSON (HTML, truncated) is transient."""
        response = self.request("GET", path, params=params, headers=headers, ok=ok,
                                error_message=error_message)
        return self.json_of(response)

    def json_of(self, response: requests.Response) -> Any:
        """An accepted response's JSON body; one that is not JSON is transient."""
        try:
            return decode_json(response)
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            error = TransientError(
                f"body is not valid JSON ({kind}, {len(response.content)} bytes)",
                upstream=self.config.upstream, method="GET",
                url=self.scrubber.url(response.url), status=response.status_code,
            )
            raise self._count(error) from None

    def error_from_response(
        self,
        response: requests.Response,
        error_message: Callable[[requests.Response], str | None] | None = None,
    ) -> UpstreamError:
        """The UpstreamError for an unacceptable answer (usable on pyarr/plexapi responses)."""
        status = response.status_code
        cls = error_for_status(status)
        message = status_message(response, error_message, self.scrubber.text)
        if cls is RateLimitedError and response.headers.get("Retry-After"):
            message = f"{message} (Retry-After: {response.headers['Retry-After']})"
        return cls(
            self.scrubber.text(message),
            upstream=self.config.upstream,
            method=response.request.method if response.request else None,
            url=self.scrubber.url(response.url),
            status=status,
        )

    def error_from_exception(self, exc: BaseException, method: str, url: str) -> UpstreamError:
        """The UpstreamError for a raw requests/urllib3 exception (for pyarr/plexapi wrappers)."""
        return error_from_exception(exc, self.config.upstream, method, url, self.scrubber)

    def close(self) -> None:
        self.session.close()

    def _count(self, error: UpstreamError) -> UpstreamError:
        metrics.record(self.config.upstream, "errors", kind=error.kind.value)
        return error

    def _params(self, params: Params) -> list[tuple[str, Any]] | None:
        """Configured params (e.g. api_key) plus the call's, which win on a clash."""
        if params is None:
            return None
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        given = {key for key, _ in pairs}
        defaults = [(k, v) for k, v in self.config.params.items() if k not in given]
        return defaults + [(k, v) for k, v in pairs if v is not None]

    def _full_url(self, method: str, url: str, params: list[tuple[str, Any]] | None) -> str:
        try:
            merged = params if params is not None else list(self.config.params.items())
            return requests.Request(method, url, params=merged).prepare().url or url
        except Exception:  # an unpreparable URL is itself the error being reported
            return url
