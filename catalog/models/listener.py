"""What the Plex listener (``bin/mediasync listen``) last knew of each server's stream."""

from __future__ import annotations

from django.db import models

from catalog.models.plex import PlexServer


class PlexListenerState(models.Model):
    """One row per server the listener has held a notification stream for.

    Written only by the listener process (one statement per change, at most once a second);
    read by the server's page, ``/ready`` and ``/metrics``. ``seen_at`` is the listener's own
    heartbeat: a row whose ``seen_at`` is old belongs to a listener that is gone.
    """

    server = models.OneToOneField(PlexServer, on_delete=models.CASCADE, primary_key=True,
                                  related_name="listener")
    connected = models.BooleanField(default=False)
    connected_since = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    reconnects = models.PositiveBigIntegerField(default=0)
    events_handled = models.PositiveBigIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Plex listener state"

    def __str__(self) -> str:
        return f"listener of server {self.server_id}"
