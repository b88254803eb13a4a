"""Persist this process's upstream counts into the shared UpstreamCounter table.

Why a table and not prometheus-client's multiprocess mode: the documented deployment runs
web and worker in separate containers over one data volume, so pids collide (two pid-7
processes would share one mmap file) and a dead pid's file can never be told apart; files
also pile up with every recycled worker. A row per (upstream, event) that every process adds
to with one upsert has none of these problems and survives restarts, so the counters stay
monotonic as Prometheus expects.

A process flushes when a run ends, at each run heartbeat, after each queued task, after a
web request that made upstream calls, and before a scrape; each flush is one statement.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.utils import timezone

from catalog.models import UpstreamCounter
from integrations import metrics

log = logging.getLogger(__name__)


def _upsert_sql(rows: int) -> str:
    table = connection.ops.quote_name(UpstreamCounter._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * rows)
    # Same statement on SQLite (3.24+) and PostgreSQL; only the quoted table name and
    # placeholders are interpolated, the values travel as parameters.
    insert = f"INSERT INTO {table} (upstream, event, value, updated_at) VALUES {values}"  # noqa: S608
    return (f"{insert} ON CONFLICT (upstream, event) DO UPDATE"
            f" SET value = {table}.value + excluded.value, updated_at = excluded.updated_at")


def upstream_counters_flush() -> int:
    """Add what this process counted since its last flush; returns the rows touched.

    On a database error the counts are kept for the next flush, and the error is raised.
    """
    pending = metrics.drain()
    if not pending:
        return 0
    now = timezone.now()
    params: list[object] = []
    for (upstream, event), value in sorted(pending.items()):
        params += [upstream[:32], event[:64], value, now]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(len(pending)), params)
    except DatabaseError:
        metrics.restore(pending)
        raise
    return len(pending)


def upstream_counters_flush_quietly(**_signal_kwargs: object) -> None:
    """For signal receivers and heartbeats: a failed flush waits for the next one."""
    try:
        upstream_counters_flush()
    except DatabaseError as exc:
        log.warning("could not save upstream counters yet: %s", type(exc).__name__)
