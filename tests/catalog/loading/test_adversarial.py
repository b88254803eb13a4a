"""Loading meets the catalog it writes into: the same show added twice by different ids."""

from __future__ import annotations

import pytest

from catalog.models import Show
from catalog.sync.loading import show_add
from tests.catalog.loading.conftest import reload

pytestmark = pytest.mark.django_db


def test_one_show_added_by_its_tvmaze_and_its_tvdb_id_ends_as_one_show(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    rec = fakes.tvmaze.record(tvmaze_id)
    first = show_add(field="tvmaze_id", value=tvmaze_id, by="otto").show
    show_add(field="tvdb_id", value=rec.tvdb, by="ada")
    drain()
    drain()  # whatever the merge queued
    assert list(Show.objects.values_list("pk", flat=True)) == [first.pk]
    show = reload(first)
    assert (show.tvmaze_id, show.tvdb_id) == (tvmaze_id, rec.tvdb)
    assert show.loading_status == "completed", show.loading_errors
    assert show.added_by == "otto"
    assert fakes.tvmaze.counts["GET /shows/:id/episodes"] == 1  # loaded once
    assert fakes.tmdb.counts["GET /tv/:id"] == 1


def test_the_second_add_of_one_show_merges_whichever_loads_first(fakes, drain):
    tvmaze_id = fakes.tvmaze_show(skip=1)
    rec = fakes.tvmaze.record(tvmaze_id)
    by_tvdb = show_add(field="tvdb_id", value=rec.tvdb, by="ada").show
    by_tvmaze = show_add(field="tvmaze_id", value=tvmaze_id, by="otto").show
    assert by_tvdb.pk < by_tvmaze.pk  # claimed first: the TVDB add finds the TVMaze one
    drain()
    assert Show.objects.count() == 1
    show = Show.objects.get()
    assert (show.tvmaze_id, show.tvdb_id) == (tvmaze_id, rec.tvdb)
    assert show.loading_status == "completed", show.loading_errors
    assert fakes.tvmaze.counts["GET /shows/:id/episodes"] == 1
