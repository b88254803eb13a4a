"""Hooks the show writers call inside the transaction that writes a page of shows.

Discovery rules, the loader and the preview's cache register here (in ``CatalogConfig.ready``)
so that every created or changed show is evaluated in the same transaction that writes it:
one call per page with the set of ids. Registering twice is a no-op, so a reload cannot make
one page decide twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

ShowsChangedHook = Callable[[Collection[int]], None]

_shows_changed: list[ShowsChangedHook] = []


def on_shows_changed(hook: ShowsChangedHook) -> ShowsChangedHook:
    """Register ``hook(show_ids)`` once; usable as a decorator."""
    if hook not in _shows_changed:
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


# Shows entering the library (linked by a Plex scan, or added/exists in Sonarr): the loader
# registers here so that the library's shows carry episodes and artwork without anyone asking.
_entered_library: list[ShowsChangedHook] = []


def on_shows_entered_library(hook: ShowsChangedHook) -> ShowsChangedHook:
    """Register ``hook(show_ids)``; usable as a decorator."""
    if hook not in _entered_library:
        _entered_library.append(hook)
    return hook


def shows_entered_library(show_ids: Collection[int]) -> None:
    """Call with catalog Show ids that now belong to the library (cheap when repeated)."""
    if not show_ids:
        return
    for hook in list(_entered_library):
        hook(show_ids)
