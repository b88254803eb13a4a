"""Shared fixtures for the integrations tests: recorded payloads, fresh counters, fast configs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations import metrics
from integrations.http import HttpConfig

RECORDED = Path(__file__).resolve().parents[2] / "integrations" / "fakes" / "recorded"


@pytest.fixture
def recorded() -> Path:
    """The directory of real recorded upstream payloads (``recorded / "tvmaze" / ...``)."""
    return RECORDED


@pytest.fixture
def load_recorded(recorded: Path) -> Callable[[str], Any]:
    """Parse one recorded JSON payload by relative path, e.g. ``"tmdb/tv_1399.json"``."""

    def load(relative: str) -> Any:
        return json.loads((recorded / relative).read_text(encoding="utf-8"))

    return load


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    """Every test starts with zeroed per-process upstream counters."""
    metrics.reset()
    yield


@pytest.fixture
def fast_config() -> Callable[..., HttpConfig]:
    """An HttpConfig factory with no backoff and short timeouts, so fault tests stay fast."""

    def make(
        upstream: str = "test", base_url: str = "http://upstream.test", **kw: Any
    ) -> HttpConfig:
        kw.setdefault("backoff_factor", 0.0)
        kw.setdefault("connect_timeout", 1.0)
        kw.setdefault("read_timeout", 2.0)
        return HttpConfig(upstream=upstream, base_url=base_url, **kw)

    return make
