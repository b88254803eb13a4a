"""Every caller of ``/find`` settles a show the same way: the batch, the loader's metadata part
and the operator's per-show refresh give the same TMDB id (or the same recorded status) for
the same TMDB answers, with the same ``/find`` requests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
import responses

from catalog.models import Show, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.exceptions import ShowNotOnTmdb
from catalog.sync.loading.parts import Clients, PartFailed, fetch_metadata
from catalog.sync.tmdb import tmdb_batch
from catalog.sync.tmdb.show import show_refresh
from tests import factories
from tests.catalog.sync.tmdb.helpers import BASE, NOW, client_for, tv1399
from tests.catalog.sync.tmdb.test_find import IMDB, PREMIERED, TVDB, finds, hit

SCENARIOS = {  # name: (hits by tvdb, hits by imdb, show's imdb id, expected id or status)
    "zero-hits": ([], [], IMDB, "not_found"),
    "one-hit-other-year": ([hit(290000, "2019-05-01")], None, IMDB, 290000),
    "year-match": ([hit(290000, "2019-05-01"), hit(1396, "2008-01-20")], None, None, 1396),
    "imdb-cross-check": ([hit(1396, "2008-01-20"), hit(310000, "2008-09-01")],
                         [hit(310000, "2008-09-01")], IMDB, 310000),
    "ambiguous": ([hit(1396, "2008-01-20"), hit(310000, "2008-09-01")], [], IMDB, "ambiguous"),
}


def _batch(show: Show) -> None:
    run = run_claim(kind=SyncRun.Kind.TMDB, scope="library")
    job_execute(run, lambda r: tmdb_batch(r, client_for(), now=NOW, show_ids=[show.pk]),
                upstream="tmdb")


def _loader(show: Show) -> None:
    clients = Clients(tvmaze=None, tmdb=client_for(), images=None)
    with contextlib.suppress(PartFailed):  # the part fails saying why; the row is what counts
        fetch_metadata(show, clients, force=False)


def _refresh(show: Show) -> None:
    with contextlib.suppress(ShowNotOnTmdb):  # the API's 404/409; the row is what counts
        show_refresh(show, now=NOW, client=client_for())


CALLERS: dict[str, Callable[[Show], None]] = {"batch": _batch, "loader": _loader,
                                              "refresh": _refresh}


def _settle(caller: str, show: Show, scenario: str) -> tuple[int | None, str, list[str]]:
    """Run one caller against the scenario's answers: the show's id, status and finds."""
    by_tvdb, by_imdb, _, _ = SCENARIOS[scenario]
    with responses.RequestsMock() as mocked:
        finds(by_tvdb, by_imdb, mock=mocked)
        for tmdb_id in (290000, 1396, 310000):
            mocked.get(f"{BASE}/tv/{tmdb_id}", json=tv1399(
                id=tmdb_id, external_ids={"tvdb_id": None, "imdb_id": None}))
        mocked.assert_all_requests_are_fired = False
        CALLERS[caller](Show.objects.get(pk=show.pk))
        asked = [c.request.url.split("?")[0].removeprefix(BASE) + "?" + (
            "tvdb" if "tvdb_id" in c.request.url else "imdb" if "imdb_id" in c.request.url
            else "") for c in mocked.calls if "/find/" in c.request.url]
    row = Show.objects.get(pk=show.pk)
    return row.tmdb_id, row.tmdb_status, asked


def _show(imdb_id: str | None) -> Show:
    return factories.ShowFactory(tmdb_id=None, tvdb_id=TVDB, imdb_id=imdb_id,
                                 premiered=PREMIERED, tmdb_status="unknown")


@pytest.mark.django_db
@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_caller_settles_the_show_by_the_one_policy(caller, scenario):
    show = _show(SCENARIOS[scenario][2])
    tmdb_id, status, _ = _settle(caller, show, scenario)
    expected = SCENARIOS[scenario][3]
    if isinstance(expected, int):
        assert (tmdb_id, status) == (expected, "fresh")
    else:  # recorded, remembered for the TTL, and no id guessed
        assert (tmdb_id, status) == (None, expected)
        assert Show.objects.get(pk=show.pk).tmdb_fetched_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_loader_and_the_batch_give_the_same_show_the_same_tmdb_id(scenario):
    show = _show(SCENARIOS[scenario][2])
    by_loader = _settle("loader", show, scenario)
    Show.objects.filter(pk=show.pk).update(tmdb_id=None, tmdb_status="unknown",
                                           tmdb_fetched_at=None)
    by_batch = _settle("batch", show, scenario)
    assert by_loader == by_batch  # same id, same status, the same /find requests
    assert by_loader[2][0] == f"/find/{TVDB}?tvdb"


@pytest.mark.django_db
@responses.activate
def test_the_loader_says_why_it_took_no_id():
    show = _show(IMDB)
    finds([hit(1396, "2008-01-20"), hit(310000, "2008-09-01")], [])
    with pytest.raises(PartFailed, match=r"ambiguous between \[1396, 310000\]"):
        fetch_metadata(show, Clients(tvmaze=None, tmdb=client_for(), images=None), force=False)
    holder = factories.ShowFactory(tmdb_id=1396)
    responses.replace(responses.GET, f"{BASE}/find/{TVDB}",
                      json={"tv_results": [hit(1396, "2008-01-20")]})
    with pytest.raises(PartFailed, match=f"already in the catalog as show {holder.pk}"):
        fetch_metadata(show, Clients(tvmaze=None, tmdb=client_for(), images=None), force=False)
    assert Show.objects.get(pk=show.pk).tmdb_status == "error"  # as the batch records it
