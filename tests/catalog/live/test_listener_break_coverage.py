"""Adversarial tests of the Plex listener (issue #20) that hold: a rotated token is picked up
within one reload; entries for sections we do not hold cost nothing; an episode re-matched
to another show (with or without the old show's own event in the same window) moves with
it, and the next scan finds nothing left to do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.models import MediaItem, PlexServer
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import LIBRARY_REQUESTS, settle, wait_for
from tests.catalog.sync.plex_fixtures import T0, item_rows, scan

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


@pytest.mark.parametrize("old_show_event", [False, True])
def test_an_episode_moved_to_another_show_moves_and_the_next_scan_agrees(
        fake, library, listening, old_show_event):
    listener, clock = listening
    a, b = fake.shows_of("1")[0], fake.shows_of("1")[1]
    leaf = a.seasons[0].episodes[0]
    fake.move_episode(leaf.rk, b.rk)
    if old_show_event:
        fake.notifications.publish(timeline([timeline_entry("1", a.rk, "show", 5)]))
    settle(listener, clock, library.server_id, 2 if old_show_event else 1)
    item = MediaItem.objects.get(library=library, rating_key=str(leaf.rk))
    assert (item.plex_show.rating_key, item.state) == (str(b.rk), MediaItem.State.ACTIVE)
    rows = item_rows(library)
    done = scan(library, fake, T0 + timedelta(hours=1))
    assert done.summary["complete"] and done.summary["expanded_shows"] == 0
    after = item_rows(library)
    assert {rk for rk in rows if rows[rk][:11] != after[rk][:11]} == set()
