"""``plex_library_sync``: one scan of one Plex library, flat or incremental as its history says.

The scan reads pages upstream and writes each in one transaction together with its progress
(``library_start``, ``page_progress``, ``library_done`` events), so a run that is no longer
ours commits nothing. A TV scan first asks Plex for its episode count, newest ``updatedAt``
and clock (one row, sorted, and its ``Date``): the first is the run's total, the others the
watermark the next incremental scan asks from (Plex's clock, never ours; see ``watermark``).
Only a scan that saw the whole
library without an error finalizes it: reconciles shows with Plex's counts, marks the unseen
MISSING, promotes the long-missing to DELETED, and moves ``last_synced_at``/
``last_complete_scan_at`` to its start.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import blake2b
from typing import Any

from django.utils import timezone

from catalog.db.cursors import cursor_get
from catalog.models import MediaItem, PlexLibrary, SyncRun
from catalog.paths.resolve import PathResolver
from catalog.runs import run_progress
from catalog.sync.plex.confirm import confirm_unseen
from catalog.sync.plex.finalize import library_cursor_key, plex_finalize
from catalog.sync.plex.flat import flat_movies, flat_tv
from catalog.sync.plex.incremental import incremental_tv
from catalog.sync.plex.reconcile import reconcile_tv
from catalog.sync.plex.scan import Outcome, Scan
from catalog.sync.plex.watermark import SORT_IGNORED, next_cursor, sort_ignored
from catalog.upstreams.clients import plex_client
from integrations.plex import PlexClient


def plex_libraries_select(*, server: str | None = None, key: str | None = None,
                          server_id: int | None = None) -> list[PlexLibrary]:
    """Enabled libraries of enabled servers, optionally one server (by name or id) or
    section key."""
    libraries = PlexLibrary.objects.filter(enabled=True, server__enabled=True)
    if server:
        libraries = libraries.filter(server__name=server)
    if server_id is not None:
        libraries = libraries.filter(server_id=server_id)
    if key:
        libraries = libraries.filter(key=key)
    return list(libraries.select_related("server").order_by("server__name", "key"))


def mappings_fingerprint(pairs: list[tuple[str, str]]) -> str:
    """Changes whenever the server's path mappings do (states depend on them)."""
    text = "\n".join(f"{plex}\t{local}" for plex, local in sorted(pairs))
    return blake2b(text.encode(), digest_size=10).hexdigest()


def choose_mode(library: PlexLibrary, *, deep: bool, fingerprint: str,
                cursor: dict[str, Any]) -> tuple[str, str]:
    """("flat" | "incremental", why). States depend on the path mappings, and only a flat
    read re-evaluates every item, so a mapping change makes the next scan flat."""
    if library.type == PlexLibrary.Type.MOVIE:
        return "flat", "movie library: the listing carries media and parts"
    if deep:
        return "flat", "deep scan asked for"
    if library.last_complete_scan_at is None:
        return "flat", "first ingest"
    if "watermark" not in cursor:
        return "flat", "no Plex watermark from an earlier complete scan"
    if cursor.get("mappings") != fingerprint:
        return "flat", "path mappings changed since the last complete scan"
    return "incremental", "changes since the last complete scan"


def plex_library_sync(run: SyncRun, *, library_id: int, deep: bool = False,
                      client: PlexClient | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """Scan one library; returns the summary. Listing failures raise (failing the run, with
    every committed page kept); a failed show expansion is counted and makes it incomplete."""
    library = PlexLibrary.objects.select_related("server").get(pk=library_id)
    if not (library.enabled and library.server.enabled):
        # An admin turned it off: no surface's "scan now" (API, admin, UI, listener, webhook)
        # contacts that server, as no schedule does.
        return {"library": library.title, "skipped": "library or its server is disabled"}
    mappings = list(library.server.path_mappings.all())
    fingerprint = mappings_fingerprint([(m.plex_prefix, m.local_prefix) for m in mappings])
    cursor = cursor_get(library_cursor_key(library.pk))
    mode, reason = choose_mode(library, deep=deep, fingerprint=fingerprint, cursor=cursor)
    own_client = client is None
    scan = Scan(run, client or plex_client(library.server), library, now or timezone.now(),
                PathResolver(mappings), Outcome(mode=mode, deep=deep, reason=reason),
                fresh=not MediaItem.objects.filter(library_id=library.pk).exists(),
                cursor=cursor)
    try:
        _scan(scan)
    finally:
        if own_client:
            scan.client.close()
    if sort_ignored(scan):
        scan.outcome.notes.append(SORT_IGNORED)
    if scan.outcome.complete:
        plex_finalize(scan, {"mappings": fingerprint, "complete_scan_at": scan.now.isoformat(),
                             **next_cursor(scan)})
    summary = scan.outcome.summary()
    run_progress(run, total=run.processed, final=True,
                 event={"event": "library_done", "library": library.pk, **summary})
    return summary


def _scan(scan: Scan) -> None:
    library, mode = scan.library, scan.outcome.mode
    if library.type == PlexLibrary.Type.SHOW:
        head = scan.client.head(scan.key, kind="episode")
        scan.total, scan.plex_newest, scan.plex_clock = head.total, head.newest, head.clock
    run_progress(scan.run, total=scan.total, event={
        "event": "library_start", "library": library.pk, "title": library.title,
        "mode": mode, "reason": scan.outcome.reason})
    if library.type == PlexLibrary.Type.MOVIE:
        flat_movies(scan)
        scan.outcome.verified = scan.outcome.created + scan.outcome.updated \
            + scan.outcome.unchanged
    elif mode == "flat":
        flat_tv(scan)
    else:
        incremental_tv(scan)
        if scan.outcome.complete:
            reconcile_tv(scan, flat=False)
    if scan.outcome.complete:
        confirm_unseen(scan)
