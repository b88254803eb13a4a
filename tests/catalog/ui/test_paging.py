"""The web UI's paged lists serve tied rows each exactly once, page after page, under every
order the page offers (taken from the page's own list, so a new order is walked too)."""

from __future__ import annotations

from collections import Counter

import pytest

from catalog.ui.filters import ORDERINGS
from catalog.ui.views import runs, shows
from tests.api.listing import LISTS

ROWS = 200
PER_PAGE = 9


def _walk(client, url: str, params: dict, section: str, pk_of) -> list[int]:
    """Ids from page 1 on, while the page says another follows."""
    seen: list[int] = []
    for number in range(1, ROWS + 2):
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        page = response.context[section]
        seen += [pk_of(row) for row in page.rows]
        if not page.has_next:
            return seen
    raise AssertionError("the pages never ended")


def _assert_once(seen: list[int], expected: set[int]) -> None:
    assert [pk for pk, n in Counter(seen).items() if n > 1] == []
    assert expected - set(seen) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("order", list(ORDERINGS))
def test_it_lists_each_show_once_under_every_order(order, viewer, client, monkeypatch):
    monkeypatch.setattr(shows, "PER_PAGE", PER_PAGE)
    rows = LISTS["shows"]
    rows.build(ROWS, "ui")
    expected = rows.ids()
    rows.update(sorted(expected)[::3], rows.touch)
    client.force_login(viewer)
    seen = _walk(client, "/shows/", {"order": order}, "page", lambda row: row.show.pk)
    _assert_once(seen, expected)


@pytest.mark.django_db
def test_it_lists_each_finished_run_once_in_the_history(viewer, client, monkeypatch):
    monkeypatch.setattr(runs, "PER_PAGE", PER_PAGE)
    rows = LISTS["sync-runs"]
    rows.build(ROWS, "ui")
    expected = rows.ids()
    rows.update(sorted(expected)[::3], rows.touch)
    client.force_login(viewer)
    seen = _walk(client, "/runs/", {}, "history", lambda run: run.pk)
    _assert_once(seen, expected)
