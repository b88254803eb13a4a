"""TVMaze scenario: full sync of N shows from the fake, then an incremental with 1% changed."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.fakeproc import FakeProcess
from bench.harness import Row, measure
from catalog.models import SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.tvmaze import tvmaze_sync
from integrations.fakes.tvmaze import TvmazeFake
from integrations.tvmaze import TvmazeClient

START = 1_700_000_000


def _sync(client: TvmazeClient, now: datetime) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
    done = job_execute(run, lambda r: tvmaze_sync(r, client, now=now), upstream="tvmaze")
    if done.status != SyncRun.Status.SUCCEEDED:
        raise RuntimeError(f"tvmaze sync failed: {done.error}")
    return done


def run(shows: int, changed: int) -> list[Row]:
    with FakeProcess(TvmazeFake, count=shows, seed=11, start_ts=START) as fake:
        fake.call("prerender")
        client = TvmazeClient.build(base_url=fake.url, rate_limit=None)
        requests = lambda: fake.call("total_requests")  # noqa: E731
        full, _ = measure(f"tvmaze full sync ({shows:,} shows)", "<= 5 s CPU, <= 90 MB",
                          lambda: _sync(client, datetime.fromtimestamp(START, tz=UTC)), requests)
        ids = fake.call("ids")
        fake.call("set_now", START + 3600)
        fake.call("change", ids[:: max(1, len(ids) // changed)][:changed])
        incr, _ = measure(f"tvmaze incremental ({changed:,} changed)", "< 3 s, per changed show",
                          lambda: _sync(client, datetime.fromtimestamp(START + 7200, tz=UTC)),
                          requests)
    return [full, incr]
