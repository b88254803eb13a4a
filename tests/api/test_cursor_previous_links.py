"""A ``previous`` link never strands a walk that still has rows.

A client on page 2 of a cursor walk follows ``previous`` after the rows of page 1 were deleted
(a rule deleted, items purged). The answer is an empty page: fair, nothing is left before. But
it carries no ``next`` either, though every row of page 2 onwards still stands, so a client
doing what docs/api.md says ("follow ``next`` until it is null") ends the walk there and never
sees those rows. docs/api.md allows a link-less empty page only for a cursor *past the last
rows*.
"""

from __future__ import annotations

import pytest

from catalog.models import SyncRun
from tests.api.listing import LISTS


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", [None, "-id"])
def test_previous_onto_deleted_rows_still_leads_on(ordering, viewer, api_as):
    LISTS["sync-runs"].build(10, "p")
    client = api_as(viewer)
    params = {"paging": "cursor", "page_size": 3, **({"ordering": ordering} if ordering else {})}
    first = client.get("/api/sync-runs/", params).json()
    second = client.get(first["next"]).json()
    SyncRun.objects.filter(pk__in=[row["id"] for row in first["results"]]).delete()
    remaining = set(SyncRun.objects.values_list("pk", flat=True))

    body = client.get(second["previous"]).json()
    seen = [row["id"] for row in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]

    assert set(seen) == remaining, f"the walk ended on {body} with rows {sorted(remaining)} left"
