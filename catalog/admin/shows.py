"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_q.tasks import async_task

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.admin.sonarr import DecisionActions
from catalog.models import Decision, Episode, Show
from catalog.rule_services import shows_reevaluate


@admin.register(Show, site=site)
class ShowAdmin(DecisionActions, ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status"]
    list_filter = ["status", "tmdb_status", "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]
    actions = ["refresh_from_tvmaze", "push_now", "approve", "decline", "skip", "unskip",
               "reevaluate"]

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
        async_task("catalog.tasks.tvmaze_refresh_task", ids)
        self.message_user(request, f"Queued a TVMaze refresh of {len(ids)} show(s).",
                          messages.SUCCESS)


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
