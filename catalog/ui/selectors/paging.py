"""A paginator without COUNT: one extra row says whether a next page exists.

Counting 100,000 filtered shows would cost more than the page itself; operators page with
next/previous and narrow with filters, the way healthchecks pages its huge tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset: Any, number: int, per_page: int) -> Page:
    """Rows of page ``number`` (1-based) and whether another follows (one query)."""
    start = (number - 1) * per_page
    rows = list(queryset[start:start + per_page + 1])
    return Page(rows[:per_page], number, len(rows) > per_page)
