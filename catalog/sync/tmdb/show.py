"""``tmdb_id_refresh``: refresh one show's TMDB facts when the policy says so, and only then.

- a placeholder (``tmdb_status == "unknown"``) always refreshes;
- a show fetched less than ``TMDB_CACHE_TTL_DAYS`` days ago (minus its jitter) is returned
  as it is, without a request; at or past the TTL it refreshes;
- ``force=True`` refreshes whatever the gates say;
- a show the catalog knows but Plex does not hold still refreshes; its episode slots stay
  empty until a Plex scan fills them, and a warning says so;
- a TMDB id neither the catalog nor Plex carries raises ``ShowNotFoundInLibrary``;
- a TMDB error propagates as the client's classified error and the row stays as it was.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from catalog.models import PlexShow, Show
from catalog.sync.exceptions import (
    ShowNotFoundInLibrary,
    ShowNotOnTmdb,
    TmdbIdTaken,
    TmdbMatchAmbiguous,
)
from catalog.sync.tmdb.find import tmdb_id_find
from catalog.sync.tmdb.policy import show_due, ttl_days
from catalog.sync.tmdb.slots import ABSENT_WARNING, plex_lost, slot_map
from catalog.sync.tmdb.write import shows_write
from integrations.tmdb import TmdbClient

log = logging.getLogger("catalog.sync.tmdb")


def _carries(guid: str, tmdb_id: int) -> bool:
    """A legacy-agent guid naming this TMDB id (``com.plexapp.agents.themoviedb://1399?…``)."""
    return re.search(rf"(?:themoviedb|tmdb)://{tmdb_id}(?:[?/]|$)", guid) is not None


def plex_unlinked(tmdb_id: int) -> list[PlexShow]:
    """Plex shows no catalog show is linked to whose guid names this TMDB id."""
    return [p for p in PlexShow.objects.filter(show__isnull=True, guid__contains=f"://{tmdb_id}")
            .only("pk", "title", "guid") if _carries(p.guid, tmdb_id)]


def tmdb_ids_check(tmdb_ids: list[int]) -> None:
    """Raise ShowNotFoundInLibrary for the first id neither the catalog nor Plex carries
    (read only: the run links Plex-only shows when it gets to them)."""
    known = set(Show.objects.filter(tmdb_id__in=tmdb_ids).values_list("tmdb_id", flat=True))
    for tmdb_id in (i for i in tmdb_ids if i not in known):  # the rare ids Plex alone holds
        if not plex_unlinked(tmdb_id):
            raise ShowNotFoundInLibrary(tmdb_id)


def show_for_tmdb_id(tmdb_id: int) -> Show:
    """The catalog show with this TMDB id; else the show Plex holds under it, linked now as a
    placeholder; else ``ShowNotFoundInLibrary``."""
    show = Show.objects.filter(tmdb_id=tmdb_id).first()
    if show is not None:
        return show
    unlinked = plex_unlinked(tmdb_id)
    if not unlinked:
        raise ShowNotFoundInLibrary(tmdb_id)
    with transaction.atomic():
        show, _ = Show.objects.get_or_create(
            tmdb_id=tmdb_id, defaults={"title": unlinked[0].title[:500] or f"TMDB {tmdb_id}",
                                       "tmdb_status": Show.TmdbStatus.UNKNOWN})
        PlexShow.objects.filter(pk__in=[p.pk for p in unlinked], show__isnull=True).update(
            show=show)
    return show


def tmdb_id_refresh(tmdb_id: int, *, force: bool = False, now: datetime | None = None,
                    client: TmdbClient | None = None) -> Show:
    """Refresh the show with this TMDB id if it is a placeholder, stale, or ``force``d;
    one request (``/tv/{id}?append_to_response=external_ids``) when it does, none otherwise."""
    now = now or timezone.now()
    ttl = ttl_days()
    show = show_for_tmdb_id(tmdb_id)
    if not force and not show_due(show, now=now, ttl=ttl):
        return show
    if client is None:
        from catalog.upstreams.clients import tmdb_client

        client = tmdb_client()
    tv = client.tv(tmdb_id)
    with transaction.atomic():
        row = Show.objects.select_for_update().filter(pk=show.pk, tmdb_id=tmdb_id).first()
        if row is None:  # deleted or re-keyed while TMDB answered
            raise ShowNotFoundInLibrary(tmdb_id)
        shows_write(refreshed=[(row, tv)], now=now, ttl=ttl)
    if not slot_map(row).in_plex:  # a warning only for a show whose episodes Plex lost
        level = logging.WARNING if plex_lost([row.pk]) else logging.INFO
        log.log(level, "TMDB %s (show %s, %s): %s", tmdb_id, row.pk, row.title, ABSENT_WARNING)
    return row


UNMATCHED = {"not_found": "absent", "ambiguous": "ambiguous", "conflict": "failed"}


def unmatched_write(show: Show, why: ShowNotOnTmdb, *, now: datetime, ttl: int) -> None:
    """Remember for the TTL why a show without a TMDB id has none (``not_found``,
    ``ambiguous``, ``error``), unless it got an id meanwhile."""
    with transaction.atomic():
        row = Show.objects.select_for_update().filter(pk=show.pk, tmdb_id=None).first()
        if row is not None:
            shows_write(**{UNMATCHED[why.kind]: [row]}, now=now, ttl=ttl)
            show.tmdb_status = row.tmdb_status


def tmdb_id_settle(show: Show, client: TmdbClient, *, now: datetime, ttl: int) -> int:
    """Give a show without a TMDB id the one ``find`` chooses and return it; when there is
    none to take, record why and raise it: ``ShowNotOnTmdb``, ``TmdbMatchAmbiguous`` (several
    hits, none settled) or ``TmdbIdTaken`` (another show carries it)."""
    found = tmdb_id_find(client, show)
    if found.ambiguous:
        why: ShowNotOnTmdb = TmdbMatchAmbiguous(found.note)
    elif found.tmdb_id is None:
        why = ShowNotOnTmdb("not on TMDB")
    else:
        holder = (Show.objects.filter(tmdb_id=found.tmdb_id).exclude(pk=show.pk)
                  .values_list("pk", flat=True).first())
        if holder is None:
            Show.objects.filter(pk=show.pk, tmdb_id=None).update(
                tmdb_id=found.tmdb_id, updated_at=timezone.now())
            show.tmdb_id = found.tmdb_id
            return found.tmdb_id
        why = TmdbIdTaken(f"TMDB show {found.tmdb_id} is already in the catalog as show {holder}")
    unmatched_write(show, why, now=now, ttl=ttl)
    raise why


REMEMBERED = {Show.TmdbStatus.AMBIGUOUS: (TmdbMatchAmbiguous, "matches several TMDB shows"),
              Show.TmdbStatus.ERROR: (TmdbIdTaken, "matches a TMDB show another show carries")}


def show_refresh(show: Show, *, force: bool = False, now: datetime | None = None,
                 client: TmdbClient | None = None) -> Show:
    """Refresh one catalog show (an operator's request), finding its TMDB id first if it
    has none (``tmdb_id_settle``; what it raises is remembered for the TTL)."""
    now = now or timezone.now()
    if show.tmdb_id is not None:
        return tmdb_id_refresh(show.tmdb_id, force=force, now=now, client=client)
    ttl = ttl_days()
    if not force and not show_due(show, now=now, ttl=ttl):
        checked = f"{show.tmdb_fetched_at:%Y-%m-%d}" if show.tmdb_fetched_at else "before"
        kind, what = REMEMBERED.get(show.tmdb_status, (ShowNotOnTmdb, "not on TMDB"))
        raise kind(f"{what} (checked {checked})")
    if client is None:
        from catalog.upstreams.clients import tmdb_client

        client = tmdb_client()
    tmdb_id = tmdb_id_settle(show, client, now=now, ttl=ttl)
    return tmdb_id_refresh(tmdb_id, force=True, now=now, client=client)
