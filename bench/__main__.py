"""``python -m bench [scenario ...]``: scale runs against the fakes, one process per scenario.

Each scenario gets a fresh SQLite database in a temporary DATA_DIR and its own process, so
peak RSS is the scenario's own (the schema is migrated by a process before it). The fakes run
in further processes of their own. With ``--postgres URL`` (or ``BENCH_POSTGRES_URL``) each
scenario runs again on that PostgreSQL database, emptied first, and a last table puts the two
side by side. The cluster scenario runs on PostgreSQL and Redis only (``--postgres`` and
``REDIS_URL``): it measures a real job cluster's workers scanning side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

SCENARIOS = ("tvmaze", "readers", "plex", "tmdb", "sonarr", "refilter", "ui", "loading", "live",
             "cluster")
ONLY_POSTGRES = {"cluster"}


def _child(name: str, scale: float, libraries: int) -> None:
    import django

    django.setup()
    from bench.harness import print_table

    if name == "tvmaze":
        from bench import tvmaze

        rows = tvmaze.run(shows=int(100_000 * scale), changed=int(1_000 * scale))
    elif name == "readers":
        from bench import readers

        rows = readers.run(shows=int(100_000 * scale))
    elif name == "tmdb":
        from bench import tmdb

        rows = tmdb.run(shows=int(10_000 * scale))
    elif name == "sonarr":
        from bench import sonarr

        rows = sonarr.run(shows=int(100_000 * scale), pending=int(1_000 * scale))
    elif name == "refilter":
        from bench import refilter

        rows = refilter.run(shows=int(1_000_000 * scale))
    elif name == "loading":
        from bench import loading

        rows = loading.run(shows=max(1, int(500 * scale)))
    elif name == "live":
        from bench import live

        rows = live.run(events=max(3, int(200 * scale)), sequential=max(3, int(20 * scale)))
    elif name == "cluster":
        from bench import cluster

        rows = cluster.run(libraries=libraries, shows=max(1, int(2_000 * scale)),
                           episodes=max(1, int(100_000 * scale)))
    elif name == "plex":
        from bench import plex

        rows = plex.run(shows=int(2_000 * scale), episodes=int(100_000 * scale))
    else:
        from bench import ui

        rows = ui.run(shows=int(100_000 * scale), items=int(100_000 * scale))
    print_table(rows)
    print("JSON " + json.dumps([r.__dict__ for r in rows]))


def _run(name: str, scale: float, database_url: str | None, libraries: int) -> list[dict]:
    """One scenario in a child process on a fresh database; returns its rows."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as data_dir:
        env = {**os.environ, "DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE":
               "mediasync.settings", "LOG_LEVEL": "warning"}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        django = [sys.executable, "-m", "django"]
        subprocess.run([*django, "migrate", "--verbosity", "0"], env=env, check=True)
        if database_url:
            subprocess.run([*django, "flush", "--no-input", "--verbosity", "0"], env=env,
                           check=True)
        done = subprocess.run([sys.executable, "-m", "bench", "--child", name, "--scale",
                               str(scale), "--libraries", str(libraries)], env=env, check=True,
                              stdout=subprocess.PIPE, text=True)
    rows: list[dict] = []
    for line in done.stdout.splitlines():
        if line.startswith("JSON "):
            rows += json.loads(line[5:])
        else:
            print(line, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"),
                        metavar="URL", help="also run each scenario on this PostgreSQL "
                        "database (emptied first); default: $BENCH_POSTGRES_URL")
    parser.add_argument("--libraries", type=int, default=4, metavar="N",
                        help="cluster scenario: libraries, each on a Plex fake of its own")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.scale, args.libraries)
        return
    rows: list[dict] = []
    for name in args.scenarios:
        if name in ONLY_POSTGRES and not (args.postgres and os.environ.get("REDIS_URL")):
            print(f"{name}: skipped: it needs PostgreSQL and Redis (pass --postgres URL or set "
                  "BENCH_POSTGRES_URL, and set REDIS_URL)", flush=True)
            continue
        databases = (args.postgres,) if name in ONLY_POSTGRES else (
            (None, args.postgres) if args.postgres else (None,))
        for url in databases:
            rows += _run(name, args.scale, url, args.libraries)
    if args.postgres:
        from bench.harness import Row, print_side_by_side

        print()
        print_side_by_side([Row(**row) for row in rows])


if __name__ == "__main__":
    main()
