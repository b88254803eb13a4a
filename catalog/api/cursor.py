"""Keyset pages by id: a walk that rows inserted or updated meanwhile cannot shift.

An ``OFFSET`` page counts rows before it, so a row inserted, or one whose sort value changes,
ahead of the client moves every later row by one: one is served twice or never. A cursor
names the last id served instead and the next page starts after it; ids never change and new
rows take new ids, so every row that existed when the walk began comes exactly once.

A cursor is ``a<id>`` (rows after that id in the walk's direction) or ``b<id>`` (rows before
it) on a walk by ascending id, ``y<id>``/``z<id>`` the same on a walk by descending id (so a
cursor read under the other ordering is refused, never served from the wrong side); the
``next`` and ``previous`` links carry them, and clients treat them as opaque.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

CURSOR_PATTERN = r"^[abyz][0-9]{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN.replace("$", r"\Z"))
ORDERINGS = {None: "pk", "id": "pk", "-id": "-pk"}


@dataclass(frozen=True)
class Cursor:
    after: bool  # rows after ``key`` in the walk's order, else rows before it
    key: int
    descending: bool = False  # the walk's order: by -id

    def __str__(self) -> str:
        letters = "yz" if self.descending else "ab"
        return f"{letters[0] if self.after else letters[1]}{self.key}"


def cursor_parse(raw: str | None, param: str) -> Cursor | None:
    """The cursor a ``next``/``previous`` link carried; anything else is a 400 naming it."""
    if raw is None:
        return None
    if not _CURSOR.match(raw):
        raise ValidationError({param: [
            "Not a cursor this API gave out; follow the next and previous links as given."]})
    return Cursor(after=raw[0] in "ay", key=int(raw[1:]), descending=raw[0] in "yz")


def walk_order(raw: str | None, param: str, cursor: Cursor | None = None) -> str:
    """``pk`` or ``-pk``: a cursor walks by id, so no other ordering can be honoured, and a
    cursor given out for one direction is refused in the other."""
    if raw is not None:
        raw = raw.strip()
    if raw not in ORDERINGS:
        raise ValidationError({param: [
            "A cursor walks by id: order by id or -id, or leave ordering out."]})
    order = ORDERINGS[raw]
    if cursor is not None and cursor.descending != order.startswith("-"):
        raise ValidationError({param: [
            "This cursor belongs to a walk in the other order: keep the ordering it came with."]})
    return order


@dataclass
class KeysetPage:
    rows: list[Any]
    next: Cursor | None
    previous: Cursor | None


def keyset_page(queryset: QuerySet, cursor: Cursor | None, order: str, size: int) -> KeysetPage:
    """Up to ``size`` rows from ``cursor`` on (one query), with the cursors around them.

    An empty page past the last rows has no links; an empty page before the cursor (the rows
    there were deleted) leads on with a ``next`` to the rows from the cursor on.
    """
    descending = order.startswith("-")
    forward = cursor is None or cursor.after
    if cursor is not None:
        later = forward != descending  # ids grow along the way we read
        queryset = queryset.filter(**{"pk__gt" if later else "pk__lt": cursor.key})
    read_order = order if forward else ("pk" if descending else "-pk")
    rows = list(queryset.order_by(read_order)[:size + 1])
    more, rows = len(rows) > size, rows[:size]
    if not forward:
        rows.reverse()
    if not rows:
        if forward or cursor is None:
            return KeysetPage([], None, None)
        back = cursor.key + 1 if descending else max(cursor.key - 1, 0)
        return KeysetPage([], Cursor(True, back, descending), None)
    first = Cursor(False, rows[0].pk, descending)
    last = Cursor(True, rows[-1].pk, descending)
    if forward:
        return KeysetPage(rows, last if more else None, first if cursor else None)
    return KeysetPage(rows, last, first if more else None)
