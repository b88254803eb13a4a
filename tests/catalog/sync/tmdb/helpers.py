"""Helpers shared by the TMDB tests: a recorded show, clients, a library, a batch run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from catalog.db.cursors import cursor_set
from catalog.models import PlexShow, Show, SyncRun
from catalog.runs.execute import job_execute
from catalog.sync.tmdb import tmdb_batch
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from integrations.tmdb import TmdbClient
from tests import factories
from tests.catalog.sync.conftest import fast_http

BASE = "https://api.themoviedb.org/3"
KEY = "tmdbsecretKEY0123456789abcdef00"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RECORDED = Path(__file__).resolve().parents[4] / "integrations" / "fakes" / "recorded" / "tmdb"


def tv1399(**changes: Any) -> dict[str, Any]:
    """The recorded /tv/1399 with its external ids appended, optionally edited."""
    body = json.loads((RECORDED / "tv_1399.json").read_text())
    body["external_ids"] = json.loads((RECORDED / "tv_1399_external_ids.json").read_text())
    body.update(changes)
    return body


def client_for(base: str = BASE, *, key: str = KEY, max_retries: int = 0) -> TmdbClient:
    return TmdbClient(fast_http("tmdb", base, max_retries=max_retries, params={"api_key": key}))


FIND, TV, CHANGES = "GET /find/:id", "GET /tv/:id", "GET /tv/changes"


def fake_client(fake, key: str = DEFAULT_API_KEY) -> TmdbClient:
    return TmdbClient(fast_http("tmdb", fake.url, max_retries=1, params={"api_key": key}))


def library_of(tmdb_ids, **fields) -> list[Show]:
    """Library shows (each linked to a Plex show) with these TMDB ids."""
    library = factories.PlexLibraryFactory()
    shows = Show.objects.bulk_create([Show(title=f"S{i}", tmdb_id=i, **fields) for i in tmdb_ids])
    PlexShow.objects.bulk_create([PlexShow(library=library, rating_key=str(s.pk), show=s,
                                           title=s.title) for s in shows])
    return shows


def batch(fake, now, new_run, *, key=DEFAULT_API_KEY, **options) -> SyncRun:
    """A library batch (or one over the shows asked for) run to its end, as a task would."""
    run = new_run(SyncRun.Kind.TMDB, "library", start=False)
    return job_execute(run, lambda r: tmdb_batch(r, fake_client(fake, key), now=now, **options),
                       upstream="tmdb")


def feed_read(now, ago: timedelta) -> None:
    """Pretend the changes feed was last read ``ago`` before ``now``."""
    cursor_set("tmdb", {"changes_read_at": (now - ago).isoformat()})


@contextmanager
def tmdb_fake_configured(settings: Any) -> Iterator[TmdbFake]:
    """A running TMDB fake with the settings pointing at it (no rate limit)."""
    with TmdbFake(count=120, seed=9) as server:
        settings.TMDB_BASE_URL, settings.TMDB_API_KEY = server.url, DEFAULT_API_KEY
        settings.TMDB_RATE_CALLS = 0
        yield server


def show_with_tmdb_id(**fields: Any) -> Show:
    """A catalog show known only by TMDB id 1399 (no TVDB or IMDb id)."""
    return factories.ShowFactory(**{"tmdb_id": 1399, "tvdb_id": None, "imdb_id": None,
                                    **fields})
