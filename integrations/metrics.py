"""Per-process counters of upstream traffic, for tests, the bench and ``/metrics``.

``requests`` counts HTTP attempts actually sent (a retried call counts once per attempt),
``retries`` the attempts that were retries, ``rate_limited`` the 429 answers received and
``errors`` the UpstreamErrors raised to callers (also per kind, as ``errors:<kind>``).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

from prometheus_client import Counter as PromCounter

__all__ = ["EVENTS", "count", "record", "reset", "snapshot"]

EVENTS: tuple[str, ...] = ("requests", "retries", "rate_limited", "errors")

_lock = threading.Lock()
_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

_REQUESTS = PromCounter(
    "mediasync_upstream_requests", "HTTP attempts sent to an upstream", ["upstream"]
)
_RETRIES = PromCounter(
    "mediasync_upstream_retries", "HTTP attempts that were retries", ["upstream"]
)
_RATE_LIMITED = PromCounter(
    "mediasync_upstream_rate_limited", "429 answers received from an upstream", ["upstream"]
)
_ERRORS = PromCounter(
    "mediasync_upstream_errors", "Upstream errors raised to callers", ["upstream", "kind"]
)
_PROM = {"requests": _REQUESTS, "retries": _RETRIES, "rate_limited": _RATE_LIMITED}


def record(upstream: str, event: str, n: int = 1, *, kind: str | None = None) -> None:
    """Add ``n`` to ``event`` for ``upstream``; ``kind`` qualifies an ``errors`` event."""
    if event not in EVENTS:
        raise ValueError(f"unknown metrics event {event!r}; expected one of {EVENTS}")
    with _lock:
        counts = _counts[upstream]
        counts[event] += n
        if event == "errors":
            counts[f"errors:{kind or 'unknown'}"] += n
    if event == "errors":
        _ERRORS.labels(upstream=upstream, kind=kind or "unknown").inc(n)
    else:
        _PROM[event].labels(upstream=upstream).inc(n)


def count(upstream: str, event: str) -> int:
    """One counter (0 when nothing was recorded yet)."""
    with _lock:
        return _counts[upstream][event] if upstream in _counts else 0


def snapshot() -> dict[str, dict[str, int]]:
    """A copy of every counter: ``{"tvmaze": {"requests": 12, "retries": 1, ...}}``.

    Every upstream seen lists all of :data:`EVENTS`, zero or not.
    """
    with _lock:
        return {
            upstream: {**dict.fromkeys(EVENTS, 0), **counts}
            for upstream, counts in _counts.items()
        }


def reset() -> None:
    """Forget the per-process counters (Prometheus counters are monotonic and stay)."""
    with _lock:
        _counts.clear()
