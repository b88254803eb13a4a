"""Linking Plex shows to catalog Shows by guid: new and legacy agents, placeholders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import PlexShow, Show
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.plex.model import Show as FakeShow
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def fake() -> Iterator[PlexFake]:
    with PlexFake([LibrarySpec("1", "show", "TV", shows=120, episodes=240)], seed=1) as fake:
        yield fake


@pytest.fixture
def library(fake):
    return library_for(server_for(fake, "plex"), "1")


def _of(fake: PlexFake, scheme: str, n: int = 0) -> FakeShow:
    return [s for s in fake.shows_of("1") if s.guid.startswith(scheme)][n]


def _guid(show: FakeShow, scheme: str) -> str:
    return next(g for g in show.guids if g.startswith(scheme)).split("://")[1]


def _linked(library, show: FakeShow) -> Show | None:
    return PlexShow.objects.get(library=library, rating_key=str(show.rk)).show


def test_it_links_legacy_agent_guids_to_known_shows(fake, library):
    tvdb_show = _of(fake, "com.plexapp.agents.thetvdb://")
    tmdb_show = _of(fake, "com.plexapp.agents.themoviedb://")
    by_tvdb = Show.objects.create(title="Known by tvdb", tvdb_id=tvdb_show.tvdb,
                                  tmdb_status="fresh")
    tmdb_id = int(tmdb_show.guid.split("://")[1].split("?")[0])
    by_tmdb = Show.objects.create(title="Known by tmdb", tmdb_id=tmdb_id, tmdb_status="fresh")
    scan(library, fake, T0)
    assert _linked(library, tvdb_show) == by_tvdb
    assert _linked(library, tmdb_show) == by_tmdb


def test_it_links_new_agent_guid_children_by_tvdb_tmdb_and_imdb(fake, library):
    first, second, third = (_of(fake, "plex://", n) for n in range(3))
    by_tvdb = Show.objects.create(title="a", tvdb_id=first.tvdb, tmdb_status="fresh")
    by_tmdb = Show.objects.create(title="b", tmdb_id=int(_guid(second, "tmdb")),
                                  tmdb_status="fresh")
    by_imdb = Show.objects.create(title="c", imdb_id=_guid(third, "imdb"), tmdb_status="fresh")
    scan(library, fake, T0)
    assert [_linked(library, s) for s in (first, second, third)] == [by_tvdb, by_tmdb, by_imdb]


def test_it_creates_placeholders_for_unknown_shows(fake, library):
    legacy, new, local = (_of(fake, "com.plexapp.agents.thetvdb://"), _of(fake, "plex://"),
                          _of(fake, "local://"))
    done = scan(library, fake, T0)
    assert done.summary["placeholders"] == 120 == Show.objects.count()
    placeholder = _linked(library, new)
    assert placeholder.is_placeholder and placeholder.title == new.title
    assert (placeholder.tvdb_id, str(placeholder.tmdb_id)) == (new.tvdb, _guid(new, "tmdb"))
    assert _linked(library, legacy).tvdb_id == legacy.tvdb
    bare = _linked(library, local)
    assert (bare.title, bare.tvdb_id, bare.tmdb_id, bare.imdb_id) == (local.title, None, None,
                                                                      None)


def test_it_never_links_to_a_show_whose_ids_contradict(fake, library):
    new = _of(fake, "plex://")
    tmdb = int(_guid(new, "tmdb"))
    other = Show.objects.create(title="other", tvdb_id=999_999_999, tmdb_id=tmdb,
                                tmdb_status="fresh")
    scan(library, fake, T0)
    linked = _linked(library, new)
    assert linked != other and linked.is_placeholder
    assert (linked.tvdb_id, linked.tmdb_id) == (new.tvdb, None)  # the held id stays with other


def test_it_makes_no_second_placeholder_on_later_scans(fake, library):
    scan(library, fake, T0)
    links = dict(PlexShow.objects.filter(library=library).values_list("rating_key", "show_id"))
    scan(library, fake, T0 + timedelta(hours=1), deep=True)
    scan(library, fake, T0 + timedelta(hours=2))
    assert Show.objects.count() == 120
    assert dict(PlexShow.objects.filter(library=library)
                .values_list("rating_key", "show_id")) == links


def test_it_relinks_a_show_plex_rematched(fake, library):
    scan(library, fake, T0)
    show = _of(fake, "com.plexapp.agents.thetvdb://")
    target = Show.objects.create(title="the right one", tvdb_id=123_456_789, tmdb_status="fresh")
    show.guid = "com.plexapp.agents.thetvdb://123456789?lang=en"
    show.updated_at, show.cache = int((T0 + timedelta(minutes=5)).timestamp()), None
    done = scan(library, fake, T0 + timedelta(hours=1))
    assert done.summary["expanded_shows"] == 1
    assert _linked(library, show) == target


def test_it_creates_placeholders_in_id_order_whatever_the_listing_order(fake, library):
    # Two libraries scanned side by side may hold the same new shows: inserted in one order,
    # their scans meet on the first id they share instead of deadlocking over two.
    from catalog.sync.plex.link import id_order

    scan(library, fake, T0)  # one show page: one insert, so ids were handed out in its order
    rows = list(Show.objects.filter(tmdb_status="unknown").order_by("pk").values_list(
        "tvdb_id", "tmdb_id", "imdb_id"))
    with_ids = [ids for ids in rows if any(v is not None for v in ids)]
    listed = [(s.tvdb, s.title) for s in fake.shows_of("1")]
    assert len(with_ids) > 50 and listed != sorted(listed)  # the listing is not in id order
    assert with_ids == sorted(with_ids, key=id_order)
