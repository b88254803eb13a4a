"""Which shows are the operator's library: the ones TMDB enrichment keeps fresh.

A show is in the library when a Plex show links to it, when a discovery rule added it to
Sonarr (or found it there already), or when an operator added it (``Show.added_at``: the API,
the admin's Add show page or its "Add to the library" action). A show known only from the
TVMaze mirror is not: it is enriched only when someone asks for it.

This is the one definition: the API's ``in_library``, the loader's sweep, the TMDB batch and
the UI's list filter all read it from here.
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from catalog.models import Decision, PlexShow, Show

LIBRARY_DECISIONS = (Decision.Status.ADDED, Decision.Status.EXISTS)


def library_q() -> Q:
    """The library as one filter (correlated EXISTS, so no duplicate rows, no DISTINCT)."""
    in_plex = Exists(PlexShow.objects.filter(show_id=OuterRef("pk")))
    in_sonarr = Exists(Decision.objects.filter(show_id=OuterRef("pk"),
                                               status__in=LIBRARY_DECISIONS))
    return Q(in_plex) | Q(in_sonarr) | Q(added_at__isnull=False)


def library_flag() -> ExpressionWrapper:
    """:func:`library_q` as a value, to annotate each show with whether it is in the library."""
    return ExpressionWrapper(library_q(), output_field=BooleanField())


def library_shows(shows: QuerySet[Show] | None = None) -> QuerySet[Show]:
    """``shows`` (default: every show) narrowed to the library."""
    return (Show.objects.all() if shows is None else shows).filter(library_q())


def placeholders() -> QuerySet[Show]:
    """Library shows no TMDB pass has touched yet: what "awaiting TMDB" counts."""
    return library_shows().filter(tmdb_status=Show.TmdbStatus.UNKNOWN)


def _library_ids(**show_filter: object) -> QuerySet:
    """The ids of library shows (narrowed by ``show_filter`` on Show fields) as one UNION of
    three small index scans: counting it is much cheaper than testing two EXISTS on every one
    of 100,000 shows. Compound statements refuse ORDER BY in their parts, hence order_by()."""
    related = {f"show__{name}": value for name, value in show_filter.items()}
    return (PlexShow.objects.order_by().filter(show__isnull=False, **related).values("show_id")
            .union(Decision.objects.order_by()
                   .filter(status__in=LIBRARY_DECISIONS, **related).values("show_id"),
                   Show.objects.order_by().filter(added_at__isnull=False, **show_filter)
                   .values("id")))


def library_count() -> int:
    """How many shows the library holds (what ``library_shows().count()`` says, faster)."""
    return _library_ids().count()


def placeholder_count() -> int:
    """How many library shows await their first TMDB pass (``placeholders().count()``)."""
    return _library_ids(tmdb_status=Show.TmdbStatus.UNKNOWN).count()
