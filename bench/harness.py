"""Measures one scenario step: CPU and wall time, upstream requests, rows written, peak RSS.

CPU is user + system time of this process (every thread of it, none of the fakes', which run
in processes of their own): on a shared machine it is the steadier figure of the two.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    cpu_seconds: float | None = None
    database: str = field(default_factory=lambda: connection.vendor)


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def writes_since(before: int) -> int:
    """Rows changed since ``before`` (``total_changes``)."""
    return total_changes() - before


def total_changes() -> int:
    """Rows inserted, updated or deleted: this connection's on SQLite, the database's on
    PostgreSQL (its statistics, flushed first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                           "FROM pg_stat_user_tables")
        return int(cursor.fetchone()[0])


def measure(name: str, target: str, step: Callable[[], Any],
            requests: Callable[[], int]) -> tuple[Row, Any]:
    """Run ``step`` once and describe it."""
    req0, rows0 = requests(), total_changes()
    started, cpu0 = time.perf_counter(), cpu_seconds()
    result = step()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
    row = Row(name, seconds, requests() - req0, writes_since(rows0), peak_rss_mb(), target,
              cpu_seconds=cpu)
    return row, result


def _cpu(row: Row) -> str:
    return "" if row.cpu_seconds is None else f"{row.cpu_seconds:.2f}"


def print_table(rows: list[Row]) -> None:
    header = (f"{'scenario':<44} {'db':<10} {'CPU s':>7} {'wall s':>8} {'requests':>9} "
              f"{'rows':>9} {'peak MB':>8}  target")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.scenario:<44} {r.database:<10} {_cpu(r):>7} {r.seconds:>8.2f} "
              f"{r.requests:>9} {r.rows_written:>9} {r.peak_rss_mb:>8.0f}  "
              f"{r.target}{'  ' + r.note if r.note else ''}")


def print_side_by_side(rows: list[Row]) -> None:
    """One line per scenario step: each database's CPU s / wall s / peak MB, and requests."""
    databases = list(dict.fromkeys(r.database for r in rows))
    steps = list(dict.fromkeys(r.scenario for r in rows))
    cell = {(r.scenario, r.database): r for r in rows}
    header = f"{'scenario':<44}" + "".join(f" {db + ' CPU/wall/MB':>26}" for db in databases)
    print(header + f" {'requests':>9}")
    print("-" * (len(header) + 10))
    for step in steps:
        line = f"{step:<44}"
        for db in databases:
            r = cell.get((step, db))
            line += f" {f'{_cpu(r)} / {r.seconds:.2f} / {r.peak_rss_mb:.0f}' if r else '-':>26}"
        requests = {cell[(step, db)].requests for db in databases if (step, db) in cell}
        print(line + f" {'/'.join(str(n) for n in sorted(requests)):>9}")
