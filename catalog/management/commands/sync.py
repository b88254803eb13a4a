"""``manage.py sync tvmaze|plex``: run a sync now, in this process, printing progress."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.jobs import job_execute
from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress, run_claim, run_counts
from catalog.sync.dispatch import WORK, scope_for


class Command(BaseCommand):
    help = "Run a TVMaze or Plex sync synchronously; exits non-zero when it fails."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True)
        tvmaze = sub.add_parser("tvmaze", help="mirror the TVMaze catalog")
        tvmaze.add_argument("--full", action="store_true", help="walk the whole index")
        tvmaze.add_argument("--max-pages", type=int, default=None, metavar="N",
                            help="stop after N index pages (the walk resumes next time)")
        plex = sub.add_parser("plex", help="scan Plex libraries")
        plex.add_argument("--server", help="only this server (by name)")
        plex.add_argument("--library", help="only the library with this section key")
        plex.add_argument("--deep", action="store_true", help="re-read everything flat")
        for p in (tvmaze, plex):
            p.add_argument("--json", action="store_true",
                           help="print the summary as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        self._show_progress()
        if options["source"] == "tvmaze":
            if options["max_pages"] is not None and options["max_pages"] < 1:
                raise CommandError("--max-pages must be at least 1")
            runs = [self._run(SyncRun.Kind.TVMAZE, {"full": options["full"],
                                                    "max_pages": options["max_pages"]})]
        else:
            runs = []
            for lib in self._libraries(options):
                try:
                    runs.append(self._run(SyncRun.Kind.PLEX,
                                          {"library_id": lib.pk, "deep": options["deep"]}))
                except CommandError as exc:  # one library busy: say so, scan the others
                    self.stderr.write(f"{lib}: {exc}")
            if not runs:
                raise CommandError("every matching library is already being scanned")
        self._report(runs, as_json=options["json"])

    def _libraries(self, options: dict[str, Any]) -> list[PlexLibrary]:
        libraries = PlexLibrary.objects.filter(enabled=True, server__enabled=True)
        if options["server"]:
            libraries = libraries.filter(server__name=options["server"])
        if options["library"]:
            libraries = libraries.filter(key=options["library"])
        found = list(libraries.select_related("server"))
        if not found:
            raise CommandError("no enabled Plex library matches (run discovery first?)")
        return found

    def _run(self, kind: str, options: dict[str, Any]) -> SyncRun:
        try:
            run = run_claim(kind=kind, scope=scope_for(kind, options), options=options,
                            triggered_by="command")
        except RunInProgress as exc:
            raise CommandError(str(exc)) from None
        work, upstream = WORK[kind]
        return job_execute(run, work, upstream=upstream)

    def _report(self, runs: list[SyncRun], *, as_json: bool) -> None:
        failed = [r for r in runs if r.status != SyncRun.Status.SUCCEEDED]
        for run in runs:
            counts = run_counts(run)
            if as_json:
                self.stdout.write(json.dumps(counts, default=str))
            else:
                self.stdout.write(
                    f"{run.kind} {run.scope}: {run.status} — processed {run.processed}, "
                    f"changed {run.changed}, skipped {run.skipped}, errors {run.errors}, "
                    f"requests {run.requests}")
        if failed:
            raise CommandError(f"sync failed: {failed[0].error or failed[0].status}")

    def _show_progress(self) -> None:
        handler = logging.StreamHandler(self.stderr._out)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("catalog.progress")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
