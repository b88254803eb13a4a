"""The show list's search, filters and cheap pages; the show page's slot map and paths."""

from __future__ import annotations

import pytest

from catalog.models import Show
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
def test_it_maps_slots_per_season_with_local_paths(viewer, client):
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory()
    show, library = plex_show.show, plex_show.library
    factories.PathMappingFactory(server=library.server, plex_prefix="/data/tv",
                                 local_prefix="/mnt/tv")
    for number in (1, 2, 3):
        factories.EpisodeFactory(show=show, season=1, number=number)
    factories.EpisodeFactory(show=show, season=0, number=1)  # specials apart
    for number, state in ((1, "active"), (2, "missing")):
        factories.MediaItemFactory(plex_show=plex_show, library=library, season_number=1,
                                   episode_number=number, state=state,
                                   file_path=f"/data/tv/x/e{number}.mkv")
    factories.MediaItemFactory(plex_show=plex_show, library=library, season_number=2,
                               episode_number=1, file_path="/elsewhere/e.mkv")
    response = client.get(f"/shows/{show.pk}/")
    seasons = {s.number: s for s in response.context["seasons"]}
    assert sorted(seasons) == [1, 2]
    assert (seasons[1].have, seasons[1].expected) == (1, 3)
    assert [slot.states for slot in seasons[1].slots] == [["active"], ["missing"], []]
    assert seasons[1].slots[0].local_path == "/mnt/tv/x/e1.mkv"
    assert (seasons[2].have, seasons[2].expected) == (1, None)  # nothing says what to expect
    page = response.content.decode()
    assert "/mnt/tv/x/e1.mkv" in page and "no mapping resolves it" in page
    listed = client.get("/shows/").context["page"].rows[0]
    assert (listed.have, listed.expected, listed.in_library) == (2, 3, True)


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_show(viewer, client):
    client.force_login(viewer)
    assert client.get("/shows/987654/").status_code == 404
    assert client.get("/libraries/servers/987654/").status_code == 404
