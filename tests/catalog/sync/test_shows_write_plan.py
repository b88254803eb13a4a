"""The TVMaze page writer finds the rows holding a page's ids through their indexes: asked as
one ``WHERE a IN (…) OR b IN (…)`` PostgreSQL read the whole show table for every page, and
a 100,000-show mirror spent 10 s waiting on it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.sync.shows_write import _touching
from tests import factories


@pytest.mark.django_db
def test_the_page_lookup_reads_the_show_table_only_through_its_indexes():
    shows = [factories.ShowFactory(tvdb_id=100 + n, imdb_id=f"tt{n:07d}") for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        found = _touching([s.tvmaze_id for s in shows[:2]], {shows[2].tvdb_id},
                          {shows[3].imdb_id})
    assert sorted(row[0] for row in found) == sorted(s.pk for s in shows[:4])
    (lookup,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SCAN catalog_show" not in plan, plan
            assert plan.count("SEARCH catalog_show USING") == 3, plan
        else:
            # A test table has no statistics: with sequential scans off, the planner must
            # still find an index for each id, or it says so by scanning anyway.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {lookup}")
            plan = " | ".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on catalog_show" not in plan, plan
