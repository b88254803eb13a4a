"""The transport half of the HTTP policy: a urllib3 Retry and a requests adapter that add
default timeouts, shared-rate-limit pacing before every attempt, and counters.

``http.build_session`` mounts these on a session; nothing else should need them directly.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError
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


def _read_timeout(timeout: Any) -> float | None:
    """The read half of a requests timeout (a number or a (connect, read) pair)."""
    value = timeout[1] if isinstance(timeout, tuple) else timeout
    return float(value) if value is not None else None


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


BODY_CHUNK = 64 * 1024
BODY_DEADLINE_READS = 4  # a whole body may take this many read timeouts, no more


class PolicyAdapter(HTTPAdapter):
    """Applies default timeouts and takes a rate-limit slot before each first attempt.

    The read timeout bounds each read, not the answer: an upstream trickling a byte a second
    would hold a run (whose heartbeat keeps its lease) for as long as it likes. A body that
    is not streamed is read here against a deadline of ``BODY_DEADLINE_READS`` read
    timeouts, past which it is a read timeout (transient).
    """

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
        response = super().send(request, stream=True, timeout=timeout, verify=verify,
                                cert=cert, proxies=proxies)
        if not stream:
            self._read_body(response, _read_timeout(timeout))
        return response

    @staticmethod
    def _read_body(response: requests.Response, read_timeout: float | None) -> None:
        deadline = None if read_timeout is None else \
            time.monotonic() + BODY_DEADLINE_READS * read_timeout
        chunks = []
        while chunk := _read_some(response):  # whatever has arrived, not a full chunk
            chunks.append(chunk)
            if deadline is not None and time.monotonic() > deadline:
                response.close()
                raise requests.exceptions.ReadTimeout(
                    f"the answer took longer than {BODY_DEADLINE_READS * read_timeout:.0f} s "
                    "to arrive", request=response.request, response=response)
        response._content = b"".join(chunks)  # what Response.content would have read
        response._content_consumed = True


def _read_some(response: requests.Response) -> bytes:
    """``read1`` of the raw body, its errors as requests' own ``iter_content`` raises them."""
    try:
        return response.raw.read1(BODY_CHUNK, decode_content=True)
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from None
    except SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        count_429(self.upstream, resp)
        return super().build_response(req, resp)
