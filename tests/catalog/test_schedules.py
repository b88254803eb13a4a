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
    assert Schedule.objects.count() == 4
    reap = Schedule.objects.get(name="reap abandoned runs")
    assert (reap.func, reap.minutes) == ("catalog.tasks.runs_reap_task", 1)
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
                     f"plex library {kept.pk}"}


@pytest.mark.django_db
def test_it_skips_a_scheduled_scan_of_a_disabled_library():
    from catalog.models import SyncRun
    from catalog.tasks import plex_library_sync_task

    library = factories.PlexLibraryFactory(enabled=False)
    assert plex_library_sync_task(library.pk) == "skipped: library disabled or removed"
    assert plex_library_sync_task(999_999) == "skipped: library disabled or removed"
    assert not SyncRun.objects.exists()
