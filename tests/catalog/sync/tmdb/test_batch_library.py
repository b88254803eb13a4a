"""The TMDB batch selects a show an operator added through the API (one library definition)."""

from __future__ import annotations

from collections import Counter

import pytest

from catalog.models import Show
from tests import factories
from tests.catalog.sync.tmdb.helpers import TV, batch


@pytest.mark.django_db
def test_it_refreshes_a_show_added_through_the_api(fake, now, new_run, api_as, operator):
    response = api_as(operator).post("/api/shows/", {"tmdb_id": fake.ids[0]}, format="json")
    assert response.status_code == 202
    factories.ShowFactory(tmdb_id=fake.ids[1])  # TVMaze only: not the library's
    run = batch(fake, now, new_run, force=True)
    assert run.status == "succeeded", run.error
    assert fake.counts == Counter({TV: 1})
    assert Show.objects.get(pk=response.json()["id"]).tmdb_status == "fresh"
