"""The listener process: one stream thread per enabled Plex server, one loop that submits.

The main loop (one database connection) re-reads the server list every ``reload`` seconds
(a server added, disabled, or given a new URL or token is picked up), submits the batches
that are due, and saves the streams' state. Nothing it holds is precious: a batch lost with
the process is a change the next scan reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from catalog.models import PlexServer
from catalog.sync.plex.live.coalesce import Coalescer
from catalog.sync.plex.live.state import BEAT, states_disconnect, states_save
from catalog.sync.plex.live.stream import Stream
from catalog.sync.plex.live.submit import batch_submit, batches_ours

log = logging.getLogger(__name__)
TICK = 0.2  # seconds between looks at what is due
RELOAD = 30.0  # seconds between reads of the server list


@dataclass
class Listener:
    coalescer: Coalescer = field(default_factory=Coalescer)
    reload: float = RELOAD
    tick: float = TICK
    clock: Callable[[], float] = time.monotonic
    streams: dict[int, Stream] = field(default_factory=dict)
    _saved: dict[int, int] = field(default_factory=dict)  # state version saved, by server
    _saved_at: float = float("-inf")
    _loaded_at: float = float("-inf")

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; the streams are stopped and marked disconnected after."""
        log.info("plex listener: started")
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self.tick)
        finally:
            self.shutdown()

    def step(self) -> None:
        """One look: reload servers when due, submit due batches, save changed states."""
        now = self.clock()
        try:
            if now - self._loaded_at >= self.reload:
                self.servers_reload()
                self._loaded_at = now
            self.flush()
            self.save()
        except DatabaseError as exc:
            log.warning("plex listener: database unavailable (%s); trying again", exc)
            close_old_connections()

    def servers_reload(self) -> None:
        wanted = {pk: (name, url, token) for pk, name, url, token in
                  PlexServer.objects.filter(enabled=True).values_list("pk", "name", "url",
                                                                      "token")}
        dropped = [pk for pk, s in self.streams.items()  # gone, changed, or its thread died
                   if pk not in wanted or not s.same(*wanted[pk][1:]) or not s.is_alive()]
        for pk in dropped:
            self._drop(pk)
        for pk, (name, url, token) in wanted.items():
            if pk not in self.streams:
                # Taking over from a stream of this server (new token or URL, dead thread):
                # what happened since that one last heard is unknown, so it catches up.
                stream = Stream(server_id=pk, name=name, url=url, token=token,
                                coalescer=self.coalescer, clock=self.clock,
                                resume=pk in dropped)
                self.streams[pk] = stream
                stream.start()

    def _drop(self, pk: int) -> None:
        stream = self.streams.pop(pk)
        stream.stop()
        self._saved.pop(pk, None)
        states_disconnect([pk], timezone.now())
        log.info("plex listener: %s: no longer listened to", stream.server_name)

    def flush(self) -> None:
        due = self.coalescer.due(self.clock())
        try:
            due = batches_ours(due)
        except DatabaseError:
            for batch in due:
                self.coalescer.put_back(batch, self.clock())
            raise
        for batch in due:
            try:
                done = batch_submit(batch)
            except DatabaseError:
                self.coalescer.put_back(batch, self.clock())
                raise
            except Exception:
                log.exception("plex listener: could not submit a batch; trying again")
                done = False
            if not done:
                self.coalescer.put_back(batch, self.clock())

    def save(self, *, force: bool = False) -> None:
        now = self.clock()
        snaps = [s.state.snapshot() for s in self.streams.values()]
        beat = force or now - self._saved_at >= BEAT
        changed = [s for s in snaps if beat or self._saved.get(s.server_id) != s.version]
        if not changed:
            return
        gone = states_save(changed, timezone.now())
        for pk in gone:  # deleted since the last reload: stop listening to it now
            self._drop(pk)
        self._saved.update((s.server_id, s.version) for s in changed if s.server_id not in gone)
        self._saved_at = now if beat else self._saved_at

    def shutdown(self) -> None:
        for stream in self.streams.values():
            stream.stop()
        for stream in self.streams.values():
            stream.join(timeout=2)
        try:
            self.save(force=True)
            states_disconnect(list(self.streams), timezone.now())
        except DatabaseError as exc:
            log.warning("plex listener: could not save its state on the way out (%s)", exc)
        log.info("plex listener: stopped")
