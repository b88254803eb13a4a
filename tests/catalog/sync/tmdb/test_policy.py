"""The freshness rule and the changes-feed window, at their edges."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from catalog.sync.tmdb.changes import changes_read
from catalog.sync.tmdb.policy import tmdb_due
from tests.catalog.sync.tmdb.helpers import BASE, NOW, client_for

DAY = timedelta(days=1)


@pytest.mark.parametrize(("age", "jitter", "ttl", "due"), [
    (7 * DAY, 0, 7, True), (7 * DAY - timedelta(microseconds=1), 0, 7, False),
    (4 * DAY, 3, 7, True), (4 * DAY - timedelta(seconds=1), 3, 7, False),
    (DAY, 3, 2, True),  # a jitter drawn under a longer TTL is clamped to half the new one
    (DAY - timedelta(seconds=1), 3, 2, False),
    (timedelta(0), 0, 0, True), (-timedelta(hours=23), 0, 7, False),
    (-timedelta(days=2), 0, 7, True),  # stamped in our future: a clock went back
    (100 * DAY, -5, 7, True),
])
def test_it_decides_freshness_in_whole_days_minus_the_jitter(age, jitter, ttl, due):
    assert tmdb_due(status="fresh", fetched_at=NOW - age, jitter=jitter, now=NOW,
                    ttl=ttl) is due


def test_it_always_refreshes_placeholders_and_never_fetched_rows():
    assert tmdb_due(status="unknown", fetched_at=NOW, jitter=0, now=NOW, ttl=7)
    assert tmdb_due(status="fresh", fetched_at=None, jitter=0, now=NOW, ttl=7)


def _feed(body_ids=(), pages=1):
    for page in range(1, pages + 1):
        responses.get(f"{BASE}/tv/changes", json={
            "results": [{"id": i, "adult": False} for i in body_ids], "page": page,
            "total_pages": pages, "total_results": len(body_ids) * pages},
            match=[responses.matchers.query_param_matcher({"page": str(page)}, strict_match=False)])


@responses.activate
@pytest.mark.parametrize(("since", "window"), [
    (None, ("2026-02-28", "2026-03-01")),
    (NOW - 14 * DAY + timedelta(hours=1), ("2026-02-15", "2026-03-01")),
    (NOW + 3 * DAY, ("2026-02-28", "2026-03-01")),  # last read in our future
])
def test_it_reads_whole_days_from_an_hour_before_the_last_read(since, window):
    _feed([5, 6], pages=2)
    feed = changes_read(client_for(), since=since, now=NOW)
    assert feed.read and feed.ids == {5, 6}
    first = responses.calls[0].request
    assert f"start_date={window[0]}" in first.url and f"end_date={window[1]}" in first.url
    assert len(responses.calls) == 2


@responses.activate
@pytest.mark.parametrize(("since", "note"), [
    (NOW - timedelta(minutes=59), "skipped: read less than an hour ago"),
    (NOW - 15 * DAY, "skipped: 15 days since the last read"),
])
def test_it_skips_the_feed_too_soon_or_after_too_long_a_gap(since, note):
    feed = changes_read(client_for(), since=since, now=NOW)
    assert feed.note.startswith(note) and not feed.ids
    assert feed.read is note.startswith("skipped: 15")
    assert len(responses.calls) == 0
