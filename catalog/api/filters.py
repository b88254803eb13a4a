"""One FilterSet per model: every external id, status, state, library and show.

Every FilterSet derives from :class:`~catalog.api.filter_base.ApiFilterSet`, so each value is
bounded and a bad one answers 400 naming the parameter.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import DateFilter

from catalog.api.filter_base import ApiFilterSet, BooleanFilter, IntegerFilter, TextFilter
from catalog.models import (
    Decision,
    DiscoveryRule,
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    Show,
    SyncRun,
)


class ShowFilterSet(ApiFilterSet):
    genre = TextFilter(method="filter_genre", max_length=100)
    premiered_after = DateFilter(field_name="premiered", lookup_expr="gte")
    premiered_before = DateFilter(field_name="premiered", lookup_expr="lte")
    in_plex = BooleanFilter(field_name="plex_shows", lookup_expr="isnull", exclude=True,
                            distinct=True)

    class Meta:
        model = Show
        fields = ["tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "status", "language", "country",
                  "type", "tmdb_status", "loading_status", "network", "web_channel"]

    def filter_genre(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # JSON containment is not portable to SQLite; a quoted substring match is.
        return queryset.filter(genres__icontains=f'"{value}"')


class EpisodeFilterSet(ApiFilterSet):
    class Meta:
        model = Episode
        fields = ["show", "season", "number", "tvmaze_id", "tmdb_id"]


class PlexLibraryFilterSet(ApiFilterSet):
    class Meta:
        model = PlexLibrary
        fields = ["server", "type", "enabled", "key"]


class MediaItemFilterSet(ApiFilterSet):
    show = IntegerFilter(field_name="plex_show__show")
    server = IntegerFilter(field_name="library__server")

    class Meta:
        model = MediaItem
        fields = ["state", "library", "plex_show", "show", "rating_key", "kind", "server",
                  "season_number"]


class PathMappingFilterSet(ApiFilterSet):
    class Meta:
        model = PathMapping
        fields = ["server"]


class DiscoveryRuleFilterSet(ApiFilterSet):
    class Meta:
        model = DiscoveryRule
        fields = ["server", "enabled", "dry_run", "requires_approval", "validation"]


class DecisionFilterSet(ApiFilterSet):
    reason = TextFilter(field_name="reason", lookup_expr="startswith", max_length=500,
                        help_text="Reasons starting with this, e.g. `genre:` or `ended`.")
    server = IntegerFilter(field_name="rule__server")
    tvdb_id = IntegerFilter(field_name="show__tvdb_id", max_value=2**31 - 1)

    class Meta:
        model = Decision
        fields = ["show", "rule", "status", "reason", "server", "tvdb_id"]


class SyncRunFilterSet(ApiFilterSet):
    class Meta:
        model = SyncRun
        fields = ["kind", "scope", "status"]
