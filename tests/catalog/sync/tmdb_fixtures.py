"""Helpers shared by the TMDB sync tests: a recorded show, a client, a clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from integrations.tmdb import TmdbClient
from tests.catalog.sync.conftest import fast_http

BASE = "https://api.themoviedb.org/3"
KEY = "tmdbsecretKEY0123456789abcdef00"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RECORDED = Path(__file__).resolve().parents[3] / "integrations" / "fakes" / "recorded" / "tmdb"


def tv1399(**changes: Any) -> dict[str, Any]:
    """The recorded /tv/1399 with its external ids appended, optionally edited."""
    body = json.loads((RECORDED / "tv_1399.json").read_text())
    body["external_ids"] = json.loads((RECORDED / "tv_1399_external_ids.json").read_text())
    body.update(changes)
    return body


def client_for(base: str = BASE, *, key: str = KEY, max_retries: int = 0) -> TmdbClient:
    return TmdbClient(fast_http("tmdb", base, max_retries=max_retries, params={"api_key": key}))
