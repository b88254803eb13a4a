"""A movie with several versions: the file we record and the state follow a version we can
play and reach, not merely the first one Plex lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from msgspec.structs import replace

from catalog.models import MediaItem, PathMapping, SyncRun
from catalog.paths.resolve import PathResolver
from catalog.sync.plex.items import item_file, item_state, items_changed, items_write_page
from catalog.sync.plex.scan import Outcome, Scan
from tests.catalog.test_digests import ITEM, STAMP, _media, _part
from tests.factories import PlexLibraryFactory

PATHS = PathResolver([PathMapping(plex_prefix="/data/movies", local_prefix="/mnt/movies")])


def _movie(*parts) -> object:
    return replace(ITEM, type="movie", media=tuple(_media(p) for p in parts))


def test_a_deleted_first_version_leaves_the_live_one_recorded():
    movie = _movie(_part(file="/data/movies/A (2001) 720p.mkv", exists=False, accessible=False),
                   _part(file="/data/movies/A (2001) 2160p.mkv"))
    assert item_state(movie, PATHS) == MediaItem.State.ACTIVE
    assert item_file(movie, PATHS) == "/data/movies/A (2001) 2160p.mkv"


def test_a_movie_with_one_reachable_version_is_active_not_remote_only():
    movie = _movie(_part(file="/nas2/movies/A.mkv"), _part(file="/data/movies/A.mkv"))
    assert item_state(movie, PATHS) == MediaItem.State.ACTIVE
    assert item_file(movie, PATHS) == "/data/movies/A.mkv"


def test_a_movie_no_mapping_reaches_records_its_first_playable_file():
    movie = _movie(_part(file="/nas2/movies/A.mkv", size=0), _part(file="/nas3/movies/A.mkv"))
    assert item_state(movie, PATHS) == MediaItem.State.REMOTE_ONLY
    assert item_file(movie, PATHS) == "/nas3/movies/A.mkv"


def _scan(run, library, now) -> Scan:
    return Scan(run, None, library, now, PATHS, Outcome(mode="flat"))


@pytest.mark.django_db
def test_a_stored_movie_follows_its_live_version_when_the_first_one_is_deleted(new_run):
    """Plex keeps a deleted version listed (``exists=0``) and need not restamp the movie: the
    digest and the state stay the same, yet the recorded file must move to the live one."""
    library = PlexLibraryFactory(type="movie")
    run = new_run(SyncRun.Kind.PLEX, f"library:{library.pk}")
    first, second = "/data/movies/A 720p.mkv", "/data/movies/A 2160p.mkv"
    both = _movie(_part(file=first), _part(file=second))
    with transaction.atomic():
        items_write_page(_scan(run, library, STAMP), [both], {})
    gone = _movie(_part(file=first, exists=False), _part(file=second))
    scan = _scan(run, library, STAMP + timedelta(hours=1))
    assert items_changed(scan, [gone]) == [gone]
    with transaction.atomic():
        items_write_page(scan, [gone], {})
    row = MediaItem.objects.get(library=library)
    assert (row.file_path, row.state) == (second, MediaItem.State.ACTIVE)
