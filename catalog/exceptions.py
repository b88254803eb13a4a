"""Domain exceptions the surfaces translate: 404 in the API, one line from a command."""

from __future__ import annotations


class ShowNotFoundInLibrary(Exception):
    """No catalog show and no Plex show carries this TMDB id: sync cannot invent a show."""

    def __init__(self, tmdb_id: int) -> None:
        super().__init__(f"no show in the catalog or in Plex has TMDB id {tmdb_id}")
        self.tmdb_id = tmdb_id


class ShowNotOnTmdb(Exception):
    """The show carries no TMDB id and ``/find`` matches none (or one another show holds)."""
