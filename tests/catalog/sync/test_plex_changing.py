"""Plex libraries that change while a scan reads them, clocks that disagree with ours, and
upgrades Plex does not stamp: no item Plex still lists may ever become missing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import MediaItem, PlexShow
from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import LEAVES, T0, library_for, scan, server_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
T1, T2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
LIVE = {"active", "remote_only", "unavailable"}


class ChangingPlex(PlexFake):
    """``when(predicate, mutate)``: the first request matching ``predicate`` first mutates
    the library, as an operator (or Plex's own scanner) editing it mid-scan would. A show
    named in ``garbled`` is served with a row type the parser rejects."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.garbled: str | None = None
        self._armed: list[tuple[Callable[[FakeRequest], bool], Callable[[], None]]] = []
        self.before_request = self._fire

    def when(self, predicate: Callable[[FakeRequest], bool], mutate: Callable[[], None]) -> None:
        self._armed.append((predicate, mutate))

    def _fire(self, request: FakeRequest) -> None:
        for armed in list(self._armed):
            if armed[0](request):
                self._armed.remove(armed)
                armed[1]()

    def handle(self, request: FakeRequest) -> FakeResponse:
        response = super().handle(request)
        if self.garbled is None or not request.path.endswith("/all"):
            return response
        for head, kind, garbled in (  # the row as XML, or as JSON
                (f'<Directory ratingKey="{self.garbled}" key="/library/metadata/',
                 b' type="show"', b' type="shw"'),
                (f'{{"ratingKey":"{self.garbled}","key":"/library/metadata/',
                 b'"type":"show"', b'"type":"shw"')):
            at = response.body.find(head.encode())
            if at >= 0:
                typed = response.body.index(kind, at)
                body = response.body[:typed] + garbled + response.body[typed + len(kind):]
                return FakeResponse(response.status, body, response.headers)
        return response


def listing_page(kind: int, start: int) -> Callable[[FakeRequest], bool]:
    def matches(request: FakeRequest) -> bool:
        return (request.path.endswith("/all") and request.arg("type") == str(kind)
                and request.arg("sort") is None
                and request.header("X-Plex-Container-Start") == str(start))
    return matches


@pytest.fixture
def fake() -> Iterator[ChangingPlex]:
    with ChangingPlex([LibrarySpec("1", "show", "TV", shows=230, episodes=1400)],
                      seed=31) as fake:
        yield fake


@pytest.fixture
def library(fake):
    library = library_for(server_for(fake, "plex", [("/data/tv", "/mnt/tv")]), "1")
    assert scan(library, fake, T0).summary["complete"]
    fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
    fake.reset_counts()
    return library


def plex_keys(fake: PlexFake) -> set[str]:
    return {str(e.rk) for e in fake.episodes_of("1")}


def states(library) -> dict[str, str]:
    return dict(MediaItem.objects.filter(library=library).values_list("rating_key", "state"))


def assert_listed_items_present(fake: PlexFake, library) -> None:
    held = states(library)
    listed = plex_keys(fake)
    assert listed <= held.keys()
    assert {rk for rk in listed if held[rk] not in LIVE} == set()


def test_it_misses_nothing_when_rows_shift_under_a_flat_read(fake, library):
    episodes = fake.episodes_of("1")
    deleted, slid = episodes[10], episodes[400]  # ``slid`` moves back past the cursor
    assert deleted.show is not slid.show
    added: list[str] = []
    fake.when(listing_page(4, 400), lambda: (fake.remove_item(deleted.rk),
                                            added.append(fake.add_episode(episodes[-1].show.rk))))
    done = scan(library, fake, T1, deep=True)
    assert added and done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert done.summary["reconciled_shows"] >= 1 and done.summary["incomplete_shows"] == []
    assert_listed_items_present(fake, library)
    seen = MediaItem.objects.get(library=library, rating_key=str(slid.rk))
    assert (seen.last_seen_at, seen.state) == (T1, "active")
    assert MediaItem.objects.get(library=library, rating_key=added[0]).state == "active"
    after = scan(library, fake, T2)  # the genuinely deleted one goes missing, and only it
    assert after.summary["complete"] and after.summary["missing_promoted"] == 1
    assert {rk for rk, state in states(library).items() if state not in LIVE} == {str(deleted.rk)}


def test_it_misses_nothing_when_shows_shift_under_an_incremental_read(fake, library):
    shows = fake.shows_of("1")
    gone, slid = shows[5], shows[200]
    gone_keys = {str(e.rk) for e in gone.leaves()}
    added: list[str] = []
    fake.when(listing_page(2, 200), lambda: (fake.remove_item(gone.rk),
                                            added.append(fake.add_show("1", 4))))
    done = scan(library, fake, T1)
    summary = done.summary
    assert done.summary["mode"] == "incremental" and summary["complete"]
    # the show that slid back past the cursor was never listed: asked for on its own
    assert (summary["reconciled_shows"], summary["gone_shows"]) == (1, 0)
    assert summary["missing_promoted"] == 0
    assert_listed_items_present(fake, library)
    assert MediaItem.objects.filter(plex_show__rating_key=added[0]).count() == 4
    assert PlexShow.objects.get(rating_key=str(slid.rk)).last_seen_at == T1
    # the deleted show was read before it went: the next scan finds it gone, and only it
    after = scan(library, fake, T2)
    assert (after.summary["gone_shows"], after.summary["missing_promoted"]) == (
        1, len(gone_keys))
    assert {rk for rk, state in states(library).items() if state not in LIVE} == gone_keys
    assert_listed_items_present(fake, library)


def test_it_follows_an_episode_moved_between_shows_during_a_scan(fake, library):
    shows = fake.shows_of("1")
    target, source = shows[0], shows[210]  # one already walked, one not yet read
    moved = source.leaves()[0]
    library.verify_hours = 0  # no verification slice: the check before finalize finds it
    library.save(update_fields=["verify_hours"])
    fake.when(listing_page(2, 200), lambda: fake.move_episode(moved.rk, target.rk))
    done = scan(library, fake, T1)
    assert done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert done.summary["confirmed"] == 1
    item = MediaItem.objects.get(library=library, rating_key=str(moved.rk))
    assert (item.state, item.plex_show.rating_key, item.last_seen_at) == (
        "active", str(target.rk), T1)
    assert_listed_items_present(fake, library)
    again = scan(library, fake, T2)
    assert again.summary["complete"] and again.summary["missing_promoted"] == 0
    assert again.summary["confirmed"] == 0
    assert_listed_items_present(fake, library)


@pytest.mark.parametrize("deep", [False, True])
def test_it_leaves_the_items_of_an_unreadable_show_row_alone(fake, library, deep):
    shows = fake.shows_of("1")
    broken, other = shows[3], shows[4]
    removed_elsewhere = other.leaves()[0]
    fake.remove_item(removed_elsewhere.rk)
    fake.remove_item(broken.leaves()[0].rk)  # gone from Plex, but we cannot tell: untouched
    fake.touch_show(broken.rk)
    before = dict(MediaItem.objects.filter(plex_show__rating_key=str(broken.rk))
                  .values_list("rating_key", "last_seen_at"))
    fake.garbled = str(broken.rk)
    done = scan(library, fake, T1, deep=deep)
    summary = done.summary
    assert summary["complete"] and summary["missing_promoted"] == 1
    assert [s["rating_key"] for s in summary["incomplete_shows"]] == [str(broken.rk)]
    assert summary["incomplete_shows"][0]["reason"].startswith("unreadable show row")
    assert any(str(broken.rk) in r for r in summary["rejects"])
    kept = MediaItem.objects.filter(plex_show__rating_key=str(broken.rk))
    assert dict(kept.values_list("rating_key", "last_seen_at")) == before
    assert set(kept.values_list("state", flat=True)) <= LIVE
    assert not MediaItem.objects.filter(library=library, plex_show__isnull=True).exists()
    assert states(library)[str(removed_elsewhere.rk)] == "missing"
    fake.garbled = None
    healed = scan(library, fake, T2)
    assert healed.summary["complete"] and healed.summary["incomplete_shows"] == []
    assert healed.summary["missing_promoted"] == 1  # the broken show's deleted episode


def test_it_writes_no_episode_without_its_show_on_a_first_ingest(fake):
    broken = fake.shows_of("1")[7]
    fake.garbled = str(broken.rk)
    library = library_for(server_for(fake, "other"), "1")
    done = scan(library, fake, T0)
    assert done.summary["complete"]
    assert [s["rating_key"] for s in done.summary["incomplete_shows"]] == [str(broken.rk)]
    assert not MediaItem.objects.filter(library=library, plex_show__isnull=True).exists()
    assert MediaItem.objects.filter(library=library).count() == 1400 - broken.leaf_count
    fake.garbled = None
    again = scan(library, fake, T1)
    assert again.summary["mode"] == "incremental" and again.summary["created"] == \
        broken.leaf_count
    assert_listed_items_present(fake, library)


@pytest.mark.parametrize("skew", [timedelta(days=-365), timedelta(days=365),
                                  timedelta(hours=-7)])
def test_it_catches_every_change_whatever_the_plex_clock_says(fake, skew):
    library = library_for(server_for(fake, "skewed", [("/data/tv", "/mnt/tv")]), "1")
    ours = timezone.now()
    fake.set_now(int((ours + skew).timestamp()))
    assert scan(library, fake, ours).summary["complete"]
    episodes = fake.episodes_of("1")
    fake.set_now(int((ours + skew + timedelta(minutes=20)).timestamp()))
    fake.replace_file(episodes[300].rk)
    new_rk = fake.add_episode(episodes[900].show.rk)
    fake.reset_counts()
    done = scan(library, fake, ours + timedelta(hours=1))
    assert done.summary["mode"] == "incremental"
    assert (done.summary["created"], done.summary["updated"]) == (1, 1)
    assert MediaItem.objects.get(library=library, rating_key=new_rk).state == "active"
    item = MediaItem.objects.get(library=library, rating_key=str(episodes[300].rk))
    assert item.file_size == episodes[300].media[0].parts[0].size
    fake.reset_counts()
    quiet = scan(library, fake, ours + timedelta(hours=2))
    assert (quiet.summary["created"], quiet.summary["updated"]) == (0, 0)
    assert fake.count_prefix(LEAVES) == 0


def test_it_catches_every_change_once_a_plex_clock_that_ran_ahead_is_set_right(fake):
    """Plex stamped an edit a year ahead, then its clock was corrected (and that episode
    edited again): from then on its stamps are all lower than the watermark it gave us."""
    library = library_for(server_for(fake, "corrected", [("/data/tv", "/mnt/tv")]), "1",
                          verify_hours=0)  # no verification slice: the listing alone
    episodes = fake.episodes_of("1")
    fake.set_now(int((T0 + timedelta(days=365)).timestamp()))
    fake.touch_item(episodes[5].rk)
    assert scan(library, fake, T0).summary["complete"]
    for hour, episode in ((1, episodes[5]), (2, episodes[600]), (3, episodes[1200])):
        fake.set_now(int((T0 + timedelta(hours=hour, minutes=-20)).timestamp()))
        fake.touch_item(episode.rk)
        done = scan(library, fake, T0 + timedelta(hours=hour))
        assert done.summary["mode"] == "incremental" and done.summary["updated"] == 1
        item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
        assert item.updated_at_plex.timestamp() == episode.updated_at


def test_it_catches_an_unstamped_upgrade_within_the_verification_window(fake):
    library = library_for(server_for(fake, "verified", [("/data/tv", "/mnt/tv")]), "1",
                          verify_hours=2)
    scan(library, fake, T0)
    upgraded = fake.episodes_of("1")[1000]
    fake.replace_file(upgraded.rk, stamp=False)
    first = scan(library, fake, T1)  # rows 0-699: half the library in half the window
    assert (first.summary["verified"], first.summary["verify_changed"]) == (700, 0)
    assert first.summary["expanded_shows"] == 0
    second = scan(library, fake, T2)  # rows 700-1399
    assert (second.summary["verified"], second.summary["verify_changed"]) == (700, 1)
    item = MediaItem.objects.get(library=library, rating_key=str(upgraded.rk))
    assert item.file_size == upgraded.media[0].parts[0].size
    assert second.run.changed == 1


def test_it_never_verifies_a_library_whose_window_is_zero(fake):
    library = library_for(server_for(fake, "unverified", [("/data/tv", "/mnt/tv")]), "1",
                          verify_hours=0)
    scan(library, fake, T0)
    upgraded = fake.episodes_of("1")[10]
    fake.replace_file(upgraded.rk, stamp=False)
    for hour in range(1, 4):
        done = scan(library, fake, T0 + timedelta(hours=hour))
        assert (done.summary["verified"], done.summary["verify_changed"]) == (0, 0)
    item = MediaItem.objects.get(library=library, rating_key=str(upgraded.rk))
    assert item.file_size != upgraded.media[0].parts[0].size


def test_it_heals_a_wrongly_missing_item_on_the_next_incremental_scan(fake, library):
    episode = fake.episodes_of("1")[700]
    MediaItem.objects.filter(library=library, rating_key=str(episode.rk)).update(
        state="missing", missing_since=T0)
    done = scan(library, fake, T1)
    assert done.summary["mode"] == "incremental" and fake.count_prefix(LEAVES) == 1
    item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert (item.state, item.missing_since, item.last_seen_at) == ("active", None, T1)
    assert not MediaItem.objects.filter(library=library).exclude(state__in=LIVE).exists()


def test_it_never_lets_an_older_scan_overwrite_a_newer_one(fake, library):
    episode = fake.episodes_of("1")[50]
    newer = scan(library, fake, T2, deep=True)
    assert newer.summary["complete"]
    row = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    fake.replace_file(episode.rk)
    older = scan(library, fake, T1, deep=True)  # a worker whose clock started earlier
    assert older.run.status == "succeeded"
    again = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert (again.digest, again.file_size, again.last_seen_at, again.last_scan_at) == (
        row.digest, row.file_size, T2, T2)
    library.refresh_from_db()
    assert library.last_complete_scan_at == T2
    assert not MediaItem.objects.filter(library=library, last_seen_at__lt=T2).exists()
    assert set(PlexShow.objects.filter(library=library)
               .values_list("last_seen_at", flat=True)) == {T2}


def test_it_knows_its_total_and_never_passes_it(fake, library):
    for episode in fake.episodes_of("1")[:3]:
        fake.add_episode(episode.show.rk)
    done = scan(library, fake, T1, deep=True)
    assert done.run.total == 1403 and done.run.processed <= done.run.total
    totals = [e for e in done.run.events if e.get("event") == "library_start"]
    assert totals
    assert scan(library, fake, T2).run.total == 1403


@pytest.fixture
def movies() -> Iterator[ChangingPlex]:
    with ChangingPlex([LibrarySpec("2", "movie", "Movies", movies=450, root="/data/movies")],
                      seed=32) as fake:
        yield fake


def later_page(request: FakeRequest) -> bool:
    return request.path.endswith("/all") and \
        request.header("X-Plex-Container-Start") not in (None, "0")


def _movie_keys(fake: PlexFake) -> list[str]:
    return [str(m.rk) for m in fake.sections["2"].movies]


@pytest.mark.parametrize("deleted", [1, 5])
def test_it_misses_no_movie_when_rows_shift_under_the_listing(movies, deleted):
    library = library_for(server_for(movies, "plex"), "2", "movie")
    scan(library, movies, T0)
    keys = _movie_keys(movies)
    gone = keys[10:10 + deleted]  # before the cursor of the second page
    added: list[str] = []

    def mutate() -> None:
        for rk in gone:
            movies.remove_item(rk)
        added.append(movies.add_movie("2"))  # after it

    movies.when(later_page, mutate)
    done = scan(library, movies, T1)
    assert done.summary["complete"] and done.summary["errors"] == []
    held = states(library)
    assert added and held[added[0]] in LIVE
    assert {rk for rk in _movie_keys(movies) if held[rk] not in LIVE} == set()
    assert {rk for rk, state in held.items() if state not in LIVE} <= set(gone)
    after = scan(library, movies, T2)
    assert after.summary["complete"]
    assert {rk for rk, state in states(library).items() if state not in LIVE} == set(gone)


def test_it_calls_a_movie_scan_incomplete_when_the_listing_moved_past_its_overlap(movies):
    library = library_for(server_for(movies, "plex"), "2", "movie")
    scan(library, movies, T0)
    gone = _movie_keys(movies)[20:40]  # 20 rows: more than the pages overlap
    movies.when(later_page, lambda: [movies.remove_item(rk) for rk in gone])
    done = scan(library, movies, T1)
    assert not done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert "moved by more than" in done.summary["errors"][0]
    assert not MediaItem.objects.filter(library=library).exclude(state__in=LIVE).exists()
    after = scan(library, movies, T2)
    assert after.summary["complete"] and after.summary["missing_promoted"] == len(gone)


@pytest.mark.parametrize("lands", ["before", "after"])
def test_a_cancel_landing_around_finalize_leaves_the_run_saying_what_it_did(
        fake, library, monkeypatch, lands):
    """Before finalize commits, the scan stops with nothing marked; after, the scan is over
    (its items marked, the library stamped), and the run says so with its summary."""
    from catalog.runs import run_cancel
    from catalog.sync.plex import library as sync_library

    gone = fake.episodes_of("1")[3]
    fake.remove_item(gone.rk)
    finalize = sync_library.plex_finalize

    def cancelled_around(scan_, cursor):
        if lands == "before":
            run_cancel(scan_.run.pk, by="operator")
        finalize(scan_, cursor)
        if lands == "after":
            run_cancel(scan_.run.pk, by="operator")

    monkeypatch.setattr(sync_library, "plex_finalize", cancelled_around)
    done = scan(library, fake, T1)
    marked = states(library)[str(gone.rk)]
    if lands == "before":
        assert (done.run.status, done.run.error, marked) == ("cancelled", "cancelled by operator",
                                                            "active")
        assert library.last_complete_scan_at == T0
    else:
        assert (done.run.status, marked, library.last_complete_scan_at) == (
            "succeeded", "missing", T1)
        assert done.summary["complete"] and done.summary["missing_promoted"] == 1
