"""The admin's "Add show" form and load actions, for every role."""

from __future__ import annotations

import pytest

from catalog.models import Show
from tests.catalog.loading.conftest import reload
from tests.factories import ShowFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/catalog/show/add-show/"
OPERATE = {"anonymous": 302, "roleless": 302, "viewer": 403, "operator": 200, "admin": 200}


@pytest.mark.parametrize("role", list(OPERATE))
def test_it_shows_the_add_form_to_operators_only(role, users, client):
    if users[role] is not None:
        client.force_login(users[role])
    assert client.get(ADD).status_code == OPERATE[role]
    response = client.post(ADD, {"id_kind": "tvdb_id", "value": "81189"})
    assert response.status_code == (302 if OPERATE[role] == 200 else OPERATE[role])
    assert Show.objects.filter(tvdb_id=81189).exists() == (OPERATE[role] == 200)


def test_it_adds_a_pending_show_and_opens_its_page(operator, client):
    client.force_login(operator)
    response = client.post(ADD, {"id_kind": "imdb_id", "value": " tt0944947 "})
    show = Show.objects.get(imdb_id="tt0944947")
    assert response["Location"] == f"/admin/catalog/show/{show.pk}/change/"
    assert (show.loading_status, show.added_by) == ("pending", "otto")
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Queued: facts, episodes, metadata, artwork." in (
        page.content)


@pytest.mark.parametrize(("kind", "value", "error"), [
    ("tvdb_id", "abc", b"A valid integer is required."),
    ("imdb_id", "nm0000001", b"An IMDb id looks like tt0944947."),
    ("tmdb_id", "0", b"greater than or equal to 1"),
    ("plex_id", "5", b"Select a valid choice."),
])
def test_it_explains_a_bad_id_without_adding_anything(kind, value, error, operator, client):
    client.force_login(operator)
    response = client.post(ADD, {"id_kind": kind, "value": value})
    assert response.status_code == 200 and error in response.content
    assert not Show.objects.exists()


def test_it_offers_the_add_link_to_operators_only(viewer, operator, client):
    client.force_login(viewer)
    assert b"add-show/" not in client.get("/admin/catalog/show/").content
    client.force_login(operator)
    assert b"add-show/" in client.get("/admin/catalog/show/").content


def _act(client, action: str, shows) -> None:
    client.post("/admin/catalog/show/", {"action": action,
                                         "_selected_action": [s.pk for s in shows]})


def test_it_queues_missing_parts_from_the_action(operator, client):
    partial = ShowFactory(loading_status="partial", facts_loaded=True, episodes_loaded=True,
                          loading_errors={"metadata": "x"})
    done = ShowFactory(loading_status="completed", facts_loaded=True, episodes_loaded=True,
                       tmdb_loaded=True, artwork_loaded=True)
    busy = ShowFactory(loading_status="loading_facts", loading_parts=["facts"])
    client.force_login(operator)
    _act(client, "load_missing", [partial, done, busy])
    partial = reload(partial)
    assert (partial.loading_status, partial.loading_parts) == ("pending", ["metadata",
                                                                           "artwork"])
    assert partial.loading_errors == {}
    assert reload(done).loading_status == "completed"
    assert reload(busy).loading_status == "loading_facts"


def test_it_reloads_every_part_from_the_action(operator, client):
    done = ShowFactory(loading_status="completed", facts_loaded=True)
    client.force_login(operator)
    _act(client, "load_all", [done])
    assert reload(done).loading_parts == ["facts", "episodes", "metadata", "artwork"]


def test_it_refuses_the_load_actions_to_viewers(viewer, client):
    show = ShowFactory(loading_status="partial")
    client.force_login(viewer)
    _act(client, "load_missing", [show])
    assert reload(show).loading_status == "partial"
