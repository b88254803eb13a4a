"""A due batch becomes the right run, or waits: the run machinery's scopes decide."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import SyncRun
from catalog.runs import run_claim, run_finish, run_start
from catalog.sync.plex.live.coalesce import Batch
from catalog.sync.plex.live.submit import batch_submit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    return factories.PlexLibraryFactory(key="1", last_complete_scan_at=timezone.now())


def _batch(library, *, scan: bool = False, section: str = "1", wall=None) -> Batch:
    batch = Batch(library.server_id, section, 0.0, wall or timezone.now(), items={"101"})
    if scan:
        batch.to_scan()
    return batch


def _scan_run(library, *, start: bool) -> SyncRun:
    run = run_claim(kind="plex", scope=f"library:{library.pk}",
                    options={"library_id": library.pk})
    if start:
        assert run_start(run)
    return run


def _listener_runs() -> list[SyncRun]:
    return list(SyncRun.objects.filter(triggered_by="plex listener").order_by("id"))


def test_a_refresh_waits_for_the_librarys_scan_then_goes(library):
    running = _scan_run(library, start=True)
    assert batch_submit(_batch(library)) is False
    assert _listener_runs() == []
    run_finish(running, status=SyncRun.Status.SUCCEEDED)
    assert batch_submit(_batch(library)) is True
    [run] = _listener_runs()
    assert run.scope == f"live:{library.pk}"
    assert run.options == {"library_id": library.pk, "refresh": {"items": ["101"]}}


def test_a_second_refresh_waits_for_the_first(library):
    assert batch_submit(_batch(library)) is True
    assert batch_submit(_batch(library)) is False
    assert len(_listener_runs()) == 1


def test_a_scan_is_covered_by_a_queued_or_later_scan_but_not_an_earlier_one(library):
    queued = _scan_run(library, start=False)
    assert batch_submit(_batch(library, scan=True)) is True
    assert run_start(queued)
    later = _batch(library, scan=True, wall=queued.started_at - timedelta(seconds=1))
    assert batch_submit(later) is True  # it started after the change: it reads it
    earlier = _batch(library, scan=True, wall=timezone.now() + timedelta(seconds=1))
    assert batch_submit(earlier) is False  # it may have read past the change already
    assert _listener_runs() == []


def test_libraries_never_scanned_or_not_ours_are_left_alone(library):
    fresh = factories.PlexLibraryFactory(server=library.server, key="7",
                                         last_complete_scan_at=None)
    assert batch_submit(_batch(fresh, section="7")) is True
    assert batch_submit(_batch(library, section="99")) is True
    library.enabled = False
    library.save()
    assert batch_submit(_batch(library)) is True
    assert _listener_runs() == []
