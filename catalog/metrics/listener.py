"""The Plex listener's state per server, as ``/ready`` reports it and ``/metrics`` exports it.

Information only: a listener that is down or disconnected never makes the service unready
(the scheduled scans still keep the catalog in step, only later).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from catalog.models import PlexListenerState

# The listener saves at least every 10 s; a row older than this is a listener that is gone.
STALE_AFTER = timedelta(seconds=60)


def listener_rows() -> list[PlexListenerState]:
    return list(PlexListenerState.objects.filter(server__enabled=True)
                .select_related("server").order_by("server__name"))


def listener_alive(row: PlexListenerState, now: datetime) -> bool:
    return row.seen_at is not None and now - row.seen_at <= STALE_AFTER


def listener_status(row: PlexListenerState, now: datetime) -> str:
    """connected | disconnected | not running (its process stopped saving)."""
    if not listener_alive(row, now):
        return "not running"
    return "connected" if row.connected else "disconnected"


def listener_summary(row: PlexListenerState | None, now: datetime | None = None) -> str:
    """One line for a server's page: status, since when, last event, counts."""
    if row is None:
        return "never listened to (is `bin/mediasync listen` running?)"
    now = now or timezone.now()
    status = listener_status(row, now)
    parts = [status]
    if status == "connected" and row.connected_since:
        parts.append(f"since {row.connected_since:%Y-%m-%d %H:%M:%S} UTC")
    parts.append(f"last event {row.last_event_at:%Y-%m-%d %H:%M:%S} UTC" if row.last_event_at
                 else "no event yet")
    parts.append(f"{row.events_handled} events handled, {row.reconnects} reconnects")
    if row.last_error and status != "connected":
        parts.append(f"last error: {row.last_error}")
    return " · ".join(parts)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def listener_state() -> dict[str, dict[str, Any]]:
    """Per enabled server the listener has held: status, since, last event, counts. ``/ready``
    answers anyone, so the last error (it names the server's address) stays on the server's
    page and in ``/metrics``, which need a login or the scrape token."""
    now = timezone.now()
    return {row.server.name: {
        "status": listener_status(row, now), "connected_since": _iso(row.connected_since),
        "last_event_at": _iso(row.last_event_at), "reconnects": row.reconnects,
        "events_handled": row.events_handled,
    } for row in listener_rows()}


def listener_metrics() -> Iterator[Metric]:
    now = timezone.now()
    labels = ["server_id", "server"]
    connected = GaugeMetricFamily("mediasync_plex_listener_connected",
                                  "1 while the listener holds the server's notification stream",
                                  labels=labels)
    since = GaugeMetricFamily("mediasync_plex_listener_connected_since_timestamp_seconds",
                              "When the current notification stream was opened", labels=labels)
    last = GaugeMetricFamily("mediasync_plex_listener_last_event_timestamp_seconds",
                             "When the last notification arrived", labels=labels)
    events = CounterMetricFamily("mediasync_plex_listener_events",
                                 "Library notifications the listener handled", labels=labels)
    reconnects = CounterMetricFamily("mediasync_plex_listener_reconnects",
                                     "Times the notification stream was lost", labels=labels)
    for row in listener_rows():
        key = [str(row.server_id), row.server.name]
        live = row.connected and listener_alive(row, now)
        connected.add_metric(key, 1 if live else 0)
        if live and row.connected_since:
            since.add_metric(key, row.connected_since.timestamp())
        if row.last_event_at:
            last.add_metric(key, row.last_event_at.timestamp())
        events.add_metric(key, row.events_handled)
        reconnects.add_metric(key, row.reconnects)
    yield from (connected, since, last, events, reconnects)
