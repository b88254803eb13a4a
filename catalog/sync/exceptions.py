"""Domain exceptions the surfaces translate: 404 in the API, one line from a command."""

from __future__ import annotations


class ShowNotFoundInLibrary(Exception):
    """No catalog show and no Plex show carries this TMDB id: sync cannot invent a show."""

    def __init__(self, tmdb_id: int) -> None:
        super().__init__(f"no show in the catalog or in Plex has TMDB id {tmdb_id}")
        self.tmdb_id = tmdb_id


class ShowNotOnTmdb(Exception):
    """The show carries no TMDB id and ``/find`` gives it none. ``kind`` says why, for the
    surfaces: TMDB matches nothing."""

    kind = "not_found"


class TmdbMatchAmbiguous(ShowNotOnTmdb):
    """``/find`` matches several TMDB shows and the policy settles none: nobody guesses."""

    kind = "ambiguous"


class TmdbIdTaken(ShowNotOnTmdb):
    """``/find`` matches one TMDB show, but another catalog show already carries its id."""

    kind = "conflict"
