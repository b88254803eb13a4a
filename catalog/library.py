"""Which shows are the operator's library: the ones TMDB enrichment keeps fresh.

A show is in the library when a Plex show links to it, when a discovery rule added it to
Sonarr (or found it there already), or when an operator added it by hand. A show known only
from the TVMaze mirror is not: it is enriched only when someone asks for it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.models import Decision, PlexShow, Show

LIBRARY_DECISIONS = (Decision.Status.ADDED, Decision.Status.EXISTS)


def library_q() -> Q:
    """The library as one filter (correlated EXISTS, so no duplicate rows, no DISTINCT)."""
    in_plex = Exists(PlexShow.objects.filter(show_id=OuterRef("pk")))
    in_sonarr = Exists(Decision.objects.filter(show_id=OuterRef("pk"),
                                               status__in=LIBRARY_DECISIONS))
    return Q(in_plex) | Q(in_sonarr) | Q(operator_added=True)


def library_shows(shows: QuerySet[Show] | None = None) -> QuerySet[Show]:
    """``shows`` (default: every show) narrowed to the library."""
    return (Show.objects.all() if shows is None else shows).filter(library_q())


def placeholders() -> QuerySet[Show]:
    """Library shows no TMDB pass has touched yet: what "awaiting TMDB" counts."""
    return library_shows().filter(tmdb_status=Show.TmdbStatus.UNKNOWN)
