"""Fixtures for the TMDB sync tests: a TTL of 7 days, one TMDB fake per module, its clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.fakes.tmdb import TmdbFake


@pytest.fixture(autouse=True)
def _ttl(settings):
    settings.TMDB_CACHE_TTL_DAYS = 7


@pytest.fixture(scope="module")
def fake():
    with TmdbFake(count=400, seed=5) as server:
        yield server


@pytest.fixture
def now(fake):
    """The fake's clock as ours, with fresh counters and no faults left armed."""
    fake.reset_counts()
    fake.clear_faults()
    return datetime.fromtimestamp(fake.now, tz=UTC)
