"""The Rules page's validation state and preview, the dashboard's invalid rules, and review
through the rule services."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

import pytest
import responses
from django.db import transaction
from django.utils import timezone

from catalog.models import Decision, RuleSelection, Show, SyncRun
from catalog.rules import preview
from catalog.sync import signals
from tests import factories


def _preview(client, rule, spec):
    text = spec if isinstance(spec, str) else json.dumps(spec)
    return client.get(f"/rules/{rule.pk}/preview/?{urlencode({'filters': text})}")


@pytest.mark.django_db
def test_it_lists_enabled_rules_failing_validation_on_the_dashboard(viewer, client):
    client.force_login(viewer)
    now = timezone.now()
    factories.DiscoveryRuleFactory(name="Broken", validation="invalid", validated_at=now,
                                   validation_message="quality profile HD-1080p not found")
    factories.DiscoveryRuleFactory(name="Quiet", validation="invalid", enabled=False,
                                   validation_message="disabled, so no push to fail")
    factories.DiscoveryRuleFactory(name="Fine", validation="ok", validated_at=now)
    factories.DiscoveryRuleFactory(name="Unchecked")
    attention = client.get("/").content.decode().split("Needs attention")[1].split(
        "</section>")[0]
    assert "Broken</a>: quality profile HD-1080p not found" in attention
    assert 'href="/rules/#rule-' in attention
    for name in ("Quiet", "Fine", "Unchecked"):
        assert name not in attention


@pytest.mark.django_db
def test_it_shows_each_rules_validation_state(viewer, client):
    client.force_login(viewer)
    now = timezone.now()
    factories.DiscoveryRuleFactory(name="a-broken", validation="invalid", validated_at=now,
                                   validation_message="<b>root</b> /tv missing")
    factories.DiscoveryRuleFactory(name="b-fine", validation="ok", validated_at=now)
    factories.DiscoveryRuleFactory(name="c-new")
    response = client.get("/rules/")
    states = [(row.rule.name, row.validation and row.validation["ok"])
              for row in response.context["rows"]]
    assert states == [("a-broken", False), ("b-fine", True), ("c-new", None)]
    page = response.content.decode()
    lines = [part.split("</p>")[0] for part in page.split('class="validation"')[1:]]
    assert "✗ invalid" in lines[0] and "&lt;b&gt;root&lt;/b&gt; /tv missing" in lines[0]
    assert "checked" in lines[0] and "✓ valid" in lines[1]
    assert "not validated yet" in lines[2] and "checked" not in lines[2]


def _catalog():
    """Four described shows and a placeholder Plex created (no TVMaze facts: never decided)."""
    make = factories.ShowFactory
    return {
        "drama": make(title="Old Drama", genres=["Drama"], status="Ended",
                      premiered=date(2001, 1, 1)),
        "crime": make(title="Running Crime", genres=["Crime", "Drama"], status="Running"),
        "comedy": make(title="Comedy", genres=["Comedy"], status="Running"),
        "reality": make(title="Reality", genres=["Reality"], status="Running"),
        "placeholder": make(title="Placeholder", tvmaze_id=None, genres=["Drama"]),
    }


@pytest.mark.django_db
def test_it_previews_what_a_changed_rule_admits_without_saving_or_asking_upstream(
        operator, client):
    client.force_login(operator)
    shows = _catalog()
    rule = factories.DiscoveryRuleFactory(exclude_genres=["Reality"])
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"])  # stored: both dramas
    spec = {"selections": [{"statuses": ["Running"]}], "excludes": {"genres": ["Reality"]}}
    with responses.RequestsMock():  # any upstream request would fail the test
        response = _preview(client, rule, spec)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.evaluated, preview.admitted, preview.admitted_now) == (4, 2, 2)
    assert (preview.added, preview.dropped) == (1, 1)  # comedy in, the old drama out
    assert preview.sample[0] == (shows["comedy"].pk, "Comedy", True)  # new ones first
    assert [s[1] for s in preview.sample] == ["Comedy", "Running Crime"]
    assert dict(preview.reasons) == {"ended": 1, "exclude:genre:Reality": 1}
    assert preview.dropped_sample == [(shows["drama"].pk, "Old Drama", "ended")]
    assert rule.selections.get().genres_any == ["Drama"]  # nothing saved
    assert not Decision.objects.exists() and not SyncRun.objects.exists()
    page = response.content.decode()
    assert "+1</strong> newly admitted" in page and 'id="preview-result"' in page


@pytest.mark.django_db
def test_it_groups_again_only_when_the_catalogs_facts_change(
        operator, client, monkeypatch, django_capture_on_commit_callbacks):
    """An operator trying filters reuses the grouping; a shows writer's commit, a new show
    or the memo's age each make the next preview read the facts afresh."""
    client.force_login(operator)
    shows = _catalog()
    rule = factories.DiscoveryRuleFactory()
    grouped = []
    real = preview._grouped
    monkeypatch.setattr(preview, "_grouped", lambda used: grouped.append(used) or real(used))
    running = {"selections": [{"statuses": ["Running"]}]}
    assert _preview(client, rule, running).context["preview"].admitted == 3
    assert _preview(client, rule, {"selections": [{"statuses": ["Ended"]}]}).context[
        "preview"].admitted == 1
    assert len(grouped) == 1  # the same facts read: grouped once
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Show.objects.filter(pk=shows["drama"].pk).update(status="Running")
        signals.shows_changed([shows["drama"].pk])  # what every shows writer calls
    assert _preview(client, rule, running).context["preview"].admitted == 4
    factories.ShowFactory(status="Running")  # written past the hooks: the count moved
    assert _preview(client, rule, running).context["preview"].admitted == 5
    monkeypatch.setattr(preview, "MEMO_SECONDS", 0)
    Show.objects.filter(pk=shows["comedy"].pk).update(status="Ended")  # past the hooks
    assert _preview(client, rule, running).context["preview"].admitted == 4
    assert len(grouped) == 4


@pytest.mark.django_db
def test_it_previews_no_selection_as_admitting_everything(operator, client):
    client.force_login(operator)
    rule = factories.DiscoveryRuleFactory()
    empty = _preview(client, rule, {}).context["preview"]
    assert (empty.evaluated, empty.admitted, empty.sample) == (0, 0, [])
    _catalog()
    preview = _preview(client, rule, {}).context["preview"]
    assert (preview.evaluated, preview.admitted, preview.added, preview.dropped) == (4, 4, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("text,says", [
    ("{not json", "not valid JSON"),
    ("[]", "Expected"),
    ('{"selections": {"genres_any": ["Drama"]}}', "must be a list of objects"),
    ('{"selections": [{"genre_any": ["Drama"]}]}', "Unknown name in selection 1: genre_any"),
    ('{"excludes": {"genre": ["Drama"]}}', "Unknown name in excludes: genre"),
    ('{"excludes": []}', "must be an object"),
    ('{"selections": [{"genres_any": "Drama"}]}', "must be a list of names"),
    ('{"selections": [{"genres_any": [1]}]}', "must be a list of names"),
    ('{"selections": [{"premiered_from": "2020-13-45"}]}', "out of shape"),
    ('{"selections": [{"runtime_min": "abc"}]}', "out of shape"),
    ('{"selections": [{"runtime_min": {"a": 1}}]}', "out of shape"),
    ('{"selections": [{"rating_min": 1e999999}]}',  # inf: refused as a save refuses it
     "Selection 1, rating_min: must be between 0 and 10"),
    ("x" * 20_001, "longer than"),
    ('{"selections": ' + "[" * 19_000, "nested too deeply"),  # RecursionError in json
    ('{"selections": [{"runtime_min": ' + "9" * 5_000 + "}]}",  # past int's digit limit
     "not valid JSON"),
])
def test_it_answers_bad_filters_with_a_400_that_says_why(text, says, operator, client):
    client.force_login(operator)
    factories.ShowFactory()
    rule = factories.DiscoveryRuleFactory()
    response = _preview(client, rule, text)
    if says is None:
        assert response.status_code == 200
        assert response.context["preview"].admitted == 0
        return
    assert response.status_code == 400
    assert says in response.context["preview_error"]
    assert says.split(":")[0] in response.content.decode().replace("&quot;", '"')


@pytest.mark.django_db
@pytest.mark.parametrize("role,code", [("anonymous", 302), ("roleless", 403), ("viewer", 403),
                                       ("operator", 200), ("admin", 200)])
def test_it_lets_operators_and_admins_preview(role, code, users, client):
    if users[role] is not None:
        client.force_login(users[role])
    rule = factories.DiscoveryRuleFactory()
    assert _preview(client, rule, {}).status_code == code
    page = client.get("/rules/").content.decode()
    if code == 200:
        assert "Preview a change" in page
        assert ("edit the rule in the admin" in page) is (role == "admin")
    assert client.get("/rules/987654/preview/?filters={}").status_code == (
        404 if code == 200 else code)


@pytest.mark.django_db
def test_it_reviews_through_the_rule_services(operator, client):
    client.force_login(operator)
    waiting, pending, failed, added = (
        factories.DecisionFactory(status=s) for s in ("awaiting_approval", "pending", "failed",
                                                      "added"))
    client.post("/decisions/review/", {"verdict": "approve", "decision": [waiting.pk]})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.approved_by) == ("pending", "otto")
    assert waiting.approved_at is not None  # a later re-evaluation never asks again
    client.post("/decisions/review/", {"verdict": "decline", "decision": [pending.pk, added.pk]})
    client.post("/decisions/review/", {"verdict": "skip", "decision": [failed.pk, added.pk]})
    statuses = dict(Decision.objects.values_list("pk", "status"))
    assert statuses == {waiting.pk: "pending", pending.pk: "declined", failed.pk: "skipped",
                        added.pk: "added"}
    assert Decision.objects.get(pk=pending.pk).reason == "declined by otto"


@pytest.mark.django_db
def test_it_counts_shows_sharing_facts_once_each_and_tells_dates_apart(operator, client):
    client.force_login(operator)
    twins = [factories.ShowFactory(title=f"Twin {i}", genres=["Drama"], runtime=None,
                                   premiered=date(2015, 5, 5)) for i in range(3)]
    older = factories.ShowFactory(title="Older", genres=["Drama"], premiered=date(1999, 1, 1),
                                  runtime=25)
    undated = factories.ShowFactory(title="Undated", genres=["Drama"], premiered=None)
    rule = factories.DiscoveryRuleFactory()
    dated = {"selections": [{"premiered_from": "2010-01-01"}]}
    preview = _preview(client, rule, dated).context["preview"]
    assert (preview.evaluated, preview.admitted, preview.dropped) == (5, 3, 2)
    assert [pk for pk, _, _ in preview.sample] == [twins[0].pk]  # one per shared facts
    assert dict(preview.reasons) == {"premiered<2010-01-01": 1, "premiered:none": 1}
    assert sorted(why for _, _, why in preview.dropped_sample) == [
        "premiered:none", "premiered<2010-01-01"]
    assert {pk for pk, _, _ in preview.dropped_sample} == {older.pk, undated.pk}
    by_runtime = {"selections": [{"runtime_min": 30}]}
    assert _preview(client, rule, by_runtime).context["preview"].reasons == [
        ("runtime:none", 4), ("runtime<30", 1)]  # runtimes grouped on once a filter reads them


@pytest.mark.django_db
def test_it_previews_the_stored_filters_when_given_none(operator, client):
    client.force_login(operator)
    _catalog()
    rule = factories.DiscoveryRuleFactory(exclude_genres=["Reality"])
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"])
    preview = client.get(f"/rules/{rule.pk}/preview/").context["preview"]
    assert (preview.admitted, preview.admitted_now, preview.added, preview.dropped) == (
        2, 2, 0, 0)
    assert client.get(f"/rules/{rule.pk}/preview/?filters=").status_code == 400


@pytest.mark.django_db
def test_a_cache_that_is_down_never_fails_the_writer_that_committed(monkeypatch, caplog,
                                                                    django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(preview.cache, "set", down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        signals.shows_changed([factories.ShowFactory().pk])
    assert "could not renew the catalog's facts version" in caplog.text
