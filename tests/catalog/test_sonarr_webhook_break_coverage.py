"""Adversarial tests of Sonarr's webhook (issue #20) that hold: a disabled server and a
server that does not exist are refused alike, with the same database work; the right secret
still applies on a disabled server (documented); PUT refuses hostile bodies as POST does; a
gzip body is a 400; events naming a series the catalog does not know change nothing but the
import's delayed scan; the secret never reaches a log line on any refusal; the whole history
sent again ends where it ended."""

from __future__ import annotations

import gzip
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, SonarrServer
from tests import factories
from tests.catalog.sync.test_sonarr_webhook_events import Hook, _status
from tests.catalog.test_sonarr_webhook_auth import TEST_EVENT, _fingerprint, basic, url
from tests.catalog.test_sonarr_webhook_hostile import (  # noqa: F401
    JSON_BODIES,
    RAW_BODIES,
    _unchanged,
    world,
)

S = Decision.Status
pytestmark = pytest.mark.django_db
NOT_IN_CATALOG = 7_654_321


def _servers() -> dict[str, object]:
    live = factories.SonarrServerFactory()
    sonarr_webhook_secret_new(server_id=live.pk)
    disabled = factories.SonarrServerFactory(enabled=False)
    sonarr_webhook_secret_new(server_id=disabled.pk)
    bare = factories.SonarrServerFactory()
    return {"enabled": live.pk, "disabled": disabled.pk, "no secret": bare.pk,
            "no such server": bare.pk + 1000}


def test_a_disabled_server_is_refused_like_one_that_does_not_exist():
    prints = {name: _fingerprint(Client().post(url(pk), TEST_EVENT,
                                               content_type="application/json",
                                               **basic("wrong-secret")))
              for name, pk in _servers().items()}
    assert {p[0] for p in prints.values()} == {401}
    assert len(set(prints.values())) == 1, prints


def test_a_refusal_costs_the_same_queries_whether_the_server_exists_or_not():
    work = {}
    for name, pk in _servers().items():
        with CaptureQueriesContext(connection) as queries:
            Client().post(url(pk), TEST_EVENT, content_type="application/json",
                          **basic("wrong-secret"))
        work[name] = [q["sql"].split(" WHERE ")[0] for q in queries.captured_queries]
    assert work["enabled"] and len({tuple(v) for v in work.values()}) == 1, work


def test_the_right_secret_of_a_disabled_server_still_applies_its_deletes():
    rule = factories.DiscoveryRuleFactory()
    decision = factories.DecisionFactory(rule=rule, status=S.ADDED, sonarr_series_id=4)
    hook = Hook(rule.server_id)
    SonarrServer.objects.filter(pk=rule.server_id).update(enabled=False)
    assert hook.send("SeriesDelete", decision.show.tvdb_id, series_id=4).status_code == 200
    assert _status(decision) == (S.REMOVED, 4)


@pytest.mark.parametrize("name", ["series a list", "tvdbId true", "tvdbId 2**70", "a list",
                                  "unknown event", "no event", "tvdbId digits as text"])
def test_put_refuses_hostile_bodies_as_post_does(world, name):  # noqa: F811
    server, secret, decisions = world
    answer = Client().put(url(server.pk), json.dumps(JSON_BODIES[name]),
                          content_type="application/json", **basic(secret))
    assert answer.status_code == 400, answer.content
    _unchanged(server, decisions)


def test_a_gzip_body_is_a_400_that_writes_nothing(world):  # noqa: F811
    server, secret, decisions = world
    body = gzip.compress(json.dumps({"eventType": "SeriesDelete",
                                     "series": {"id": 3, "tvdbId": 81190}}).encode())
    answer = Client().generic("POST", url(server.pk), body, content_type="application/json",
                              HTTP_CONTENT_ENCODING="gzip", **basic(secret))
    assert answer.status_code == 400
    _unchanged(server, decisions)


def test_events_for_a_series_the_catalog_does_not_know(world):  # noqa: F811
    server, secret, decisions = world
    hook = Hook.__new__(Hook)
    hook.server_id, hook.secret = server.pk, secret
    assert hook.send("SeriesAdd", NOT_IN_CATALOG, series_id=77).json() == {
        "event": "SeriesAdd", "settled": 0, "being_sent": 0}
    assert hook.send("SeriesDelete", NOT_IN_CATALOG, series_id=77).json() == {
        "event": "SeriesDelete", "removed": 0, "being_sent": 0}
    imported = hook.send("Download", NOT_IN_CATALOG, series_id=77)
    assert imported.status_code == 202
    for decision in decisions:
        fresh = Decision.objects.get(pk=decision.pk)
        assert (fresh.status, fresh.sonarr_series_id) == (decision.status,
                                                          decision.sonarr_series_id)
    assert list(Schedule.objects.values_list("name", flat=True)) == [
        f"sonarr files tvdb:{NOT_IN_CATALOG}"]


def test_the_secret_reaches_no_log_line_on_any_refusal(world, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    server, secret, _ = world
    for how in (basic(secret), {"HTTP_X_WEBHOOK_SECRET": secret}):
        for name in ("unknown event", "series a list", "tvdbId 2**70"):
            Client().post(url(server.pk), json.dumps(JSON_BODIES[name]),
                          content_type="application/json", **how)
        for body, content_type, _code in RAW_BODIES.values():
            Client().generic("POST", url(server.pk), body, content_type=content_type, **how)
        Client().post(url(server.pk + 1), TEST_EVENT, content_type="application/json", **how)
        Client().get(url(server.pk), **how)
    assert secret not in caplog.text
    encoded = basic(secret)["HTTP_AUTHORIZATION"].split()[1]
    assert encoded not in caplog.text


def test_the_whole_history_sent_again_ends_where_it_ended():
    decision = factories.DecisionFactory(status=S.PENDING)
    hook = Hook(decision.rule.server_id)
    tvdb = decision.show.tvdb_id
    history = [("SeriesAdd", 5), ("SeriesDelete", 5), ("SeriesAdd", 6)]
    for event, series in history:
        assert hook.send(event, tvdb, series_id=series).status_code == 200
    first = _status(decision)
    for event, series in history:
        hook.send(event, tvdb, series_id=series)
    assert _status(decision) == first == (S.EXISTS, 6)


def test_an_escaped_surrogate_pair_is_text_like_any_other(world):  # noqa: F811
    """The parser refuses lone surrogates only: an emoji sent as an escaped pair is fine."""
    server, secret, _ = world
    body = b'{"eventType":"Test","instanceName":"Sonarr \\ud83d\\udcfa","series":{"id":1,' \
           b'"tvdbId":1234,"title":"\\ud83c\\udf7f"}}'
    answer = Client().generic("POST", url(server.pk), body, content_type="application/json",
                              **basic(secret))
    assert answer.status_code == 200, answer.content
