"""Admin for Plex servers, libraries, shows, items and path mappings."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from catalog.admin.actions import confirm, enqueue_each
from catalog.admin.secrets import SecretAdmin, secret_form
from catalog.admin.site import ReadOnlyAdmin, RoleAdmin, site
from catalog.metrics.listener import listener_summary
from catalog.models import MediaItem, PathMapping, PlexLibrary, PlexServer, PlexShow, SyncRun
from catalog.paths.prefixes import normalize_local_prefix, normalize_plex_prefix
from catalog.sync.plex.finalize import items_mark_deleted, items_purge_deleted
from catalog.upstreams.checks import plex_server_check


class PathMappingForm(forms.ModelForm):
    """Canonical spellings in the cleaned data too, so a formset sees two rows of one place."""

    class Meta:
        model = PathMapping
        fields = ["server", "plex_prefix", "local_prefix"]

    def clean_plex_prefix(self) -> str:
        return normalize_plex_prefix(self.cleaned_data["plex_prefix"])

    def clean_local_prefix(self) -> str:
        return normalize_local_prefix(self.cleaned_data["local_prefix"])


class PathMappingInline(admin.TabularInline):
    model = PathMapping
    form = PathMappingForm
    extra = 0


@admin.register(PlexServer, site=site)
class PlexServerAdmin(SecretAdmin):
    key_field = "token"
    form = secret_form(PlexServer, "token", ["name", "url", "enabled"],
                       check=lambda url, token: plex_server_check(url=url, token=token))
    list_display = ["name", "url", "enabled", "version", "machine_identifier",
                    "notification_stream"]
    list_filter = ["enabled"]
    list_select_related = ["listener"]
    search_fields = ["name"]
    readonly_fields = ["machine_identifier", "version", "created_at", "notification_stream"]
    inlines = [PathMappingInline]
    actions = ["discover_libraries"]

    @admin.display(description="notification stream")
    def notification_stream(self, server: PlexServer) -> str:
        """What the Plex listener last knew of this server's stream."""
        return listener_summary(getattr(server, "listener", None))

    @admin.action(description="Discover libraries", permissions=["change"])
    def discover_libraries(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.PLEX, lambda s: {"server_id": s.pk}, queryset)


@admin.register(PlexLibrary, site=site)
class PlexLibraryAdmin(RoleAdmin):
    list_display = ["title", "server", "key", "type", "enabled", "retention_days",
                    "verify_hours", "last_synced_at", "missing_count", "deleted_count"]
    list_filter = ["type", "enabled", "server"]
    list_select_related = ["server"]
    raw_id_fields = ["server"]
    readonly_fields = ["last_synced_at", "last_complete_scan_at"]
    actions = ["scan_now", "deep_scan"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            missing=Count("items", filter=Q(items__state=MediaItem.State.MISSING)),
            deleted=Count("items", filter=Q(items__state=MediaItem.State.DELETED)),
        )

    @admin.display(description="missing", ordering="missing")
    def missing_count(self, library: PlexLibrary) -> int:
        return library.missing

    @admin.display(description="deleted", ordering="deleted")
    def deleted_count(self, library: PlexLibrary) -> int:
        return library.deleted

    @admin.action(description="Scan now", permissions=["operate"])
    def scan_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.PLEX,
                     lambda lib: {"library_id": lib.pk, "deep": False}, queryset)

    @admin.action(description="Deep scan (re-read everything)", permissions=["operate"])
    def deep_scan(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.PLEX,
                     lambda lib: {"library_id": lib.pk, "deep": True}, queryset)


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
    actions = ["mark_missing_deleted", "purge_deleted"]

    @admin.action(description="Mark missing items as deleted now", permissions=["operate"])
    def mark_missing_deleted(self, request: HttpRequest, queryset: QuerySet
                             ) -> HttpResponse | None:
        return confirm(
            self, request, queryset.filter(state=MediaItem.State.MISSING),
            action="mark_missing_deleted",
            question="Mark these missing items as deleted, without waiting for the retention?",
            apply=items_mark_deleted,
            done="{count} missing item(s) marked deleted.",
        )

    @admin.action(description="Purge deleted items", permissions=["operate"])
    def purge_deleted(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return confirm(
            self, request, queryset.filter(state=MediaItem.State.DELETED),
            action="purge_deleted",
            question="Remove these deleted items from the database for good?",
            apply=items_purge_deleted,
            done="{count} deleted item(s) purged.",
        )


@admin.register(PathMapping, site=site)
class PathMappingAdmin(RoleAdmin):
    form = PathMappingForm
    list_display = ["server", "plex_prefix", "local_prefix"]
    list_filter = ["server"]
    list_select_related = ["server"]
