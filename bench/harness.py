"""Measures one scenario step: CPU seconds, wall time, upstream requests, rows written, peak RSS."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass
class Row:
    scenario: str
    seconds: float
    requests: int
    rows_written: int
    peak_rss_mb: float
    target: str
    note: str = ""
    cpu_seconds: float = 0.0  # user + system of this process (its threads included)


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def writes_since(before: int) -> int:
    """Rows changed on this connection since ``before`` (SQLite's total_changes())."""
    return total_changes() - before


def total_changes() -> int:
    """SQLite's count of rows changed on this connection; 0 elsewhere (PostgreSQL keeps no
    such per-connection counter)."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def measure(name: str, target: str, step: Callable[[], Any],
            requests: Callable[[], int]) -> tuple[Row, Any]:
    """Run ``step`` once and describe it."""
    req0, rows0 = requests(), total_changes()
    cpu0, started = cpu_seconds(), time.perf_counter()
    result = step()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
    row = Row(name, seconds, requests() - req0, writes_since(rows0), peak_rss_mb(), target,
              cpu_seconds=cpu)
    return row, result


def print_table(rows: list[Row]) -> None:
    header = (f"{'scenario':<44} {'CPU s':>7} {'time s':>8} {'requests':>9} {'rows':>9} "
              f"{'peak MB':>8}  target")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.scenario:<44} {r.cpu_seconds:>7.2f} {r.seconds:>8.2f} {r.requests:>9} "
              f"{r.rows_written:>9} {r.peak_rss_mb:>8.0f}  {r.target}"
              f"{'  ' + r.note if r.note else ''}")


def print_side_by_side(runs: dict[str, list[dict[str, Any]]]) -> None:
    """One line per scenario step: CPU s, wall s, peak RSS and requests on each database."""
    names = list(runs)
    steps = [row["scenario"] for row in next(iter(runs.values()))]
    cell = "{:>7} {:>7} {:>6} {:>6}"
    print(f"\n{'':<44} " + " | ".join(f"{n:^30}" for n in names))
    print(f"{'scenario':<44} " + " | ".join(cell.format("CPU s", "wall s", "RSS MB", "req")
                                           for _ in names))
    for index, step in enumerate(steps):
        cells = []
        for name in names:
            rows = runs[name]
            r = rows[index] if index < len(rows) else None
            cells.append(cell.format(*(("-",) * 4 if r is None else (
                f"{r.get('cpu_seconds', 0):.2f}", f"{r['seconds']:.2f}",
                f"{r['peak_rss_mb']:.0f}", r["requests"]))))
        print(f"{step:<44} " + " | ".join(cells))
