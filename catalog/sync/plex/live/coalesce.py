"""Gathering Plex's notifications into batches: one per (server, section), due after a window.

Plex sends one timeline entry per item and state, and a scan sends thousands. A batch
collects the ratingKeys of one section for ``window`` seconds from its first event, so a
show's burst costs one refresh; a batch that names more than ``burst`` keys becomes one
incremental scan of the library instead. While a section scan's activity is in flight
(started, not yet ended) its section's events only accumulate; its end makes the batch one
scan, due at once. No database, no clock of its own: the listener passes ``now``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from integrations.plex.events import ActivityEvent, TimelineEvent

ALL = "*"  # a batch for every library of the server (an activity that names no section)
WINDOW = 2.0  # seconds a batch gathers events before it is due
BURST = 200  # keys in one batch beyond which one incremental scan is cheaper
HOLD = 900.0  # seconds a section scan's activity holds its events at most (its end may be lost)
RETRY = 1.0  # seconds before a batch that could not be submitted is tried again


@dataclass(slots=True)
class Batch:
    """What is due for one section of one server."""

    server_id: int
    section: str
    since: float  # the listener's monotonic clock at the first event
    wall: datetime  # our wall clock then: a run that started after it saw the change
    items: set[str] = field(default_factory=set)
    shows: set[str] = field(default_factory=set)
    seasons: set[str] = field(default_factory=set)
    scan: bool = False
    events: int = 0
    not_before: float = 0.0  # a batch put back is not tried again before this

    @property
    def key(self) -> tuple[int, str]:
        return self.server_id, self.section

    def size(self) -> int:
        return len(self.items) + len(self.shows) + len(self.seasons)

    def to_scan(self) -> None:
        self.scan = True
        self.items.clear()
        self.shows.clear()
        self.seasons.clear()

    def merge(self, other: Batch) -> None:
        """Fold ``other`` (older or newer) into this batch."""
        if other.since < self.since:
            self.since, self.wall = other.since, other.wall
        self.events += other.events
        if self.scan or other.scan:
            self.to_scan()
        else:
            self.items |= other.items
            self.shows |= other.shows
            self.seasons |= other.seasons


class Coalescer:
    """Thread-safe: the stream threads add, the listener's main loop takes what is due."""

    def __init__(self, *, window: float = WINDOW, burst: int = BURST, hold: float = HOLD) -> None:
        self.window, self.burst, self.hold = window, burst, hold
        self._lock = threading.Lock()
        self._batches: dict[tuple[int, str], Batch] = {}
        self._scanning: dict[tuple[int, str], float] = {}  # section scans in flight, since

    def _batch(self, server_id: int, section: str, now: float, wall: datetime) -> Batch:
        key = (server_id, section)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = Batch(server_id, section, now, wall)
        batch.events += 1
        return batch

    def timeline(self, server_id: int, event: TimelineEvent, now: float, wall: datetime) -> None:
        with self._lock:
            batch = self._batch(server_id, event.section_key, now, wall)
            if batch.scan:
                return
            {"show": batch.shows, "season": batch.seasons}.get(
                event.kind, batch.items).add(event.rating_key)
            if batch.size() > self.burst:
                batch.to_scan()

    def activity(self, server_id: int, event: ActivityEvent, now: float, wall: datetime) -> None:
        section = event.section_key or ALL
        key = (server_id, section)
        with self._lock:
            if event.event == "ended":
                self._scanning.pop(key, None)
                self._batch(server_id, section, now, wall).to_scan()
            else:
                self._scanning.setdefault(key, now)

    def lost(self, server_id: int, now: float, wall: datetime) -> None:
        """The server's stream dropped: a scan in flight will never say it ended, so its
        section is scanned (what it sent so far is in that scan's reach)."""
        with self._lock:
            for key in [k for k in self._scanning if k[0] == server_id]:
                del self._scanning[key]
                self._batch(server_id, key[1], now, wall).to_scan()

    def catch_up(self, server_id: int, now: float, wall: datetime) -> None:
        """Scan every library of the server at once (its stream came back after a drop);
        what the server's batches held is folded in, as those scans read it too."""
        with self._lock:
            batch = self._batch(server_id, ALL, now, wall)
            for key in [k for k in self._batches if k[0] == server_id and k[1] != ALL]:
                batch.merge(self._batches.pop(key))
            batch.to_scan()

    def due(self, now: float) -> list[Batch]:
        """Take the batches whose time has come: a scan at once, a refresh after its window;
        none of a section whose scan is still in flight."""
        with self._lock:
            for key, since in list(self._scanning.items()):
                if now - since > self.hold:
                    del self._scanning[key]
            taken = [b for b in self._batches.values()
                     if b.key not in self._scanning and now >= b.not_before
                     and (b.scan or now - b.since >= self.window)]
            for batch in taken:
                del self._batches[batch.key]
            return taken

    def put_back(self, batch: Batch, now: float) -> None:
        """A batch that could not be submitted yet; it is due again ``RETRY`` s from now
        (with whatever came meanwhile)."""
        batch.not_before = now + RETRY
        with self._lock:
            current = self._batches.get(batch.key)
            if current is not None:
                batch.merge(current)
            self._batches[batch.key] = batch

    def pending(self) -> int:
        with self._lock:
            return len(self._batches)
