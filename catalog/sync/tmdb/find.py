"""Finding the TMDB id of a show that has none: ``/find`` by TVDB id, else by IMDb id.

A TVDB id can match several TMDB shows (a re-listed duplicate); the IMDb id then decides,
and failing that the oldest TMDB entry (the lowest id) wins. Only ``tv_results`` count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.models import Show
from integrations.tmdb import TmdbClient
from integrations.values import Authority, ExternalId

IMDB_ID = re.compile(r"tt\d{1,14}")


@dataclass(frozen=True, slots=True)
class Found:
    tmdb_id: int | None
    note: str = ""


def _ids(client: TmdbClient, authority: Authority, value: str) -> list[int]:
    return sorted({r.id for r in client.find(ExternalId(authority, value))})


def tmdb_id_find(client: TmdbClient, show: Show) -> Found:
    """The TMDB id for ``show``'s tvdb/imdb ids, or ``Found(None)`` when TMDB has none."""
    by_imdb: list[int] | None = None
    imdb = show.imdb_id if show.imdb_id and IMDB_ID.fullmatch(show.imdb_id) else None
    if show.tvdb_id:
        by_tvdb = _ids(client, Authority.TVDB, str(show.tvdb_id))
        if len(by_tvdb) == 1:
            return Found(by_tvdb[0])
        if len(by_tvdb) > 1:
            if imdb:
                by_imdb = _ids(client, Authority.IMDB, imdb)
                both = [i for i in by_tvdb if i in by_imdb]
                if len(both) == 1:
                    return Found(both[0])
            return Found(by_tvdb[0], note=f"tvdb {show.tvdb_id} matches TMDB {by_tvdb}; "
                                          f"took {by_tvdb[0]}")
    if imdb:
        if by_imdb is None:
            by_imdb = _ids(client, Authority.IMDB, imdb)
        if by_imdb:
            note = "" if len(by_imdb) == 1 else (f"imdb {imdb} matches TMDB {by_imdb};"
                                                 f" took {by_imdb[0]}")
            return Found(by_imdb[0], note=note)
    return Found(None)
