"""Connecting Sonarr's webhook through its API, as the demo does: a fresh secret goes to
Sonarr (``POST /api/v3/notification``), Sonarr sends "Test" on save, and from then on the
fake Sonarr's own mutations (a series added or deleted, a file imported) reach mediasync's
real endpoint; the secret is never printed, answered back nor in an error. The fake refuses a
connection it cannot make, as Sonarr does, with a 400."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import requests
from django.core.management import call_command
from django_q.models import Schedule

from catalog.auth.webhooks import webhook_secret_digest
from catalog.management.commands.demo_seed import sonarr_webhooks_connect
from catalog.models import SonarrServer
from integrations.errors import InvalidError
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from integrations.sonarr import SonarrClient
from tests.catalog.sync.sonarr_fixtures import server_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake() -> Iterator[SonarrFake]:
    with SonarrFake(version=SonarrFake.V4, catalog_size=20) as server:
        yield server


def _client(fake: SonarrFake) -> SonarrClient:
    return SonarrClient.build(base_url=fake.url, api_key=DEFAULT_API_KEY, max_retries=0)


def test_the_demo_connects_the_webhook_and_sonarr_mutations_reach_it(fake, live_server,
                                                                     caplog):
    caplog.set_level(logging.DEBUG)
    server = server_for(fake)
    before = SonarrServer.objects.get(pk=server.pk).webhook_secret_hash
    assert sonarr_webhooks_connect(live_server.url) == [server.name]
    assert fake.webhooks_wait() == [("Test", 200)]  # Sonarr tests a connection on save
    stored = SonarrServer.objects.get(pk=server.pk)
    assert stored.webhook_secret_hash not in ("", before) and stored.webhook_event == "Test"
    [saved] = requests.get(f"{fake.url}/api/v3/notification", timeout=5,
                           headers={"X-Api-Key": DEFAULT_API_KEY}).json()
    fields = {f["name"]: f["value"] for f in saved["fields"]}
    assert fields["url"] == f"{live_server.url}/api/webhooks/sonarr/{server.pk}/"
    assert fields["password"] == "********"  # masked once saved
    assert saved["onSeriesDelete"] and saved["onDownload"] and saved["onSeriesAdd"]
    # From now on the fake's own mutations are heard.
    tvdb = fake.catalog_ids[0]
    series_id = fake.seed_library(tvdb)
    fake.import_episode(tvdb, 1, 2)
    fake.remove_series(series_id)
    assert fake.webhooks_wait()[1:] == [("SeriesAdd", 200), ("Download", 202),
                                        ("SeriesDelete", 200)]
    assert Schedule.objects.filter(name=f"sonarr files tvdb:{tvdb}").exists()
    secret_hash = SonarrServer.objects.get(pk=server.pk).webhook_secret_hash
    sent = fake._webhook.auth[1]  # what Sonarr holds: the secret itself
    assert webhook_secret_digest(sent) == secret_hash
    assert sent not in caplog.text


def test_demo_seed_connects_it_only_when_told_where_mediasync_answers(fake, live_server,
                                                                       monkeypatch):
    server = server_for(fake)
    monkeypatch.setenv("DEMO_WEBHOOK_BASE", live_server.url)
    out = io.StringIO()
    monkeypatch.setattr("catalog.management.commands.demo_seed.Command._wait",
                        lambda self, runs: None)  # the syncs are not this test's subject
    monkeypatch.setattr("catalog.management.commands.demo_seed.sync_enqueue",
                        lambda **kwargs: None)
    call_command("demo_seed", "--sync", stdout=out)
    assert f"demo: {server.name} calls mediasync's webhook" in out.getvalue()
    assert fake.webhooks_wait() == [("Test", 200)]
    assert fake._webhook.auth[1] not in out.getvalue()


def test_a_refused_connection_is_one_clear_error_without_the_password(fake):
    with pytest.raises(InvalidError) as refused:
        _client(fake).webhook_connect(name="x", url="not a url", username="u",
                                      password="p4ssw0rd-secret")
    assert refused.value.status == 400
    assert "Invalid Url" in str(refused.value) and "p4ssw0rd-secret" not in str(refused.value)
    assert DEFAULT_API_KEY not in str(refused.value)
    for body in ([], {"implementation": "Slack"},
                 {"implementation": "Webhook", "fields": [{"name": "url", "value": "http://x"},
                                                          {"name": "method", "value": 9}]}):
        answer = requests.post(f"{fake.url}/api/v3/notification", json=body, timeout=5,
                               headers={"X-Api-Key": DEFAULT_API_KEY})
        assert answer.status_code == 400, body
    assert requests.get(f"{fake.url}/api/v3/notification", timeout=5,
                        headers={"X-Api-Key": DEFAULT_API_KEY}).json() == []


def test_an_unreachable_sonarr_stops_the_demo_with_one_line(fake, live_server):
    server_for(fake)
    fake.stop()
    with pytest.raises(Exception) as failed:
        sonarr_webhooks_connect(live_server.url)
    assert "could not connect" in str(failed.value) and "\n" not in str(failed.value)
