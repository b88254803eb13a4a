"""Plex's section scans and bursts: one incremental scan, never one refresh per event."""

from __future__ import annotations

import pytest

from catalog.models import SyncRun
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import LIBRARY_REQUESTS, listener_for, settle, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _runs() -> list[SyncRun]:
    return list(SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, triggered_by="plex listener")
                .order_by("id"))


def test_a_section_scan_of_10000_events_costs_one_incremental_scan(fake, library, listening):
    listener, clock = listening
    fake.add_episode(fake.shows_of("1")[0].rk)  # something the scan must find
    settle(listener, clock, library.server_id, 1)
    fake.reset_counts()
    before = len(_runs())
    sent = fake.section_scan("1", items=10_000, per_message=500)
    assert sent == 10_000
    # started + 10,000 entries + updated + ended, all handled, then one look
    settle(listener, clock, library.server_id, 1 + 10_003)
    runs = _runs()[before:]
    assert [(r.scope, "refresh" in r.options) for r in runs] == [
        (f"library:{library.pk}", False)]
    assert runs[0].status == SyncRun.Status.SUCCEEDED
    assert runs[0].summary["mode"] == "incremental"
    assert fake.count_prefix("GET /library/metadata/") == 0  # nothing changed: no expansion


def test_a_burst_without_an_activity_becomes_one_scan_past_the_threshold(fake, library):
    listener, clock = listener_for(burst=50)
    listener.step()
    try:
        assert fake.notifications.wait_for_clients(1)
        leaves = fake.episodes_of("1")
        fake.notifications.publish(timeline(
            timeline_entry("1", leaf.rk, "episode", 5) for leaf in leaves[:51]))
        settle(listener, clock, library.server_id, 51)
        [run] = _runs()
        assert run.scope == f"library:{library.pk}" and "refresh" not in run.options
    finally:
        listener.shutdown()


def test_events_during_a_plex_scan_wait_for_its_end(fake, library, listening):
    listener, clock = listening
    from integrations.fakes.plex.notify import activity

    hub = fake.notifications
    hub.publish(activity("started", "u1", "1"))
    leaf = fake.episodes_of("1")[3]
    hub.publish(timeline([timeline_entry("1", leaf.rk, "episode", 5)]))
    settle(listener, clock, library.server_id, 2)
    clock.now += 60
    listener.step()
    assert _runs() == []  # held while Plex scans
    hub.publish(activity("ended", "u1", "1"))
    assert wait_for(lambda: listener.streams[library.server_id].state.snapshot()
                    .events_handled == 3)
    listener.step()  # a scan's end is due at once, without waiting for a window
    [run] = _runs()
    assert run.scope == f"library:{library.pk}"
    assert fake.count_prefix(LIBRARY_REQUESTS) > 0
