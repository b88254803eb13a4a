"""The admin says a claimed decision is being sent, whatever the action."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SyncRun
from catalog.rules.services import BEING_SENT
from tests import factories

S = Decision.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def sending():
    rule = factories.DiscoveryRuleFactory()
    run = factories.SyncRunFactory(kind=SyncRun.Kind.SONARR, status=SyncRun.Status.RUNNING)
    return factories.DecisionFactory(rule=rule, status=S.SENDING, claim_run=run)


@pytest.mark.parametrize("action", ["reevaluate", "unskip"])
def test_the_admin_reevaluate_and_unskip_actions_warn_that_it_is_being_sent(
        sending, admin_user, client, action):
    """The API answers these two with 409 'being sent'; the admin's same actions must warn
    too rather than report a plain success of 0 changes."""
    client.force_login(admin_user)
    response = client.post("/admin/catalog/decision/", {
        "action": action, "index": "0", "_selected_action": [sending.pk]}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert f"1 decision(s) {BEING_SENT}." in said, said
    assert Decision.objects.get(pk=sending.pk).status == S.SENDING
