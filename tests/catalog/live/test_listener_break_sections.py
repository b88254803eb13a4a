"""Adversarial (issue #20): a timeline entry whose ``sectionID`` is not the section holding the
item (a confused or hostile Plex; a section deleted and its id met again) must not write the
item into the library the entry names. The refresh reads ``/library/metadata/{rk}`` and
writes whatever comes back into that library, without checking the item's own section: a
movie of the Films library becomes a second, active row in the TV library."""

from __future__ import annotations

import pytest

from catalog.models import MediaItem
from integrations.fakes.plex.notify import timeline, timeline_entry
from tests.catalog.live.helpers import settle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_an_item_named_under_another_section_is_not_written_into_it(fake, library, movies,
                                                                      listening):
    listener, clock = listening
    movie = MediaItem.objects.filter(library=movies).order_by("pk").first()
    fake.notifications.publish(timeline([timeline_entry(library.key, movie.rating_key,
                                                        "movie", 5)]))
    settle(listener, clock, library.server_id, 1)
    rows = list(MediaItem.objects.filter(rating_key=movie.rating_key)
                .values_list("library_id", flat=True))
    assert rows == [movies.pk], f"the Films movie is now in libraries {rows}"

