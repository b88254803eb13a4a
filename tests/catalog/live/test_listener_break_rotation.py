"""Adversarial (issue #20): "a reconnect scans the server's libraries at once, since nothing
says what was missed" (docs/plex.md). A stream that lost its connection because Plex's token
was rotated (or the server moved to a new URL) comes back as a new stream once the operator
saves the new token: that first connection of the new stream is treated as the listener's
first ever, so the gap is never caught up and the change Plex made meanwhile waits for the
hourly scan."""

from __future__ import annotations

import pytest

from catalog.models import MediaItem, PlexListenerState, PlexServer, SyncRun
from tests.catalog.live.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_a_stream_back_under_a_rotated_token_catches_up_what_it_missed(fake, library,
                                                                        listening):
    listener, clock = listening
    hub = fake.notifications
    fake.token = "rotated-token"  # Plex's token changes: the stream is cut and refused
    hub.drop()
    assert wait_for(lambda: hub.clients == 0)
    assert wait_for(lambda: not listener.streams[library.server_id].state.snapshot().connected)
    missed = fake.add_episode(fake.shows_of("1")[4].rk)  # announced to nobody
    PlexServer.objects.filter(pk=library.server_id).update(token="rotated-token")

    clock.now += listener.reload
    listener.step()  # picks up the new token: a new stream
    assert hub.wait_for_clients(1, accepted=2, timeout=10)
    assert wait_for(lambda: listener.streams[library.server_id].state.snapshot().connected)
    clock.now += listener.coalescer.window + 0.1
    listener.step()

    assert PlexListenerState.objects.get(server_id=library.server_id).connected
    assert SyncRun.objects.filter(triggered_by="plex listener").exists(), (
        "no catch-up scan after the stream was down")
    assert MediaItem.objects.filter(library=library, rating_key=missed).exists()

