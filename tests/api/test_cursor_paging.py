"""A cursor walk serves every row that existed when it began exactly once, however rows are
inserted, updated or reordered between its pages; mixing it with page numbers is a 400."""

from __future__ import annotations

from collections import Counter

import pytest

from catalog.api.cursor import CURSOR_PATTERN
from tests.api.listing import LISTS, list_endpoints, walk
from tests.factories import DecisionFactory, DiscoveryRuleFactory

ROWS = 120
PAGE_SIZE = 9
ENDPOINTS = [prefix for prefix, _viewset in list_endpoints()]


def _walk_while_changing(client, prefix: str, params: dict) -> list[int]:
    rows = LISTS[prefix]
    seen: list[int] = []
    response = client.get(f"/api/{prefix}/", params)
    for page in range(ROWS):
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            return seen
        rows.build(3, f"new{page}")  # new rows, ahead of and behind the walk alike
        existing = sorted(rows.ids())
        rows.update(existing[page % 5::5], rows.move)  # sort values change under the walk
        rows.update(existing[page % 3::3], rows.touch)
        response = client.get(body["next"])
    raise AssertionError("the walk never ended")


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", [None, "-id"])
@pytest.mark.parametrize("prefix", ENDPOINTS)
def test_it_serves_each_existing_row_once_while_rows_change(prefix, ordering, admin_user,
                                                           api_as):
    LISTS[prefix].build(ROWS, "old")
    before = LISTS[prefix].ids()
    params = {"paging": "cursor", "page_size": PAGE_SIZE,
              **({"ordering": ordering} if ordering else {})}
    seen = _walk_while_changing(api_as(admin_user), prefix, params)
    assert [pk for pk, n in Counter(seen).items() if n > 1] == []
    assert before - set(seen) == set()
    assert seen == sorted(seen, reverse=ordering == "-id")


def _follow(client, body: dict, link: str) -> list[list[int]]:
    """The ids of this page and of every page ``link`` leads to, page by page."""
    pages = [[row["id"] for row in body["results"]]]
    while body[link]:
        body = client.get(body[link]).json()
        pages.append([row["id"] for row in body["results"]])
    return pages


@pytest.mark.django_db
def test_it_walks_back_from_the_last_page_to_the_first(admin_user, api_as):
    client = api_as(admin_user)
    LISTS["decisions"].build(40, "d")
    body = client.get("/api/decisions/", {"paging": "cursor", "page_size": 7}).json()
    forward = _follow(client, body, "next")
    while body["next"]:
        body = client.get(body["next"]).json()
    backward = _follow(client, body, "previous")
    assert backward == forward[::-1]
    assert len(forward) == 6


@pytest.mark.django_db
def test_it_keeps_filters_and_counts_in_a_cursor_walk(admin_user, api_as):
    rule = DiscoveryRuleFactory()
    kept = {DecisionFactory(rule=rule).pk for _ in range(5)}
    DecisionFactory.create_batch(3)
    client = api_as(admin_user)
    first = client.get("/api/decisions/", {"rule": rule.pk, "paging": "cursor",
                                           "page_size": 2}).json()
    assert (first["count"], first["previous"]) == (5, None)
    assert f"rule={rule.pk}" in first["next"] and "cursor=a" in first["next"]
    assert set(walk(client, "/api/decisions/", {"rule": rule.pk, "cursor": "a0",
                                                "page_size": 2})) == kept


@pytest.mark.django_db
def test_it_answers_an_empty_page_past_the_last_row_without_links(admin_user, api_as):
    body = api_as(admin_user).get("/api/sync-runs/", {"cursor": "a999999"}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "field"), [
    ({"paging": "offset"}, "paging"),
    ({"paging": "page", "cursor": "a1"}, "cursor"),
    ({"paging": "cursor", "page": "2"}, "page"),
    ({"cursor": "a1", "page": "1"}, "page"),
    ({"cursor": ""}, "cursor"),
    ({"cursor": "a-1"}, "cursor"),
    ({"cursor": "c12"}, "cursor"),
    ({"cursor": "a" + "9" * 19}, "cursor"),
    ({"paging": "cursor", "ordering": "title"}, "ordering"),
    ({"paging": "cursor", "ordering": "id,title"}, "ordering"),
    ({"paging": "cursor", "page_size": "0"}, "page_size"),
])
def test_it_refuses_a_cursor_it_cannot_honour_naming_the_parameter(query, field, viewer,
                                                                    api_as):
    response = api_as(viewer).get("/api/items/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_it_still_pages_by_number_when_no_cursor_is_asked_for(viewer, api_as):
    LISTS["sync-runs"].build(5, "r")
    body = api_as(viewer).get("/api/sync-runs/", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert "page=3" in body["next"] and "cursor" not in body["next"]


def test_it_states_the_cursor_in_every_list_operation_of_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for prefix in ENDPOINTS:
        params = {p["name"]: p["schema"]
                  for p in schema["paths"][f"/api/{prefix}/"]["get"]["parameters"]}
        assert params["paging"]["enum"] == ["page", "cursor"], prefix
        assert params["cursor"]["pattern"] == CURSOR_PATTERN, prefix
