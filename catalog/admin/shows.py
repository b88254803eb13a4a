"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from catalog.admin import show_loading
from catalog.admin.actions import enqueue_one
from catalog.admin.site import ReadOnlyAdmin, site
from catalog.admin.sonarr import DecisionActions
from catalog.auth.roles import Role, has_role
from catalog.models import Decision, Episode, Show, SyncRun
from catalog.rules.services import shows_reevaluate
from catalog.sync.loading.state import message
from catalog.sync.tmdb.slots import slot_map

MAX_SELECTED = 1000


@admin.register(Show, site=site)
class ShowAdmin(DecisionActions, ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status", "loading_status"]
    list_filter = ["status", "tmdb_status", ("added_at", admin.EmptyFieldListFilter),
                   "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]
    actions = ["refresh_from_tvmaze", "force_tmdb_sync", "add_to_library",
               "remove_from_library", "push_now", "approve", "decline", "skip", "unskip",
               "reevaluate", show_loading.load_missing, show_loading.load_all]
    readonly_fields = ["episode_slots", "loading_message"]

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

    @admin.display(description="Episode slots (Plex / TMDB)")
    def episode_slots(self, obj: Show) -> str:
        slots = slot_map(obj)
        text = slots.summary or "no TMDB seasons yet"
        return f"{text} — {slots.warning}" if slots.warning else text

    @admin.action(description="Force TMDB sync", permissions=["operate"])
    def force_tmdb_sync(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = sorted(queryset.values_list("pk", flat=True)[:MAX_SELECTED])
        enqueue_one(self, request, kind=SyncRun.Kind.TMDB,
                    options={"show_ids": ids, "force": True},
                    what=f"a TMDB refresh of {len(ids)} show(s)")

    @admin.action(description="Add to the library (kept fresh from TMDB)",
                  permissions=["operate"])
    def add_to_library(self, request: HttpRequest, queryset: QuerySet) -> None:
        queryset.filter(added_at__isnull=True).update(
            added_at=timezone.now(), added_by=request.user.get_username()[:150])
        count = queryset.count()
        self.message_user(request, f"{count} show(s) added to the library.", messages.SUCCESS)

    @admin.action(description="Remove from the library (operator-added only)",
                  permissions=["operate"])
    def remove_from_library(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(added_at=None, added_by="")
        self.message_user(request, f"{count} show(s) no longer added by hand (shows in Plex "
                          "or added to Sonarr stay in the library).", messages.SUCCESS)

    def _decisions(self, queryset: QuerySet) -> QuerySet:
        """The show actions act on the selected shows' decisions, every rule."""
        return Decision.objects.filter(show__in=queryset)

    @admin.action(description="Re-evaluate against every rule", permissions=["operate"])
    def reevaluate(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("id", flat=True)[:5000])
        changed = shows_reevaluate(ids)
        self.message_user(request, f"Re-evaluated {len(ids)} show(s): {changed} decision(s) "
                          "changed.", messages.SUCCESS)

    @admin.action(description="Refresh from TVMaze now", permissions=["operate"])
    def refresh_from_tvmaze(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.exclude(tvmaze_id=None).values_list("tvmaze_id", flat=True)[:500])
        if not ids:
            self.message_user(request, "None of these shows is on TVMaze.", messages.WARNING)
            return
        enqueue_one(self, request, kind=SyncRun.Kind.TVMAZE, options={"refresh_ids": ids},
                    what=f"a TVMaze refresh of {len(ids)} show(s)")


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
