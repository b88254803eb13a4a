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
    assert Schedule.objects.count() == 2
    assert tvmaze.next_run == later and tvmaze.minutes == 720
    plex = Schedule.objects.get(name=f"plex library {library.pk}")
    assert plex.func == "catalog.tasks.plex_library_sync_task"
    assert plex.minutes == 60
