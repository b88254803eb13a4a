"""``python -m integrations.fakes``: run the loopback fakes with a seeded world.

Prints ``export NAME=value`` lines that point mediasync at them (``--env-file`` writes the
same lines to a file once every fake listens), then serves until Ctrl-C or SIGTERM. SIGUSR1
gives the first Plex server's first TV show a new episode (announced on its notification
stream), as ``make demo`` does to show the Plex listener at work.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
import time

from integrations.fakes.world import FAKES, world_start


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integrations.fakes",
                                     description="Loopback fakes of TVMaze, TMDB, Plex and "
                                                 "Sonarr sharing one seeded world.")
    parser.add_argument("fakes", nargs="*",
                        metavar="FAKE", help=f"which to start: {', '.join(FAKES)} (default all)")
    parser.add_argument("--shows", type=int, default=3000, help="TVMaze shows (default 3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1", help="loopback by default")
    parser.add_argument("--env-file", help="also write the export lines to this file")
    args = parser.parse_args(argv)
    unknown = [f for f in args.fakes if f not in FAKES]
    if unknown or args.shows < 1:
        parser.error(f"unknown fake {unknown[0]!r}" if unknown else "--shows must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    world = world_start(which=tuple(args.fakes) or FAKES, shows=args.shows, seed=args.seed,
                        host=args.host)
    stop = threading.Event()
    gain = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: gain.set())
    try:
        lines = [f"export {k}={shlex.quote(v)}" for k, v in world.env().items()]
        print("\n".join(lines), flush=True)
        if args.env_file:
            tmp = f"{args.env_file}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
            os.replace(tmp, args.env_file)  # appears whole: a watcher never reads half
        names = ", ".join(f"{s.name} {s.url}" for s in world.servers())
        print(f"# fakes ready in {time.perf_counter() - started:.1f} s: {names}",
              file=sys.stderr, flush=True)
        while not stop.wait(0.1):
            if gain.is_set():
                gain.clear()
                print(f"# {world.plex_gain_episode()}", file=sys.stderr, flush=True)
    finally:
        world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
