"""Creates the default django-q2 schedules (safe to run on every start)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from catalog.runs.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create or re-point the default schedules by name, keeping each one's next run."

    def handle(self, *args: object, **options: object) -> None:
        created, updated = schedules_ensure()
        self.stdout.write(f"schedules: {Schedule.objects.count()} in place ({created} created, "
                          f"{updated} updated)")
