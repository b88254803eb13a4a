"""When a show's TMDB facts are due for a refresh: the TTL cache, its jitter, placeholders.

Whole days count: a row fetched ``ttl_days`` days ago or more is stale (``age.days >=
ttl_days``). Each row carries a jitter of up to half the TTL, drawn at every refresh and taken
off its TTL (Kometa's approach), so a library enriched in one bulk pass expires over several
days instead of all on one.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings

from catalog.models import Show

# A fetch stamped further ahead than this is a clock that went back: refresh it.
FUTURE_TOLERANCE = timedelta(days=1)
_rng = random.SystemRandom()


def ttl_days() -> int:
    return int(settings.TMDB_CACHE_TTL_DAYS)


def max_jitter(ttl: int) -> int:
    """Jitter is at most half the TTL, so a row stays fresh at least half of it."""
    return ttl // 2


def jitter_draw(ttl: int) -> int:
    return _rng.randint(0, max_jitter(ttl))


def tmdb_due(*, status: str, fetched_at: datetime | None, jitter: int, now: datetime,
             ttl: int) -> bool:
    """Whether a refresh is due: placeholders and never-fetched rows always, others at or
    past their TTL (minus their jitter, clamped should the TTL have been lowered since)."""
    if status == Show.TmdbStatus.UNKNOWN or fetched_at is None:
        return True
    age = now - fetched_at
    if age < -FUTURE_TOLERANCE:
        return True
    return age.days >= ttl - min(max(jitter, 0), max_jitter(ttl))


def show_due(show: Show, *, now: datetime, ttl: int) -> bool:
    return tmdb_due(status=show.tmdb_status, fetched_at=show.tmdb_fetched_at,
                    jitter=show.tmdb_jitter_days, now=now, ttl=ttl)


def due_cutoff(now: datetime, ttl: int) -> datetime:
    """Rows fetched at or before this may be due (the widest jitter): an index-friendly
    pre-filter that ``tmdb_due`` then decides exactly."""
    return now - timedelta(days=ttl - max_jitter(ttl))
