"""Measures one scenario step: wall time, upstream requests, rows written, peak RSS."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

# Servers a scenario creates but never syncs point here: the discard port on loopback, where
# nothing listens (as the test factories do), never a port a real Sonarr (8989) or Plex
# (32400) on the benchmarking machine would answer.
CLOSED_URL = "http://127.0.0.1:9"


@dataclass
class Row:
    scenario: str
    seconds: float
    requests: int
    rows_written: int
    peak_rss_mb: float
    target: str
    note: str = ""


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def writes_since(before: int) -> int:
    """Rows changed on this connection since ``before`` (SQLite's total_changes())."""
    return total_changes() - before


def total_changes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def measure(name: str, target: str, step: Callable[[], Any],
            requests: Callable[[], int]) -> tuple[Row, Any]:
    """Run ``step`` once and describe it."""
    req0, rows0 = requests(), total_changes()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    row = Row(name, seconds, requests() - req0, writes_since(rows0), peak_rss_mb(), target)
    return row, result


def print_table(rows: list[Row]) -> None:
    header = f"{'scenario':<44} {'time s':>8} {'requests':>9} {'rows':>9} {'peak MB':>8}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.scenario:<44} {r.seconds:>8.2f} {r.requests:>9} {r.rows_written:>9} "
              f"{r.peak_rss_mb:>8.0f}  {r.target}{'  ' + r.note if r.note else ''}")
