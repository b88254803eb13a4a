"""An episode added, upgraded or deleted in Plex is in the catalog after one refresh run:
row, state, slot map and the run in the live feed, for at most two library requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.models import MediaItem, PlexShow, SyncRun
from tests.catalog.live.helpers import LIBRARY_REQUESTS, settle
from tests.catalog.sync.plex_fixtures import LEAVES, T0, item_rows, scan

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _refreshes() -> list[SyncRun]:
    return list(SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope__startswith="live:")
                .order_by("id"))


def test_it_writes_an_added_episode_with_one_request(fake, library, listening):
    listener, clock = listening
    show = fake.shows_of("1")[0]
    rk = fake.add_episode(show.rk)
    settle(listener, clock, library.server_id, 1)  # the processed entry (the created one is not)
    item = MediaItem.objects.get(library=library, rating_key=rk)
    assert item.state == MediaItem.State.ACTIVE
    assert item.plex_show == PlexShow.objects.get(library=library, rating_key=str(show.rk))
    assert item.file_path.startswith("/data/tv")
    [run] = _refreshes()
    assert run.status == SyncRun.Status.SUCCEEDED and run.triggered_by == "plex listener"
    assert run.options["refresh"] == {"items": [rk]}
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # the items, then their show's row


def test_it_writes_an_upgraded_file(fake, library, listening):
    listener, clock = listening
    leaf = fake.episodes_of("1")[5]
    before = MediaItem.objects.get(library=library, rating_key=str(leaf.rk))
    fake.replace_file(leaf.rk, stamp=False)  # Plex did not stamp it: only Media/Part tell
    settle(listener, clock, library.server_id, 1)
    after = MediaItem.objects.get(pk=before.pk)
    assert after.file_size == leaf.media[0].parts[0].size != before.file_size
    assert after.digest != before.digest
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # the items, then their show's row


def test_it_marks_a_deleted_episode_missing(fake, library, listening):
    listener, clock = listening
    leaf = fake.episodes_of("1")[7]
    fake.remove_item(leaf.rk)
    settle(listener, clock, library.server_id, 1)
    item = MediaItem.objects.get(library=library, rating_key=str(leaf.rk))
    assert item.state == MediaItem.State.MISSING and item.missing_since is not None
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # the items, then their show's row


def test_it_refreshes_a_deleted_show_and_a_new_show_with_two_requests_each(
        fake, library, listening):
    listener, clock = listening
    gone = fake.shows_of("1")[1]
    fake.remove_item(gone.rk)
    settle(listener, clock, library.server_id, 1)
    assert not MediaItem.objects.filter(plex_show__rating_key=str(gone.rk),
                                        state__in=("active", "remote_only")).exists()
    assert fake.count_prefix(LIBRARY_REQUESTS) == 1  # the show's row: 404
    fake.reset_counts()
    new = fake.add_show("1", episodes=4)
    settle(listener, clock, library.server_id, 1 + 1 + 4)  # show 0 is skipped: 5 handled
    assert MediaItem.objects.filter(plex_show__rating_key=new).count() == 4
    assert PlexShow.objects.get(library=library, rating_key=new).children_hydrated
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # its row and its allLeaves


def test_it_coalesces_a_shows_burst_into_one_refresh(fake, library, listening):
    listener, clock = listening
    show = fake.shows_of("1")[2]
    keys = [fake.add_episode(show.rk) for _ in range(20)]
    settle(listener, clock, library.server_id, 20)
    assert MediaItem.objects.filter(library=library, rating_key__in=keys).count() == 20
    assert len(_refreshes()) == 1
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # the items, then their show's row


def test_it_refreshes_a_movie(fake, movies, listening):
    listener, clock = listening
    rk = fake.add_movie("2")
    settle(listener, clock, movies.server_id, 1)
    assert MediaItem.objects.get(library=movies, rating_key=rk).kind == "movie"
    assert fake.count_prefix(LIBRARY_REQUESTS) == 1


def test_the_next_scan_finds_nothing_left_to_do(fake, library, listening):
    """Rows and digests as a scan leaves them: the next incremental scan expands no show
    and changes no row."""
    listener, clock = listening
    fake.add_episode(fake.shows_of("1")[3].rk)
    fake.remove_item(fake.episodes_of("1")[0].rk)
    fake.replace_file(fake.episodes_of("1")[20].rk)
    settle(listener, clock, library.server_id, 3)
    rows = item_rows(library)
    fake.reset_counts()
    done = scan(library, fake, T0 + timedelta(hours=1))
    assert done.summary["complete"] and done.summary["mode"] == "incremental"
    assert done.summary["expanded_shows"] == 0
    assert fake.count_prefix(LEAVES) == 0
    after = item_rows(library)
    assert {rk for rk in rows if rows[rk][:11] != after[rk][:11]} == set()


def _season_event(fake, leaf) -> None:
    from integrations.fakes.plex.notify import timeline, timeline_entry

    fake.notifications.publish(timeline([timeline_entry("1", leaf.season.rk, "season", 5)]))


def test_a_seasons_events_cost_its_listing_and_its_shows_row(fake, library, listening):
    listener, clock = listening
    show = fake.shows_of("1")[5]
    rk = fake.add_episode(show.rk)
    _season_event(fake, fake.records[int(rk)])
    settle(listener, clock, library.server_id, 2)
    assert MediaItem.objects.get(library=library, rating_key=rk).state == "active"
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2  # the season's episodes, the show's row
    fake.reset_counts()
    leaf = show.seasons[-1].episodes[0]
    fake.remove_item(leaf.rk)
    _season_event(fake, leaf)
    settle(listener, clock, library.server_id, 4)
    assert MediaItem.objects.get(library=library, rating_key=str(leaf.rk)).state == "missing"
    assert fake.count_prefix(LIBRARY_REQUESTS) == 2
