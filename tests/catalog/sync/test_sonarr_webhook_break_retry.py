"""Adversarial (issue #20): "A library that cannot take the work now (its scan or its last
refresh still running) is tried again after the delay, up to 3 times". The retry is a
one-off schedule coalesced by name (``sonarr files tvdb:<id> again <n>``), and the name
does not say which libraries it retries: a second import of the series whose refresh finds
*another* library busy while the first retry still waits is folded into it, and that other
library is never tried again (its refresh is lost until the hourly scan)."""

from __future__ import annotations

import ast

import pytest
from django_q.models import Schedule

from catalog.models import SyncRun
from catalog.runs import run_claim, run_start
from catalog.sync.sonarr.files import series_files_changed
from tests.catalog.sync.test_sonarr_webhook_files import plex, queue  # noqa: F401

pytestmark = pytest.mark.django_db


def _retried() -> set[int]:
    ids: set[int] = set()
    for kwargs in Schedule.objects.filter(name__startswith="sonarr files tvdb:81189 again")\
            .values_list("kwargs", flat=True):
        ids.update(ast.literal_eval(kwargs)["arguments"]["library_ids"])
    return ids


def test_a_second_busy_library_is_not_folded_into_a_retry_of_another(plex, queue,  # noqa: F811
                                                                    settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 30
    a, b = plex["a"].pk, plex["b"].pk
    refreshing = run_claim(kind=SyncRun.Kind.PLEX, scope=f"live:{a}",
                           options={"library_id": a, "refresh": {"items": ["1"]}})
    assert run_start(refreshing)
    first = series_files_changed(tvdb_id=81189)  # the first import: a is busy
    assert first.busy == [a] and _retried() == {a}

    SyncRun.objects.filter(pk=refreshing.pk).update(status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope=f"live:{b}").delete()
    scanning = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{b}",
                         options={"library_id": b})
    assert run_start(scanning)
    second = series_files_changed(tvdb_id=81189)  # another import: now b is busy
    assert b in second.busy

    assert b in _retried(), "b's refresh is never tried again"
