"""Domain exceptions the surfaces translate (API status codes, command exits)."""

from __future__ import annotations


class ShowNotFoundInLibrary(Exception):
    """No show with this TMDB id in the catalog, and no Plex show carries it."""

    def __init__(self, tmdb_id: int) -> None:
        super().__init__(f"no show with TMDB id {tmdb_id} in the library")
        self.tmdb_id = tmdb_id
