"""TMDB enrichment of one show: ``sync_show`` (a minimal version; see the TMDB issue).

Fetches ``/tv/{id}?append_to_response=external_ids`` once and stores the TMDB cache fields on
the Show. Fresh rows (younger than ``TMDB_CACHE_TTL_DAYS``) are returned without a request;
placeholders (``tmdb_status == "unknown"``) and ``force`` always refresh.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from catalog.exceptions import ShowNotFoundInLibrary
from catalog.models import Show
from integrations.tmdb import TmdbClient


def _fresh(show: Show, now: datetime) -> bool:
    if show.is_placeholder or show.tmdb_fetched_at is None:
        return False
    return (now - show.tmdb_fetched_at).days < settings.TMDB_CACHE_TTL_DAYS


def sync_show(tmdb_id: int, *, force: bool = False, now: datetime | None = None,
              client: TmdbClient | None = None) -> Show:
    """The show with this TMDB id, refreshed from TMDB unless its cache is fresh.

    A TMDB error propagates as the client's classified error and leaves the row unchanged.
    """
    show = Show.objects.filter(tmdb_id=tmdb_id).first()
    if show is None:
        raise ShowNotFoundInLibrary(tmdb_id)
    now = now or timezone.now()
    if not force and _fresh(show, now):
        return show
    if client is None:
        from catalog.upstreams import tmdb_client

        client = tmdb_client()
    tv = client.tv(tmdb_id)
    fields = {
        "tmdb_status": Show.TmdbStatus.FRESH, "overview": tv.overview or "",
        "tmdb_seasons": tv.number_of_seasons, "tmdb_episodes": tv.number_of_episodes,
        "poster_path": (tv.poster_path or "")[:200],
        "backdrop_path": (tv.backdrop_path or "")[:200],
        "tmdb_fetched_at": now,
    }
    taken = Show.objects.exclude(pk=show.pk).filter(
        Q(tvdb_id=tv.tvdb_id) if tv.tvdb_id else Q(pk__in=[])).exists()
    if show.tvdb_id is None and tv.tvdb_id and not taken:
        fields["tvdb_id"] = tv.tvdb_id
    if show.imdb_id is None and tv.imdb_id and len(tv.imdb_id) <= 16 and not Show.objects.filter(
            imdb_id=tv.imdb_id).exists():
        fields["imdb_id"] = tv.imdb_id
    Show.objects.filter(pk=show.pk).update(**fields, updated_at=now)
    show.refresh_from_db()
    return show
