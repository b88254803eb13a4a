"""One server's notification stream, read in its own thread: connect, read, reconnect.

Reconnects back off exponentially (``BACKOFF_BASE`` doubling up to ``BACKOFF_CAP``, with
jitter so that many listeners do not knock at once). Every message is parsed; an unreadable
one or entry is skipped with one log line, never raised. Library events go to the coalescer.
A reconnect after a drop asks for a scan of the server's libraries: nothing says what the
stream missed meanwhile.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from catalog.sync.plex.live.coalesce import Coalescer
from catalog.sync.plex.live.state import StreamState
from integrations.errors import UpstreamError
from integrations.plex.events import ActivityEvent, MessageError, parse_message
from integrations.plex.notifications import NotificationSocket

log = logging.getLogger(__name__)
BACKOFF_BASE = 0.5
BACKOFF_CAP = 60.0
POLL = 0.5  # seconds a read waits before the thread looks at its stop flag
SKIP_LINES = 20  # log lines about unreadable messages per minute, at most
STABLE = 30.0  # seconds a connection must last for the next drop to back off from the start


def backoff(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds before connection attempt ``attempt`` (1, 2, ...): doubling, capped, and
    jittered between half and all of it."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempt - 1, 0), 16))
    return ceiling * (0.5 + rand() / 2)


class Stream(threading.Thread):
    """The reader of one server's stream (daemon: the listener's exit ends it)."""

    def __init__(self, *, server_id: int, name: str, url: str, token: str,
                 coalescer: Coalescer, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = timezone.now, resume: bool = False) -> None:
        super().__init__(name=f"plex-stream-{server_id}", daemon=True)
        self.server_id, self.server_name = server_id, name
        self.url, self._token = url, token
        self.coalescer, self.clock, self.wall = coalescer, clock, wall
        self.state = StreamState(server_id)
        self.resume = resume  # takes over from a stream of this server: catch up at once
        self.stopping = threading.Event()
        self._skip_window, self._skip_lines, self._skip_quiet = float("-inf"), 0, 0

    def __repr__(self) -> str:
        return f"Stream(server={self.server_id}, url={self.url!r}, token='***')"

    def same(self, url: str, token: str) -> bool:
        return (self.url, self._token) == (url, token)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        attempt, first = 0, not self.resume
        while not self.stopping.is_set():
            sock = NotificationSocket(self.url, self._token, poll=POLL)
            try:
                sock.connect()
            except UpstreamError as error:
                attempt += 1
                self._failed(error, attempt)
                continue
            self._connected(first)
            first, opened = False, self.clock()
            try:
                self._read(sock)
            except UpstreamError as error:
                attempt = self._next(attempt, opened)
                self._lost(str(error), attempt)
            except Exception as exc:  # a bug must cost a reconnect, never the stream
                log.exception("plex listener: %s: unexpected error reading the stream",
                              self.server_name)
                attempt = self._next(attempt, opened)
                self._lost(f"unexpected error ({type(exc).__name__})", attempt)
            finally:
                sock.close()
        self.state.change(connected=False)

    def _next(self, attempt: int, opened: float) -> int:
        """The backoff starts over after a connection that lasted; a server that accepts and
        hangs up at once keeps backing off."""
        return 1 if self.clock() - opened >= STABLE else attempt + 1

    def _read(self, sock: NotificationSocket) -> None:
        while not self.stopping.is_set():
            message = sock.receive()
            if message is not None:
                self.handle(message)

    def handle(self, message: str) -> int:
        """Parse one message and hand its library events on; returns how many."""
        now, wall = self.clock(), self.wall()
        try:
            parsed = parse_message(message)
        except MessageError as error:
            self._skipped(now, "a message: %s", error)
            return 0
        if parsed.problems:
            self._skipped(now, "%d %s entr%s: %s", len(parsed.problems), parsed.type,
                          "y" if len(parsed.problems) == 1 else "ies", parsed.problems[0])
        for event in parsed.events:
            if isinstance(event, ActivityEvent):
                self.coalescer.activity(self.server_id, event, now, wall)
            else:
                self.coalescer.timeline(self.server_id, event, now, wall)
        with self.state.lock:
            self.state.last_event_at = wall
            self.state.events_handled += len(parsed.events)
            self.state.version += 1
        return len(parsed.events)

    def _skipped(self, now: float, what: str, *args: object) -> None:
        """One log line per unreadable message, at most ``SKIP_LINES`` a minute: a server
        that sends nothing but garbage must not flood the log."""
        if now - self._skip_window >= 60:
            if self._skip_quiet:
                log.warning("plex listener: %s: %d more unreadable messages were not logged",
                            self.server_name, self._skip_quiet)
            self._skip_window, self._skip_lines, self._skip_quiet = now, 0, 0
        if self._skip_lines >= SKIP_LINES:
            self._skip_quiet += 1
            return
        self._skip_lines += 1
        log.warning("plex listener: %s: skipped " + what, self.server_name, *args)

    def _connected(self, first: bool) -> None:
        log.info("plex listener: %s: %s", self.server_name, "connected" if first
                 else "connected again; its libraries are scanned for what the stream missed")
        wall = self.wall()
        self.state.change(connected=True, connected_since=wall, last_error="")
        if not first:
            self.coalescer.catch_up(self.server_id, self.clock(), wall)

    def _failed(self, error: UpstreamError, attempt: int) -> None:
        delay = backoff(attempt)
        log.warning("plex listener: %s: cannot connect (%s); next try in %.1f s",
                    self.server_name, error, delay)
        self.state.change(connected=False, last_error=str(error))
        self.stopping.wait(delay)

    def _lost(self, error: str, attempt: int) -> None:
        delay = backoff(attempt)
        log.warning("plex listener: %s: stream lost (%s); reconnecting in %.1f s",
                    self.server_name, error, delay)
        self.coalescer.lost(self.server_id, self.clock(), self.wall())
        with self.state.lock:
            self.state.connected = False
            self.state.reconnects += 1
            self.state.last_error = error
            self.state.version += 1
        self.stopping.wait(delay)
