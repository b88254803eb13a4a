"""Queueing one scan per library, so that the job cluster's workers take them side by side.

The command, the API and the bench queue through ``plex_libraries_enqueue``; each library is
its own run (its own scope, ``library:<id>``), so a library already being scanned is
reported and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from catalog.models import PlexLibrary, SyncRun
from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue


@dataclass(slots=True)
class Queued:
    """What queueing the scans did: the runs queued, the libraries already being scanned
    (with the run that holds each), and why the queue refused, if it did."""

    runs: list[SyncRun] = field(default_factory=list)
    busy: list[tuple[PlexLibrary, SyncRun]] = field(default_factory=list)
    refused: str = ""


def plex_libraries_enqueue(libraries: Iterable[PlexLibrary], *, deep: bool = False,
                           triggered_by: str) -> Queued:
    """Queue one scan run per library. A library with an active run is listed as busy; once
    the job queue refuses one (the broker is down), the rest are not tried."""
    queued = Queued()
    for library in libraries:
        try:
            queued.runs.append(sync_enqueue(kind=SyncRun.Kind.PLEX, triggered_by=triggered_by,
                                            options={"library_id": library.pk, "deep": deep}))
        except RunInProgress as exc:
            queued.busy.append((library, exc.run))
        except EnqueueFailed as exc:
            queued.refused = str(exc)
            break
    return queued
