"""Only claimed decisions are in the claim index (a refilter writes a million unclaimed ones),
and the lookups by claim still go through it: deleting a run clears its claims by index."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Decision, SyncRun
from catalog.runs import run_claim
from tests import factories

LOOKUP = 'SELECT id FROM catalog_decision WHERE claim_run_id IN (%s, %s)'


@pytest.mark.django_db
def test_the_claim_lookup_goes_through_the_partial_index():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + LOOKUP.replace("%s", "?"), [1, 2])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + LOOKUP, [1, 2])
            plan = " ".join(row[0] for row in cursor.fetchall())
    assert "decision_claimed" in plan, plan


@pytest.mark.django_db
def test_deleting_a_run_clears_the_claims_it_held_and_no_other():
    rule = factories.DiscoveryRuleFactory()
    held, other, free = (factories.ShowFactory() for _ in range(3))
    run = run_claim(kind=SyncRun.Kind.SONARR, scope="server:1")
    keep = run_claim(kind=SyncRun.Kind.SONARR, scope="server:2")
    for show, claim in ((held, run), (other, keep), (free, None)):
        Decision.objects.create(show=show, rule=rule, status=Decision.Status.SENDING,
                                claim_run=claim)
    run.delete()
    claims = dict(Decision.objects.values_list("show_id", "claim_run_id"))
    assert claims == {held.pk: None, other.pk: keep.pk, free.pk: None}
