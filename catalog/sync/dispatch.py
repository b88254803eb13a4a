"""Which orchestrator runs a SyncRun of each kind, and how a run's scope is named.

Importing this module registers each kind's row with ``catalog.runs.work`` (the app's
``ready()`` does), so the run machinery executes and enqueues work without importing syncs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from catalog.models import SyncRun
from catalog.runs.work import WorkRow, register_work
from catalog.upstreams.clients import tvmaze_client


def _tvmaze(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.tvmaze import tvmaze_refresh, tvmaze_sync

    options = run.options
    if "refresh_ids" in options:
        return tvmaze_refresh(run, tvmaze_client(), [int(i) for i in options["refresh_ids"]])
    return tvmaze_sync(run, tvmaze_client(), full=bool(options.get("full")),
                       max_pages=options.get("max_pages"))


def _plex(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.plex import plex_library_sync

    options = run.options
    if "server_id" in options:
        return _plex_discover(int(options["server_id"]))
    if "refresh" in options:
        return _plex_refresh(run)
    return plex_library_sync(run, library_id=int(options["library_id"]),
                             deep=bool(options.get("deep")))


def _plex_refresh(run: SyncRun) -> dict[str, Any]:
    """A few shows and items of one library, as the Plex listener was told of them."""
    from catalog.sync.plex.refresh import plex_refresh

    keys = run.options["refresh"]
    return plex_refresh(run, library_id=int(run.options["library_id"]),
                        items=[str(k) for k in keys.get("items", ())],
                        shows=[str(k) for k in keys.get("shows", ())],
                        seasons=[str(k) for k in keys.get("seasons", ())])


def _plex_discover(server_id: int) -> dict[str, Any]:
    """List a server's sections into libraries, then give new libraries their schedule."""
    from catalog.models import PlexServer
    from catalog.runs.schedules import schedules_ensure
    from catalog.sync.plex import plex_discover

    libraries = plex_discover(PlexServer.objects.get(pk=server_id))
    created, _ = schedules_ensure()
    return {"libraries": [{"id": lib.pk, "key": lib.key, "title": lib.title, "type": lib.type}
                          for lib in libraries], "schedules_created": created}


def _tmdb(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.tmdb import tmdb_batch
    from catalog.upstreams.clients import tmdb_client

    options = run.options
    return tmdb_batch(run, tmdb_client(), force=bool(options.get("force")),
                      tmdb_ids=options.get("tmdb_ids"), show_ids=options.get("show_ids"))


def _sonarr(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.sonarr import sonarr_push

    rule_id = run.options.get("rule_id")
    return sonarr_push(run, server_id=int(run.options["server_id"]),
                       rule_id=int(rule_id) if rule_id else None)


def _refilter(run: SyncRun) -> dict[str, Any]:
    from catalog.rules.refilter import rule_refilter

    return rule_refilter(run, rule_id=int(run.options["rule_id"]))


def _load(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.loading import loader_work

    return loader_work(run)


def _plex_scope(options: dict[str, Any]) -> str:
    """One scan per Plex library; one discovery per server; one live refresh per library
    (beside its scan: the listener holds a refresh back while the library's scan runs)."""
    if "server_id" in options:
        return f"server:{options['server_id']}"
    if "refresh" in options:
        return f"live:{options['library_id']}"
    return f"library:{options['library_id']}"


def _tvmaze_scope(options: dict[str, Any]) -> str:
    """One walk of the catalog at a time; a few shows re-read by hand need not wait for it."""
    return "refresh" if "refresh_ids" in options else "catalog"


def _tmdb_scope(options: dict[str, Any]) -> str:
    """The library batch is one scope; a refresh of chosen shows is named by its ids, so an
    operator's refresh need not wait for the daily batch."""
    ids = options.get("tmdb_ids"), options.get("show_ids")
    if ids == (None, None):
        return "library"
    digest = hashlib.sha256(json.dumps([sorted(i or []) for i in ids]).encode()).hexdigest()
    return f"shows:{digest[:16]}"


# One row per run kind: what executes it, the upstream its requests count against, and the
# scope two runs must not share (one TVMaze walk; one scan per library, one discovery per
# server; one push per Sonarr server; one refilter per rule; one TMDB library batch).
WORK: dict[str, WorkRow] = {
    SyncRun.Kind.TVMAZE: WorkRow(_tvmaze, "tvmaze", _tvmaze_scope),
    SyncRun.Kind.LOAD: WorkRow(_load, "tvmaze", lambda options: "catalog"),
    SyncRun.Kind.PLEX: WorkRow(_plex, "plex", _plex_scope),
    SyncRun.Kind.TMDB: WorkRow(_tmdb, "tmdb", _tmdb_scope),
    SyncRun.Kind.SONARR: WorkRow(_sonarr, "sonarr",
                                 lambda options: f"server:{options['server_id']}"),
    SyncRun.Kind.RULES: WorkRow(_refilter, "rules",
                                 lambda options: f"rule:{options['rule_id']}"),
}


def scope_for(kind: str, options: dict[str, Any]) -> str:
    """The scope a run of ``kind`` with these options holds while it runs."""
    return WORK[kind].scope(options)


def _register() -> None:
    for kind, row in WORK.items():
        register_work(kind, row.work, upstream=row.upstream, scope=row.scope)


_register()
