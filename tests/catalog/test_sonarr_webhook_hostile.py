"""Whatever body comes with the right secret, the webhook answers 4xx (never a 500) and
writes nothing: huge, deeply nested, not JSON, form-encoded, the wrong types where Sonarr
sends ids, an event Sonarr does not send."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_q.models import Schedule

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, SonarrServer
from tests import factories
from tests.catalog.test_sonarr_webhook_auth import basic, url

pytestmark = pytest.mark.django_db
S = Decision.Status
TVDB = 81189


def _event(event_type: str = "SeriesAdd", **series: object) -> dict:
    return {"eventType": event_type, "series": {"id": 7, "tvdbId": TVDB, **series}}


JSON_BODIES = {
    "unknown event": {"eventType": "SeriesExplode", "series": {"id": 7, "tvdbId": TVDB}},
    "event of the wrong type": {"eventType": 7},
    "event null": {"eventType": None},
    "no event": {"series": {"id": 7, "tvdbId": TVDB}},
    "series a string": {"eventType": "SeriesAdd", "series": "x"},
    "series a list": {"eventType": "SeriesDelete", "series": [TVDB]},
    "series null": {"eventType": "SeriesDelete", "series": None},
    "series missing": {"eventType": "SeriesAdd"},
    "download without series": {"eventType": "Download", "episodes": []},
    "tvdbId float 1e30": _event(tvdbId=1e30),
    "tvdbId -1": _event(tvdbId=-1),
    "tvdbId 0": _event(tvdbId=0),
    "tvdbId text": _event(tvdbId="abc"),
    "tvdbId digits as text": _event(tvdbId="81189"),
    "tvdbId 2**70": _event(tvdbId=2**70),
    "tvdbId 2**31": _event(tvdbId=2**31),
    "tvdbId true": _event(tvdbId=True),
    "tvdbId 1.5": _event(tvdbId=1.5),
    "tvdbId null": _event(tvdbId=None),
    "tvdbId an object": _event(tvdbId={"$gt": 0}),
    "series id 2**70": _event(id=2**70),
    "series id -5": _event(id=-5),
    "series id missing on add": {"eventType": "SeriesAdd", "series": {"tvdbId": TVDB}},
    "deletedFiles text": {**_event("SeriesDelete"), "deletedFiles": "yes"},
    "a list": [_event()],
    "a string": "SeriesAdd",
    "a number": 12,
    "null": None,
    "nested in series": {"eventType": "SeriesAdd",
                         "series": json.loads("{\"a\":" * 40 + "1" + "}" * 40)},
}
RAW_BODIES = {
    "huge": (b'{"eventType":"Test","pad":"' + b"x" * (2 * 1024 * 1024) + b'"}',
             "application/json", 413),
    "deeply nested arrays": (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    "deeply nested objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                              "application/json", 400),
    "empty JSON": (b"", "application/json", 400),
    "empty, no type": (b"", "", 400),
    "not JSON": (b"eventType=SeriesAdd", "application/json", 400),
    "NaN": (b'{"eventType":"SeriesAdd","series":{"id":NaN,"tvdbId":NaN}}',
            "application/json", 400),
    "bad UTF-8": (b'{"eventType":"\xff\xfe"}', "application/json", 400),
    "form-encoded": (b"eventType=SeriesAdd&series=1", "application/x-www-form-urlencoded", 415),
    "multipart": (b"--b\r\nContent-Disposition: form-data; name=\"eventType\"\r\n\r\nTest\r\n"
                  b"--b--\r\n", "multipart/form-data; boundary=b", 415),
    "text": (b"SeriesAdd", "text/plain", 415),
    "XML": (b"<eventType>SeriesAdd</eventType>", "application/xml", 415),
}


@pytest.fixture
def world():
    server = factories.SonarrServerFactory()
    secret = sonarr_webhook_secret_new(server_id=server.pk)
    rule = factories.DiscoveryRuleFactory(server=server)
    pending = factories.DecisionFactory(rule=rule, status=S.PENDING,
                                        show=factories.ShowFactory(tvdb_id=TVDB))
    added = factories.DecisionFactory(rule=rule, status=S.ADDED, sonarr_series_id=3,
                                      show=factories.ShowFactory(tvdb_id=TVDB + 1))
    return server, secret, [pending, added]


def _unchanged(server: SonarrServer, decisions: list[Decision]) -> None:
    for decision in decisions:
        fresh = Decision.objects.get(pk=decision.pk)
        assert (fresh.status, fresh.sonarr_series_id) == (decision.status,
                                                          decision.sonarr_series_id)
    assert SonarrServer.objects.get(pk=server.pk).webhook_event == ""
    assert not Schedule.objects.filter(name__startswith="sonarr files").exists()


@pytest.mark.parametrize("name", JSON_BODIES)
def test_a_hostile_json_body_is_a_400_that_writes_nothing(world, name):
    server, secret, decisions = world
    answer = Client().post(url(server.pk), json.dumps(JSON_BODIES[name]),
                           content_type="application/json", **basic(secret))
    assert answer.status_code == 400, answer.content
    assert answer.json()  # says why, in JSON
    _unchanged(server, decisions)


@pytest.mark.parametrize("name", RAW_BODIES)
def test_a_hostile_raw_body_is_a_4xx_that_writes_nothing(world, name):
    server, secret, decisions = world
    body, content_type, code = RAW_BODIES[name]
    extra = {"content_type": content_type} if content_type else {}
    answer = Client().generic("POST", url(server.pk), body, **extra, **basic(secret))
    assert answer.status_code == code, answer.content
    _unchanged(server, decisions)


def test_a_huge_body_without_the_secret_is_refused_before_it_is_read(world):
    server, _, decisions = world
    body, content_type, _ = RAW_BODIES["huge"]
    answer = Client().generic("POST", url(server.pk), body, content_type=content_type)
    assert answer.status_code == 401
    _unchanged(server, decisions)
