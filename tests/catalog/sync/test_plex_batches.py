"""A first ingest writes its episode pages a group at a time (``pages_grouped``), with the same
rows as a page per transaction, and counts every listing page it read."""

from __future__ import annotations

import pytest

from catalog.models import MediaItem
from catalog.sync import pages
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.plex.client import PAGE_SIZE
from tests.catalog.sync.plex_fixtures import T0, item_rows, library_for, scan, server_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

EPISODES = 2_300


def _ingest(monkeypatch, rows: int):
    monkeypatch.setattr(pages, "ROWS_PER_COMMIT", rows)
    with PlexFake([LibrarySpec("1", "show", "TV", shows=12, episodes=EPISODES)], seed=9) as fake:
        library = library_for(server_for(fake, f"plex-{rows}"), "1")
        done = scan(library, fake, T0)
        requests = fake.counts["GET /library/sections/{key}/all type=4"]  # episode pages
    batches = [e["changed"] for e in done.run.events
               if e.get("event") == "page_progress" and e.get("listing") == "episodes"]
    rows_by_key = {rk: row[2:] for rk, row in item_rows(library).items()}  # not id, show
    MediaItem.objects.filter(library=library).delete()
    return done, batches, rows_by_key, requests


def test_a_first_ingest_commits_a_batch_of_pages_at_a_time_with_the_same_rows(monkeypatch):
    one, per_page, rows_one, requests_one = _ingest(monkeypatch, 1)
    joined, batched, rows_joined, requests_joined = _ingest(monkeypatch, 1000)
    listing_pages = -(-EPISODES // PAGE_SIZE)
    assert len(per_page) == listing_pages
    assert batched == [1000, 1000, EPISODES - 2000]
    assert one.summary["complete"] and joined.summary["complete"]
    assert one.summary["pages"] == joined.summary["pages"]
    assert rows_joined == rows_one and len(rows_one) == EPISODES
    assert requests_joined == requests_one == listing_pages + 1  # and the newest-episode probe
