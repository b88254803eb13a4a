"""A cursor belongs to the walk that gave it out.

docs/api.md: "A cursor together with ... another ordering ... is a 400"; clients treat cursors as
opaque. A cursor given out by a newest-first walk (``ordering=-id``) and sent back under the
ascending order (or the other way round) names a place in another walk: it must be refused,
not silently read as "the rows on the other side of that id".
"""

from __future__ import annotations

import pytest
from rest_framework.utils.urls import remove_query_param, replace_query_param

from tests.api.listing import LISTS


@pytest.mark.django_db
@pytest.mark.parametrize(("walked", "reused"), [("-id", "id"), ("-id", None), ("id", "-id")])
def test_a_cursor_is_refused_under_another_ordering(walked, reused, viewer, api_as):
    LISTS["sync-runs"].build(20, "c")
    client = api_as(viewer)
    first = client.get("/api/sync-runs/", {"paging": "cursor", "page_size": 5,
                                            "ordering": walked}).json()
    link = (remove_query_param(first["next"], "ordering") if reused is None
            else replace_query_param(first["next"], "ordering", reused))

    response = client.get(link)

    assert response.status_code == 400, [row["id"] for row in response.json()["results"]]
    assert set(response.json()) & {"cursor", "ordering"}
