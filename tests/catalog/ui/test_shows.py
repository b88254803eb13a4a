"""The show list's search, filters and cheap pages; the show page's slot map and paths."""

from __future__ import annotations

import pytest

from catalog.models import Show
from catalog.ui.selectors.shows import MAX_DRAWN_SLOTS, MAX_EMPTY_SLOTS
from tests import factories


def _titles(client, query: str) -> list[str]:
    response = client.get(f"/shows/?{query}")
    assert response.status_code == 200
    return [row.show.title for row in response.context["page"].rows]


@pytest.mark.django_db
def test_it_searches_and_filters_shows(viewer, client):
    client.force_login(viewer)
    bb = factories.ShowFactory(title="Breaking Bad", genres=["Drama", "Crime"], network="AMC",
                               status="Ended", country="US", language="English")
    factories.ShowFactory(title="Bad Sisters", genres=["Comedy"], web_channel="Apple TV+",
                          status="Running", country="IE")
    factories.ShowFactory(title="Shōgun", genres=["Drama"], language="Japanese",
                          network="FX", status="Running")
    factories.PlexShowFactory(show=bb)
    assert _titles(client, "q=bad") == ["Bad Sisters", "Breaking Bad"]
    assert _titles(client, "genre=Drama") == ["Breaking Bad", "Shōgun"]
    assert _titles(client, "genre=Crime&status=Ended") == ["Breaking Bad"]
    assert _titles(client, "network=Apple+TV%2B") == ["Bad Sisters"]
    assert _titles(client, "language=Japanese") == ["Shōgun"]
    assert _titles(client, "library=yes") == ["Breaking Bad"]
    assert _titles(client, "library=no") == ["Bad Sisters", "Shōgun"]
    assert _titles(client, "q=%25") == []  # a LIKE wildcard is searched for, not expanded


@pytest.mark.django_db
def test_it_does_not_match_a_genre_inside_another(viewer, client):
    client.force_login(viewer)
    factories.ShowFactory(title="Docs", genres=["Science-Fiction"])
    factories.ShowFactory(title="Fic", genres=["Fiction"])
    assert _titles(client, "genre=Science-Fiction") == ["Docs"]


@pytest.mark.django_db
def test_it_filters_by_decision_of_one_rule(viewer, client):
    client.force_login(viewer)
    a, b = factories.DiscoveryRuleFactory.create_batch(2)
    shown = factories.DecisionFactory(rule=a, status="awaiting_approval").show
    factories.DecisionFactory(rule=b, status="awaiting_approval")
    factories.DecisionFactory(rule=a, status="filtered")
    assert _titles(client, f"rule={a.pk}&decision=awaiting_approval") == [shown.title]
    assert len(_titles(client, "decision=awaiting_approval")) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("query,field", [
    ("genre=Nope", "genre"), ("decision=maybe", "decision"), ("library=perhaps", "library"),
    ("rule=abc", "rule"), ("page=0", "page"), ("page=99999999999", "page"),
    ("order=password", "order"), ("loading=sideways", "loading"),
])
def test_it_names_a_bad_filter_with_400(query, field, viewer, client):
    client.force_login(viewer)
    factories.ShowFactory()
    response = client.get(f"/shows/?{query}")
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()


@pytest.mark.django_db
def test_it_pages_without_counting(viewer, client, django_assert_max_num_queries):
    client.force_login(viewer)
    Show.objects.bulk_create([Show(title=f"S{i:03d}") for i in range(120)])
    first = client.get("/shows/").context["page"]
    third = client.get("/shows/?page=3").context["page"]
    beyond = client.get("/shows/?page=9").context["page"]
    assert (len(first.rows), first.has_next, first.has_previous) == (50, True, False)
    assert (len(third.rows), third.has_next) == (20, False)
    assert third.rows[0].show.title == "S100"
    assert beyond.rows == [] and not beyond.has_next
    with django_assert_max_num_queries(12) as ctx:
        client.get("/shows/?page=2")
    totals = [q["sql"] for q in ctx.captured_queries
              if "COUNT(" in q["sql"].upper() and "GROUP BY" not in q["sql"].upper()]
    assert totals == []  # per-show tallies only; no count of the whole result


@pytest.mark.django_db
def test_it_escapes_hostile_titles(viewer, client):
    client.force_login(viewer)
    show = factories.ShowFactory(title="<script>alert(1)</script>")
    for url in ("/shows/", f"/shows/{show.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


@pytest.mark.django_db
def test_it_maps_tmdb_slots_per_season_with_plex_states_and_local_paths(viewer, client):
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory(show__title="Mapped",
                                          show__tmdb_season_episodes=[[0, 5], [1, 3], [2, 2]])
    show, library = plex_show.show, plex_show.library
    factories.PathMappingFactory(server=library.server, plex_prefix="/data/tv",
                                 local_prefix="/mnt/tv")
    for number in (1, 2, 3):
        factories.EpisodeFactory(show=show, season=1, number=number, title=f"Tv{number}")
    for season, number, state in ((1, 1, "active"), (1, 2, "missing"), (1, 4, "active"),
                                  (3, 1, "active"), (0, 1, "active")):
        factories.MediaItemFactory(plex_show=plex_show, library=library, season_number=season,
                                   episode_number=number, state=state,
                                   file_path=f"/data/tv/x/s{season}e{number}.mkv")
    response = client.get(f"/shows/{show.pk}/")
    slot_map = response.context["seasons"]
    seasons = {s.number: s for s in slot_map}
    assert sorted(seasons) == [1, 2, 3]  # specials apart; S03 only Plex knows
    assert (slot_map.have, slot_map.expected) == (1, 5)  # catalog.sync.tmdb.slots' own totals
    assert (seasons[1].have, seasons[1].expected) == (1, 3)  # E04 is an extra, not counted
    assert [(x.number, x.states, x.extra) for x in seasons[1].slots] == [
        (1, ["active"], False), (2, ["missing"], False), (3, [], False), (4, ["active"], True)]
    assert [x.title for x in seasons[1].slots[:3]] == ["Tv1", "Tv2", "Tv3"]
    assert seasons[1].slots[0].local_path == "/mnt/tv/x/s1e1.mkv"
    assert [(x.number, x.states) for x in seasons[2].slots] == [(1, []), (2, [])]
    assert (seasons[2].have, seasons[2].expected) == (0, 2)
    assert (seasons[3].have, seasons[3].expected) == (1, None)
    page = response.content.decode()
    assert "/mnt/tv/x/s1e1.mkv" in page and "1 / 5 episodes" in page
    listed = client.get("/shows/").context["page"].rows[0]
    assert (listed.have, listed.expected, listed.in_library) == (1, 5, True)
    assert listed.summary == "S01 1/3, S02 0/2"


@pytest.mark.django_db
def test_it_draws_a_huge_season_up_to_a_bound_and_counts_the_rest(viewer, client):
    """A TMDB season claiming 200,000 episodes made a 12 MB page; what Plex holds past the
    bound is still drawn, and counted as expected, not as an extra."""
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory(show__tmdb_season_episodes=[[1, 200_000]])
    for number in (2, 150_000):
        factories.MediaItemFactory(plex_show=plex_show, library=plex_show.library,
                                   season_number=1, episode_number=number, state="active")
    response = client.get(f"/shows/{plex_show.show.pk}/")
    season = response.context["seasons"].seasons[0]
    assert len(season.slots) == MAX_EMPTY_SLOTS + 1
    assert (season.slots[-1].number, season.slots[-1].extra) == (150_000, False)
    assert (season.have, season.undrawn) == (2, 200_000 - MAX_EMPTY_SLOTS - 1)
    assert len(response.content) < 500_000
    assert f"and {200_000 - MAX_EMPTY_SLOTS - 1} more expected" in response.content.decode()


@pytest.mark.django_db
def test_it_draws_many_seasons_within_one_bound_for_the_whole_show(viewer, client):
    """TMDB may list thousands of seasons of 1,000 episodes (300 of them made an 18 MB page
    taking 13 s); empty slots are drawn up to one budget for the show, the rest counted."""
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory(
        show__tmdb_season_episodes=[[s, MAX_EMPTY_SLOTS] for s in range(1, 61)])
    response = client.get(f"/shows/{plex_show.show.pk}/")
    seasons = response.context["seasons"].seasons
    assert sum(len(s.slots) for s in seasons) == MAX_DRAWN_SLOTS
    assert sum(len(s.slots) + s.undrawn for s in seasons) == 60 * MAX_EMPTY_SLOTS
    assert len(response.content) < 1_000_000


@pytest.mark.django_db
def test_it_counts_distinct_plex_episodes_until_tmdb_lists_seasons(viewer, client):
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory(show__tmdb_season_episodes=[])
    other = factories.PlexLibraryFactory(server=plex_show.library.server, key="7")
    twin = factories.PlexShowFactory(show=plex_show.show, library=other, rating_key="twin")
    for holder, state in ((plex_show, "active"), (twin, "active"), (twin, "missing")):
        factories.MediaItemFactory(plex_show=holder, library=holder.library, season_number=1,
                                   episode_number=1 if state == "active" else 2, state=state)
    factories.EpisodeFactory(show=plex_show.show, season=1, number=5)
    listed = client.get("/shows/").context["page"].rows[0]
    assert (listed.have, listed.expected) == (1, None)  # one episode in two libraries
    slot_map = client.get(f"/shows/{plex_show.show_id}/").context["seasons"]
    assert slot_map.expected is None
    assert [(x.number, sorted(x.states)) for x in slot_map.seasons[0].slots] == [
        (1, ["active", "active"]), (2, ["missing"])]


@pytest.mark.django_db
def test_it_warns_when_plex_no_longer_presents_the_show(viewer, client):
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory(show__tmdb_season_episodes=[[1, 2]])
    factories.MediaItemFactory(plex_show=plex_show, library=plex_show.library, season_number=1,
                               episode_number=1, state="deleted")
    response = client.get(f"/shows/{plex_show.show_id}/")
    assert response.context["seasons"].have == 0
    assert "not in Plex (no episode present)" in response.content.decode()


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_show(viewer, client):
    client.force_login(viewer)
    assert client.get("/shows/987654/").status_code == 404
    assert client.get("/libraries/servers/987654/").status_code == 404
