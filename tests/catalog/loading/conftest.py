"""Fakes of TVMaze and TMDB that describe the same shows, settings pointing at them, and
loaders run in this process with fast retry clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from catalog.models import Show, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.loading import loader_work
from catalog.sync.loading.parts import Clients
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from integrations.fakes.tvmaze import TvmazeFake
from integrations.tmdb import TmdbClient
from integrations.tmdb_images import ImageDownloader
from integrations.tvmaze import TvmazeClient
from tests.catalog.sync.conftest import fast_http, tvmaze_client_for  # noqa: F401


@dataclass
class Fakes:
    tvmaze: TvmazeFake
    tmdb: TmdbFake

    def requests(self) -> int:
        return self.tvmaze.total_requests() + self.tmdb.total_requests()

    def tvmaze_show(self, *, with_tmdb: bool = True, skip: int = 0) -> int:
        """A TVMaze id whose show has a TVDB id (and, if asked, exactly one TMDB match)."""
        found = []
        for show_id in self.tvmaze.ids:
            rec = self.tvmaze.record(show_id)
            if rec.tvdb is None or rec.malformed:
                continue
            if with_tmdb and len(self.tmdb.ids_for(tvdb_id=rec.tvdb)) != 1:
                continue
            found.append(show_id)
        return found[skip]

    def tmdb_id_of(self, tvmaze_id: int) -> int:
        return self.tmdb.ids_for(tvdb_id=self.tvmaze.record(tvmaze_id).tvdb)[0]


@pytest.fixture
def fakes(settings, tmp_path):
    tvmaze = TvmazeFake(count=120, seed=5).start()
    tmdb = TmdbFake(seeds=tvmaze.external_seeds()).start()
    settings.TVMAZE_BASE_URL = tvmaze.url
    settings.TMDB_BASE_URL = tmdb.url
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    settings.ARTWORK_DIR = tmp_path / "artwork"
    settings.LOADER_CONCURRENCY = 5
    try:
        yield Fakes(tvmaze, tmdb)
    finally:
        tvmaze.stop()
        tmdb.stop()


@pytest.fixture
def clients(fakes) -> Clients:
    """The real clients with tiny backoffs (two HTTP retries), so fault tests stay quick."""
    return Clients(
        tvmaze=TvmazeClient(fast_http("tvmaze", fakes.tvmaze.url)),
        tmdb=TmdbClient(fast_http("tmdb", fakes.tmdb.url, params={"api_key": DEFAULT_API_KEY})),
        images=ImageDownloader(fast_http("tmdb", "http://images.invalid")),
    )


@pytest.fixture
def drain(clients):
    """``drain()`` runs one loader to the end in this process; returns its finished run."""

    def run_loader(scope: str = "slot:0", with_clients: Clients | None = None) -> SyncRun:
        run = run_claim(kind=SyncRun.Kind.LOAD, scope=scope)
        return job_execute(run, lambda r: loader_work(r, clients=with_clients or clients),
                           upstream="tvmaze")

    return run_loader


def reload(show: Show) -> Show:
    show.refresh_from_db()
    return show
