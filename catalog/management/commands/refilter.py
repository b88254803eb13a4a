"""``manage.py refilter [--rule NAME]``: re-decide every show from stored facts, now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import DiscoveryRule, SyncRun
from catalog.runs import RunInProgress, run_counts
from catalog.runs.execute import sync_run_now


class Command(BaseCommand):
    help = "Re-evaluate every show against a rule (or every rule); no upstream request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rule", help="only this rule (by name)")
        parser.add_argument("--json", action="store_true",
                            help="print each run's summary as one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        rules = DiscoveryRule.objects.order_by("name")
        if options["rule"]:
            rules = rules.filter(name=options["rule"])
        rules = list(rules)
        if not rules:
            raise CommandError(f"no rule named {options['rule']!r}" if options["rule"]
                               else "there is no rule")
        failed = []
        for rule in rules:
            try:
                run = sync_run_now(kind=SyncRun.Kind.RULES, options={"rule_id": rule.pk},
                                   triggered_by="command")
            except RunInProgress as exc:
                raise CommandError(f"{rule}: {exc}") from None
            counts = run_counts(run)
            if options["json"]:
                self.stdout.write(json.dumps(counts, default=str))
            else:
                self.stdout.write(f"{rule}: {run.status} — shows {run.processed}, decisions "
                                  f"changed {run.changed}")
            if run.status != SyncRun.Status.SUCCEEDED:
                failed.append(f"{rule}: {run.error or run.status}")
        if failed:
            raise CommandError(f"refilter failed: {failed[0]}")
