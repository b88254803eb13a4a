"""An unchanged re-scan rewrites every item's seen time in place on PostgreSQL: the items'
pages keep room for it (migration 0028), so the table does not grow by a copy of itself on
every scan and no index gets an entry for the new versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from catalog.models import MediaItem
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
TABLE = MediaItem._meta.db_table


def _sizes() -> tuple[int, int]:
    """The items' heap and the total of their indexes, in bytes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s), pg_indexes_size(%s)", [TABLE, TABLE])
        return cursor.fetchone()


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("page fill and heap-only updates: PostgreSQL only")


def test_items_pages_are_half_filled():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [TABLE])
        assert cursor.fetchone()[0] == ["fillfactor=50"]


def test_an_unchanged_rescan_rewrites_items_without_copying_the_table_or_its_indexes():
    """One re-scan: its new versions fit in the room the pages kept. (Later scans reuse the
    room of the versions before them once no transaction can see those, which any open
    transaction on the server, another test's included, can hold back: not asserted.)"""
    with PlexFake([LibrarySpec("1", "show", "TV", shows=120, episodes=3000)], seed=4) as fake:
        library = library_for(server_for(fake, "plex"), "1")
        assert scan(library, fake, T0).summary["complete"]
        heap, indexes = _sizes()
        fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
        done = scan(library, fake, T0 + timedelta(hours=1))
        assert done.summary["mode"] == "incremental" and done.summary["complete"]
        assert done.summary["seen_unchanged_shows"] == 3000  # their items, touched
        seen = set(MediaItem.objects.filter(library=library).values_list("last_seen_at",
                                                                         flat=True))
        assert seen == {T0 + timedelta(hours=1)}
        # Full pages would have put the scan's 3,000 new versions on new pages (the heap
        # twice its size) and an entry for each in every index (the indexes twice theirs).
        # A page may overflow (rows longer than most, or room the ingest's own updates
        # took and an open transaction elsewhere keeps taken): some pages, not a copy.
        grown_heap, grown_indexes = _sizes()
        assert indexes <= grown_indexes <= indexes * 1.25
        assert heap <= grown_heap <= heap * 1.25
