"""The shared rate limit: in-process pacing, and N worker processes staying under a real limit.

The multi-process tests start 4 spawned workers that hammer one fake whose sliding-window
limit is enforced; the limiter's shared backend (a SQLite file, or Redis when REDIS_URL is
set) must keep them under it with no 429 at all.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.tvmaze import TvmazeFake
from integrations.http import HttpClient, HttpConfig, RateLimit
from integrations.ratelimit import SharedRateLimiter, limiter_for
from integrations.tvmaze import TvmazeClient

WORKERS = 4


class ShowsFake(TvmazeFake):
    """The TVMaze fake, recording each request's arrival so every window can be checked."""

    def __init__(self) -> None:
        super().__init__(count=50, seed=3)
        self.arrivals: list[float] = []
        self._arrivals_lock = threading.Lock()

    def handle(self, request: FakeRequest) -> FakeResponse:
        with self._arrivals_lock:
            self.arrivals.append(time.monotonic())
        return super().handle(request)


def _max_in_window(times: list[float], period: float) -> int:
    """The most arrivals inside any window of ``period`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, arrived in enumerate(ordered):
        while arrived - ordered[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def _worker(url: str, upstream: str, limit: tuple[int, float, str], requests_: int,
            barrier: Any, results: Any) -> None:
    """One worker process: its own client, the shared limiter, ``requests_`` GETs."""
    from integrations import metrics

    calls, period, backend = limit
    client = TvmazeClient(HttpClient(HttpConfig(upstream, url, max_retries=0,
                                                rate_limit=RateLimit(calls, period, backend))))
    barrier.wait()
    statuses = []
    for _ in range(requests_):
        try:
            client.show(1)
            statuses.append(200)
        except Exception as exc:  # reported to the parent, which fails the test
            statuses.append(getattr(exc, "status", None) or repr(exc))
    results.put((os.getpid(), statuses, metrics.snapshot().get(upstream, {})))


def _hammer(limit: tuple[int, float, str], total: int) -> tuple[ShowsFake, list[Any], float]:
    """Run WORKERS processes against one fake enforcing ``limit``; return what happened."""
    calls, period, _backend = limit
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    upstream = f"tvmaze-test-{uuid.uuid4().hex[:8]}"
    with ShowsFake() as fake:
        fake.enforce_rate_limit(calls, period)
        shares = [total // WORKERS + (i < total % WORKERS) for i in range(WORKERS)]
        procs = [ctx.Process(target=_worker, args=(fake.url, upstream, limit, share, barrier,
                                                   results)) for share in shares]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(timeout=10)
        first = min(fake.arrivals) if fake.arrivals else 0.0
        span = max(fake.arrivals) - first if fake.arrivals else 0.0
    return fake, outcomes, span


def _assert_stayed_under(limit: tuple[int, float, str], total: int) -> None:
    calls, period, _ = limit
    fake, outcomes, span = _hammer(limit, total)
    statuses = [status for _pid, worker, _m in outcomes for status in worker]
    assert statuses == [200] * total, statuses
    assert fake.rate_limited == 0
    assert sum(m.get("rate_limited", 0) for _p, _s, m in outcomes) == 0
    assert _max_in_window(fake.arrivals, period) <= calls
    # Pacing really happened, across processes: the overflow waited for the next window.
    assert span >= period * ((total - 1) // calls)


def test_it_keeps_four_processes_under_20_per_10s_with_sqlite(tmp_path: Path) -> None:
    _assert_stayed_under((20, 10.0, str(tmp_path / "ratelimit.sqlite")), total=30)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
def test_it_keeps_four_processes_under_20_per_10s_with_redis() -> None:
    import redis

    url = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={url} is set but Redis is unreachable: {exc}")
    try:
        _assert_stayed_under((20, 10.0, url), total=30)
    finally:
        for key in client.scan_iter("mediasync:ratelimit:tvmaze_test_*"):
            client.delete(key)


def test_it_holds_across_several_window_edges(tmp_path: Path) -> None:
    _assert_stayed_under((10, 3.0, str(tmp_path / "scaled.sqlite")), total=25)


def test_it_paces_threads_in_one_process() -> None:
    limiter = SharedRateLimiter("inproc", RateLimit(5, 0.5))
    stamps: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        limiter.acquire()
        with lock:
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _max_in_window(stamps, 0.5) <= 5
    assert max(stamps) - min(stamps) >= 1.0


def test_it_caches_one_limiter_per_upstream_and_backend() -> None:
    first = limiter_for("cached", RateLimit(3, 1))
    assert first is limiter_for("cached", RateLimit(3, 1))
    assert first is not limiter_for("cached", RateLimit(4, 1))


@pytest.mark.parametrize("rate_limit", [None, RateLimit(0, 10), RateLimit(-1, 1)])
def test_it_disables_limiting_when_calls_is_not_positive(rate_limit: RateLimit | None) -> None:
    assert limiter_for("off", rate_limit) is None


def test_it_shares_a_sqlite_bucket_between_limiter_objects(tmp_path: Path) -> None:
    backend = str(tmp_path / "shared.sqlite")
    one = SharedRateLimiter("same", RateLimit(2, 1.0, backend))
    two = SharedRateLimiter("same", RateLimit(2, 1.0, backend))
    started = time.monotonic()
    for limiter in (one, two, one):
        limiter.acquire()
    assert time.monotonic() - started >= 0.9


def test_it_falls_back_to_local_pacing_when_the_backend_is_broken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = SharedRateLimiter("broken", RateLimit(2, 0.5, "redis://127.0.0.1:1/0"))
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire()
    assert time.monotonic() - started >= 0.4
    assert "limiting in-process only" in caplog.text
