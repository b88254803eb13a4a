"""Listing paths, filter parameters and offset paging shared by the Plex client's queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from integrations.values import Page

T = TypeVar("T")
ITEM_TYPES: dict[str, int] = {"movie": 1, "show": 2, "season": 3, "episode": 4}


def all_path(section_key: str) -> str:
    return f"/library/sections/{section_key}/all"


def item_params(kind: str, updated_since: datetime | None, added_since: datetime | None
                 ) -> list[tuple[str, Any]]:
    if kind not in ("episode", "movie"):
        raise ValueError(f"kind must be 'episode' or 'movie', not {kind!r}")
    params: list[tuple[str, Any]] = [("type", ITEM_TYPES[kind]), ("includeGuids", 1)]
    for field, since in (("updatedAt", updated_since), ("addedAt", added_since)):
        if since is not None:
            if since.tzinfo is None:
                raise ValueError(f"{field} filter needs a timezone-aware datetime")
            params.append((f"{field}>>", int(since.timestamp())))  # sent as updatedAt>>=<ts>
    return params


def next_start(base: int, asked: int, got: int, total: int | None) -> int | None:
    """Next page's start, or None at the end; the server may return fewer rows than asked
    (an empty page before the total is refused by the caller)."""
    if got == 0 or asked == 0:
        return None
    following = base + got
    if total is not None:
        return following if following < total else None
    return following if got >= asked else None  # no totalSize: a short page is the last one


def iterate(fetch: Callable[[int], Page[T]]) -> Iterator[Page[T]]:
    start = 0
    while True:
        page = fetch(start)
        yield page
        if page.cursor is None:
            return
        start = int(page.cursor)
