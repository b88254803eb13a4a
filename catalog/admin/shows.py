"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_q.tasks import async_task

from catalog.admin import show_loading
from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import Episode, Show
from catalog.roles import Role, has_role
from catalog.sync.loading.state import message


@admin.register(Show, site=site)
class ShowAdmin(ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status", "loading_status"]
    list_filter = ["status", "tmdb_status", "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]
    actions = ["refresh_from_tvmaze", show_loading.load_missing, show_loading.load_all]
    readonly_fields = ["loading_message"]

    def get_urls(self) -> list:
        add = path("add-show/", self.admin_site.admin_view(self.add_show),
                   name="catalog_show_add_show")
        return [add, *super().get_urls()]

    def add_show(self, request: HttpRequest) -> HttpResponse:
        return show_loading.add_show_view(self, request)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra = {**(extra_context or {}), "can_operate": has_role(request.user, Role.OPERATOR)}
        return super().changelist_view(request, extra)

    @admin.display(description="Loading")
    def loading_message(self, show: Show) -> str:
        return message(show)

    @admin.action(description="Refresh from TVMaze now", permissions=["operate"])
    def refresh_from_tvmaze(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.exclude(tvmaze_id=None).values_list("tvmaze_id", flat=True)[:500])
        if not ids:
            self.message_user(request, "None of these shows is on TVMaze.", messages.WARNING)
            return
        async_task("catalog.tasks.tvmaze_refresh_task", ids)
        self.message_user(request, f"Queued a TVMaze refresh of {len(ids)} show(s).",
                          messages.SUCCESS)


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
