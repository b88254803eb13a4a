"""Fixtures for running the real orchestrators against the loopback fakes."""

from __future__ import annotations

import pytest

from catalog.models import SyncRun
from catalog.runs import run_claim, run_start
from integrations.http import HttpClient, HttpConfig
from integrations.tvmaze import TvmazeClient


def fast_http(upstream: str, base_url: str, *, max_retries: int = 2, **extra) -> HttpClient:
    """The real policy with tiny backoffs, so that fault tests stay quick."""
    return HttpClient(HttpConfig(upstream=upstream, base_url=base_url, max_retries=max_retries,
                                 backoff_factor=0.01, backoff_max=0.05, read_timeout=5, **extra))


@pytest.fixture
def new_run(db):
    """``new_run(kind, scope)`` -> a started SyncRun, as a task would hold it."""

    def make(kind: str = SyncRun.Kind.TVMAZE, scope: str = "catalog", *, start: bool = True,
             **options) -> SyncRun:
        run = run_claim(kind=kind, scope=scope, options=options)
        if start:
            assert run_start(run)
        return run

    return make


@pytest.fixture
def tvmaze_client_for():
    def make(fake) -> TvmazeClient:
        return TvmazeClient(fast_http("tvmaze", fake.url))

    return make
