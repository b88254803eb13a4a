"""A task run once, a little later: a one-off django-q2 schedule, coalesced by name.

The cluster's scheduler looks for due schedules about every 30 seconds, so the task starts
between ``delay`` and ``delay + 30`` seconds from now. While one of that name still waits,
asking again changes nothing: a burst of triggers becomes one task.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

DELAY_LOCK = 0x6D73_0002  # PostgreSQL advisory lock key: two webhooks do not both create it


@transaction.atomic
def task_later(func: str, *, name: str, delay: float, kwargs: dict[str, Any]) -> bool:
    """Run ``func(**kwargs)`` once, ``delay`` seconds from now (at once when 0); False when
    a task of this ``name`` is already waiting (it covers this trigger too)."""
    if delay <= 0:
        transaction.on_commit(lambda: async_task(func, **kwargs, task_name=name[:100]))
        return True
    if connection.vendor == "postgresql":  # SQLite's IMMEDIATE transactions take turns
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DELAY_LOCK])
    if Schedule.objects.filter(name=name, schedule_type=Schedule.ONCE).exclude(
            repeats=0).exists():
        return False
    Schedule.objects.create(name=name[:100], func=func, kwargs=repr(kwargs),
                            schedule_type=Schedule.ONCE, repeats=-1,
                            next_run=timezone.now() + timedelta(seconds=delay))
    return True
