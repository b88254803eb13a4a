"""External ids on the TVMaze page writer: kept when TVMaze has none, moved within a page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from msgspec.structs import replace

from catalog.models import Show
from catalog.sync.shows_write import shows_write_page
from integrations.values.tvmaze import TvmazeShow
from tests.factories import PlexShowFactory

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 2, 1, tzinfo=UTC)


def _show(sid: int, *, tvdb: int | None = None, imdb: str | None = None,
          updated: datetime = T1) -> TvmazeShow:
    return TvmazeShow(
        id=sid, name=f"show {sid}", type="Scripted", language="English", status="Running",
        genres=(), runtime=60, premiered=None, ended=None, network=None, web_channel=None,
        country=None, tvdb_id=tvdb, imdb_id=imdb, tvrage_id=None, official_site=None,
        summary=None, image_url=None, rating=None, updated=updated)


def _write(*shows: TvmazeShow):
    with transaction.atomic():
        return shows_write_page(list(shows))


def _ids(sid: int) -> tuple:
    return Show.objects.filter(tvmaze_id=sid).values_list("tvdb_id", "imdb_id").get()


@pytest.mark.django_db
def test_it_keeps_a_placeholders_ids_when_tvmaze_has_none():
    Show.objects.create(title="from plex", tvdb_id=100, imdb_id="tt100")
    _write(_show(1, tvdb=100))  # claims the placeholder by tvdb; TVMaze has no imdb id
    assert Show.objects.count() == 1
    assert _ids(1) == (100, "tt100")
    _write(_show(1, updated=T2))  # later TVMaze drops both ids: we keep what we knew
    assert _ids(1) == (100, "tt100")


@pytest.mark.django_db
def test_it_moves_an_id_between_two_shows_of_one_page():
    written = _write(_show(1, tvdb=100, imdb="tt1"), _show(2, tvdb=200))
    assert not written.conflicts
    result = _write(_show(1, tvdb=300, imdb="tt1", updated=T2),
                    _show(2, tvdb=100, updated=T2))
    assert not result.conflicts
    assert _ids(1) == (300, "tt1")
    assert _ids(2) == (100, None)


@pytest.mark.django_db
def test_an_id_given_to_another_show_is_released_even_when_tvmaze_drops_it_from_the_first():
    _write(_show(1, tvdb=100), _show(2))
    _write(_show(1, updated=T2), _show(2, tvdb=100, updated=T2))
    assert _ids(1) == (None, None)
    assert _ids(2) == (100, None)


@pytest.mark.django_db
def test_it_still_refuses_an_id_held_by_a_show_outside_the_page():
    _write(_show(1, tvdb=100))
    result = _write(_show(2, tvdb=100))
    assert result.conflicts == ["tvmaze 2: tvdb 100 belongs to another show"]
    assert _ids(1) == (100, None) and _ids(2) == (None, None)


@pytest.mark.django_db
def test_two_shows_of_a_page_claiming_one_id_keep_it_for_the_first():
    result = _write(_show(1, tvdb=100), replace(_show(2), tvdb_id=100))
    assert result.conflicts == ["tvmaze 2: tvdb 100 belongs to another show"]
    assert _ids(1) == (100, None) and _ids(2) == (None, None)


@pytest.mark.django_db
def test_a_known_show_that_gains_a_placeholders_id_absorbs_the_placeholder():
    """TVMaze often adds a show's TVDB id after we mirrored it; meanwhile Plex made a
    placeholder for that id. The placeholder is the same show: its Plex links move to the
    TVMaze show (so rules see it) instead of the id being refused forever."""
    _write(_show(1))
    placeholder = Show.objects.create(title="from plex", tvdb_id=100, imdb_id="tt100",
                                      tmdb_id=555)
    plex_show = PlexShowFactory(show=placeholder)
    result = _write(_show(1, tvdb=100, updated=T2))
    assert not result.conflicts
    assert Show.objects.count() == 1
    show = Show.objects.get(tvmaze_id=1)
    assert (show.tvdb_id, show.imdb_id, show.tmdb_id) == (100, "tt100", 555)
    plex_show.refresh_from_db()
    assert plex_show.show_id == show.pk
