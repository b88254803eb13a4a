"""Finding the TMDB id of a show that has none: the one policy every caller applies.

The batch, the loader's metadata part and the per-show refresh all call ``tmdb_id_find``, so a
show gets the same TMDB id (or the same "none", or the same "ambiguous") whichever ran first.

1. ``/find`` by TVDB id; when that has no TV hit (or the show has no TVDB id), by IMDb id.
   Only ``tv_results`` count; a malformed IMDb id is not sent.
2. No hit: not on TMDB. One hit: taken as it is (the external id is exact, and TVMaze and TMDB
   often disagree on a premiere year by one).
3. Several hits: the IMDb id cross-checks (one more ``/find`` when the hits came by TVDB id and
   the show has an IMDb id): the hits it also returns are kept, when there are any. Then, if
   several remain, the one first aired in the show's premiere year is kept.
4. Exactly one left: taken. Otherwise the match is ambiguous: nothing is taken, the show is
   recorded ``ambiguous`` and the candidates are reported. Never a guess.

At most two ``/find`` requests per show, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from catalog.models import Show
from catalog.models.validators import imdb_id_ok
from integrations.tmdb import TmdbClient
from integrations.values import Authority, ExternalId
from integrations.values.tmdb import TmdbFindResult


@dataclass(frozen=True, slots=True)
class Found:
    """What ``/find`` settled: a TMDB id, none, or several ``candidates`` (ambiguous)."""

    tmdb_id: int | None
    note: str = ""
    candidates: tuple[int, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.tmdb_id is None and bool(self.candidates)


def _hits(client: TmdbClient, authority: Authority, value: str) -> dict[int, TmdbFindResult]:
    """TV hits by id (a repeated id counts once)."""
    hits: dict[int, TmdbFindResult] = {}
    for hit in client.find(ExternalId(authority, value)):
        hits.setdefault(hit.id, hit)
    return hits


def _premiered_in(hit: TmdbFindResult, year: int) -> bool:
    return hit.first_air_date is not None and hit.first_air_date.year == year


def tmdb_id_choose(client: TmdbClient, *, tvdb_id: int | None, imdb_id: str | None,
                   premiered: date | None) -> Found:
    """The policy above, for these ids and premiere date."""
    imdb = imdb_id if imdb_id_ok(imdb_id) else None
    hits: dict[int, TmdbFindResult] = {}
    source, by_imdb = "", None
    if tvdb_id:
        hits, source = _hits(client, Authority.TVDB, str(tvdb_id)), f"tvdb {tvdb_id}"
    if not hits and imdb:
        hits = by_imdb = _hits(client, Authority.IMDB, imdb)
        source = f"imdb {imdb}"
    if len(hits) <= 1:
        return Found(next(iter(hits), None))
    ids = sorted(hits)
    left, why = ids, []
    if imdb and by_imdb is None:
        by_imdb = _hits(client, Authority.IMDB, imdb)
        agree = [i for i in left if i in by_imdb]
        if agree:
            left, why = agree, [f"imdb {imdb} agrees"]
    if len(left) > 1 and premiered is not None:
        same_year = [i for i in left if _premiered_in(hits[i], premiered.year)]
        if len(same_year) == 1:
            left, why = same_year, [*why, f"first aired {premiered.year}"]
    if len(left) == 1:
        return Found(left[0], note=f"{source} matches TMDB {ids}; took {left[0]} "
                                   f"({', '.join(why)})")
    year = f"premiered {premiered.year}" if premiered else "no premiere date"
    return Found(None, candidates=tuple(left),
                 note=f"{source} matches TMDB {ids}; ambiguous between {list(left)} "
                      f"({year}{', imdb ' + imdb if imdb else ', no imdb id'})")


def tmdb_id_find(client: TmdbClient, show: Show) -> Found:
    """The TMDB id for ``show``'s tvdb/imdb ids and premiere date (see the module)."""
    return tmdb_id_choose(client, tvdb_id=show.tvdb_id, imdb_id=show.imdb_id,
                          premiered=show.premiered)
