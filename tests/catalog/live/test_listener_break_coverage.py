"""Adversarial tests of the Plex listener (issue #20) that hold: a rotated token is picked up
within one reload; entries for sections we do not hold cost nothing."""

from __future__ import annotations

import pytest

from catalog.models import MediaItem, PlexServer
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import LIBRARY_REQUESTS, settle, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_a_stream_back_under_a_rotated_token_uses_only_the_new_token(fake, library, listening):
    """Coverage: the old token is refused, the new one is picked up within one reload."""
    listener, clock = listening
    fake.token = "rotated-token"
    fake.notifications.drop()
    assert wait_for(lambda: fake.notifications.clients == 0)
    PlexServer.objects.filter(pk=library.server_id).update(token="rotated-token")
    clock.now += listener.reload
    listener.step()
    assert fake.notifications.wait_for_clients(1, accepted=2, timeout=10)
    assert wait_for(lambda: listener.streams[library.server_id].state.snapshot().connected)
    assert listener.streams[library.server_id].same(library.server.url, "rotated-token")


def test_an_entry_for_a_section_we_do_not_hold_costs_nothing(fake, library, listening):
    """Coverage: section 2 exists in Plex but is not a library of ours; section 99 does not
    exist at all. No run, no request."""
    listener, clock = listening
    movie_rk = fake.sections["2"].movies[0].rk
    fake.notifications.publish(timeline([timeline_entry("2", movie_rk, "movie", 5),
                                         timeline_entry("99", 12345, "episode", 5)]))
    settle(listener, clock, library.server_id, 2)
    assert fake.count_prefix(LIBRARY_REQUESTS) == 0
    assert not MediaItem.objects.filter(rating_key=str(movie_rk)).exists()
