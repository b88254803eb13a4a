"""A rate limit shared by every process that talks to one upstream.

Built on pyrate-limiter's sliding-window log (no burst of 2x the limit at a window edge):
a Redis sorted set when the backend is a ``redis://`` URL, a SQLite file guarded by an
``fcntl`` lock when it is a path, and process memory otherwise. ``acquire`` blocks until a
call is allowed: pacing is the limiter's job, so it never raises to the caller.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrate_limiter import (
    AbstractBucket,
    InMemoryBucket,
    Limiter,
    Rate,
    RateItem,
    RedisBucket,
    SQLiteBucket,
)

__all__ = ["RateLimit", "SharedRateLimiter", "limiter_for"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``calls`` per ``period`` seconds, shared through ``backend``.

    backend: ``"redis://..."`` -> shared Redis bucket; a filesystem path (or
    ``sqlite:///path``) -> shared SQLite bucket; None -> this process only.
    """

    calls: int
    period: float
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.calls > 0 and self.period > 0


def _margin_ms(period: float) -> int:
    """Widen the window so the time between taking a slot and the request reaching the
    server (client CPU, connect, network jitter) cannot squeeze one call too many into the
    server's window: 5 % of the period, at least 50 ms and at most 1 s. (A 100 ms floor
    would cost a per-second limit such as TMDB's a tenth of its rate.)"""
    return int(min(1000.0, max(50.0, period * 50.0)))


class _FileLock:
    """Re-entrant lock held across threads *and* processes (``flock`` on a side file).

    pyrate-limiter's own file lock needs the ``filelock`` package; this does the same
    with the standard library. SQLiteBucket enters it again inside the limiter's hold,
    hence the depth counter.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._thread_lock.acquire(blocking, timeout if blocking else -1):
            return False
        try:
            if self._depth == 0:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def __enter__(self) -> _FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _sqlite_bucket(rates: list[Rate], path: str, table: str) -> SQLiteBucket:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = _FileLock(path + ".lock")
    with lock:
        conn = sqlite3.connect(path, timeout=30, isolation_level="DEFERRED",
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL;")
        conn.execute("PRAGMA synchronous=NORMAL;")
        conn.execute(f"CREATE TABLE IF NOT EXISTS '{table}' (name VARCHAR, item_timestamp INTEGER)")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS 'idx_{table}_ts' ON '{table}' (item_timestamp)"
        )
        conn.commit()
    return SQLiteBucket(rates, conn, table, lock=lock)


def _redis_bucket(rates: list[Rate], url: str, key: str) -> tuple[RedisBucket, Any]:
    """The bucket and a Redis lock that serialises check-and-record across processes: the
    bucket stamps each call with the caller's clock before its round trip, so two processes
    racing for the last slot could otherwise both be admitted."""
    import redis  # only needed when a Redis backend is configured

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    lock = client.lock(f"{key}:lock", timeout=5, blocking_timeout=10)
    return RedisBucket.init(rates, client, key), lock


def _make_bucket(upstream: str, rate_limit: RateLimit) -> tuple[AbstractBucket, Any]:
    """The bucket and the cross-process lock its check-and-record needs (if any)."""
    rates = [Rate(rate_limit.calls, int(rate_limit.period * 1000) + _margin_ms(rate_limit.period))]
    backend = rate_limit.backend
    safe = re.sub(r"[^A-Za-z0-9_]", "_", upstream)
    if not backend:
        return InMemoryBucket(rates), contextlib.nullcontext()
    if backend.startswith(("redis://", "rediss://", "unix://")):
        return _redis_bucket(rates, backend, f"mediasync:ratelimit:{safe}")
    path = backend.removeprefix("sqlite://").removeprefix("file://") or backend
    # The SQLite bucket holds its own file lock around check-and-record.
    return _sqlite_bucket(rates, path, f"rate_{safe}"), contextlib.nullcontext()


class SharedRateLimiter:
    """Blocking limiter for one upstream; one instance per process and backend."""

    #: After the shared backend failed to open, try it again this many seconds later.
    reconnect_after = 30.0

    def __init__(self, upstream: str, rate_limit: RateLimit) -> None:
        self.upstream = upstream
        self.rate_limit = rate_limit
        self._name = f"mediasync:{upstream}"
        self._lock = threading.Lock()
        self._bucket: AbstractBucket | None = None
        self._limiter: Limiter | None = None
        self._shared_lock: Any = contextlib.nullcontext()
        self._broken_until = 0.0
        self._fallback: Limiter | None = None

    def acquire(self) -> float:
        """Block until one call is allowed; return how long we waited (seconds)."""
        started = time.monotonic()
        while True:
            wait_ms = self._try_once()
            if wait_ms <= 0:
                return time.monotonic() - started
            # A little jitter so processes waiting on the same slot do not stampede.
            time.sleep(wait_ms / 1000 + random.uniform(0.001, 0.02))

    def _try_once(self) -> int:
        """One atomic check-and-record; 0 if admitted, else milliseconds to wait."""
        with self._lock:
            try:
                bucket, limiter = self._shared()
                with self._shared_lock:
                    if limiter.try_acquire(self._name, blocking=False):
                        return 0
                    wait = bucket.waiting(RateItem(self._name, bucket.now()))
            except Exception as exc:  # a broken backend must not stop syncs
                return self._fallback_once(exc)
        return max(1, wait) if isinstance(wait, int) and wait >= 0 else 50

    def _shared(self) -> tuple[AbstractBucket, Limiter]:
        """Open the shared bucket on first use (and again a while after it failed to open)."""
        if self._bucket is None or self._limiter is None:
            if time.monotonic() < self._broken_until:
                raise ConnectionError("shared rate-limit backend unavailable")
            try:
                self._bucket, self._shared_lock = _make_bucket(self.upstream, self.rate_limit)
            except Exception:
                self._broken_until = time.monotonic() + self.reconnect_after
                raise
            self._limiter = Limiter(self._bucket)
        return self._bucket, self._limiter

    def _fallback_once(self, exc: Exception) -> int:
        """The shared backend failed (Redis down, disk full): pace in-process instead."""
        if self._fallback is None:
            log.warning(
                "rate limiter backend for %s failed (%s: %s); limiting in-process only",
                self.upstream, type(exc).__name__, exc,
            )
            rate = self.rate_limit
            self._fallback = Limiter(
                InMemoryBucket([Rate(rate.calls, int(rate.period * 1000) + 50)])
            )
        return 0 if self._fallback.try_acquire(self._name, blocking=False) else 50

    def close(self) -> None:
        """Release connections and the leak thread."""
        with self._lock:
            for limiter in (self._limiter, self._fallback):
                if limiter is not None:
                    limiter.close()
            self._bucket = self._limiter = self._fallback = None


_cache: dict[tuple[Any, ...], SharedRateLimiter] = {}
_cache_lock = threading.Lock()


def limiter_for(upstream: str, rate_limit: RateLimit | None) -> SharedRateLimiter | None:
    """The process-wide limiter for this upstream and backend (None when disabled).

    Keyed by pid too: a forked worker must not reuse its parent's connections.
    """
    if rate_limit is None or not rate_limit.enabled:
        return None
    key = (os.getpid(), upstream, rate_limit.calls, rate_limit.period, rate_limit.backend)
    with _cache_lock:
        limiter = _cache.get(key)
        if limiter is None:
            limiter = _cache[key] = SharedRateLimiter(upstream, rate_limit)
        return limiter
