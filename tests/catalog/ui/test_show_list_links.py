"""The show list's own next/previous links keep every filter.

An operator filtering shows by the first rule (id 1, the rule every install has) and pressing
"next" must stay inside that rule's shows: following the page's links has to serve the same
rows, each once, that the filter selects.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from catalog.models import Decision, DiscoveryRule
from catalog.ui.views import shows as shows_view
from tests import factories
from tests.api.listing import LISTS

PER_PAGE = 3
NEXT = re.compile(r'href="\?([^"]*)" rel="next"')


def _follow_next(client, url: str) -> list[int]:
    """Ids of every page reached from ``url`` by the page's own ``rel="next"`` link."""
    seen: list[int] = []
    for _ in range(100):
        response = client.get(url)
        assert response.status_code == 200
        seen += [row.show.pk for row in response.context["page"].rows]
        link = NEXT.search(response.content.decode())
        if link is None:
            return seen
        url = "/shows/?" + link.group(1).replace("&amp;", "&")
    raise AssertionError("the pages never ended")


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["title", "-id"])
def test_the_next_link_keeps_the_filter_on_rule_one(order, viewer, client, monkeypatch):
    monkeypatch.setattr(shows_view, "PER_PAGE", PER_PAGE)
    rule = DiscoveryRule.objects.create(id=1, name="first rule",
                                        server=factories.SonarrServerFactory(),
                                        root_folder="/tv")
    shows = list(LISTS["shows"].build(12, "r1"))
    decided = {show.pk for show in shows[:5]}
    for show in shows[:5]:
        Decision.objects.create(show=show, rule=rule, status="filtered")
    client.force_login(viewer)

    seen = _follow_next(client, f"/shows/?rule=1&order={order}")

    assert [pk for pk, n in Counter(seen).items() if n > 1] == []
    assert set(seen) == decided, "page 2 on lost rule=1 and listed every show"
