"""A Plex scan whose run is taken over (or cancelled) mid-walk commits nothing afterwards:
ownership is checked inside each page's transaction, not after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import MediaItem, PlexShow, SyncRun
from catalog.sync import pages
from integrations.fakes.base import FakeRequest
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class TakeoverPlex(PlexFake):
    """When the episode page at ``start`` is asked for, the run changes hands in the database
    (another worker took it over, or an operator cancelled it) before the page is answered."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.at: tuple[str, dict] | None = None
        self.before_request = self._maybe

    def _maybe(self, request: FakeRequest) -> None:
        if self.at is None or request.arg("type") != "4" or request.arg("sort"):
            return
        start, change = self.at
        if request.header("X-Plex-Container-Start") == start:
            self.at = None
            try:
                SyncRun.objects.filter(status="running").update(**change)
            finally:
                connection.close()  # this thread's own connection


@pytest.fixture
def fake() -> Iterator[TakeoverPlex]:
    with TakeoverPlex([LibrarySpec("1", "show", "TV", shows=30, episodes=1400)], seed=4) as fake:
        yield fake


@pytest.mark.parametrize("change", [{"owner_token": "a-successor"},
                                    {"cancel_requested_at": timezone.now()}])
def test_it_commits_no_page_after_its_run_changed_hands(fake, change, monkeypatch):
    monkeypatch.setattr(pages, "ROWS_PER_COMMIT", 1)  # a transaction per listing page
    library = library_for(server_for(fake, "plex"), "1")
    fake.at = ("600", change)
    done = scan(library, fake, T0)
    items = MediaItem.objects.filter(library=library)
    # the page at 600 is fetched while the one at 400 is written: that one commits or not
    # depending on which came first, and nothing after the change ever does
    committed = items.count()
    assert committed in (400, 600)
    assert not items.exclude(state__in=["active", "remote_only", "unavailable"]).exists()
    assert library.last_complete_scan_at is None
    assert not PlexShow.objects.filter(library=library, children_hydrated=True).exists()
    run = SyncRun.objects.get(pk=done.run.pk)
    if "owner_token" in change:
        assert (run.status, run.owner_token) == ("running", "a-successor")  # the successor's
    else:
        assert run.status == "cancelled"
    assert run.processed == committed


@pytest.mark.parametrize("change", [{"owner_token": "a-successor"},
                                    {"cancel_requested_at": timezone.now()}])
def test_a_change_of_hands_while_a_group_is_read_rolls_the_whole_group_back(fake, change):
    library = library_for(server_for(fake, "plex"), "1")
    # The first group (pages at 0..800) is written only once the page at 800 is read, after
    # the change made when the page at 600 was asked for: none of its pages may commit.
    assert pages.pages_per_group(200) == 5
    fake.at = ("600", change)
    done = scan(library, fake, T0)
    assert not MediaItem.objects.filter(library=library).exists()
    run = SyncRun.objects.get(pk=done.run.pk)
    assert run.processed == 0
    assert run.status == ("running" if "owner_token" in change else "cancelled")
