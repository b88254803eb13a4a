"""One FilterSet per model: every external id, status, state, library and show."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

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


class ShowFilterSet(filters.FilterSet):
    genre = filters.CharFilter(method="filter_genre")
    premiered_after = filters.DateFilter(field_name="premiered", lookup_expr="gte")
    premiered_before = filters.DateFilter(field_name="premiered", lookup_expr="lte")
    in_plex = filters.BooleanFilter(field_name="plex_shows", lookup_expr="isnull", exclude=True,
                                    distinct=True)

    class Meta:
        model = Show
        fields = ["tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "status", "language", "country",
                  "type", "tmdb_status", "loading_status", "network", "web_channel"]

    def filter_genre(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # JSON containment is not portable to SQLite; a quoted substring match is.
        return queryset.filter(genres__icontains=f'"{value}"')


class EpisodeFilterSet(filters.FilterSet):
    class Meta:
        model = Episode
        fields = ["show", "season", "number", "tvmaze_id", "tmdb_id"]


class PlexLibraryFilterSet(filters.FilterSet):
    class Meta:
        model = PlexLibrary
        fields = ["server", "type", "enabled", "key"]


class MediaItemFilterSet(filters.FilterSet):
    show = filters.NumberFilter(field_name="plex_show__show")
    server = filters.NumberFilter(field_name="library__server")

    class Meta:
        model = MediaItem
        fields = ["state", "library", "plex_show", "show", "rating_key", "kind", "server",
                  "season_number"]


class PathMappingFilterSet(filters.FilterSet):
    class Meta:
        model = PathMapping
        fields = ["server"]


class DiscoveryRuleFilterSet(filters.FilterSet):
    class Meta:
        model = DiscoveryRule
        fields = ["server", "enabled", "dry_run", "requires_approval", "validation"]


class DecisionFilterSet(filters.FilterSet):
    reason = filters.CharFilter(field_name="reason", lookup_expr="startswith",
                                help_text="Reasons starting with this, e.g. `genre:` or `ended`.")
    server = filters.NumberFilter(field_name="rule__server")
    tvdb_id = filters.NumberFilter(field_name="show__tvdb_id")

    class Meta:
        model = Decision
        fields = ["show", "rule", "status", "reason", "server", "tvdb_id"]


class SyncRunFilterSet(filters.FilterSet):
    class Meta:
        model = SyncRun
        fields = ["kind", "scope", "status"]
