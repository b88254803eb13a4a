"""Each page costs the same number of queries for a small world as for one five times larger."""

from __future__ import annotations

import pytest

from catalog.rules import preview
from tests.catalog.ui.conftest import build_world, pages, preview_url


@pytest.mark.django_db
def test_it_keeps_every_page_at_a_constant_query_count(operator, client, count_queries,
                                                       monkeypatch):
    monkeypatch.setattr(preview, "MEMO_SECONDS", 0)  # every preview groups afresh
    client.force_login(operator)
    small = build_world(2)
    small_pages = [*pages(small), preview_url(small)]
    warm = [count_queries(client, url) for url in small_pages]  # caches facets and role
    before = [count_queries(client, url) for url in small_pages]
    large = build_world(10)
    large_pages = [*pages(large), preview_url(large)]
    after = [count_queries(client, url) for url in large_pages]
    assert warm and before == after, list(zip(large_pages, before, after, strict=True))


@pytest.mark.django_db
def test_it_answers_the_polled_fragment_in_five_queries(viewer, client, count_queries):
    client.force_login(viewer)
    build_world(4)
    # session, user, the user's groups (its role), the active runs, the shows loading
    assert count_queries(client, "/runs/active/") == 5
