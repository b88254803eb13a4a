"""A TVMaze walk's rows do not depend on where its transactions end.

``shows_write_page`` gives an external id claimed by two shows of one page to the first, and
``_settle`` re-reads a holder outside the page (the index may be a day stale) before a
claimant from a later page is refused. Pages grouped into one transaction are still written
page by page, so a walk resumed after an upstream error (its group cut short) ends with the
rows of an uninterrupted one."""

from __future__ import annotations

import pytest

from catalog.models import Show, SyncCursor, SyncRun
from catalog.runs import run_finish
from catalog.sync.tvmaze import tvmaze_sync
from integrations.errors import TransientError
from integrations.fakes.tvmaze import TvmazeFake

START = 1_700_000_000
TVDB = 98_765_432


def _rows() -> dict[int, tuple]:
    return {tid: (tvdb, imdb) for tid, tvdb, imdb in
            Show.objects.values_list("tvmaze_id", "tvdb_id", "imdb_id")}


def _walk(new_run, client) -> None:
    run = new_run()
    summary = tvmaze_sync(run, client)
    run_finish(run, status=SyncRun.Status.SUCCEEDED, summary=summary)


@pytest.mark.django_db
def test_a_walk_resumed_after_an_upstream_error_ends_with_the_uninterrupted_rows(
        new_run, tvmaze_client_for):
    with TvmazeFake(count=1100, seed=7, start_ts=START) as fake:
        x = next(i for i in fake.ids if i < 250)  # page 0
        y = next(i for i in fake.ids if i >= 250)  # page 1
        fake.record(x).tvdb = fake.record(y).tvdb = TVDB
        fake.prerender()  # the index says both claim TVDB (TVMaze serves it up to a day old)
        fake.record(x).tvdb = TVDB + 1  # ... but x's own record has since moved on
        client = tvmaze_client_for(fake)

        _walk(new_run, client)
        uninterrupted = _rows()

        Show.objects.all().delete()
        SyncCursor.objects.all().delete()
        real = client.iter_index_pages
        failed = []

        def error_at_page_one(start):
            for number, page in real(start):
                if number == 1 and not failed:
                    failed.append(number)
                    raise TransientError("502 at page 1", upstream="tvmaze")
                yield number, page

        client.iter_index_pages = error_at_page_one
        run = new_run()
        with pytest.raises(TransientError):
            tvmaze_sync(run, client)
        run_finish(run, status=SyncRun.Status.FAILED, error="502")
        _walk(new_run, client)  # re-run at once
        resumed = _rows()

    assert resumed.keys() == uninterrupted.keys()
    assert (resumed[x], resumed[y]) == (uninterrupted[x], uninterrupted[y])
