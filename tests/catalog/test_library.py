"""One library: a show an operator added through the API is in it on every surface, and the
migration that made ``added_at`` the one "an operator added it" field carries old rows over."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Show
from catalog.models.library import library_shows
from catalog.sync.loading.queue import shows_queue_library
from tests import factories

BEFORE = [("catalog", "0019_unique_orderings")]
AFTER = [("catalog", "0020_added_at_is_operator_added")]


def _api_added(api_as, operator, **ids: object) -> Show:
    response = api_as(operator).post("/api/shows/", ids, format="json")
    assert response.status_code == 202
    return Show.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_it_puts_a_show_added_through_the_api_in_the_api_library_filter(api_as, operator):
    added = _api_added(api_as, operator, tvdb_id=81189)
    factories.ShowFactory()  # TVMaze only: not in the library
    client = api_as(operator)
    assert [r["id"] for r in client.get("/api/shows/?in_library=true").json()["results"]] == [
        added.pk]
    assert added.pk not in [r["id"] for r in
                            client.get("/api/shows/?in_library=false").json()["results"]]
    body = client.get(f"/api/shows/{added.pk}/").json()
    assert (body["in_library"], body["operator_added"]) == (True, True)


@pytest.mark.django_db
def test_it_puts_a_show_added_through_the_api_in_the_loader_sweep(api_as, operator):
    added = _api_added(api_as, operator, tvdb_id=81189)
    Show.objects.filter(pk=added.pk).update(loading_status="idle", loading_parts=[])
    factories.ShowFactory()  # TVMaze only: never swept in
    assert shows_queue_library() == 1
    assert Show.objects.get(pk=added.pk).loading_status == "pending"


@pytest.mark.django_db
def test_it_lists_a_show_added_through_the_api_under_the_ui_library_filter(
        api_as, operator, viewer, client):
    added = _api_added(api_as, operator, tvdb_id=81189)
    outsider = factories.ShowFactory()
    client.force_login(viewer)
    rows = client.get("/shows/?library=yes").context["page"].rows
    assert [(row.show.pk, row.in_library, row.in_plex) for row in rows] == [
        (added.pk, True, False)]
    rows = client.get("/shows/?library=no").context["page"].rows
    assert [row.show.pk for row in rows] == [outsider.pk]


@pytest.mark.django_db
def test_the_admin_action_and_the_api_set_the_same_field(api_as, operator, admin_user, client):
    by_api = _api_added(api_as, operator, tvdb_id=81189)
    by_admin = factories.ShowFactory()
    client.force_login(admin_user)
    client.post("/admin/catalog/show/", {"action": "add_to_library",
                                         "_selected_action": [by_admin.pk]})
    assert set(library_shows().values_list("pk", flat=True)) == {by_api.pk, by_admin.pk}
    assert Show.objects.get(pk=by_admin.pk).added_by == admin_user.get_username()
    client.post("/admin/catalog/show/", {"action": "remove_from_library",
                                         "_selected_action": [by_admin.pk, by_api.pk]})
    assert not library_shows().exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_operator_added_into_added_at():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("catalog", "Show")
        flagged = old.objects.create(title="flagged", operator_added=True)
        plain = old.objects.create(title="plain")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
    finally:  # every later migration too: the next tests of this process need the tables
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    shows = {s.title: s for s in Show.objects.all()}
    assert shows["flagged"].added_at == flagged.updated_at
    assert shows["flagged"].operator_added and not shows["plain"].operator_added
    assert list(library_shows().values_list("pk", flat=True)) == [flagged.pk]
    assert plain.pk in Show.objects.values_list("pk", flat=True)
