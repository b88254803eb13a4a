"""``manage.py sync tvmaze|plex|tmdb|sonarr``: run a sync now and print its summary.

TVMaze, TMDB and Sonarr run in this process. Plex queues one run per library to the job
cluster, whose workers scan them side by side, and waits for them all (``--here`` scans in
this process instead, one library after the other: no cluster needed)."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.metrics.health import cluster_ready
from catalog.models import PlexLibrary, SyncRun
from catalog.rules.services import sonarr_servers_select
from catalog.runs import RunInProgress, run_counts
from catalog.runs.execute import sync_run_now
from catalog.runs.wait import ClusterGone, runs_wait
from catalog.sync.exceptions import ShowNotFoundInLibrary
from catalog.sync.plex.library import plex_libraries_select
from catalog.sync.plex.queue import plex_libraries_enqueue
from catalog.sync.tmdb.show import tmdb_ids_check

MAX_ID = 2**31 - 1


def _tmdb_id(text: str) -> int:
    """A TMDB id as the catalog stores it: a positive integer that fits the column."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a TMDB id: {text[:40]!r}") from None
    if not 0 < value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"not a TMDB id: {value}")
    return value


class Command(BaseCommand):
    help = ("Run a TVMaze, TMDB or Sonarr sync here, or queue the Plex scans to the job "
            "cluster and wait for them; exits non-zero when one fails.")
    not_queued = ""  # why some runs never started (the job queue refused them)

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
        plex.add_argument("--here", action="store_true",
                          help="scan in this process, one library after the other, instead of "
                               "queueing one run per library to the job cluster (qcluster)")
        tmdb = sub.add_parser("tmdb", help="refresh library shows from TMDB")
        tmdb.add_argument("--tmdb-id", type=_tmdb_id, action="append", dest="tmdb_ids",
                          metavar="ID", help="only this show (repeatable; any catalog show)")
        tmdb.add_argument("--force", action="store_true", help="refresh even fresh shows")
        sonarr = sub.add_parser("sonarr", help="push pending decisions to Sonarr")
        sonarr.add_argument("--rule", help="only this rule's decisions (by name)")
        for p in (tvmaze, plex, tmdb, sonarr):
            p.add_argument("--json", action="store_true",
                           help="print the summary as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        source = {"tvmaze": self._tvmaze, "plex": self._plex, "tmdb": self._tmdb,
                  "sonarr": self._sonarr}
        with self._progress_to_stderr():
            runs = source[options["source"]](options)
        self._report(runs, as_json=options["json"])

    def _tvmaze(self, options: dict[str, Any]) -> list[SyncRun]:
        if options["max_pages"] is not None and options["max_pages"] < 1:
            raise CommandError("--max-pages must be at least 1")
        return [self._run(SyncRun.Kind.TVMAZE,
                          {"full": options["full"], "max_pages": options["max_pages"]})]

    def _tmdb(self, options: dict[str, Any]) -> list[SyncRun]:
        ids = sorted(set(options["tmdb_ids"] or [])) or None
        if ids is not None:
            try:
                tmdb_ids_check(ids)
            except ShowNotFoundInLibrary as exc:
                raise CommandError(str(exc)) from None
        return [self._run(SyncRun.Kind.TMDB, {"force": options["force"], "tmdb_ids": ids}
                          if ids else {"force": options["force"]})]

    def _plex(self, options: dict[str, Any]) -> list[SyncRun]:
        libraries = plex_libraries_select(server=options["server"], key=options["library"])
        if not libraries:
            raise CommandError("no enabled Plex library matches (run discovery first?)")
        if options["here"]:
            return self._plex_here(libraries, deep=options["deep"])
        return self._plex_queued(libraries, deep=options["deep"])

    def _plex_queued(self, libraries: list[PlexLibrary], *, deep: bool) -> list[SyncRun]:
        """One run per library through the job queue; waits while a cluster reports."""
        if not cluster_ready():
            raise CommandError("no job cluster is running: start `manage.py qcluster`, or "
                               "scan in this process with --here")
        queued = plex_libraries_enqueue(libraries, deep=deep, triggered_by="command")
        for library, run in queued.busy:
            self.stderr.write(f"{library}: {RunInProgress(run)}")
        if queued.refused:
            self.not_queued = f"{queued.refused}; scan in this process with --here"
            if not queued.runs:
                raise CommandError(self.not_queued)
            left = len(libraries) - len(queued.runs) - len(queued.busy)
            self.stderr.write(f"{queued.refused}: {left} of the {len(libraries)} libraries "
                              "were not queued")
        if not queued.runs:
            raise CommandError("every matching library is already being scanned")
        ids = [run.pk for run in queued.runs]
        try:
            return runs_wait(ids, alive=cluster_ready, report=self._progress_lines())
        except ClusterGone as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            raise CommandError(f"stopped waiting; run(s) {ids} go on in the job cluster "
                               "(cancel them from the runs page or the API)") from None

    def _progress_lines(self) -> Callable[[list[SyncRun]], None]:
        """A ``runs_wait`` report that writes the runs' states to stderr when they change."""
        last = [""]

        def report(rows: list[SyncRun]) -> None:
            line = "  ".join(f"{r.scope}: {r.status} {r.processed}"
                             f"{f'/{r.total}' if r.total else ''}" for r in rows)
            if line != last[0]:
                self.stderr.write(line)
                last[0] = line

        return report

    def _plex_here(self, libraries: list[PlexLibrary], *, deep: bool) -> list[SyncRun]:
        runs = []
        for library in libraries:
            try:
                runs.append(self._run(SyncRun.Kind.PLEX,
                                      {"library_id": library.pk, "deep": deep}))
            except CommandError as exc:  # one library busy: say so, scan the others
                self.stderr.write(f"{library}: {exc}")
        if not runs:
            raise CommandError("every matching library is already being scanned")
        return runs

    def _sonarr(self, options: dict[str, Any]) -> list[SyncRun]:
        targets = sonarr_servers_select(rule=options["rule"])
        if not targets:
            raise CommandError(f"no rule named {options['rule']!r}" if options["rule"] else
                               "no enabled Sonarr server has an enabled rule")
        runs = []
        for server, rule_id in targets:
            try:
                runs.append(self._run(SyncRun.Kind.SONARR, {
                    "server_id": server.pk, **({"rule_id": rule_id} if rule_id else {})}))
            except CommandError as exc:
                self.stderr.write(f"{server}: {exc}")
        if not runs:
            raise CommandError("every matching Sonarr server is already being pushed")
        return runs

    def _run(self, kind: str, options: dict[str, Any]) -> SyncRun:
        try:
            return sync_run_now(kind=kind, options=options, triggered_by="command")
        except RunInProgress as exc:
            raise CommandError(str(exc)) from None

    def _report(self, runs: list[SyncRun], *, as_json: bool) -> None:
        for run in runs:
            counts = run_counts(run)
            if as_json:
                self.stdout.write(json.dumps(counts, default=str))
            else:
                self.stdout.write(
                    f"{run.kind} {run.scope}: {run.status} — processed {run.processed}, "
                    f"changed {run.changed}, skipped {run.skipped}, errors {run.errors}, "
                    f"requests {run.requests}")
        failed = [r for r in runs if r.status != SyncRun.Status.SUCCEEDED]
        if failed:
            raise CommandError(f"sync failed: {failed[0].error or failed[0].status}")
        if self.not_queued:
            raise CommandError(self.not_queued)

    @contextmanager
    def _progress_to_stderr(self) -> Iterator[None]:
        """Show each committed page's progress line while the command runs."""
        handler = logging.StreamHandler(self.stderr._out)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("catalog.progress")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
