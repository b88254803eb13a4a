"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import Episode, Show


@admin.register(Show, site=site)
class ShowAdmin(ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status"]
    list_filter = ["status", "tmdb_status", "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
