"""Which orchestrator runs a SyncRun of each kind, and how a run's scope is named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog.models import SyncRun
from catalog.upstreams import tvmaze_client

Work = Callable[[SyncRun], dict[str, Any]]


def _tvmaze(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.tvmaze import tvmaze_sync

    options = run.options
    return tvmaze_sync(run, tvmaze_client(), full=bool(options.get("full")),
                       max_pages=options.get("max_pages"))


def _plex(run: SyncRun) -> dict[str, Any]:
    from catalog.sync.plex import plex_library_sync

    options = run.options
    return plex_library_sync(run, library_id=int(options["library_id"]),
                             deep=bool(options.get("deep")))


WORK: dict[str, tuple[Work, str]] = {
    SyncRun.Kind.TVMAZE: (_tvmaze, "tvmaze"),
    SyncRun.Kind.PLEX: (_plex, "plex"),
}


def scope_for(kind: str, options: dict[str, Any]) -> str:
    """One TVMaze sync at a time; one scan per Plex library at a time."""
    if kind == SyncRun.Kind.PLEX:
        return f"library:{options['library_id']}"
    return "catalog"
