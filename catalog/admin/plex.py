"""Admin for Plex servers, libraries, shows, items and path mappings."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin.secrets import secret_form
from catalog.admin.site import ReadOnlyAdmin, RoleAdmin, site
from catalog.models import MediaItem, PathMapping, PlexLibrary, PlexServer, PlexShow


class PathMappingInline(admin.TabularInline):
    model = PathMapping
    extra = 0


@admin.register(PlexServer, site=site)
class PlexServerAdmin(RoleAdmin):
    form = secret_form(PlexServer, "token", ["name", "url", "enabled"])
    list_display = ["name", "url", "enabled", "version", "machine_identifier"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    readonly_fields = ["machine_identifier", "version", "created_at"]
    inlines = [PathMappingInline]


@admin.register(PlexLibrary, site=site)
class PlexLibraryAdmin(RoleAdmin):
    list_display = ["title", "server", "key", "type", "enabled", "retention_days",
                    "last_synced_at"]
    list_filter = ["type", "enabled", "server"]
    list_select_related = ["server"]
    raw_id_fields = ["server"]
    readonly_fields = ["last_synced_at", "last_complete_scan_at"]


@admin.register(PlexShow, site=site)
class PlexShowAdmin(ReadOnlyAdmin):
    list_display = ["title", "library", "rating_key", "show", "children_hydrated"]
    list_filter = ["library", "children_hydrated"]
    list_select_related = ["library__server", "show"]
    raw_id_fields = ["library", "show"]
    search_fields = ["title", "=rating_key"]


@admin.register(MediaItem, site=site)
class MediaItemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "library", "season_number", "episode_number", "state",
                    "file_size", "last_seen_at", "missing_since"]
    list_filter = ["state", "kind", "library"]
    list_select_related = ["library__server"]
    raw_id_fields = ["library", "plex_show"]
    search_fields = ["title", "=rating_key", "file_path"]


@admin.register(PathMapping, site=site)
class PathMappingAdmin(RoleAdmin):
    list_display = ["server", "plex_prefix", "local_prefix"]
    list_filter = ["server"]
    list_select_related = ["server"]
