"""Fills a fresh database for the demo: users, the fakes' servers, mappings and rules, then
(``--sync``) connects the demo Sonarr's webhook to this mediasync (when ``DEMO_WEBHOOK_BASE``
says where it answers) and runs the first syncs through the job cluster, printing their
progress."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse

from catalog.auth.demo import DEMO_PASSWORD
from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import (
    DiscoveryRule,
    PathMapping,
    PlexLibrary,
    PlexServer,
    RuleSelection,
    SonarrServer,
    SyncRun,
)
from catalog.runs.enqueue import sync_enqueue
from catalog.runs.schedules import schedules_ensure
from catalog.runs.wait import RunsTimedOut, runs_wait
from catalog.upstreams.clients import sonarr_client
from integrations.errors import UpstreamError
from mediasync.env import envstr

PHASE_TIMEOUT = 300.0  # generous: a busy CI box may be several times slower


def _json_env(name: str) -> Any:
    raw = envstr(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise CommandError(f"{name}: not valid JSON") from None


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CommandError(f"{where}: expected a JSON array of objects")
    return value


def _text(spec: dict[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise CommandError(f"{where}: {key!r} must be a non-empty string")
    return value


def _pairs(value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2
            and all(isinstance(s, str) and "\x00" not in s for s in p)
            for p in value):
        raise CommandError(f"{where}: 'mappings' must be a list of [plex, local] pairs")
    return [(plex, local) for plex, local in value]


def _save(model: type[Model], where: str, defaults: dict[str, Any], **lookup: Any) -> Any:
    """``update_or_create`` that runs the model's validators first (a server's URL, a
    library's type, a mapping's prefixes): a bad demo setting is one line, not a row."""
    row = model.objects.filter(**lookup).first() or model(**lookup)
    for name, value in defaults.items():
        setattr(row, name, value)
    try:
        row.full_clean()
    except ValidationError as exc:
        raise CommandError(f"{where}: {'; '.join(exc.messages)}") from None
    row.save()
    return row


def _later(spec: dict[str, Any]) -> bool:
    """A library the first syncs leave for an operator to scan (``"scan_on_start": false``)."""
    return spec.get("scan_on_start", True) is False


def _plex(spec: dict[str, Any], where: str) -> list[PlexLibrary]:
    """The server, its libraries and mappings; returns the libraries the first syncs scan."""
    server = _save(PlexServer, where, {"url": _text(spec, "url", where),
                                       "token": _text(spec, "token", where)},
                   name=_text(spec, "name", where))
    first: list[PlexLibrary] = []
    for lib in _objects(spec.get("libraries", []), f"{where} libraries"):
        library = _save(PlexLibrary, where, {"title": _text(lib, "title", where),
                                             "type": _text(lib, "type", where)},
                        server=server, key=_text(lib, "key", where))
        if not _later(lib):
            first.append(library)
    for plex_prefix, local_prefix in _pairs(spec.get("mappings", []), where):
        _save(PathMapping, where, {"local_prefix": local_prefix}, server=server,
              plex_prefix=plex_prefix)
    return first


@transaction.atomic
def demo_rows() -> list[PlexLibrary]:
    """Users, servers, libraries, mappings and rules; safe to run twice. A malformed
    ``DEMO_*`` setting stops it with one line and nothing written."""
    for name in ("viewer", "operator"):
        user, created = User.objects.get_or_create(username=name)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    libraries: list[PlexLibrary] = []
    for n, spec in enumerate(_objects(_json_env("DEMO_PLEX_SERVERS") or [],
                                      "DEMO_PLEX_SERVERS")):
        libraries += _plex(spec, f"DEMO_PLEX_SERVERS[{n}]")
    sonarr = _json_env("DEMO_SONARR")
    if sonarr:
        spec = _objects([sonarr], "DEMO_SONARR")[0]
        server = _save(SonarrServer, "DEMO_SONARR",
                       {"url": _text(spec, "url", "DEMO_SONARR"),
                        "api_key": _text(spec, "api_key", "DEMO_SONARR")},
                       name=_text(spec, "name", "DEMO_SONARR"))
        _rules(server)
    return libraries


def _rules(server: SonarrServer) -> None:
    """Two discovery rules on the demo Sonarr; the anime one asks for approval."""
    specs = [
        ("English scripted dramas", {"root_folder": "/tv"},
         {"languages": ["English"], "types": ["Scripted"], "genres_any": ["Drama"]}),
        ("Japanese animation (approval)", {"root_folder": "/anime", "requires_approval": True},
         {"languages": ["Japanese"], "types": ["Animation"]}),
    ]
    for name, options, selection in specs:
        rule, created = DiscoveryRule.objects.get_or_create(name=name, defaults={
            "server": server, "quality_profile": "Any", "dry_run": False, **options})
        if created:
            RuleSelection.objects.create(rule=rule, position=0, **selection)


def sonarr_webhooks_connect(base: str) -> list[str]:
    """Each Sonarr server calls this mediasync's webhook: a fresh secret, handed to Sonarr
    through its API (Settings -> Connect -> Webhook) and never printed. Returns their names."""
    names = []
    for server in SonarrServer.objects.order_by("pk"):
        secret = sonarr_webhook_secret_new(server_id=server.pk) or ""
        path = reverse("api-webhook-sonarr", kwargs={"server_id": server.pk})
        try:
            sonarr_client(server).webhook_connect(
                name="mediasync", url=base.rstrip("/") + path, username="mediasync",
                password=secret)
        except UpstreamError as exc:
            raise CommandError(f"demo: could not connect {server.name}'s webhook: {exc}"
                               ) from None
        names.append(server.name)
    return names


def schedules_later() -> None:
    """The demo's schedules start one interval from now, not the moment the job cluster
    starts: the first syncs are the demo's own, and nothing races them. The one-minute
    housekeeping schedules (reaping, resuming loads) keep their pace."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    schedules_ensure()
    now = timezone.now()
    for schedule in Schedule.objects.filter(schedule_type=Schedule.MINUTES, minutes__gt=1):
        Schedule.objects.filter(pk=schedule.pk).update(
            next_run=now + timedelta(minutes=schedule.minutes))


class Command(BaseCommand):
    help = "Create the demo's users, servers, mappings and rules; --sync runs the first syncs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--prepare", action="store_true",
                            help="first migrate, create the admin and collect static files")
        parser.add_argument("--sync", action="store_true",
                            help="queue the first TVMaze and Plex syncs and wait for them")

    def handle(self, *args: object, **options: Any) -> None:
        if options["prepare"]:  # one process instead of three: start-up is most of the cost
            call_command("migrate", interactive=False, verbosity=0)
            call_command("ensure_admin")
            call_command("collectstatic", interactive=False, verbosity=0)
        libraries = demo_rows()
        if options["prepare"]:
            schedules_later()
        if not options["sync"]:  # the summary once, when the rows are made
            self.stdout.write(f"demo: {PlexServer.objects.count()} Plex servers, "
                              f"{PlexLibrary.objects.count()} libraries, "
                              f"{DiscoveryRule.objects.count()} rules")
            return
        base = envstr("DEMO_WEBHOOK_BASE")
        if base:  # the web server answers by now: Sonarr sends the webhook its Test
            for name in sonarr_webhooks_connect(base):
                self.stdout.write(f"demo: {name} calls mediasync's webhook")
        # Discovery first (the server pages show its version and machine id), then TVMaze,
        # so that Plex scans link to its shows instead of making placeholders.
        self._wait([sync_enqueue(kind=SyncRun.Kind.PLEX, options={"server_id": server.pk},
                                 triggered_by="demo") for server in PlexServer.objects.all()]
                   + [sync_enqueue(kind=SyncRun.Kind.TVMAZE, options={"full": True},
                                   triggered_by="demo")])
        self._wait([sync_enqueue(kind=SyncRun.Kind.PLEX, options={"library_id": lib.pk},
                                 triggered_by="demo") for lib in libraries])
        # Then what the library now holds: TMDB enrichment, and the rules' push to Sonarr.
        later = [sync_enqueue(kind=SyncRun.Kind.SONARR, options={"server_id": server.pk},
                              triggered_by="demo") for server in SonarrServer.objects.all()]
        if settings.TMDB_API_KEY:
            later.append(sync_enqueue(kind=SyncRun.Kind.TMDB, options={}, triggered_by="demo"))
        self._wait(later)

    def _wait(self, runs: list[SyncRun]) -> None:
        """Print each run's progress until all end; a failed one stops the command."""
        ids, last = [run.pk for run in runs], [""]

        def report(rows: list[SyncRun]) -> None:
            line = "  ".join(f"{r.kind} {r.scope}: {r.status} {r.processed}"
                             f"{f'/{r.total}' if r.total else ''}" for r in rows)
            if line != last[0]:
                self.stdout.write(f"demo sync  {line}")
                last[0] = line

        try:  # no cluster check: the deadline says when to give up
            rows = runs_wait(ids, alive=lambda: True, report=report, poll=0.5,
                             deadline=PHASE_TIMEOUT)
        except RunsTimedOut:
            raise CommandError(f"demo sync: runs {ids} still active after "
                               f"{PHASE_TIMEOUT:.0f} s (is the job cluster running?)") from None
        failed = [r for r in rows if r.status != SyncRun.Status.SUCCEEDED]
        if failed:
            raise CommandError(f"demo sync: run #{failed[0].pk} {failed[0].status}: "
                               f"{failed[0].error[:200]}")
