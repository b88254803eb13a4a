"""A delayed task coalesces by name; with ``max_delay`` each trigger pushes it to ``delay``
after itself (so that what the late trigger reports has time to settle) but never past
``max_delay`` after the first trigger (a steady stream cannot starve it). The first trigger's
time lives in the schedule row; the scheduler runs the task with its own arguments only.
Clocks are passed in, never waited for."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta

import pytest
from django_q.models import Schedule
from django_q.scheduler import scheduler

from catalog.runs.delayed import RUNNER, first_trigger, task_later

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CALLS: list[dict] = []


def record(**kwargs) -> str:
    """The task under test: remembers what it was called with."""
    CALLS.append(kwargs)
    return "ok"


def _later(at: float, *, name: str = "job", delay: float = 30,
           max_delay: float | None = 300) -> bool:
    return task_later(f"{__name__}.record", name=name, delay=delay, kwargs={"x": 1},
                      max_delay=max_delay, now=T0 + timedelta(seconds=at))


def _due(name: str = "job") -> float:
    return (Schedule.objects.get(name=name).next_run - T0).total_seconds()


def test_a_late_trigger_pushes_the_task_to_the_delay_after_itself():
    assert _later(0) is True
    assert _due() == 30
    assert _later(29) is False  # one second before it would have run
    assert _due() == 59  # Plex gets its full delay for this file too
    assert Schedule.objects.filter(name="job").count() == 1


def test_a_steady_stream_cannot_postpone_it_past_the_cap():
    _later(0)
    for at in range(20, 1000, 20):  # every 20 s, forever: each would push it 30 s on
        _later(at)
        assert _due() <= 300
    assert _due() == 300  # the first trigger + max_delay, and no later
    assert first_trigger(Schedule.objects.get(name="job")) == T0


def test_it_never_moves_earlier():
    _later(100)
    _later(10)  # a trigger stamped before the first one (a slow request)
    assert _due() == 130


def test_without_a_cap_it_coalesces_without_moving():
    _later(0, max_delay=None)
    _later(25, max_delay=None)
    assert _due() == 30


def test_a_cap_below_the_delay_is_the_delay():
    _later(0, max_delay=5)
    _later(20, max_delay=5)
    assert _due() == 30


def test_once_it_ran_the_next_trigger_starts_afresh(settings):
    CALLS.clear()
    _later(0)
    _later(20)
    Schedule.objects.filter(name="job").update(next_run=T0 - timedelta(days=1))
    scheduler()  # what the cluster does every 30 s (the test settings run tasks in-process)
    assert CALLS == [{"x": 1}]  # the task's own arguments only
    assert not Schedule.objects.filter(name="job").exists()
    assert _later(400) is True
    fresh = Schedule.objects.get(name="job")
    assert fresh.func == RUNNER and first_trigger(fresh) == T0 + timedelta(seconds=400)
    assert _due() == 430


def test_a_long_name_coalesces_too():
    name = "n" * 150
    assert _later(0, name=name) is True
    assert _later(10, name=name) is False
    assert Schedule.objects.filter(name=name[:100]).count() == 1


def test_a_schedule_it_cannot_read_is_left_as_it_is():
    Schedule.objects.create(name="job", func=f"{__name__}.record", kwargs="{'x': 1}",
                            schedule_type=Schedule.ONCE, repeats=-1,
                            next_run=T0 + timedelta(seconds=30))
    assert _later(20) is False
    assert _due() == 30


def test_a_merged_list_argument_takes_in_what_a_folded_trigger_covers():
    def later(ids: list[int]) -> bool:
        return task_later(f"{__name__}.record", name="retry", delay=30,
                          kwargs={"ids": ids, "attempt": 2}, merge="ids", now=T0)

    assert later([3]) is True
    assert later([1, 3]) is False
    assert later([]) is False
    stored = ast.literal_eval(Schedule.objects.get(name="retry").kwargs)
    assert stored["arguments"] == {"ids": [1, 3], "attempt": 2}
