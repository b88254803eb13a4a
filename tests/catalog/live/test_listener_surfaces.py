"""The listener's state per server: on the server's UI and admin pages, in /ready (never a
failure) and in /metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from catalog.metrics import health
from catalog.models import PlexListenerState, PlexServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers() -> tuple[PlexServer, PlexServer]:
    now = timezone.now()
    den = PlexServer.objects.create(name="den", url="http://127.0.0.1:9", token="t0ken-den")
    attic = PlexServer.objects.create(name="attic", url="http://127.0.0.1:9", token="t0ken-a")
    PlexListenerState.objects.create(
        server=den, connected=True, connected_since=now - timedelta(hours=2),
        last_event_at=now - timedelta(seconds=5), reconnects=3, events_handled=1234,
        seen_at=now)
    PlexListenerState.objects.create(  # its listener stopped saving long ago
        server=attic, connected=True, connected_since=now - timedelta(days=2),
        reconnects=1, events_handled=7, last_error="plex: GET ws://… connection lost",
        seen_at=now - timedelta(hours=1))
    return den, attic


def test_ready_reports_the_streams_without_failing_on_them(client, servers, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "broker", lambda: None)
    monkeypatch.setitem(health.CHECKS, "cluster", lambda: None)
    response = client.get("/ready")
    assert response.status_code == 200
    streams = response.json()["plex_listener"]
    assert streams["den"]["status"] == "connected"
    assert streams["den"]["events_handled"] == 1234 and streams["den"]["reconnects"] == 3
    assert streams["attic"]["status"] == "not running"
    assert "t0ken" not in response.content.decode()
    # /ready answers anyone: the last error names the server's address, so it stays on the
    # server's page and in /metrics
    assert "last_error" not in streams["attic"] and "ws://" not in response.content.decode()


def test_metrics_export_the_streams(client, servers, admin_user):
    client.force_login(admin_user)
    response = client.get("/metrics")
    samples = {(s.name, s.labels.get("server")): s.value
               for family in text_string_to_metric_families(response.content.decode())
               for s in family.samples}
    assert samples["mediasync_plex_listener_connected", "den"] == 1
    assert samples["mediasync_plex_listener_connected", "attic"] == 0  # stale: not connected
    assert samples["mediasync_plex_listener_events_total", "den"] == 1234
    assert samples["mediasync_plex_listener_reconnects_total", "attic"] == 1
    assert ("mediasync_plex_listener_last_event_timestamp_seconds", "den") in samples


def test_the_server_pages_show_the_stream(client, servers, admin_user):
    den, attic = servers
    client.force_login(admin_user)
    page = client.get(f"/libraries/servers/{den.pk}/").content.decode()
    assert "connected · since" in page and "1234 events handled, 3 reconnects" in page
    stale = client.get(f"/libraries/servers/{attic.pk}/").content.decode()
    assert "not running" in stale and "connection lost" in stale
    admin = client.get(f"/admin/catalog/plexserver/{den.pk}/change/").content.decode()
    assert "1234 events handled" in admin
    listing = client.get("/admin/catalog/plexserver/").content.decode()
    assert "not running" in listing


def test_a_server_never_listened_to_says_so(client, admin_user):
    server = PlexServer.objects.create(name="new", url="http://127.0.0.1:9", token="tok")
    client.force_login(admin_user)
    page = client.get(f"/libraries/servers/{server.pk}/").content.decode()
    assert "never listened to" in page
