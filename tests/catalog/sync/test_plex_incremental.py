"""Incremental Plex scans against the fake: unchanged, one change, a failed expansion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import MediaItem, PlexShow
from integrations.fakes.base import FakeRequest, Fault
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import (
    ITEM_FIELDS,
    LEAVES,
    LISTING,
    T0,
    expected_state,
    item_rows,
    library_for,
    scan,
    server_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
SHOWS = 230  # two show pages
T1 = T0 + timedelta(hours=1)


class ShortLeavesPlex(PlexFake):
    """Leaves the last episode of show ``short`` out of its allLeaves (totalSize agreeing),
    while the show listing's leafCount still counts it."""

    short: str | None = None

    def page(self, request: FakeRequest, attrs, rows):
        if self.short and request.path == f"/library/metadata/{self.short}/allLeaves":
            rows = rows[:-1]
        return super().page(request, attrs, rows)


@pytest.fixture
def fake() -> Iterator[ShortLeavesPlex]:
    with ShortLeavesPlex([LibrarySpec("1", "show", "TV", shows=SHOWS, episodes=1400)],
                         seed=9) as fake:
        yield fake


@pytest.fixture
def library(fake):
    library = library_for(server_for(fake, "plex", [("/data/tv", "/mnt/tv")]), "1")
    assert scan(library, fake, T0).summary["complete"]
    fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
    fake.reset_counts()
    return library


def _shows_rows(library) -> list[tuple]:
    return list(PlexShow.objects.filter(library=library).order_by("id").values_list(
        "id", "show_id", "title", "guid", "show_digest", "children_hydrated", "updated_at_plex"))


def test_it_rescans_an_unchanged_library_with_the_listings_only(fake, library):
    items, shows = item_rows(library), _shows_rows(library)
    done = scan(library, fake, T1)
    assert done.summary["mode"] == "incremental" and done.summary["complete"]
    # the newest-episode probe, the updated-since listing and the verification slice
    assert fake.counts == {LISTING + "2": 2, LISTING + "4": 3}
    scanned = ITEM_FIELDS.index("last_scan_at")
    after = item_rows(library)
    assert {rk: r[:scanned] + r[scanned + 1:] for rk, r in after.items()} == \
        {rk: r[:scanned] + r[scanned + 1:] for rk, r in items.items()}
    assert _shows_rows(library) == shows
    # only the verification slice was read again: 1,400 items over 24 hours, one hour's share
    assert done.summary["verified"] == 59 and done.summary["verify_changed"] == 0
    assert sum(r[scanned] == T1 for r in after.values()) == 59
    assert set(MediaItem.objects.filter(library=library).values_list("last_seen_at", flat=True)) \
        == {T1}
    summary = done.summary
    assert (summary["expanded_shows"], summary["created"], summary["updated"]) == (0, 0, 0)
    assert summary["seen_unchanged_shows"] == 1400 and summary["missing_promoted"] == 0
    assert done.run.skipped == 1400 and done.run.changed == 0


def _some_episode(fake: PlexFake, index: int = 40):
    return fake.episodes_of("1")[index]


def test_it_catches_an_added_episode_with_one_expansion(fake, library):
    show = _some_episode(fake).show
    new_rk = fake.add_episode(show.rk)
    done = scan(library, fake, T1)
    assert fake.count_prefix(LEAVES) == 1 and done.summary["expanded_shows"] == 1
    item = MediaItem.objects.get(library=library, rating_key=new_rk)
    assert (item.first_seen_at, item.plex_show.rating_key) == (T1, str(show.rk))
    assert item.state == expected_state(fake.records[int(new_rk)], "/data/tv")
    assert done.summary["created"] == 1 and done.summary["missing_promoted"] == 0


def test_it_marks_a_removed_episode_missing_on_that_complete_scan(fake, library):
    episode = _some_episode(fake)
    fake.remove_item(episode.rk)
    done = scan(library, fake, T1)
    assert fake.count_prefix(LEAVES) == 1
    item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert (item.state, item.missing_since) == ("missing", T1)
    assert done.summary["missing_promoted"] == 1
    assert MediaItem.objects.filter(library=library, state="missing").count() == 1


def test_it_catches_a_replaced_file_with_one_expansion(fake, library):
    episode = _some_episode(fake)
    before = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    fake.replace_file(episode.rk)
    done = scan(library, fake, T1)
    assert fake.count_prefix(LEAVES) == 1
    after = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert after.digest != before.digest and after.file_size != before.file_size
    assert done.summary["updated"] == 1 and done.summary["created"] == 0


def test_it_catches_a_replaced_file_even_when_the_show_row_does_not_move(fake, library):
    episode = _some_episode(fake)
    show = episode.show
    stamp, cache = show.updated_at, show.cache
    fake.replace_file(episode.rk)
    show.updated_at, show.cache = stamp, cache  # only the episode's updatedAt moved
    scan(library, fake, T1)
    assert fake.count_prefix(LEAVES) == 1
    item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert item.file_size == episode.media[0].parts[0].size


def test_it_leaves_every_state_alone_when_one_expansion_fails(fake, library):
    broken, other = _some_episode(fake, 10), _some_episode(fake, 900)
    assert broken.show is not other.show
    fake.replace_file(broken.rk)
    fake.remove_item(other.rk)
    states = dict(MediaItem.objects.filter(library=library).values_list("rating_key", "state"))
    fake.inject(Fault(kind="status", status=500), times=10,
                path_prefix=f"/library/metadata/{broken.show.rk}/allLeaves")
    done = scan(library, fake, T1)
    assert done.run.status == "succeeded" and done.run.errors >= 1
    assert not done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert any(str(broken.show.rk) in e for e in done.summary["errors"])
    assert dict(MediaItem.objects.filter(library=library)
                .values_list("rating_key", "state")) == states
    assert library.last_complete_scan_at == T0 and library.last_synced_at == T0
    flagged = MediaItem.objects.filter(plex_show__rating_key=str(broken.show.rk))
    assert {i.error_count for i in flagged} == {1}
    fake.clear_faults()
    fake.reset_counts()
    retry = scan(library, fake, T1 + timedelta(hours=1))
    assert retry.summary["complete"] and retry.summary["missing_promoted"] == 1
    assert fake.count_prefix(LEAVES) == 1  # the failed show again; the other one is done
    gone = MediaItem.objects.get(library=library, rating_key=str(other.rk))
    assert gone.state == "missing"


def test_it_reads_flat_again_when_asked_for_a_deep_scan(fake, library):
    done = scan(library, fake, T1, deep=True)
    assert done.summary["mode"] == "flat" and done.summary["updated"] == 0
    assert fake.count_prefix(LEAVES) == 0 and fake.counts[LISTING + "4"] == 8


def test_it_leaves_a_show_alone_when_its_expansion_falls_short_of_its_leaf_count(fake, library):
    episode = _some_episode(fake, 900)  # past this hour's verification slice
    last = episode.show.leaves()[-1]
    assert last is not episode
    removed = _some_episode(fake, 10)
    assert removed.show is not episode.show
    fake.remove_item(removed.rk)
    fake.replace_file(episode.rk)
    fake.short = str(episode.show.rk)
    done = scan(library, fake, T1)
    assert fake.count_prefix(LEAVES) == 2 and done.run.status == "succeeded"
    # incomplete for that show alone: the rest of the library is finalized
    assert done.summary["complete"] and done.summary["missing_promoted"] == 1
    assert [s["rating_key"] for s in done.summary["incomplete_shows"]] == [str(episode.show.rk)]
    assert "allLeaves listed" in done.summary["incomplete_shows"][0]["reason"]
    left_out = MediaItem.objects.get(library=library, rating_key=str(last.rk))
    assert (left_out.state, left_out.last_seen_at) == ("active", T0)
    assert not PlexShow.objects.get(rating_key=str(episode.show.rk)).children_hydrated
    assert library.last_complete_scan_at == T1
    fake.short = None
    fake.reset_counts()
    retry = scan(library, fake, T1 + timedelta(hours=1))
    assert retry.summary["complete"] and retry.summary["missing_promoted"] == 0
    assert fake.count_prefix(LEAVES) == 1 and retry.summary["updated"] == 1
    assert retry.summary["incomplete_shows"] == []
    assert list(MediaItem.objects.filter(library=library, state="missing")
                .values_list("rating_key", flat=True)) == [str(removed.rk)]


def test_it_reports_progress_after_each_page_of_the_updated_since_listing(fake, library):
    for episode in fake.episodes_of("1")[:250]:  # two pages of the updated-since listing
        fake.replace_file(episode.rk)
    done = scan(library, fake, T1)
    assert done.summary["complete"] and done.summary["updated"] == 250
    events = done.run.events
    listed = [(e["listed"], e["of"]) for e in events
              if e.get("event") == "page_progress" and e.get("listing") == "updated_since"]
    # the margin below the watermark re-lists the newest rows of the last scan, if any
    total = listed[-1][1]
    assert total >= 250 and listed == [(200, total), (total, total)]
    names = [(e.get("event"), e.get("listing")) for e in events]
    first_show_page = names.index(("page_progress", "shows"))
    assert names.index(("page_progress", "updated_since")) < first_show_page
    assert names.index(("updated_since", None)) < first_show_page
