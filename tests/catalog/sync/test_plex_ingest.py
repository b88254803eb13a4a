"""First ingest of Plex libraries against the Plex fake: every item, digest and state."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import MediaItem, PlexShow, Show
from catalog.paths.resolve import resolve_local_path
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import (
    ITEM_FIELDS,
    LEAVES,
    LISTING,
    T0,
    expected_digest,
    expected_state,
    item_rows,
    library_for,
    scan,
    server_for,
)

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.integration]


@pytest.fixture
def linux_fake() -> Iterator[PlexFake]:
    libraries = [LibrarySpec("1", "show", "TV", shows=14, episodes=420),
                 LibrarySpec("2", "movie", "Movies", movies=260, root="/data/movies")]
    with PlexFake(libraries, seed=3) as fake:
        yield fake


@pytest.fixture
def windows_fake() -> Iterator[PlexFake]:
    libraries = [LibrarySpec("7", "show", "Series", shows=9, episodes=250, root="/TV")]
    with PlexFake(libraries, seed=4, windows_paths=True) as fake:
        yield fake


def _assert_items_match(library, fake: PlexFake, leaves, mapped_prefix: str | None) -> None:
    stored = {i.rating_key: i for i in MediaItem.objects.filter(library=library)}
    assert sorted(stored) == sorted(str(leaf.rk) for leaf in leaves)
    for leaf in leaves:
        item = stored[str(leaf.rk)]
        assert item.digest == expected_digest(leaf), leaf.rk
        assert item.state == expected_state(leaf, mapped_prefix), leaf.rk
        parts = [p for m in leaf.media for p in m.parts]
        assert item.file_path == (parts[0].file if parts else "")
        assert item.part_count == len(parts)
        assert (item.first_seen_at, item.last_seen_at, item.missing_since) == (T0, T0, None)


def test_it_lands_every_item_of_two_libraries_on_two_servers(linux_fake, windows_fake):
    linux = server_for(linux_fake, "linux", [("/data/tv", "/mnt/tv")])
    windows = server_for(windows_fake, "windows", [("D:\\TV", "/mnt/tv")])
    tv, movies, series = (library_for(linux, "1"), library_for(linux, "2", "movie"),
                          library_for(windows, "7"))
    for library, fake in ((tv, linux_fake), (movies, linux_fake), (series, windows_fake)):
        done = scan(library, fake, T0)
        assert done.run.status == "succeeded", done.run.error
        assert done.summary["complete"] and done.summary["mode"] == "flat"
    _assert_items_match(tv, linux_fake, linux_fake.episodes_of("1"), "/data/tv/")
    _assert_items_match(movies, linux_fake, linux_fake.sections["2"].movies, None)
    _assert_items_match(series, windows_fake, windows_fake.episodes_of("7"), "D:\\TV\\")
    states = set(MediaItem.objects.filter(library=series).values_list("state", flat=True))
    assert states == {"active", "unavailable"}
    assert set(MediaItem.objects.filter(library=movies).values_list("state", flat=True)) == {
        "remote_only", "unavailable"}
    sample = MediaItem.objects.filter(library=series, state="active").first()
    local = resolve_local_path(windows, sample.file_path)
    assert local.startswith("/mnt/tv/") and "\\" not in local
    assert local.endswith(sample.file_path.rsplit("\\", 1)[1])


def test_it_reads_the_library_flat_in_pages_of_200(linux_fake):
    server = server_for(linux_fake, "linux")
    linux_fake.reset_counts()
    done = scan(library_for(server, "1"), linux_fake, T0)
    assert linux_fake.counts[LISTING + "2"] == 1
    # the pages, and one row sorted by updatedAt (the total and Plex's newest stamp)
    assert linux_fake.counts[LISTING + "4"] == 1 + math.ceil(420 / 200)
    assert linux_fake.count_prefix(LEAVES) == 0
    assert linux_fake.total_requests() == 2 + math.ceil(420 / 200)
    assert done.summary["pages"] == 1 + math.ceil(420 / 200)
    assert done.summary["created"] == 420


def test_it_hydrates_and_links_every_show(linux_fake):
    server = server_for(linux_fake, "linux")
    library = library_for(server, "1")
    done = scan(library, linux_fake, T0)
    shows = PlexShow.objects.filter(library=library)
    assert shows.count() == 14
    assert all(s.children_hydrated and len(s.show_digest) == 40 and s.show_id for s in shows)
    assert all(s.last_seen_at == T0 for s in shows)
    assert done.summary["placeholders"] == Show.objects.count() == 14
    assert set(Show.objects.values_list("tmdb_status", flat=True)) == {"unknown"}
    by_show = MediaItem.objects.filter(library=library, plex_show__isnull=True).count()
    assert by_show == 0


def test_it_reports_progress_events_and_the_summary(linux_fake):
    server = server_for(linux_fake, "linux")
    done = scan(library_for(server, "2", "movie"), linux_fake, T0)
    events = done.events
    assert events.index("library_start") < events.index("page_progress") \
        < events.index("library_done")
    assert events.count("page_progress") == 2
    run = done.run
    assert (run.processed, run.changed, run.total) == (260, 260, 260)
    for key in ("missing_promoted", "deleted_promoted", "last_synced_at", "pages", "created"):
        assert key in done.summary
    assert done.summary["last_synced_at"] == T0.isoformat()


def test_it_only_touches_items_on_a_second_flat_read(linux_fake):
    server = server_for(linux_fake, "linux")
    library = library_for(server, "2", "movie")
    scan(library, linux_fake, T0)
    before = item_rows(library)
    later = T0 + timedelta(hours=1)
    done = scan(library, linux_fake, later)
    after = item_rows(library)
    scanned_at = ITEM_FIELDS.index("last_scan_at")
    assert {rk: row[:scanned_at] + row[scanned_at + 1:] for rk, row in after.items()} == \
        {rk: row[:scanned_at] + row[scanned_at + 1:] for rk, row in before.items()}
    assert {row[scanned_at] for row in after.values()} == {later}
    assert set(MediaItem.objects.filter(library=library).values_list("last_seen_at", flat=True)) \
        == {later}
    assert (done.summary["created"], done.summary["updated"], done.summary["unchanged"]) == \
        (0, 0, 260)
