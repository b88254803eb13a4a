"""The transport half of the HTTP policy: a urllib3 Retry and a requests adapter that add
default timeouts, shared-rate-limit pacing before every attempt, and counters.

``http.build_session`` mounts these on a session; nothing else should need them directly.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader as Urllib3InvalidHeader
from urllib3.util.retry import Retry

from integrations import metrics
from integrations.http_redirects import refused_redirect
from integrations.ratelimit import RateLimit, limiter_for

__all__ = ["PolicyAdapter", "PolicyRetry", "count_429", "pace"]


class PolicyRetry(Retry):
    """urllib3 Retry that counts retries and 429s and paces every retry attempt."""

    def __init__(
        self,
        *args: Any,
        upstream: str = "",
        rate_limit: RateLimit | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.upstream = upstream
        self.rate_limit = rate_limit

    def new(self, **kw: Any) -> PolicyRetry:
        kw.setdefault("upstream", self.upstream)
        kw.setdefault("rate_limit", self.rate_limit)
        return super().new(**kw)

    def increment(self, *args: Any, **kwargs: Any) -> PolicyRetry:
        response = kwargs.get("response") if "response" in kwargs else _arg(args, 2)
        count_429(self.upstream, response)
        new = super().increment(*args, **kwargs)  # raises once the budget is spent
        metrics.record(self.upstream, "retries")
        metrics.record(self.upstream, "requests")
        return new

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except Urllib3InvalidHeader:  # a garbled Retry-After falls back to our backoff
            return None

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        pace(self.upstream, self.rate_limit)


def _arg(args: tuple[Any, ...], index: int) -> Any:
    return args[index] if len(args) > index else None


def pace(upstream: str, rate_limit: RateLimit | None) -> None:
    """Wait for a slot of the shared limit; looked up per call so a forked worker gets its
    own limiter (and connections) instead of its parent's."""
    limiter = limiter_for(upstream, rate_limit)
    if limiter is not None:
        limiter.acquire()


def count_429(upstream: str, raw: Any) -> None:
    """Count a 429 answer once, whether urllib3 (retry) or the adapter (final) sees it first."""
    if raw is None or getattr(raw, "status", None) != 429:
        return
    if not getattr(raw, "_mediasync_counted", False):
        raw._mediasync_counted = True
        metrics.record(upstream, "rate_limited")


class PolicyAdapter(HTTPAdapter):
    """Applies default timeouts and takes a rate-limit slot before each first attempt."""

    def __init__(
        self,
        *,
        upstream: str,
        timeout: tuple[float, float],
        retry: PolicyRetry,
        rate_limit: RateLimit | None,
        pool_maxsize: int = 16,
    ) -> None:
        self.upstream = upstream
        self.default_timeout = timeout
        self.rate_limit = rate_limit
        super().__init__(max_retries=retry, pool_connections=4, pool_maxsize=pool_maxsize)

    def send(self, request: requests.PreparedRequest, stream: bool = False,  # type: ignore[override]
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        refused = refused_redirect(request)
        if refused is not None:  # a redirect that would carry a credential elsewhere
            raise refused
        if timeout is None:
            timeout = self.default_timeout
        pace(self.upstream, self.rate_limit)
        metrics.record(self.upstream, "requests")
        return super().send(request, stream=stream, timeout=timeout, verify=verify,
                            cert=cert, proxies=proxies)

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        count_429(self.upstream, resp)
        return super().build_response(req, resp)
