"""``manage.py listen``: hold each enabled Plex server's notification stream and keep the
catalog in step with it (``bin/mediasync listen``). Stops on SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.sync.plex.live.coalesce import BURST, WINDOW, Coalescer
from catalog.sync.plex.live.listener import RELOAD, Listener


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value < 86_400:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = ("Listen to every enabled Plex server's notifications: a changed show or item is "
            "refreshed within seconds, a finished Plex scan runs an incremental scan.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--window", type=_positive, default=WINDOW,
                            help=f"seconds events gather before one refresh (default {WINDOW})")
        parser.add_argument("--burst", type=int, default=BURST,
                            help=f"keys in one window beyond which the library is scanned "
                                 f"instead (default {BURST})")
        parser.add_argument("--reload", type=_positive, default=RELOAD,
                            help=f"seconds between reads of the server list (default {RELOAD})")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        listener = Listener(coalescer=Coalescer(window=options["window"],
                                                burst=max(1, options["burst"])),
                            reload=options["reload"])
        listener.run(stop)
