"""Adversarial (issue #20): the listener treats Plex as hostile (frames capped at 4 MB "so a
hostile or broken server cannot make us buffer gigabytes"), and "a burst of 10,000 events
costs one incremental scan". A burst of 2,000 entries spread over 2,000 section ids the
server does not have (valid ids up to 10**15) is held as 2,000 batches and submitted as
2,000 database queries in one step of the listener's single loop, instead of costing
about what one section's burst costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SyncRun
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import handled, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
ENTRIES = 2_000


def test_a_burst_over_unknown_sections_costs_a_handful_of_queries(fake, library, listening):
    listener, clock = listening
    entries = [timeline_entry(str(1000 + n), 50_000 + n, "episode", 5) for n in range(ENTRIES)]
    fake.notifications.publish(timeline(entries))
    assert wait_for(lambda: handled(listener, library.server_id) >= ENTRIES, timeout=30)
    clock.now += listener.coalescer.window + 0.1
    with CaptureQueriesContext(connection) as queries:
        listener.step()
    assert not SyncRun.objects.filter(triggered_by="plex listener").exists()
    assert listener.coalescer.pending() == 0
    assert len(queries.captured_queries) <= 20, (
        f"{len(queries.captured_queries)} queries for one burst")
