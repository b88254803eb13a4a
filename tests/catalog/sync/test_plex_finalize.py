"""Finalize of Plex scans: retention with an injected clock, failed scans, interrupted scans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import MediaItem, SyncRun
from integrations.fakes.base import FakeRequest, FakeResponse, Fault
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, item_rows, library_for, scan, server_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
DAY = timedelta(days=1)


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=6, episodes=240),
                   LibrarySpec("2", "movie", "Movies", movies=30, root="/data/movies")],
                  seed=12) as fake:
        yield fake


@pytest.fixture
def library(fake):
    library = library_for(server_for(fake, "plex"), "1", retention_days=30)
    scan(library, fake, T0)
    return library


@pytest.fixture
def gone(fake, library) -> MediaItem:
    """An episode removed from Plex and marked missing by the scan a day later."""
    episode = fake.episodes_of("1")[7]
    fake.remove_item(episode.rk)
    assert scan(library, fake, T0 + DAY).summary["missing_promoted"] == 1
    return MediaItem.objects.get(library=library, rating_key=str(episode.rk))


def _failed_scan(library, started) -> SyncRun:
    return SyncRun.objects.create(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}",
                                  status=SyncRun.Status.FAILED, started_at=started,
                                  finished_at=started, error="plex: connection refused")


def test_it_keeps_a_missing_item_missing_within_the_retention(fake, library, gone):
    done = scan(library, fake, T0 + 30 * DAY)
    gone.refresh_from_db()
    assert (gone.state, done.summary["deleted_promoted"]) == ("missing", 0)
    assert gone.missing_since == T0 + DAY


def test_it_promotes_missing_to_deleted_after_the_retention(fake, library, gone):
    done = scan(library, fake, T0 + 31 * DAY)
    gone.refresh_from_db()
    assert (gone.state, done.summary["deleted_promoted"]) == ("deleted", 1)
    assert MediaItem.objects.filter(library=library, state="deleted").count() == 1


def test_it_does_not_delete_when_a_scan_in_the_window_failed(fake, library, gone):
    _failed_scan(library, T0 + 20 * DAY)
    done = scan(library, fake, T0 + 31 * DAY)
    gone.refresh_from_db()
    assert (gone.state, done.summary["deleted_promoted"]) == ("missing", 0)


def test_it_does_not_delete_when_a_scan_in_the_window_was_incomplete(fake, library, gone):
    SyncRun.objects.create(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}",
                           status=SyncRun.Status.SUCCEEDED, started_at=T0 + 10 * DAY,
                           summary={"complete": False})
    scan(library, fake, T0 + 31 * DAY)
    gone.refresh_from_db()
    assert gone.state == "missing"


def test_it_ignores_failed_scans_before_the_window(fake, library, gone):
    _failed_scan(library, T0 - 5 * DAY)
    scan(library, fake, T0 + 31 * DAY)
    gone.refresh_from_db()
    assert gone.state == "deleted"


def test_it_brings_returning_items_back_and_leaves_the_gone_deleted(fake, library, gone):
    MediaItem.objects.filter(pk=gone.pk).update(state="deleted")
    show = fake.shows_of("1")[-1]
    back = MediaItem.objects.filter(plex_show__rating_key=str(show.rk))
    assert gone.pk not in {i.pk for i in back}
    back.update(state="missing", missing_since=T0)
    done = scan(library, fake, T0 + 3 * DAY, deep=True)
    assert {i.state for i in back.all()} <= {"active", "remote_only", "unavailable"}
    assert {i.missing_since for i in back.all()} == {None}
    assert done.summary["updated"] == back.count() and done.summary["missing_promoted"] == 0
    gone.refresh_from_db()
    assert gone.state == "deleted"


def test_it_fails_a_scan_whose_listing_breaks_and_marks_nothing(fake, library):
    fake.remove_item(fake.episodes_of("1")[3].rk)
    fake.inject(Fault(kind="status", status=503), times=10,
                path_prefix="/library/sections/1/all")
    done = scan(library, fake, T0 + DAY, deep=True)
    assert done.run.status == "failed" and "503" in done.run.error
    assert not MediaItem.objects.filter(library=library, state="missing").exists()
    library.refresh_from_db()
    assert library.last_complete_scan_at == T0


class FlakyPlex(PlexFake):
    """Answers ``ok_listings`` listing requests, then only 500s (the run dies mid-ingest)."""

    ok_listings: int | None = None

    def handle(self, request: FakeRequest) -> FakeResponse:
        if self.ok_listings is not None and request.path.endswith("/all"):
            if self.ok_listings <= 0:
                return FakeResponse(500, b"", {"Content-Type": "text/plain"})
            self.ok_listings -= 1
        return super().handle(request)


def test_it_ends_an_interrupted_first_ingest_with_the_rows_of_an_uninterrupted_one():
    with FlakyPlex([LibrarySpec("1", "show", "TV", shows=6, episodes=450)], seed=12) as fake:
        server = server_for(fake, "plex")
        clean = library_for(server, "1")
        scan(clean, fake, T0)
        expected = {rk: row[1:] for rk, row in item_rows(clean).items()}  # all but the id
        clean.delete()
        library = library_for(server, "1")
        fake.ok_listings = 3  # the newest-episode probe, the show page, the first episode page
        first = scan(library, fake, T0)
        assert first.run.status == "failed" and "500" in first.run.error
        assert MediaItem.objects.filter(library=library).count() == 200
        assert library.last_complete_scan_at is None
        fake.ok_listings = None
        again = scan(library, fake, T0)
        assert again.summary["mode"] == "flat" and again.summary["complete"]
        assert {rk: row[1:] for rk, row in item_rows(library).items()} == expected


class ShiftingPlex(PlexFake):
    """Loses its first episode just before the second episode page is read, as a library
    being edited during a scan does: every later row moves up one place."""

    shift = False

    def handle(self, request: FakeRequest) -> FakeResponse:
        start = request.header("X-Plex-Container-Start")
        if self.shift and request.arg("type") == "4" and start == "200":
            self.shift = False
            self.remove_item(self.episodes_of("1")[0].rk)
        return super().handle(request)


def test_it_reconciles_the_show_whose_row_the_moving_listing_skipped():
    with ShiftingPlex([LibrarySpec("1", "show", "TV", shows=6, episodes=450)], seed=12) as fake:
        library = library_for(server_for(fake, "plex"), "1")
        scan(library, fake, T0)
        skipped = fake.episodes_of("1")[200]  # moves to page one once the first one is gone
        fake.shift = True
        fake.reset_counts()
        done = scan(library, fake, T0 + DAY, deep=True)
        assert done.summary["complete"] and done.summary["missing_promoted"] == 0
        assert done.summary["reconciled_shows"] == 1 and done.summary["incomplete_shows"] == []
        assert fake.count_prefix("GET /library/metadata/{rk}/allLeaves") == 1
        item = MediaItem.objects.get(library=library, rating_key=str(skipped.rk))
        assert (item.last_seen_at, item.state) == (T0 + DAY, "remote_only")
        again = scan(library, fake, T0 + 2 * DAY, deep=True)
        assert again.summary["complete"] and again.summary["missing_promoted"] == 1


def test_it_keeps_the_items_an_incomplete_flat_read_missed_for_the_next_incremental_scan():
    with ShiftingPlex([LibrarySpec("1", "show", "TV", shows=6, episodes=450)], seed=12) as fake:
        library = library_for(server_for(fake, "plex"), "1")
        scan(library, fake, T0)
        removed = fake.episodes_of("1")[0]
        fake.shift = True
        assert scan(library, fake, T0 + DAY, deep=True).summary["complete"]
        again = scan(library, fake, T0 + 2 * DAY)  # not deep: unchanged shows are not read
        assert again.summary["mode"] == "incremental" and again.summary["complete"]
        missing = MediaItem.objects.filter(library=library, state="missing")
        assert list(missing.values_list("rating_key", flat=True)) == [str(removed.rk)]
        present = {str(e.rk) for e in fake.episodes_of("1")}
        live = MediaItem.objects.filter(library=library, rating_key__in=present)
        assert live.count() == len(present) == 449
        assert set(live.values_list("last_seen_at", flat=True)) == {T0 + 2 * DAY}
        assert "missing" not in set(live.values_list("state", flat=True))


class EmptyPagePlex(PlexFake):
    """Answers the second episode page once with no rows but the listing's real totalSize."""

    answers_json = False  # the garbling edits XML bytes

    glitch = False

    def handle(self, request: FakeRequest) -> FakeResponse:
        response = super().handle(request)
        if not (self.glitch and request.arg("type") == "4"
                and request.header("X-Plex-Container-Start") == "200"):
            return response
        self.glitch = False
        body = response.body
        head = body.index(b">", body.index(b"<MediaContainer")) + 1
        empty = body[:head].replace(b'size="200"', b'size="0"') + b"</MediaContainer>"
        return FakeResponse(response.status, empty, response.headers)


def test_it_fails_a_scan_that_gets_an_empty_page_inside_a_listing():
    with EmptyPagePlex([LibrarySpec("1", "show", "TV", shows=6, episodes=450)], seed=12) as fake:
        library = library_for(server_for(fake, "plex"), "1")
        scan(library, fake, T0)
        fake.glitch = True
        done = scan(library, fake, T0 + DAY, deep=True)
        assert done.run.status == "failed" and "empty page at offset 200" in done.run.error
        assert not MediaItem.objects.filter(library=library, state="missing").exists()
        assert library.last_complete_scan_at == T0
