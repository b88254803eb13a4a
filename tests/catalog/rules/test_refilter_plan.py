"""Every read and write of decisions finds its rows through an index on the show, whatever
the planner knows. A catalog loaded in bulk has no statistics for minutes; PostgreSQL then
read every decision of the rule through the (rule, status) index for each page of shows,
and sorted every later show for each refilter chunk: a refilter grew with the square of the
catalog, and one page of the mirror's changed shows read a whole rule's decisions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.db.bulk import insert
from catalog.models import Decision, RuleSelection, Show, SyncRun
from catalog.rules import decide, refilter
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from tests import factories

# A catalog's proportions: enough rows that a scan of either table costs more than a range
# of its index, as it does at a real catalog's size.
SHOWS = 5_000
OTHER_RULES = 30


def _unique_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Decision._meta.db_table)
    return [c["columns"] for c in found.values() if c["unique"] and not c["primary_key"]]


@pytest.mark.django_db
def test_decisions_are_unique_by_rule_then_show():
    assert ["rule_id", "show_id"] in _unique_columns()
    assert ["show_id", "rule_id"] not in _unique_columns()


def _shows(first: int, count: int) -> list[int]:
    """``count`` shows, half of them English, each decided by every disabled rule."""
    now = timezone.now()
    rows = [(n, f"Show {n}", "English" if n % 2 else "French", "[]")
            for n in range(first, first + count)]
    ids = insert(Show, ["tvmaze_id", "title", "language", "genres"], rows,
                 constants={"created_at": now, "updated_at": now})
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:  # a catalog's worth of decisions, in one statement
        cursor.execute(
            "INSERT INTO catalog_decision (show_id, rule_id, status, reason, attempts, "
            "approved_by, decided_at, updated_at) SELECT s.id, r.id, 'filtered', '', 0, '', "
            "%s, %s FROM catalog_show s CROSS JOIN catalog_discoveryrule r "
            "WHERE s.id >= %s AND NOT r.enabled", [stamp, stamp, ids[0]])
    return ids


def _forget_statistics() -> None:
    """As after a bulk load, before anything analysed the tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
                cursor.execute("ANALYZE sqlite_schema")  # reload: no statistics
        else:
            cursor.execute("DELETE FROM pg_statistic WHERE starelid IN "
                           "('catalog_show'::regclass, 'catalog_decision'::regclass)")


def _analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else
                       "ANALYZE catalog_show; ANALYZE catalog_decision")


def _catalog(statistics: str, enabled: int = 1) -> list[int]:
    """SHOWS shows and OTHER_RULES disabled rules that decided every one, and ``enabled`` rules
    whose every decision the next pass moves. ``statistics``: none (as after a bulk load), or
    stale (taken when the catalog had a few shows, as autovacuum or PRAGMA optimize leave
    them before a bulk load)."""
    factories.DiscoveryRuleFactory.create_batch(OTHER_RULES, enabled=False)
    ids = _shows(1, 40)
    _forget_statistics()
    if statistics == "stale":
        _analyse()
    ids += _shows(41, SHOWS - 40)
    rules = factories.DiscoveryRuleFactory.create_batch(enabled)
    for rule in rules:
        RuleSelection.objects.create(rule=rule, languages=["English"])
    decide.decide_rows(decide.show_range(ids[0], ids[-1]), decide.enabled_rule_views(),
                       now=timezone.now(), span=(ids[0], ids[-1]))
    assert Decision.objects.count() == SHOWS * (OTHER_RULES + enabled)
    # every decision of the enabled rules moves
    RuleSelection.objects.filter(rule__in=rules).update(languages=["French"])
    return ids


def _statements(ids: list[int]) -> list[str]:
    """The reads and moves of a refilter chunk and of the mirror's page hook."""
    views = decide.enabled_rule_views()
    middle = ids[len(ids) // 2:len(ids) // 2 + 1000]
    with CaptureQueriesContext(connection) as queries:
        span = (middle[0], middle[0] + 499)
        decide.decide_rows(decide.show_range(*span), views, now=timezone.now(), span=span)
        scattered = middle[600::3]  # a page of changed shows, not one range
        decide.decide_rows(decide.facts_by_ids(scattered), views, now=timezone.now())
    moved = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(moved) >= 2, "both passes moved decisions"
    # Facts read by primary key are left out: a unique key's estimate needs no statistics.
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith(("SELECT", "UPDATE")) and " AND id IN (" not in q["sql"]
            and ("catalog_decision" in q["sql"] or "catalog_show" in q["sql"])]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _assert_indexed_by_show(sql: str, plan: str) -> None:
    table = "catalog_decision" if "catalog_decision" in sql.split(" WHERE ")[0] else "catalog_show"
    if connection.vendor == "sqlite":
        if table == "catalog_show":
            assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plan or \
                "USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        else:
            # the (rule, show) unique index, under the name SQLite gives a table's constraint
            assert re.search(r"USING INDEX \S+ \(rule_id=\? AND show_id(=\?|>\? AND "
                             r"show_id<\?)\)", plan), plan
        return
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan or table == "catalog_show", plan
    conditions = re.findall(r"Index Cond: (.*)", plan)
    assert conditions, plan
    if table == "catalog_show":
        bounded = [c for c in conditions if ("(id >=" in c and "(id <=" in c) or "(id = ANY" in c]
        assert bounded, plan
    else:
        assert all("show_id" in c for c in conditions), plan


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", [1, 3])
def test_each_lookup_is_a_range_or_a_probe_of_an_index_on_the_show(enabled):
    """Without statistics, as after a bulk load; with several rules enabled too (a join of
    their ids with the shows was planned as a scan of every decision)."""
    for sql in _statements(_catalog("none", enabled)):
        _assert_indexed_by_show(sql, _plan(sql))


def _estimated_decisions(rule_id: int) -> int:
    """How many decisions of the rule the planner expects."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'catalog_decision' "
                           "AND idx = 'decision_rule_status_reason'")
            per_rule = cursor.fetchone()[0].split()[1]  # rows, then rows per rule id
            return int(per_rule)
        cursor.execute("EXPLAIN SELECT 1 FROM catalog_decision WHERE rule_id = %s", [rule_id])
        return int(re.search(r"rows=(\d+)", cursor.fetchone()[0]).group(1))


@pytest.mark.django_db
def test_a_refilter_refreshes_statistics_taken_before_its_rule_existed(monkeypatch):
    """Statistics taken before the rule existed call its decisions rare, and both databases
    then read a chunk's decisions through the rule alone (every decision of the rule, for
    each chunk). Once its first chunk is written, a refilter refreshes them."""
    _catalog("stale")  # analysed at 40 shows; SHOWS shows and their decisions since
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["English"])
    refreshed: list[int] = []
    original = refilter.statistics_refresh

    def spy() -> None:
        refreshed.append(Decision.objects.filter(rule=rule).count())
        original()

    monkeypatch.setattr(refilter, "statistics_refresh", spy)
    stale = _estimated_decisions(rule.pk)
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    job_execute(run, lambda r: refilter.rule_refilter(r, rule_id=rule.pk, chunk=500),
                upstream="rules")
    assert len(refreshed) == 1 and refreshed[0] > 0  # once, after its first decisions
    assert Decision.objects.filter(rule=rule).count() == SHOWS
    # Rare before, no longer rare after. (No upper bound: SQLite's bounded ANALYZE reads
    # the first rows of each index, and its per-rule figure follows whichever rules those
    # hold, hundreds or thousands.)
    assert stale < refreshed[0] / 3 <= _estimated_decisions(rule.pk)


@pytest.mark.django_db
def test_the_statistics_refresh_leaves_the_connections_analysis_limit_as_it_was():
    """SQLite keeps ``analysis_limit`` for the connection: a later full ANALYZE (a test's,
    an operator's ``PRAGMA optimize``) would otherwise run bounded too."""
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")
    _analyse()  # statistics exist: the refresh runs
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 0")
        decide.statistics_refresh()
        cursor.execute("PRAGMA analysis_limit")
        assert cursor.fetchone()[0] == 0
