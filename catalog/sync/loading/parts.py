"""The facts, episodes and metadata parts: read upstream, then write inside the caller's
transaction (``write_*``), so a part's rows, its flag and the run's progress commit together.

A part that cannot run for lack of an id, or whose answer contradicts the catalog, raises
``PartFailed`` (permanent); upstream errors propagate with their own kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from catalog.db.bulk import upsert
from catalog.models import Decision, Episode, PlexShow, Show
from catalog.sync.exceptions import ShowNotFoundInLibrary, ShowNotOnTmdb
from catalog.sync.identity import show_absorb
from catalog.sync.shows_write import shows_write_page
from integrations.tmdb import TmdbClient
from integrations.tvmaze import TvmazeClient
from integrations.values.tvmaze import TvmazeEpisode, TvmazeShow

EPISODE_COLUMNS = ["tvmaze_id", "show_id", "season", "number", "title", "airdate", "runtime"]


class PartFailed(Exception):
    """A part that cannot succeed by retrying (a missing id, a clash in the catalog)."""


@dataclass(frozen=True, slots=True)
class Clients:
    tvmaze: TvmazeClient
    tmdb: TmdbClient | None  # None when no TMDB key is configured
    images: object  # ImageDownloader


def tmdb_of(clients: Clients) -> TmdbClient:
    if clients.tmdb is None:
        raise PartFailed("TMDB_API_KEY is not set")
    return clients.tmdb


# facts ------------------------------------------------------------------------------------
def fetch_facts(show: Show, clients: Clients) -> TvmazeShow:
    """The TVMaze show, by its TVMaze id or looked up by its TVDB, then IMDb id."""
    show.refresh_from_db(fields=["tvmaze_id", "tvdb_id", "imdb_id"])
    if show.tvmaze_id:
        return clients.tvmaze.show(show.tvmaze_id)
    if not (show.tvdb_id or show.imdb_id):
        raise PartFailed("no TVMaze, TVDB or IMDb id to look the show up by")
    found = clients.tvmaze.lookup(tvdb_id=show.tvdb_id) if show.tvdb_id else None
    if found is None and show.imdb_id:
        found = clients.tvmaze.lookup(imdb_id=show.imdb_id)
    if found is None:
        ids = " or ".join(f"{k} {v}" for k, v in (("TVDB", show.tvdb_id),
                                                   ("IMDb", show.imdb_id)) if v)
        raise PartFailed(f"TVMaze has no show with {ids}")
    return found


def write_facts(show: Show, tv: TvmazeShow) -> None:
    """Upsert the TVMaze facts (claiming this row by its ids, like the catalog sync does).

    When another catalog show already is this TVMaze show, an add that holds nothing but the
    id it was added by (the same show added twice, by two ids) is merged into it: one show,
    with both ids. A show with anything of its own (Plex, decisions, a TVMaze id) is a clash.
    """
    holder = Show.objects.filter(tvmaze_id=tv.id).exclude(pk=show.pk).values_list(
        "id", flat=True).first()
    if holder is not None and _bare_add(show):
        _merge_into(show, holder)  # first: the writer would otherwise see two holders
        shows_write_page([tv])
        return
    shows_write_page([tv])
    holder = Show.objects.filter(tvmaze_id=tv.id).values_list("id", flat=True).first()
    if holder != show.pk:
        raise PartFailed(f"TVMaze show {tv.id} is already in the catalog as show {holder}")


def _bare_add(show: Show) -> bool:
    """Nothing but an id and its loading state: no TVMaze id, no Plex, no decision."""
    row = Show.objects.select_for_update().filter(pk=show.pk).values(
        "tvmaze_id").first()
    return (row is not None and row["tvmaze_id"] is None
            and not PlexShow.objects.filter(show=show.pk).exists()
            and not Decision.objects.filter(show=show.pk).exists())


def _merge_into(show: Show, holder_id: int) -> None:
    """The holder absorbs the bare add: the external ids it lacks (that no other show holds)
    and the operator's add; it is decided again and its missing parts are queued."""
    show_absorb(show.pk, holder_id)


# episodes ---------------------------------------------------------------------------------
def fetch_episodes(show: Show, clients: Clients) -> tuple[TvmazeEpisode, ...]:
    tvmaze_id = Show.objects.filter(pk=show.pk).values_list("tvmaze_id", flat=True).first()
    if not tvmaze_id:
        raise PartFailed("the show has no TVMaze id yet (facts)")
    return clients.tvmaze.episodes(tvmaze_id, specials=True)


def write_episodes(show: Show, episodes: tuple[TvmazeEpisode, ...]) -> None:
    """Upsert every episode (specials have no number) and drop those TVMaze no longer lists."""
    rows = {e.id: (e.id, show.pk, max(0, e.season), e.number if e.number and e.number > 0
                   else None, (e.name or "")[:500], e.airdate, e.runtime) for e in episodes}
    upsert(Episode, EPISODE_COLUMNS, list(rows.values()), conflict=["tvmaze_id"],
           update=EPISODE_COLUMNS[1:])
    Episode.objects.filter(show=show, tvmaze_id__isnull=False).exclude(
        tvmaze_id__in=list(rows)).delete()


# metadata ---------------------------------------------------------------------------------
def fetch_metadata(show: Show, clients: Clients, *, force: bool) -> None:
    """Find the TMDB id if needed (``tmdb_id_settle``, which also records a show TMDB does not
    have or cannot tell apart), then ``tmdb_id_refresh`` (TTL-gated unless ``force``)."""
    from catalog.sync.tmdb import tmdb_id_refresh
    from catalog.sync.tmdb.policy import ttl_days
    from catalog.sync.tmdb.show import tmdb_id_settle

    client = tmdb_of(clients)
    show.refresh_from_db(fields=["tmdb_id", "tvdb_id", "imdb_id", "premiered"])
    if not show.tmdb_id:
        if not (show.tvdb_id or show.imdb_id):
            raise PartFailed("no TMDB, TVDB or IMDb id to find the show by (facts)")
        try:  # the batch's own policy, so both give a show the same id (or none)
            tmdb_id_settle(show, client, now=timezone.now(), ttl=ttl_days())
        except ShowNotOnTmdb as exc:
            raise PartFailed(str(exc)) from None
    try:
        tmdb_id_refresh(show.tmdb_id, force=force, client=client)
    except ShowNotFoundInLibrary as exc:
        raise PartFailed(str(exc)) from None
