"""A refilter finds a chunk's decisions as one range of the (rule, show) index, whatever the
planner knows: through the rule alone it read every decision of the rule for each chunk, and
an unchanged refilter grew tenfold for five times the shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Decision
from catalog.rules.decide import decide_rows, enabled_rule_views, show_chunk
from tests import factories


def _unique_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Decision._meta.db_table)
    return [c["columns"] for c in found.values() if c["unique"] and not c["primary_key"]]


@pytest.mark.django_db
def test_decisions_are_unique_by_rule_then_show():
    assert ["rule_id", "show_id"] in _unique_columns()
    assert ["show_id", "rule_id"] not in _unique_columns()


@pytest.mark.django_db
def test_a_chunks_decisions_are_read_through_the_rule_show_range():
    """SQLite plans without statistics: its plan is the one it will use. PostgreSQL plans
    from statistics a test table lacks; with sequential scans off, it must still find an
    index whose range serves the lookup."""
    rule = factories.DiscoveryRuleFactory()
    for _ in range(3):
        factories.ShowFactory()
    with CaptureQueriesContext(connection) as queries:
        decide_rows(show_chunk(100), enabled_rule_views(), now=timezone.now(),
                    contiguous=True)
    lookup = next(q["sql"] for q in queries.captured_queries
                  if q["sql"].startswith("SELECT show_id, rule_id, status"))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "rule_id=? AND show_id>? AND show_id<?" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {lookup}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "decision_rule_show_unique" in plan, plan
    assert Decision.objects.filter(rule=rule).count() == 3
