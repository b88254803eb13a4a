"""Adversarial (issue #20): "Calls with the right secret are never limited nor counted ...
Sonarr does not retry a webhook call that failed ..., so a delete answered 429 would be lost"
(docs/rules-and-sonarr.md). Yet the lockout is per address (per /64 for IPv6) and is
applied before the secret is looked at: anything that shares Sonarr's address — another
device on the same home IPv6 /64, a container behind the same NAT, a second Sonarr still
sending an old secret — can make Sonarr's own ``SeriesDelete`` a 429, and the delete is lost
for good (the decision stays ``added`` for a series Sonarr no longer holds). A 256-bit secret
needs no guessing protection on the right-secret path; checking it costs one digest."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision
from tests import factories
from tests.catalog.test_sonarr_webhook_throttle import _delete

S = Decision.Status
pytestmark = pytest.mark.django_db


def test_a_neighbour_in_sonarrs_64_cannot_make_sonarrs_delete_get_lost(settings):
    settings.SONARR_WEBHOOK_RATE = 5
    server = factories.SonarrServerFactory()
    secret = sonarr_webhook_secret_new(server_id=server.pk)
    decision = factories.DecisionFactory(rule=factories.DiscoveryRuleFactory(server=server),
                                         status=S.ADDED, sonarr_series_id=4)
    neighbour = Client(REMOTE_ADDR="2001:db8:1:2::bad")  # a phone on the same LAN
    sonarr = Client(REMOTE_ADDR="2001:db8:1:2::5")
    assert [_delete(neighbour, server.pk, f"guess-{n}", 1) for n in range(5)] == [401] * 5

    code = _delete(sonarr, server.pk, secret, decision.show.tvdb_id)

    decision.refresh_from_db()
    assert (code, decision.status) == (200, S.REMOVED), (
        f"Sonarr's own delete was answered {code}; Sonarr does not send it again")
