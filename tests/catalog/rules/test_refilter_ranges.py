"""A refilter walks the shows in id ranges sized to hold about a chunk of shows each: every
show is decided exactly once however its ids thin out (PostgreSQL's upserts use up an id
each; deletions leave holes), and sparse ids cost a few chunks, not one per chunk of ids."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest
from django.db import connection

from catalog.models import Decision, RuleSelection, Show, SyncRun
from catalog.rules import refilter
from catalog.rules.refilter import next_width, rule_refilter
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from tests import factories

CHUNK = 4


def test_a_range_widens_over_sparse_ids_and_narrows_where_they_are_dense():
    assert next_width(CHUNK, CHUNK, CHUNK) == CHUNK  # dense: as many ids as shows
    assert next_width(CHUNK, 0, CHUNK) == CHUNK * 8  # nothing found: eight times wider
    assert next_width(CHUNK * 8, 2, CHUNK) == CHUNK * 16  # half as dense as wanted
    assert next_width(1_000, CHUNK, CHUNK) == 1_000  # cut by the limit over 1,000 ids
    assert next_width(5, CHUNK, CHUNK) == 5  # four shows in five ids: five ids again


def _refilter(rule, chunk: int = CHUNK) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    return job_execute(run, lambda r: rule_refilter(r, rule_id=rule.pk, chunk=chunk),
                       upstream="rules")


def _counting(monkeypatch) -> list[tuple[int, int, int]]:
    """Every chunk decided: (first id, last id, shows in it)."""
    chunks: list[tuple[int, int, int]] = []
    original = refilter.decide_rows

    def decide_rows(rows, views, **kwargs):
        rows = list(rows)
        assert len(rows) <= CHUNK
        chunks.append((*kwargs["span"], len(rows)))
        return original(rows, views, **kwargs)

    monkeypatch.setattr(refilter, "decide_rows", decide_rows)
    return chunks


IDS = [*range(1, 11), *range(10_000, 10_006), 2_000_000, 2_000_001,
       *range(9_000_000_000, 9_000_000_009)]


@pytest.mark.django_db
def test_every_show_is_decided_once_across_holes_and_dense_runs(monkeypatch):
    for at, pk in enumerate(IDS):
        factories.ShowFactory(id=pk, language="English" if at % 2 else "French")
    factories.ShowFactory(id=500, tvmaze_id=None, tvdb_id=None)  # a placeholder: no facts
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["English"])
    reads = _counting(monkeypatch)
    run = _refilter(rule)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    decided = sorted(Decision.objects.filter(rule=rule).values_list("show_id", flat=True))
    assert decided == IDS
    assert run.processed == run.total == len(IDS)
    covered = [(first, last) for first, last, _ in reads]  # one after the other, no gap
    assert all(b[0] == a[1] + 1 for a, b in pairwise(covered))
    assert covered[0][0] == 1 and covered[-1][1] >= IDS[-1]
    # 9 billion ids in a few dozen reads, not 2 billion chunks of ids
    assert len(reads) < 40, reads


@pytest.mark.django_db
def test_shows_added_past_the_end_while_it_runs_are_decided_too(monkeypatch):
    for pk in range(1, 7):
        factories.ShowFactory(id=pk)
    rule = factories.DiscoveryRuleFactory()
    original = refilter.show_range
    added = []

    def show_range(first, last, **kwargs):
        if not added:  # a mirror page lands while the refilter reads its first range
            added.append(factories.ShowFactory(id=50_000).pk)
        return original(first, last, **kwargs)

    monkeypatch.setattr(refilter, "show_range", show_range)
    run = _refilter(rule)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert sorted(Decision.objects.filter(rule=rule).values_list("show_id", flat=True)) == \
        [*range(1, 7), 50_000]
    assert Show.objects.count() == 7


@pytest.mark.django_db(transaction=True)
def test_a_rule_deleted_while_it_runs_ends_the_refilter_with_nothing_written_for_it(
        monkeypatch):
    """Its decisions were written for a rule gone meanwhile, and the chunk failed on the
    foreign key at commit ("internal error: IntegrityError")."""
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["English"])
    for _ in range(10):
        factories.ShowFactory()
    original = refilter.decide_rows
    calls: list[int] = []

    def delete_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            rule.delete()
        return original(*args, **kwargs)

    monkeypatch.setattr(refilter, "decide_rows", delete_on_second)
    pk = rule.pk
    run = _refilter(rule, chunk=3)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.summary == {"rule": pk, "missing": True}
    assert not Decision.objects.filter(rule_id=pk).exists()


@pytest.mark.django_db
def test_a_show_listed_twice_is_decided_once_whatever_batch_it_falls_in():
    """Read in batches of 900, an id in two batches was read twice and its new decision
    upserted twice in one statement (PostgreSQL refuses that)."""
    from catalog.rules import decide

    factories.DiscoveryRuleFactory()
    ids = [factories.ShowFactory().pk for _ in range(1_000)]
    decide.decide_shows([*ids, ids[0], ids[-1]])
    assert Decision.objects.count() == 1_000


@pytest.mark.django_db(transaction=True)
def test_a_show_deleted_between_a_chunks_read_and_its_write_leaves_the_run_whole(
        monkeypatch):
    """PostgreSQL: the chunk read the show, another transaction deleted it and committed,
    then the chunk wrote a decision naming it. The key check refuses that write; the chunk
    is read and decided again without the show, and the run goes on. (SQLite's writers take
    the database at BEGIN, so nothing can delete between the read and the write there.)"""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions leave no such instant")
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["English"])
    shows = [factories.ShowFactory(language="English") for _ in range(10)]
    doomed = shows[5]
    original = refilter.decide_rows
    calls: list[int] = []

    def delete_once_read(rows, *args, **kwargs):
        calls.append(len(rows))
        if doomed.pk in [row[0] for row in rows] and Show.objects.filter(pk=doomed.pk).exists():
            deleter = threading.Thread(target=_delete_committed, args=(doomed.pk,))
            deleter.start()
            deleter.join(30)
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(refilter, "decide_rows", delete_once_read)
    run = _refilter(rule, chunk=CHUNK)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert sorted(Decision.objects.filter(rule=rule).values_list("show_id", flat=True)) == \
        sorted(s.pk for s in shows if s is not doomed)
    assert not Show.objects.filter(pk=doomed.pk).exists()


def _delete_committed(pk: int) -> None:
    """In a connection of its own, committed before it returns."""
    try:
        Show.objects.filter(pk=pk).delete()
    finally:
        connection.close()
