"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import Episode, Show, SyncRun
from catalog.runs import RunInProgress
from catalog.services import EnqueueFailed, sync_enqueue


@admin.register(Show, site=site)
class ShowAdmin(ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status"]
    list_filter = ["status", "tmdb_status", "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]
    actions = ["refresh_from_tvmaze"]

    @admin.action(description="Refresh from TVMaze now", permissions=["operate"])
    def refresh_from_tvmaze(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.exclude(tvmaze_id=None).values_list("tvmaze_id", flat=True)[:500])
        if not ids:
            self.message_user(request, "None of these shows is on TVMaze.", messages.WARNING)
            return
        try:
            run = sync_enqueue(kind=SyncRun.Kind.TVMAZE, options={"refresh_ids": ids},
                               triggered_by=request.user.get_username())
        except RunInProgress as exc:
            self.message_user(request, f"A TVMaze refresh is already running (run "
                              f"{exc.run.pk}); try again when it ends.", messages.WARNING)
            return
        except EnqueueFailed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Queued a TVMaze refresh of {len(ids)} show(s) "
                          f"(run {run.pk}).", messages.SUCCESS)


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
