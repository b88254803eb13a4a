"""Each stream's health, kept in memory by its thread and saved by the listener's main loop.

One row per server (``PlexListenerState``), written with one statement per save and only
when something changed (or every ``BEAT`` seconds, so that ``seen_at`` says the listener
lives). The web reads the rows: the server's page, ``/ready`` and ``/metrics``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from catalog.models import PlexListenerState, PlexServer

BEAT = 10.0  # seconds between saves when nothing changed
FIELDS = ["connected", "connected_since", "last_event_at", "reconnects", "events_handled",
          "last_error", "seen_at"]


@dataclass(slots=True)
class StreamState:
    server_id: int
    connected: bool = False
    connected_since: datetime | None = None
    last_event_at: datetime | None = None
    reconnects: int = 0
    events_handled: int = 0
    last_error: str = ""
    version: int = 0  # moves on every change; the saver compares it
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def change(self, **values: object) -> None:
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)
            self.version += 1

    def snapshot(self) -> StreamState:
        with self.lock:
            return replace(self, lock=threading.Lock())


def states_save(states: Iterable[StreamState], now: datetime) -> set[int]:
    """Upsert the rows of these streams (one statement); returns the ids of servers deleted
    meanwhile, whose rows are left out (their foreign key would refuse the whole upsert)."""
    states = list(states)
    ids = {s.server_id for s in states}
    gone = ids - set(PlexServer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    states = [s for s in states if s.server_id not in gone]
    rows = [PlexListenerState(
        server_id=s.server_id, connected=s.connected, connected_since=s.connected_since,
        last_event_at=s.last_event_at, reconnects=s.reconnects, events_handled=s.events_handled,
        last_error=s.last_error[:500], seen_at=now) for s in states]
    if rows:
        PlexListenerState.objects.bulk_create(rows, update_conflicts=True,
                                              unique_fields=["server"], update_fields=FIELDS)
    return gone


def states_disconnect(server_ids: Iterable[int], now: datetime) -> None:
    """The listener stops holding these servers' streams (it stops, or they were disabled)."""
    PlexListenerState.objects.filter(server_id__in=list(server_ids)).update(
        connected=False, seen_at=now)
