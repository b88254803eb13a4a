"""The coalescer alone, on a clock the test holds: windows, bursts, held scans, retries."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.sync.plex.live.coalesce import ALL, RETRY, Coalescer
from catalog.sync.plex.live.stream import BACKOFF_CAP, backoff
from integrations.plex.events import ActivityEvent, TimelineEvent

WALL = datetime(2026, 1, 1, tzinfo=UTC)


def _episode(rk: int, section: str = "1") -> TimelineEvent:
    return TimelineEvent(section, str(rk), "episode", 5)


def _scan(event: str, section: str | None = "1") -> ActivityEvent:
    return ActivityEvent(event, "library.update.section", "u", section)


def test_it_gathers_a_window_into_one_batch_per_section():
    c = Coalescer(window=2.0, burst=100)
    for n in range(10):
        c.timeline(1, _episode(n), 100.0 + n / 10, WALL)
    c.timeline(1, TimelineEvent("2", "77", "show", 9), 100.5, WALL)
    assert c.due(101.9) == []
    [first] = c.due(102.0)  # each section's window starts at its own first event
    assert first.items == {str(n) for n in range(10)} and first.events == 10
    [second] = c.due(102.5)
    assert second.section == "2" and second.shows == {"77"} and not second.scan
    assert c.due(200.0) == []


def test_a_burst_past_the_threshold_becomes_a_scan_and_forgets_its_keys():
    c = Coalescer(window=2.0, burst=5)
    for n in range(6):
        c.timeline(1, _episode(n), 100.0, WALL)
    [batch] = c.due(100.0)  # a scan is due at once
    assert batch.scan and batch.size() == 0


def test_a_plex_scan_holds_its_section_until_it_ends():
    c = Coalescer(window=2.0, burst=5, hold=600.0)
    c.activity(1, _scan("started"), 100.0, WALL)
    for n in range(10_000):
        c.timeline(1, _episode(n), 100.0, WALL)
    c.timeline(1, _episode(1, section="2"), 100.0, WALL)
    assert [b.section for b in c.due(500.0)] == ["2"]
    c.activity(1, _scan("ended"), 501.0, WALL)
    [batch] = c.due(501.0)
    assert batch.scan and batch.section == "1"


def test_a_scan_whose_end_never_comes_is_released_after_the_hold():
    c = Coalescer(window=2.0, hold=600.0)
    c.activity(1, _scan("started"), 100.0, WALL)
    c.timeline(1, _episode(1), 100.0, WALL)
    assert c.due(650.0) == []
    assert [b.items for b in c.due(701.0)] == [{"1"}]


def test_a_lost_stream_turns_a_scan_in_flight_into_a_scan():
    c = Coalescer()
    c.activity(1, _scan("started"), 100.0, WALL)
    c.lost(1, 101.0, WALL)
    [batch] = c.due(101.0)
    assert batch.scan and batch.section == "1"


def test_a_catch_up_folds_the_servers_batches_into_one_scan_of_all():
    c = Coalescer()
    c.timeline(1, _episode(1), 100.0, WALL)
    c.timeline(2, _episode(2), 100.0, WALL)
    c.catch_up(1, 100.5, WALL)
    batches = {(b.server_id, b.section): b for b in c.due(100.5)}
    assert set(batches) == {(1, ALL)} and batches[1, ALL].scan
    assert {(b.server_id, b.section) for b in c.due(103.0)} == {(2, "1")}


def test_a_batch_put_back_waits_and_merges_what_came_meanwhile():
    c = Coalescer(window=2.0)
    c.timeline(1, _episode(1), 100.0, WALL)
    [batch] = c.due(102.0)
    c.timeline(1, _episode(2), 102.5, WALL)
    c.put_back(batch, 102.5)
    assert c.due(102.5 + RETRY / 2) == []
    [again] = c.due(102.5 + RETRY)
    assert again.items == {"1", "2"} and again.since == 100.0


def test_backoff_doubles_up_to_a_cap_with_jitter():
    low = [backoff(n, rand=lambda: 0.0) for n in range(1, 12)]
    high = [backoff(n, rand=lambda: 1.0) for n in range(1, 12)]
    assert high[:4] == [0.5, 1.0, 2.0, 4.0]
    assert low[:2] == [0.25, 0.5]
    assert max(high) == BACKOFF_CAP and high[-1] == BACKOFF_CAP
    assert backoff(10_000, rand=lambda: 1.0) == BACKOFF_CAP


def test_a_stream_backs_off_further_unless_its_connection_lasted():
    from catalog.sync.plex.live.coalesce import Coalescer as C
    from catalog.sync.plex.live.stream import STABLE, Stream

    now = [100.0]
    stream = Stream(server_id=1, name="x", url="http://127.0.0.1:9", token="t",
                    coalescer=C(), clock=lambda: now[0])
    assert stream._next(3, opened=99.0) == 4  # hung up at once
    now[0] = 100.0 + STABLE
    assert stream._next(3, opened=100.0) == 1  # it lasted: start over
