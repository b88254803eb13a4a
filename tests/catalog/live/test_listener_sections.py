"""A timeline naming a library writes there only what Plex places in that library's section:
an entry of another section in the same batch is neither written here nor marked missing,
and the library's own items of the batch are refreshed as usual."""

from __future__ import annotations

import pytest

from catalog.models import MediaItem
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import settle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_a_batch_mixing_another_sections_item_writes_only_this_librarys(fake, library,
                                                                        movies, listening):
    listener, clock = listening
    movie = MediaItem.objects.filter(library=movies).order_by("pk").first()
    episode = MediaItem.objects.filter(library=library, plex_show__isnull=False).order_by(
        "pk").first()
    fake.notifications.publish(timeline([
        timeline_entry(library.key, movie.rating_key, "movie", 5),
        timeline_entry(library.key, episode.rating_key, "episode", 5)]))
    settle(listener, clock, library.server_id, 1)

    assert list(MediaItem.objects.filter(rating_key=movie.rating_key)
                .values_list("library_id", "state")) == [(movies.pk, movie.state)]
    episode_now = MediaItem.objects.get(pk=episode.pk)
    assert episode_now.state == episode.state
    assert episode_now.last_seen_at > episode.last_seen_at  # refreshed by this batch
