"""Driving the Plex listener in the test's own thread: the streams read in theirs, and each
``step`` (submit what is due, save state) runs here, on a clock the test moves."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from catalog.sync.plex.live.coalesce import Coalescer
from catalog.sync.plex.live.listener import Listener

LIBRARY_REQUESTS = "GET /library/"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def listener_for(*, window: float = 2.0, burst: int = 200) -> tuple[Listener, Clock]:
    clock = Clock()
    listener = Listener(coalescer=Coalescer(window=window, burst=burst), clock=clock,
                        reload=3600.0)
    return listener, clock


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a condition another thread makes true (a stream receiving a message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def handled(listener: Listener, server_id: int) -> int:
    return listener.streams[server_id].state.snapshot().events_handled


def settle(listener: Listener, clock: Clock, server_id: int, events: int) -> None:
    """Once the stream has handled ``events``, move past the window and submit."""
    assert wait_for(lambda: handled(listener, server_id) >= events), (
        f"the stream handled {handled(listener, server_id)} of {events} events")
    clock.now += listener.coalescer.window + 0.1
    listener.step()
