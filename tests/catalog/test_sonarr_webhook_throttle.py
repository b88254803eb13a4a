"""The webhook's limit is on refused calls only: a thousand authenticated ``SeriesDelete``
calls in a burst (a user cleaning up Sonarr) are each applied, while an address sending wrong
secrets gets 429 instead of 401 for them until its window ends; a right secret is never
limited, from that address or another."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.auth import webhook_throttle
from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, Show
from tests import factories
from tests.catalog.test_sonarr_webhook_auth import basic, url

S = Decision.Status
pytestmark = pytest.mark.django_db
BURST = 1000


def _delete(client: Client, server_id: int, secret: str, tvdb_id: int, **extra) -> int:
    body = {"eventType": "SeriesDelete", "deletedFiles": False,
            "series": {"id": tvdb_id, "title": "x", "tvdbId": tvdb_id}}
    return client.post(url(server_id), body, content_type="application/json",
                       **basic(secret), **extra).status_code


def test_a_thousand_authenticated_deletes_in_a_burst_are_all_applied(settings):
    assert settings.SONARR_WEBHOOK_RATE < BURST  # the default limit, far below the burst
    rule = factories.DiscoveryRuleFactory()
    shows = Show.objects.bulk_create(
        [Show(title=f"Series {n}", tvdb_id=500_000 + n) for n in range(BURST)])
    Decision.objects.bulk_create([Decision(show=show, rule=rule, status=S.ADDED,
                                           sonarr_series_id=n + 1)
                                  for n, show in enumerate(shows)])
    secret = sonarr_webhook_secret_new(server_id=rule.server_id)
    client = Client(REMOTE_ADDR="10.0.0.5")
    codes = [_delete(client, rule.server_id, secret, show.tvdb_id) for show in shows]
    assert codes == [200] * BURST
    assert Decision.objects.filter(rule=rule, status=S.REMOVED).count() == BURST


def test_guessing_is_throttled_and_a_lockout_ends_with_its_window(settings, monkeypatch):
    settings.SONARR_WEBHOOK_RATE = 5
    server = factories.SonarrServerFactory()
    secret = sonarr_webhook_secret_new(server_id=server.pk)
    guesser, sonarr = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="10.0.0.5")
    decision = factories.DecisionFactory(rule=factories.DiscoveryRuleFactory(server=server),
                                         status=S.ADDED)
    tvdb = decision.show.tvdb_id
    now = [1_000_000.0]
    monkeypatch.setattr(webhook_throttle, "clock", lambda: now[0])
    guesses = [_delete(guesser, server.pk, f"guess-{n}", tvdb) for n in range(5)]
    assert guesses == [401] * 5
    refused = guesser.post(url(server.pk), {"eventType": "Test"},
                           content_type="application/json", **basic("another"))
    assert refused.status_code == 429  # refused, and past the limit
    assert refused["Retry-After"] == "60"
    right = guesser.post(url(server.pk), {"eventType": "Test"},
                         content_type="application/json", **basic(secret))
    assert right.status_code == 200  # the right secret is never limited
    assert _delete(guesser, server.pk, "another", tvdb) == 429  # not counted
    anonymous = guesser.post(url(server.pk), {"eventType": "Test"},
                             content_type="application/json")
    assert anonymous.status_code == 429
    decision.refresh_from_db()
    assert decision.status == S.ADDED
    # Sonarr, from its own address, is not held up by the guesser.
    assert _delete(sonarr, server.pk, secret, tvdb) == 200
    now[0] += 59
    assert _delete(guesser, server.pk, "late", tvdb) == 429
    now[0] += 2  # the window, which began at the first failure, has ended
    assert _delete(guesser, server.pk, secret, tvdb) == 200
    assert [_delete(guesser, server.pk, f"again-{n}", tvdb) for n in range(6)] == [
        401] * 5 + [429]


def test_a_guesser_from_one_ipv6_host_is_counted_by_its_64(settings):
    settings.SONARR_WEBHOOK_RATE = 2
    server = factories.SonarrServerFactory()
    sonarr_webhook_secret_new(server_id=server.pk)
    codes = [_delete(Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}"), server.pk, "wrong", 5)
             for n in range(1, 5)]
    assert codes == [401, 401, 429, 429]
