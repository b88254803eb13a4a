"""Default schedules, created idempotently: update-or-create by name, keeping next_run."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django_q.models import Schedule


@dataclass(frozen=True, slots=True)
class DefaultSchedule:
    name: str
    func: str
    minutes: int
    kwargs: dict


def default_schedules() -> list[DefaultSchedule]:
    """The schedules every install starts with (operators edit them in the admin)."""
    from catalog.models import PlexLibrary

    schedules = [
        DefaultSchedule("tvmaze incremental", "catalog.tasks.tvmaze_sync_task", 360, {}),
        DefaultSchedule("reap abandoned runs", "catalog.tasks.runs_reap_task", 1, {}),
        DefaultSchedule("tmdb refresh", "catalog.tasks.tmdb_sync_task", 1440, {}),
        DefaultSchedule("sonarr push", "catalog.tasks.sonarr_sync_task", 60, {}),
        DefaultSchedule("resume show loading", "catalog.tasks.loading_resume_task", 1, {}),
    ]
    for library_id in PlexLibrary.objects.filter(enabled=True, server__enabled=True).values_list(
        "id", flat=True
    ):
        schedules.append(
            DefaultSchedule(
                f"{PLEX_PREFIX}{library_id}", "catalog.tasks.plex_library_sync_task", 60,
                {"library_id": library_id},
            )
        )
    return schedules


PLEX_PREFIX = "plex library "
ENSURE_LOCK = 0x6D73_0001  # PostgreSQL advisory lock key of schedules_ensure


def _ensure_alone() -> None:
    """Wait for any other ensure to commit: Schedule names are not unique, so two that read
    "missing" side by side would both create it, and every scan would run twice for ever.
    SQLite's IMMEDIATE transactions already take turns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENSURE_LOCK])


@transaction.atomic
def schedules_ensure() -> tuple[int, int]:
    """Create missing default schedules and re-point existing ones; returns (created, updated).

    ``next_run`` and ``minutes`` an operator changed are kept: only the target moves.
    """
    _ensure_alone()
    created = updated = 0
    defaults = default_schedules()
    wanted = {d.name for d in defaults}
    # Libraries disabled or removed since lose their schedule.
    Schedule.objects.filter(name__startswith=PLEX_PREFIX).exclude(name__in=wanted).delete()
    for default in defaults:
        kwargs = repr(default.kwargs) if default.kwargs else None  # django-q2 literal_evals it
        same = Schedule.objects.filter(name=default.name).order_by("pk")
        schedule = same.first()
        if schedule is not None:  # a name held twice (ensures that raced): the oldest stays
            same.exclude(pk=schedule.pk).delete()
        if schedule is None:
            Schedule.objects.create(
                name=default.name, func=default.func, kwargs=kwargs,
                schedule_type=Schedule.MINUTES, minutes=default.minutes, repeats=-1,
            )
            created += 1
        elif schedule.func != default.func or (schedule.kwargs or None) != kwargs:
            Schedule.objects.filter(pk=schedule.pk).update(func=default.func, kwargs=kwargs)
            updated += 1
    return created, updated


def schedules_follow_libraries(**_: object) -> None:
    """Signal receiver: a library added, edited, re-enabled or removed by hand (admin, API)
    gets or loses its schedule when its transaction commits, not at the next discovery."""
    transaction.on_commit(schedules_ensure)


def connect_schedule_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from catalog.models import PlexLibrary, PlexServer

    for model in (PlexLibrary, PlexServer):
        uid = f"schedules-follow-{model.__name__}"
        post_save.connect(schedules_follow_libraries, sender=model, dispatch_uid=uid)
        post_delete.connect(schedules_follow_libraries, sender=model, dispatch_uid=uid + "-del")
