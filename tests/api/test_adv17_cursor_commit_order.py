"""Adversarial (issue 17): on PostgreSQL ids are handed out at insert, not at commit.

README: "Rows inserted or updated meanwhile move nothing: every row that existed when the walk
began comes exactly once (rows created during an ascending walk come too)". A writer (a
refilter, a scan) takes its id when it inserts and commits later; meanwhile a quicker writer
commits higher ids and the walk's cursor passes the first writer's id. When that row commits
it lies behind the cursor and an ascending walk never serves it, though it was created during
the walk. (``LiveView`` guards against exactly this with ``_open_since``; the cursor does not.)
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from catalog.models import SyncRun

PAGE_SIZE = 3


def _run(scope: str) -> SyncRun:
    return SyncRun.objects.create(kind="tvmaze", scope=scope, status="succeeded")


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_during_an_ascending_walk_comes(admin_user, api_as):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers take turns: ids commit in order")
    for i in range(4):
        _run(f"old-{i}")
    inserted, release = threading.Event(), threading.Event()
    late: list[int] = []

    def slow_writer() -> None:  # e.g. a refilter's batch, still inside its transaction
        try:
            with transaction.atomic():
                late.append(_run("late").pk)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert inserted.wait(timeout=30)
        for i in range(4):  # a quicker writer commits higher ids at once
            _run(f"quick-{i}")
        client = api_as(admin_user)
        body = client.get("/api/sync-runs/", {"paging": "cursor",
                                              "page_size": PAGE_SIZE}).json()
        seen = [row["id"] for row in body["results"]]
        body = client.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]
    finally:
        release.set()
        writer.join(timeout=30)
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]

    assert set(SyncRun.objects.values_list("pk", flat=True)) - set(seen) == set(), (
        f"the run {late[0]} committed during the walk never came")
