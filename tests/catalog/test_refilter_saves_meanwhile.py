"""A save that must re-decide while a refilter of the same rule is already
running (issue 16, "every save re-decides")."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SyncRun
from catalog.rules import refilter
from catalog.rules.decide import decide_shows
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from tests import factories

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)


def test_approval_switched_on_while_a_refilter_runs_still_gates_the_decisions(
        monkeypatch, admin_user, api_as):
    """A refilter of the rule is running (an earlier edit queued it). The operator turns
    'requires approval' on: the API answers 200. Once the runs are done, what the push
    would send must wait for approval: none of it may stay `pending`."""
    rule = factories.DiscoveryRuleFactory(name="everything")
    shows = [factories.ShowFactory(genres=["Drama"]) for _ in range(3)]
    decide_shows([s.pk for s in shows])
    assert Decision.objects.filter(rule=rule, status=S.PENDING).count() == 3

    answers = []
    original = refilter.rule_view

    def view_then_edit(r):
        view = original(r)
        if not answers:  # the running refilter has read the rule: the operator saves now
            answers.append(api_as(admin_user).patch(
                f"/api/rules/{rule.pk}/", {"requires_approval": True}, format="json"))
        return view

    monkeypatch.setattr(refilter, "rule_view", view_then_edit)
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    job_execute(run, lambda r: refilter.rule_refilter(r, rule_id=rule.pk), upstream="rules")
    assert answers[0].status_code == 200, answers[0].content
    assert answers[0].json()["requires_approval"] is True
    # Whatever the edit queued (or asked the running refilter to do) has run by now.
    assert not SyncRun.objects.filter(status__in=SyncRun.ACTIVE).exists()
    statuses = sorted(Decision.objects.filter(rule=rule).values_list("status", flat=True))
    assert statuses == [S.AWAITING_APPROVAL] * 3


def test_a_rule_moved_while_a_refilter_runs_decides_everything_for_the_new_server(
        monkeypatch, admin_user, api_as):
    """Three shows the rule added to server A. A refilter of the rule is running, one show
    per chunk; after its second chunk the operator moves the rule to server B (200). Once
    the runs are done, each show must be decided for B (`pending`: B's next push adds it),
    none left 'filtered: re-evaluating' for ever."""
    import threading

    from django.db import connections, transaction

    server_b = factories.SonarrServerFactory(name="b")
    rule = factories.DiscoveryRuleFactory(name="everything")
    shows = [factories.ShowFactory(genres=["Drama"]) for _ in range(3)]
    decide_shows([s.pk for s in shows])
    Decision.objects.filter(rule=rule).update(status=S.ADDED, sonarr_series_id=7)

    answers = []
    calls = []
    real_atomic = transaction.atomic

    def patch_in_another_connection():
        try:
            answers.append(api_as(admin_user).patch(
                f"/api/rules/{rule.pk}/", {"server": server_b.pk}, format="json"))
        finally:
            connections.close_all()

    class Between:
        """The refilter's transactions; before the 4th (the third show's chunk: two shows
        are decided), the operator's PATCH runs on its own connection."""

        @staticmethod
        def atomic(*args, **kwargs):
            calls.append(1)
            if len(calls) == 4:
                worker = threading.Thread(target=patch_in_another_connection)
                worker.start()
                worker.join()
            return real_atomic(*args, **kwargs)

    monkeypatch.setattr(refilter, "transaction", Between)
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    job_execute(run, lambda r: refilter.rule_refilter(r, rule_id=rule.pk, chunk=1),
                upstream="rules")
    assert answers and answers[0].status_code == 200, answers and answers[0].content
    assert not SyncRun.objects.filter(status__in=SyncRun.ACTIVE).exists()
    found = dict(Decision.objects.filter(rule=rule).values_list("show_id", "status"))
    assert found == {s.pk: S.PENDING for s in shows}, [
        (d.show_id, d.status, d.reason) for d in Decision.objects.filter(rule=rule)]
