"""The dashboard's fast library counts agree with the library's own definition."""

from __future__ import annotations

import pytest

from catalog.models import Decision
from catalog.models.library import library_count, library_shows, placeholder_count, placeholders
from tests import factories


@pytest.mark.django_db
def test_the_fast_counts_agree_with_the_definition():
    factories.ShowFactory.create_batch(3)  # TVMaze only
    plex = factories.PlexShowFactory(show__tmdb_status="unknown")
    factories.PlexShowFactory(show=plex.show, library=plex.library, rating_key="other")
    both = factories.DecisionFactory(status=Decision.Status.ADDED, show=plex.show)
    factories.DecisionFactory(status=Decision.Status.EXISTS, show__tmdb_status="fresh")
    factories.DecisionFactory(status=Decision.Status.FILTERED)
    factories.ShowFactory(operator_added=True, tmdb_status="unknown")
    factories.ShowFactory(operator_added=True, tmdb_status="fresh")
    assert both.show_id == plex.show_id  # in Plex and in Sonarr: counted once
    assert library_count() == library_shows().count() == 4
    assert placeholder_count() == placeholders().count() == 2
