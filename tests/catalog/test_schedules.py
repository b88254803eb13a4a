"""Default schedules are created once and keep their next run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from tests import factories


@pytest.mark.django_db
def test_it_creates_default_schedules_idempotently_keeping_next_run():
    library = factories.PlexLibraryFactory()
    call_command("setup_schedules")
    later = timezone.now() + timedelta(days=3)
    Schedule.objects.filter(name="tvmaze incremental").update(next_run=later, minutes=720)
    call_command("setup_schedules")
    tvmaze = Schedule.objects.get(name="tvmaze incremental")
    assert Schedule.objects.count() == 6
    resume = Schedule.objects.get(name="resume show loading")
    assert (resume.func, resume.minutes) == ("catalog.tasks.loading_resume_task", 1)
    reap = Schedule.objects.get(name="reap abandoned runs")
    assert (reap.func, reap.minutes) == ("catalog.tasks.runs_reap_task", 1)
    sonarr = Schedule.objects.get(name="sonarr push")
    assert sonarr.func == "catalog.tasks.sonarr_sync_task" and sonarr.minutes == 60
    assert tvmaze.next_run == later and tvmaze.minutes == 720
    plex = Schedule.objects.get(name=f"plex library {library.pk}")
    assert plex.func == "catalog.tasks.plex_library_sync_task"
    assert plex.minutes == 60
    tmdb = Schedule.objects.get(name="tmdb refresh")
    assert (tmdb.func, tmdb.minutes) == ("catalog.tasks.tmdb_sync_task", 1440)


@pytest.mark.django_db
def test_it_drops_the_schedule_of_a_disabled_or_removed_library():
    kept, disabled, removed = factories.PlexLibraryFactory.create_batch(3)
    call_command("setup_schedules")
    disabled.enabled = False
    disabled.save()
    removed.delete()
    call_command("setup_schedules")
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == {"tvmaze incremental", "reap abandoned runs", "tmdb refresh",
                     "sonarr push", "resume show loading", f"plex library {kept.pk}"}


@pytest.mark.django_db
def test_it_skips_a_scheduled_scan_of_a_disabled_library():
    from catalog.models import SyncRun
    from catalog.tasks import plex_library_sync_task

    library = factories.PlexLibraryFactory(enabled=False)
    assert plex_library_sync_task(library.pk) == "skipped: library disabled or removed"
    assert plex_library_sync_task(999_999) == "skipped: library disabled or removed"
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_schedules_a_library_added_or_re_enabled_by_hand_at_once(
        django_capture_on_commit_callbacks):
    library = factories.PlexLibraryFactory(enabled=False)
    name = f"plex library {library.pk}"
    assert not Schedule.objects.filter(name=name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        library.enabled = True
        library.save()
    assert Schedule.objects.filter(name=name, minutes=60).exists()
    with django_capture_on_commit_callbacks(execute=True):
        added = factories.PlexLibraryFactory()
    assert Schedule.objects.filter(name=f"plex library {added.pk}").exists()
    with django_capture_on_commit_callbacks(execute=True):
        library.server.enabled = False
        library.server.save()
    assert set(Schedule.objects.filter(name__startswith="plex library")
               .values_list("name", flat=True)) == {f"plex library {added.pk}"}
    with django_capture_on_commit_callbacks(execute=True):
        added.delete()
    assert not Schedule.objects.filter(name__startswith="plex library").exists()


@pytest.mark.django_db
def test_it_schedules_nothing_for_a_library_edit_rolled_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    library = factories.PlexLibraryFactory(enabled=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                library.enabled = True
                library.save()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Schedule.objects.filter(name=f"plex library {library.pk}").exists()


@pytest.mark.django_db(transaction=True)
def test_two_processes_ensuring_schedules_at_once_create_each_only_once(monkeypatch):
    """Two library saves committing together (two admins, discovery and ``setup_schedules``)
    each ensure the schedules: a duplicate would run every scan twice, for ever."""
    import contextlib
    import threading

    from django.db import connections

    from catalog.runs import schedules

    factories.PlexLibraryFactory()
    together = threading.Barrier(2)
    listed = schedules.default_schedules

    def listed_together() -> list:
        found = listed()
        # Both inside their transaction, neither has written yet; unless the database keeps
        # the second one waiting (the barrier breaks): then they take turns.
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=2)
        return found

    monkeypatch.setattr(schedules, "default_schedules", listed_together)
    errors: list[str] = []

    def ensure() -> None:
        try:
            schedules.schedules_ensure()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    for _ in range(2):
        Schedule.objects.all().delete()
        together.reset()
        threads = [threading.Thread(target=ensure) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        names = list(Schedule.objects.values_list("name", flat=True))
        assert sorted(names) == sorted(set(names)), names
        assert len(names) == 6
    assert not errors, errors


@pytest.mark.django_db
def test_it_removes_a_default_schedule_that_was_created_twice():
    """Installs where two ensures raced before they took turns hold a schedule twice, and
    every scan ran twice: the next ensure keeps the oldest of each name."""
    library = factories.PlexLibraryFactory()
    call_command("setup_schedules")
    name = f"plex library {library.pk}"
    first = Schedule.objects.get(name=name)
    Schedule.objects.create(name=name, func=first.func, kwargs=first.kwargs,
                            schedule_type=Schedule.MINUTES, minutes=60, repeats=-1)
    call_command("setup_schedules")
    assert list(Schedule.objects.filter(name=name).values_list("pk", flat=True)) == [first.pk]
    assert Schedule.objects.count() == 6
