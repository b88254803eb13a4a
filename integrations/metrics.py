"""Per-process counters of upstream traffic, for tests, the bench and ``/metrics``.

``requests`` counts HTTP attempts actually sent (a retried call counts once per attempt),
``retries`` the attempts that were retries, ``rate_limited`` the 429 answers received and
``errors`` the UpstreamErrors raised to callers (also per kind, as ``errors:<kind>``).

Besides the totals, every increment is kept as *pending* until :func:`drain` hands it to
whoever persists it (catalog.metrics adds it to a table every process shares), so that
``/metrics`` can serve what all workers sent, not what one web process saw.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Mapping

__all__ = ["EVENTS", "count", "drain", "record", "reset", "restore", "snapshot"]

EVENTS: tuple[str, ...] = ("requests", "retries", "rate_limited", "errors")

_lock = threading.Lock()
_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
_pending: Counter[tuple[str, str]] = Counter()


def record(upstream: str, event: str, n: int = 1, *, kind: str | None = None) -> None:
    """Add ``n`` to ``event`` for ``upstream``; ``kind`` qualifies an ``errors`` event."""
    if event not in EVENTS:
        raise ValueError(f"unknown metrics event {event!r}; expected one of {EVENTS}")
    with _lock:
        counts = _counts[upstream]
        counts[event] += n
        if event == "errors":
            qualified = f"errors:{kind or 'unknown'}"
            counts[qualified] += n
            _pending[(upstream, qualified)] += n
        else:
            _pending[(upstream, event)] += n


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


def drain() -> dict[tuple[str, str], int]:
    """Take the increments not handed out yet: ``{("tvmaze", "requests"): 3, ...}``.

    Errors come per kind only (``("tvmaze", "errors:auth")``).
    """
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    return pending


def restore(pending: Mapping[tuple[str, str], int]) -> None:
    """Give back what :func:`drain` returned when it could not be persisted."""
    with _lock:
        _pending.update(pending)


def reset() -> None:
    """Forget the per-process counters, pending ones included."""
    with _lock:
        _counts.clear()
        _pending.clear()
