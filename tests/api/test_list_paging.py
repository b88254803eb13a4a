"""Every API list pages through tied rows with each id exactly once, under every ordering.

The endpoints come from the router and the orderings from each viewset's ``ordering_fields``,
so a new list or a new orderable field is walked here without asking.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.api.listing import LISTS, list_endpoints, orderings, walk

ROWS = 200
PAGE_SIZE = 9
ENDPOINTS = list_endpoints()


def test_it_has_tied_rows_for_every_list_endpoint():
    assert {prefix for prefix, _viewset in list_endpoints()} == set(LISTS)


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[p for p, _v in ENDPOINTS])
def test_it_serves_each_row_once_under_every_ordering(prefix, viewset, admin_user, api_as):
    rows = LISTS[prefix]
    rows.build(ROWS, "a")
    expected = rows.ids()
    rows.update(sorted(expected)[::3], rows.touch)  # new tuple versions: PostgreSQL's heap moves
    client = api_as(admin_user)
    for ordering in orderings(viewset):
        params = {"page_size": PAGE_SIZE, **({"ordering": ordering} if ordering else {})}
        seen = walk(client, f"/api/{prefix}/", params)
        twice = sorted(pk for pk, n in Counter(seen).items() if n > 1)
        assert (twice, expected - set(seen)) == ([], set()), f"ordering={ordering}"
        assert len(seen) == len(expected)
