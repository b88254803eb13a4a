"""A task run once, a little later: a one-off django-q2 schedule, coalesced by name.

The cluster's scheduler looks for due schedules about every 30 seconds, so the task starts
between ``delay`` and ``delay + 30`` seconds from its due time. While one of that name still
waits, asking again adds nothing: a burst of triggers becomes one task. With ``max_delay``,
each trigger also pushes the due time to ``delay`` seconds after itself (a trigger late in the
wait must not join a task that runs before what it reports had time to settle), but never
past ``max_delay`` seconds after the first trigger, so a steady stream cannot postpone it
forever.

Where the first trigger's time is kept: in the schedule row itself, so it lives and dies with
the schedule in the same transaction (no second store to drift from it). A schedule runs
``delayed_run``, whose keyword arguments are the real task's path, its arguments, and
``first_at``; ``delayed_run`` calls the task with its own arguments only.
"""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import async_task

DELAY_LOCK = 0x6D73_0002  # PostgreSQL advisory lock key: two webhooks do not both create it
RUNNER = "catalog.runs.delayed.delayed_run"
NAME_LENGTH = 100  # Schedule.name's max_length


def delayed_run(target: str, arguments: dict[str, Any], first_at: str = "") -> Any:
    """What a delayed schedule runs: ``target(**arguments)`` (``first_at`` is the schedule's
    bookkeeping, not the task's)."""
    return import_string(target)(**arguments)


@transaction.atomic
def task_later(func: str, *, name: str, delay: float, kwargs: dict[str, Any],
               max_delay: float | None = None, merge: str | None = None,
               now: datetime | None = None) -> bool:
    """Run ``func(**kwargs)`` once, ``delay`` seconds from now (at once when 0); False when
    a task of this ``name`` is already waiting (it covers this trigger too, and with
    ``max_delay`` it is pushed to ``delay`` seconds from now, at most ``max_delay`` seconds
    after its first trigger). ``merge`` names a list argument that says what the task
    covers: the waiting task's is widened to this trigger's too (sorted, without repeats),
    so a trigger folded into it loses nothing it asked for."""
    name = name[:NAME_LENGTH]
    now = now or timezone.now()
    if delay <= 0:
        transaction.on_commit(lambda: async_task(func, **kwargs, task_name=name))
        return True
    if connection.vendor == "postgresql":  # SQLite's IMMEDIATE transactions take turns
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DELAY_LOCK])
    # Locked: a scheduler handing it to the queue right now finishes first (and deletes it).
    waiting = (Schedule.objects.select_for_update().filter(name=name,
                                                           schedule_type=Schedule.ONCE)
               .exclude(repeats=0).order_by("pk").first())
    if waiting is not None:
        if merge is not None:
            _widen(waiting, merge, kwargs.get(merge) or [])
        if max_delay is not None:
            _postpone(waiting, now, delay, max_delay)
        return False
    Schedule.objects.create(
        name=name, func=RUNNER, schedule_type=Schedule.ONCE, repeats=-1,
        kwargs=repr({"target": func, "arguments": kwargs, "first_at": now.isoformat()}),
        next_run=now + timedelta(seconds=delay))
    return True


def first_trigger(schedule: Schedule) -> datetime | None:
    """When the first trigger of this waiting schedule came (None: not one of ours)."""
    try:
        stored = ast.literal_eval(schedule.kwargs or "{}")
        return datetime.fromisoformat(stored["first_at"])
    except (ValueError, SyntaxError, TypeError, KeyError):
        return None


def _widen(waiting: Schedule, key: str, values: list[Any]) -> None:
    """The waiting task's ``key`` argument united with ``values``."""
    try:
        stored = ast.literal_eval(waiting.kwargs or "{}")
        held = stored["arguments"].get(key) or []
        wider = sorted({*held, *values})
    except (ValueError, SyntaxError, TypeError, KeyError, AttributeError):
        return  # not one of ours
    if wider != held:
        stored["arguments"][key] = wider
        Schedule.objects.filter(pk=waiting.pk).update(kwargs=repr(stored))


def _postpone(waiting: Schedule, now: datetime, delay: float, max_delay: float) -> None:
    """Due ``delay`` after this trigger, capped at ``max_delay`` after the first; never
    earlier than it already was."""
    first = first_trigger(waiting)
    if first is None:
        return
    due = min(now + timedelta(seconds=delay),
              first + timedelta(seconds=max(max_delay, delay)))
    if due > waiting.next_run:
        Schedule.objects.filter(pk=waiting.pk).update(next_run=due)
