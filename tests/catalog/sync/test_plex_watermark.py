"""The updated-since margin applies only where it can matter, judged on Plex's own clock.

A library whose items share one stamp (a bulk import, a migrated database, a library-wide
refresh) must not be re-listed whole by every scan; an edit stamped in the very second the
last scan read Plex's clock must still be found; and a Plex whose clock is minutes or years
off ours changes none of it, because Plex's stamps are only ever compared with Plex's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import MediaItem
from catalog.sync.plex.watermark import SORT_IGNORED
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.integration]

HOUR = timedelta(hours=1)
RESCAN_BUDGET = 20  # the bound for an unchanged rescan, listings and slice included
SPEC = LibrarySpec("1", "show", "TV", shows=12, episodes=1400)


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([SPEC], seed=31) as fake:
        yield fake


def _plex_clock(fake: PlexFake, ours, offset: timedelta) -> None:
    """Plex's clock reads ours plus ``offset`` (its Date header and its new stamps)."""
    fake.set_now(int((ours + offset).timestamp()))


def _rescan(library, fake: PlexFake, ours, offset: timedelta):
    _plex_clock(fake, ours, offset)
    fake.reset_counts()
    done = scan(library, fake, ours)
    assert done.run.status == "succeeded" and done.summary["complete"], done.run.error
    return done, fake.total_requests()


def _listed(done) -> int:
    """Rows the updated-since listing returned."""
    return next(e["episodes"] for e in done.run.events if e.get("event") == "updated_since")


@pytest.mark.parametrize("offset", [
    timedelta(days=-3 * 365), timedelta(minutes=-7), timedelta(0), timedelta(minutes=7),
    timedelta(days=3 * 365)], ids=["3y-behind", "7min-behind", "same", "7min-ahead",
                                   "3y-ahead"])
def test_it_rescans_a_bulk_imported_library_for_its_listing_requests(fake, offset):
    library = library_for(server_for(fake, "bulk", [("/data/tv", "/mnt/tv")]), "1")
    _plex_clock(fake, T0 - HOUR, offset)
    fake.refresh_all("1")  # every item stamped with one instant, an hour before the ingest
    first, _ = _rescan(library, fake, T0, offset)
    assert first.summary["mode"] == "flat"
    quiet, requests = _rescan(library, fake, T0 + HOUR, offset)
    assert (quiet.summary["created"], quiet.summary["updated"]) == (0, 0)
    assert _listed(quiet) == 0 and requests <= RESCAN_BUDGET
    assert quiet.summary["notes"] == []
    edited = fake.episodes_of("1")[700]
    _plex_clock(fake, T0 + 1.5 * HOUR, offset)
    fake.replace_file(edited.rk)
    found, requests = _rescan(library, fake, T0 + 2 * HOUR, offset)
    assert found.summary["updated"] == 1 and requests <= RESCAN_BUDGET + 1
    item = MediaItem.objects.get(library=library, rating_key=str(edited.rk))
    assert item.file_size == edited.media[0].parts[0].size


def test_it_finds_an_edit_stamped_in_the_second_the_last_scan_read_plex_clock(fake):
    library = library_for(server_for(fake, "same-second"), "1")
    _plex_clock(fake, T0, timedelta(0))
    fake.refresh_all("1")
    scan(library, fake, T0)  # Plex's clock read in the very second of every stamp
    edited = fake.episodes_of("1")[100]
    fake.replace_file(edited.rk)  # stamped in that same second: only the margin finds it
    found, _ = _rescan(library, fake, T0 + HOUR, timedelta(0))
    assert found.summary["updated"] == 1 and _listed(found) == 1400
    quiet, requests = _rescan(library, fake, T0 + 2 * HOUR, timedelta(0))
    assert _listed(quiet) == 0 and requests <= RESCAN_BUDGET


def test_it_says_so_when_plex_ignores_sort_and_keeps_rescans_cheap():
    with PlexFake([SPEC], seed=32, honour_sort=False) as fake:
        library = library_for(server_for(fake, "proxied"), "1")
        first = scan(library, fake, T0)
        assert first.summary["complete"] and first.summary["notes"] == [SORT_IGNORED]
        quiet, requests = _rescan(library, fake, T0 + HOUR, timedelta(hours=2))
        assert quiet.summary["notes"] == [SORT_IGNORED]
        assert requests <= RESCAN_BUDGET and quiet.summary["updated"] == 0
        edited = fake.episodes_of("1")[300]
        _plex_clock(fake, T0 + 1.5 * HOUR, timedelta(hours=2))
        fake.touch_item(edited.rk)
        found, _ = _rescan(library, fake, T0 + 2 * HOUR, timedelta(hours=2))
        assert found.summary["updated"] == 1


def test_it_keeps_the_margin_when_plex_sends_no_date(fake):
    fake.send_date = False
    library = library_for(server_for(fake, "undated"), "1")
    _plex_clock(fake, T0 - HOUR, timedelta(0))
    fake.refresh_all("1")
    scan(library, fake, T0)
    again, _ = _rescan(library, fake, T0 + HOUR, timedelta(0))
    assert _listed(again) == 1400  # without Plex's clock the margin must stay
    assert again.summary["updated"] == 0
