"""Hooks run inside the transaction that writes a page of shows.

Discovery rules register here (a later capability) so that every created or changed show is
evaluated in the same transaction that writes it: one call per page with the set of ids.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

ShowsChangedHook = Callable[[Collection[int]], None]

_shows_changed: list[ShowsChangedHook] = []


def on_shows_changed(hook: ShowsChangedHook) -> ShowsChangedHook:
    """Register ``hook(show_ids)``; usable as a decorator."""
    _shows_changed.append(hook)
    return hook


def remove_shows_changed(hook: ShowsChangedHook) -> None:
    _shows_changed.remove(hook)


def has_shows_changed_hooks() -> bool:
    """Lets writers skip gathering ids nobody will read."""
    return bool(_shows_changed)


def shows_changed(show_ids: Collection[int]) -> None:
    """Called by the page writer, inside its transaction, with catalog Show ids."""
    if not show_ids:
        return
    for hook in list(_shows_changed):
        hook(show_ids)
