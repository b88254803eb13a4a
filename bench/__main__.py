"""``python -m bench [scenario ...]``: scale runs against the fakes, one process per scenario.

Each scenario gets a fresh SQLite database in a temporary DATA_DIR and its own process, so
peak RSS is the scenario's own. The fakes run in further processes of their own. With
``--postgres URL`` (or ``BENCH_POSTGRES_URL``) each scenario runs a second time on that
PostgreSQL database, dropped and created afresh, and the two are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from bench.harness import print_side_by_side

SCENARIOS = ("tvmaze", "plex", "tmdb", "sonarr", "refilter", "ui", "loading")


def _child(name: str, scale: float) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.harness import print_table

    if name == "tvmaze":
        from bench import tvmaze

        rows = tvmaze.run(shows=int(100_000 * scale), changed=int(1_000 * scale))
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
    elif name == "plex":
        from bench import plex

        rows = plex.run(shows=int(2_000 * scale), episodes=int(100_000 * scale))
    else:
        from bench import ui

        rows = ui.run(shows=int(100_000 * scale), items=int(100_000 * scale))
    print_table(rows)
    print("JSON " + json.dumps([r.__dict__ for r in rows]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"),
                        help="also run on this PostgreSQL database (dropped and recreated)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.scale)
        return
    for name in args.scenarios:
        runs = {"SQLite": _run(name, args.scale, None)}
        if args.postgres:
            runs["PostgreSQL"] = _run(name, args.scale, args.postgres)
            print_side_by_side(runs)


def _run(name: str, scale: float, postgres: str | None) -> list[dict]:
    """One scenario in a child process; returns its rows (echoing what it prints)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as data_dir:
        env = {**os.environ, "DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE":
               "mediasync.settings", "LOG_LEVEL": "warning"}
        env.pop("DATABASE_URL", None)
        if postgres:
            _recreate(postgres)
            env["DATABASE_URL"] = postgres
        print(f"== {name} on {'PostgreSQL' if postgres else 'SQLite'}", flush=True)
        child = subprocess.Popen([sys.executable, "-m", "bench", "--child", name, "--scale",
                                  str(scale)], env=env, stdout=subprocess.PIPE, text=True)
        rows: list[dict] = []
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("JSON "):
                rows = json.loads(line[5:])
            print(line, end="", flush=True)
        if child.wait():
            raise SystemExit(f"bench {name} failed (exit {child.returncode})")
        return rows


def _recreate(url: str) -> None:
    """Drop and create the bench's PostgreSQL database, so every run starts empty."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
