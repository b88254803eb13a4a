"""Commits that need not wait for the disk."""

from __future__ import annotations

from django.db import connection

__all__ = ["commit_without_waiting"]


def commit_without_waiting() -> None:
    """Let this transaction's commit return before PostgreSQL flushes it to disk.

    For pages written together with their checkpoint: a server crash can lose the last few
    such commits, but their checkpoints go with them, so a resumed run reads those pages
    again. It is what SQLite's WAL with ``synchronous=NORMAL`` (our settings) does for every
    commit; on PostgreSQL it saves a disk flush per page. Call inside the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
