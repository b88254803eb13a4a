"""Decisions from stored facts: the page writer's hook, refilter runs (zero requests, never a
downgrade), the start-up check of rule hashes, and the refilter command."""

from __future__ import annotations

from datetime import date

import pytest
import responses
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.apps import _refilter_stale_rules
from catalog.models import Decision, DiscoveryRule, RuleSelection, Show, SyncRun
from catalog.rules import decide, refilter
from catalog.rules.refilter import rule_refilter
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.tvmaze import tvmaze_sync
from integrations import metrics
from integrations.fakes.tvmaze import TvmazeFake
from tests import factories
from tests.catalog.sync.conftest import fast_http

S = Decision.Status
pytestmark = pytest.mark.django_db


def _shows(count: int) -> None:
    languages = ("English", "Japanese", "Korean", "French")
    Show.objects.bulk_create([
        Show(tvmaze_id=i + 1, tvdb_id=100_000 + i if i % 10 else None, title=f"Show {i}",
             language=languages[i % 4], country="US", type="Scripted",
             status="Ended" if i % 3 == 0 else "Running", premiered=date(2000 + i % 25, 1, 1),
             genres=["Drama"] if i % 2 else ["Reality"], runtime=20 + i % 50, rating=5.0)
        for i in range(count)])


def _refilter(rule: DiscoveryRule) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.RULES, scope=f"rule:{rule.pk}",
                    options={"rule_id": rule.pk})
    return job_execute(run, lambda r: rule_refilter(r, rule_id=rule.pk), upstream="rules")


def _counts(rule: DiscoveryRule) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in Decision.objects.filter(rule=rule).values_list("status", flat=True):
        out[status] = out.get(status, 0) + 1
    return out


def test_it_decides_every_show_the_tvmaze_writer_creates_in_its_transaction():
    enabled = factories.DiscoveryRuleFactory(name="english")
    RuleSelection.objects.create(rule=enabled, languages=["English"])
    disabled = factories.DiscoveryRuleFactory(enabled=False)
    with TvmazeFake(count=300, seed=5) as fake:
        from integrations.tvmaze import TvmazeClient

        run = run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
        job_execute(run, lambda r: tvmaze_sync(r, TvmazeClient(fast_http("tvmaze", fake.url)),
                                               full=True), upstream="tvmaze")
    shows = Show.objects.count()
    assert shows > 200
    assert Decision.objects.filter(rule=enabled).count() == shows
    assert not Decision.objects.filter(rule=disabled).exists()
    english = Show.objects.filter(language="English")
    passed = Decision.objects.filter(rule=enabled, status__in=[S.PENDING, S.PENDING_TVDB])
    assert passed.count() == english.count()
    japanese = Decision.objects.filter(rule=enabled, show__language="Japanese").first()
    assert (japanese.status, japanese.reason) == (S.FILTERED, "language:Japanese")


def test_it_re_decides_a_show_when_its_facts_change():
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, statuses=["Running"])
    show = factories.ShowFactory(status="Running")
    decide.decide_shows([show.pk])
    assert _counts(rule) == {S.PENDING: 1}
    Show.objects.filter(pk=show.pk).update(status="Ended")
    decide.decide_shows([show.pk])
    decision = Decision.objects.get(rule=rule)
    assert (decision.status, decision.reason) == (S.FILTERED, "ended")


def test_it_refilters_ten_thousand_shows_with_zero_http_requests(
        api_as, django_capture_on_commit_callbacks):
    _shows(10_000)
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["English"])
    _refilter(rule)
    assert _counts(rule)[S.FILTERED] == 7_500
    before = metrics.snapshot()
    with (responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
          django_capture_on_commit_callbacks(execute=True)):
        response = api_as(factories_admin()).patch(
            f"/api/rules/{rule.pk}/", {"selections": [{"languages": ["English", "Japanese"]}],
                                      "excludes": {"statuses": ["Ended"]}}, format="json")
        assert response.status_code == 200, response.json()
        assert len(mock.calls) == 0
    assert metrics.snapshot() == before
    run = SyncRun.objects.filter(kind=SyncRun.Kind.RULES).latest("id")
    assert run.status == SyncRun.Status.SUCCEEDED and run.requests == 0
    assert run.processed == run.total == 10_000
    counts = _counts(rule)
    ended = sum(1 for i in range(10_000) if i % 3 == 0)
    english_or_japanese_running = sum(1 for i in range(10_000) if i % 4 in (0, 1) and i % 3)
    assert counts[S.FILTERED] == 10_000 - english_or_japanese_running
    assert Decision.objects.filter(rule=rule, reason="exclude:status:Ended").count() == ended
    rule.refresh_from_db()
    assert rule.applied_hash == decide.rule_view(rule).hash
    assert response.json()["refilter_pending"] is True  # answered before the run
    again = api_as(factories_admin_get()).get(f"/api/rules/{rule.pk}/")
    assert again.json()["refilter_pending"] is False


def factories_admin():
    from django.contrib.auth.models import User

    return User.objects.create_user("root", is_staff=True, is_superuser=True)


def factories_admin_get():
    from django.contrib.auth.models import User

    return User.objects.get(username="root")


def test_it_never_downgrades_settled_decisions_on_a_refilter():
    rule = factories.DiscoveryRuleFactory()
    shows = factories.ShowFactory.create_batch(5, language="English")
    decide.decide_shows([s.pk for s in shows])
    settled = [S.ADDED, S.EXISTS, S.SKIPPED, S.DECLINED]
    for show, status in zip(shows, settled, strict=False):
        Decision.objects.filter(rule=rule, show=show).update(status=status, reason="by hand")
    RuleSelection.objects.create(rule=rule, languages=["Japanese"])
    _refilter(rule)
    after = {d.show_id: (d.status, d.reason) for d in Decision.objects.filter(rule=rule)}
    for show, status in zip(shows, settled, strict=False):
        assert after[show.pk] == (status, "by hand")
    assert after[shows[4].pk] == (S.FILTERED, "language:English")


def test_it_turns_newly_passing_shows_pending_or_awaiting_approval():
    plain = factories.DiscoveryRuleFactory()
    gated = factories.DiscoveryRuleFactory(requires_approval=True)
    for rule in (plain, gated):
        RuleSelection.objects.create(rule=rule, languages=["Korean"])
    shows = factories.ShowFactory.create_batch(3, language="English")
    decide.decide_shows([s.pk for s in shows])
    assert _counts(plain) == _counts(gated) == {S.FILTERED: 3}
    for rule in (plain, gated):
        RuleSelection.objects.filter(rule=rule).update(languages=["English"])
        _refilter(rule)
    assert _counts(plain) == {S.PENDING: 3}
    assert _counts(gated) == {S.AWAITING_APPROVAL: 3}


def test_it_runs_the_pass_again_when_the_rule_changes_during_a_refilter(monkeypatch):
    _shows(30)
    rule = factories.DiscoveryRuleFactory()
    selection = RuleSelection.objects.create(rule=rule, languages=["English"])
    original = decide.last_show_id
    asked = []

    def last_then_edit():
        asked.append(True)
        if len(asked) == 2:  # an operator saves new filters as the first pass ends
            RuleSelection.objects.filter(pk=selection.pk).update(languages=["French"])
        return original()

    monkeypatch.setattr(refilter, "last_show_id", last_then_edit)
    run = _refilter(rule)
    assert run.summary["passes"] == 2
    assert run.processed == run.total == 60
    french = Decision.objects.filter(rule=rule, show__language="French",
                                     status__in=[S.PENDING, S.PENDING_TVDB]).count()
    assert french == Show.objects.filter(language="French").count()
    rule.refresh_from_db()
    assert rule.applied_hash == decide.rule_view(rule).hash


def test_it_notices_at_worker_start_up_a_hash_that_changed_while_it_was_down(
        django_capture_on_commit_callbacks):
    _shows(20)
    rule = factories.DiscoveryRuleFactory()
    _refilter(rule)
    assert _counts(rule).get(S.FILTERED, 0) == 0
    RuleSelection.objects.create(rule=rule, languages=["Korean"])  # edited behind its back
    fresh = factories.DiscoveryRuleFactory()  # never refiltered at all
    with django_capture_on_commit_callbacks(execute=True):
        _refilter_stale_rules()
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.RULES, triggered_by="startup")
    assert {r.scope for r in runs} == {f"rule:{rule.pk}", f"rule:{fresh.pk}"}
    assert all(r.status == SyncRun.Status.SUCCEEDED for r in runs)
    assert _counts(rule)[S.FILTERED] == 15
    _refilter_stale_rules()  # nothing changed since: nothing to do
    assert SyncRun.objects.filter(kind=SyncRun.Kind.RULES, triggered_by="startup").count() == 2


def test_it_refilters_from_the_command(capsys):
    _shows(12)
    rule = factories.DiscoveryRuleFactory(name="anime")
    RuleSelection.objects.create(rule=rule, languages=["Japanese"])
    call_command("refilter", "--rule", "anime", "--json")
    assert _counts(rule)[S.FILTERED] == 9
    assert '"kind": "rules"' in capsys.readouterr().out
    with pytest.raises(CommandError, match="no rule named 'nope'"):
        call_command("refilter", "--rule", "nope")


def test_it_re_evaluates_thousands_of_shows_by_hand_in_bounded_statements():
    from catalog.rules.services import shows_reevaluate

    _shows(2_500)
    rule = factories.DiscoveryRuleFactory()
    RuleSelection.objects.create(rule=rule, languages=["Korean"])
    ids = list(Show.objects.values_list("id", flat=True))
    assert shows_reevaluate(ids) == 2_500
    Decision.objects.filter(rule=rule).update(status=S.PENDING, reason="")
    # Back to filtered, except Korean shows with a TVDB id (every tenth show has none).
    assert shows_reevaluate(ids) == 2_500 - 625 + 125


def test_it_leaves_placeholder_shows_without_tvmaze_facts_undecided():
    rule = factories.DiscoveryRuleFactory()
    placeholder = factories.ShowFactory(tvmaze_id=None, title="From a Plex guid")
    mirrored = factories.ShowFactory()
    decide.decide_shows([placeholder.pk, mirrored.pk])
    run = _refilter(rule)
    assert list(Decision.objects.values_list("show_id", flat=True)) == [mirrored.pk]
    assert run.processed == run.total == 1


@pytest.mark.django_db(transaction=True)
def test_a_rule_deleted_between_reading_the_rules_and_writing_is_left_out():
    """The mirror's page hook reads the enabled rules, then writes their decisions: a rule
    deleted in between got decisions, and the page's transaction failed on the foreign key."""
    from django.db import transaction

    kept, gone = factories.DiscoveryRuleFactory(), factories.DiscoveryRuleFactory()
    shows = factories.ShowFactory.create_batch(3)
    views = decide.enabled_rule_views()
    gone_pk = gone.pk
    gone.delete()
    with transaction.atomic():  # commits: the foreign keys are checked here
        evaluated, changed = decide.decide_rows(
            decide.facts_by_ids([s.pk for s in shows]), views, now=timezone.now())
    assert (evaluated, changed) == (3, 3)
    assert set(Decision.objects.values_list("rule_id", flat=True)) == {kept.pk}
    assert not Decision.objects.filter(rule_id=gone_pk).exists()
